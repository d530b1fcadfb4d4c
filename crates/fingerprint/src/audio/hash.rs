//! Landmark pair hashes: (anchor log-frequency, log-frequency difference, frame difference).
//!
//! The frequency parts are log-bin numbers, so a pitch shift of p bins moves the anchor by p and
//! leaves the difference alone; a time-scale s multiplies the frame difference. The query side
//! re-hashes its peaks under each (p, s) hypothesis, so stored references need no variants.

use super::Peak;

/// Largest frame distance between paired peaks (~1.5 s).
pub const MAX_DT: u32 = 48;
/// Largest log-bin distance between paired peaks (1.5 octaves).
pub const MAX_DF: i32 = 36;
/// Pairs per anchor in references.
pub const FAN_OUT: usize = 3;
/// Pairs per anchor in queries: more, since query peaks are noisier and a stored pair's target
/// may not be the query's nearest one.
pub const QUERY_FAN_OUT: usize = 6;

fn pack(f1: i32, df: i32, dt: u32) -> u32 {
    (f1 as u32) << 13 | ((df + 64) as u32) << 6 | dt
}

/// Postings of a reference: `(hash, anchor frame)`.
pub fn reference_postings(peaks: &[Peak]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(peaks.len() * FAN_OUT);
    for (i, a) in peaks.iter().enumerate() {
        let mut n = 0;
        for b in &peaks[i + 1..] {
            let dt = b.t - a.t;
            if dt > MAX_DT {
                break;
            }
            let df = b.f as i32 - a.f as i32;
            if dt == 0 || df.abs() > MAX_DF {
                continue;
            }
            out.push((pack(a.f as i32, df, dt), a.t));
            n += 1;
            if n == FAN_OUT {
                break;
            }
        }
    }
    out
}

/// One hashed query pair under hypothesis `hyp`: anchor time already scaled to reference frames.
#[derive(Clone, Copy, Debug)]
pub struct QueryHash {
    pub hash: u32,
    pub hyp: u16,
    pub t: i32,
}

/// Hashes of `peaks` read as if the reference were shifted by `shift` bins and scaled by `scale`.
pub fn query_hashes(peaks: &[Peak], shift: i32, scale: f64, hyp: u16, out: &mut Vec<QueryHash>) {
    let max_span = (MAX_DT as f64 / scale).ceil() as u32 + 1;
    for (i, a) in peaks.iter().enumerate() {
        let f1 = a.f as i32 - shift;
        if !(0..128).contains(&f1) {
            continue;
        }
        let ta = a.t as f64 * scale;
        let mut n = 0;
        for b in &peaks[i + 1..] {
            if b.t - a.t > max_span {
                break;
            }
            let dt = ((b.t as f64 * scale) - ta).round() as i64;
            let df = b.f as i32 - a.f as i32;
            if dt < 1 || dt > MAX_DT as i64 || df.abs() > MAX_DF {
                continue;
            }
            out.push(QueryHash {
                hash: pack(f1, df, dt as u32),
                hyp,
                t: ta.round() as i32,
            });
            n += 1;
            if n == QUERY_FAN_OUT {
                break;
            }
        }
    }
}
