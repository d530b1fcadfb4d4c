//! Synthetic audio-like postings shared by the benchmark examples (not a test helper).
//!
//! 20 postings per second of audio; times in 10 ms ticks, increasing; hashes either uniform
//! random 32-bit values (`uniform`) or landmark-shaped 22-bit values (`landmark`: a triangular
//! anchor-frequency distribution × frequency delta × time delta, so common hashes repeat many
//! times, as real peak-pair hashes do).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const POSTINGS_PER_SEC: u32 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dist {
    Uniform,
    Landmark,
}

impl Dist {
    pub fn parse(s: &str) -> Option<Dist> {
        match s {
            "uniform" => Some(Dist::Uniform),
            "landmark" => Some(Dist::Landmark),
            _ => None,
        }
    }
}

/// The postings of entry `i`, `secs` seconds long; deterministic in `(i, dist)`.
pub fn postings(i: u64, secs: u32, dist: Dist) -> Vec<(u32, u32)> {
    let mut rng = StdRng::seed_from_u64(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xfeed);
    let n = secs * POSTINGS_PER_SEC;
    (0..n)
        .map(|j| {
            let t = j * 5 + rng.random_range(0..5);
            let h = match dist {
                Dist::Uniform => rng.random::<u32>(),
                Dist::Landmark => {
                    let f1 = rng.random_range(0..256u32) + rng.random_range(0..256u32);
                    let df = rng.random_range(0..128u32);
                    let dt = rng.random_range(1..64u32);
                    (f1 << 13) | (df << 6) | dt
                }
            };
            (h, t)
        })
        .collect()
}

/// An incompressible blob of `len` bytes standing for the stored fingerprint frames.
pub fn blob(i: u64, len: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(i ^ 0xb10b);
    let mut v = vec![0u8; len];
    rng.fill(&mut v[..]);
    v
}

/// Peak resident memory and current anonymous (heap) resident memory of this process, in MiB.
/// The difference is mostly mapped segment pages: page cache the kernel can reclaim.
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("RssAnon:"))
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// CPU time this thread has used, in milliseconds: unlike wall time it does not count the
/// time the scheduler gave to other processes (the benchmark machine is shared).
pub fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass and reads nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}
