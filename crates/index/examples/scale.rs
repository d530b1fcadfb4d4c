//! Scale benchmark of `LibraryIndex`: ingest rate, 10-second-query latency, memory and bytes
//! per hour at growing library sizes, then compaction (with queries running meanwhile) and
//! purge.
//!
//! nice -n 10 cargo run --release -p fpshot-index --example scale -- \
//!     --hours 10,100,300 [--entry-minutes 3] [--dist uniform|landmark] [--queries 2000] \
//!     [--blob-per-hour 120000] [--dir /path] [--mem-entries 64] [--mem-postings 1048576]

#[path = "common/synth.rs"]
mod synth;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fpshot_index::{LibraryIndex, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use synth::{Dist, POSTINGS_PER_SEC};

struct Args {
    hours: Vec<f64>,
    entry_secs: u32,
    dist: Dist,
    queries: usize,
    blob_per_hour: usize,
    dir: std::path::PathBuf,
    opts: Options,
}

fn args() -> Args {
    let mut a = Args {
        hours: vec![10.0, 100.0],
        entry_secs: 180,
        dist: Dist::Uniform,
        queries: 2000,
        blob_per_hour: 120_000,
        dir: std::env::temp_dir().join(format!("fpshot-index-scale-{}", std::process::id())),
        opts: Options::default(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    for pair in argv.chunks(2) {
        let v = pair.get(1).map(String::as_str).unwrap_or("");
        match pair[0].as_str() {
            "--hours" => a.hours = v.split(',').filter_map(|h| h.parse().ok()).collect(),
            "--entry-minutes" => a.entry_secs = v.parse::<u32>().unwrap_or(3) * 60,
            "--dist" => a.dist = Dist::parse(v).unwrap_or(Dist::Uniform),
            "--queries" => a.queries = v.parse().unwrap_or(2000),
            "--blob-per-hour" => a.blob_per_hour = v.parse().unwrap_or(120_000),
            "--dir" => a.dir = v.into(),
            "--mem-entries" => {
                a.opts.mem_entries_limit = v.parse().unwrap_or(a.opts.mem_entries_limit)
            }
            "--mem-postings" => {
                a.opts.mem_postings_limit = v.parse().unwrap_or(a.opts.mem_postings_limit)
            }
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    a
}

/// Wall-clock latencies (ms, sorted), thread-CPU latencies (ms, sorted) and mean hits of `n`
/// 10-second queries (200 consecutive postings of a random entry).
fn queries(
    ix: &LibraryIndex,
    a: &Args,
    n_entries: u64,
    n: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>, f64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let window = (10 * POSTINGS_PER_SEC) as usize;
    let mut out = Vec::with_capacity(4096);
    let mut lat = Vec::with_capacity(n);
    let mut cpu = Vec::with_capacity(n);
    let mut hits = 0usize;
    for _ in 0..n {
        let e = rng.random_range(0..n_entries);
        let p = synth::postings(e, a.entry_secs, a.dist);
        let start = rng.random_range(0..p.len().saturating_sub(window).max(1));
        let hashes: Vec<u32> = p[start..(start + window).min(p.len())]
            .iter()
            .map(|x| x.0)
            .collect();
        out.clear();
        let c = synth::thread_cpu_ms();
        let t = Instant::now();
        ix.lookup_many(&hashes, &mut out);
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push(synth::thread_cpu_ms() - c);
        hits += out.len();
    }
    lat.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (lat, cpu, hits as f64 / n.max(1) as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args();
    let _ = std::fs::remove_dir_all(&a.dir);
    let ix = Arc::new(LibraryIndex::open_with(&a.dir, a.opts.clone())?);
    let per_entry_h = f64::from(a.entry_secs) / 3600.0;
    let blob_len = (a.blob_per_hour as f64 * per_entry_h) as usize;
    println!(
        "dist={:?} entry={}s postings/entry={} blob/entry={}B dir={} {:?}",
        a.dist,
        a.entry_secs,
        a.entry_secs * POSTINGS_PER_SEC,
        blob_len,
        a.dir.display(),
        a.opts
    );
    println!(
        "| hours | entries | postings | ingest h/s | ingest Mpost/s | segments | disk MB | MB/h | B/posting (excl. blobs) | RSS peak MiB | heap MiB | q p50 ms | q p95 ms | q p99 ms | q CPU p50 ms | q CPU p95 ms | hits/q |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut n_entries = 0u64;
    let mut add_time = Duration::ZERO;
    for &h in &a.hours {
        let target = (h / per_entry_h).round() as u64;
        while n_entries < target {
            let p = synth::postings(n_entries, a.entry_secs, a.dist);
            let b = synth::blob(n_entries, blob_len);
            let t = Instant::now();
            ix.add(&format!("entry-{n_entries:08}"), &p, &b)?;
            add_time += t.elapsed();
            n_entries += 1;
        }
        let st = ix.stats();
        if let Some(e) = &st.last_maintenance_error {
            return Err(e.clone().into());
        }
        let disk = synth::dir_bytes(&a.dir) as f64;
        let hours = n_entries as f64 * per_entry_h;
        let blob_bytes = (blob_len as u64 * n_entries) as f64;
        let (lat, cpu, hits) = queries(&ix, &a, n_entries, a.queries, 7);
        let (peak, anon) = synth::rss_mib();
        println!(
            "| {:.0} | {} | {} | {:.1} | {:.2} | {} | {:.1} | {:.3} | {:.2} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} |",
            hours,
            n_entries,
            st.postings,
            hours / add_time.as_secs_f64(),
            st.postings as f64 / add_time.as_secs_f64() / 1e6,
            st.segments,
            disk / 1e6,
            disk / 1e6 / hours,
            (disk - blob_bytes) / st.postings as f64,
            peak,
            anon,
            synth::percentile(&lat, 0.5),
            synth::percentile(&lat, 0.95),
            synth::percentile(&lat, 0.99),
            synth::percentile(&cpu, 0.5),
            synth::percentile(&cpu, 0.95),
            hits
        );
    }

    // Remove 5 % of the entries, then compact while queries keep running.
    let mut rng = StdRng::seed_from_u64(11);
    let mut removed = 0;
    for _ in 0..n_entries / 20 {
        if ix.remove(&format!("entry-{:08}", rng.random_range(0..n_entries)))? {
            removed += 1;
        }
    }
    let compactor = {
        let ix = Arc::clone(&ix);
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = ix.compact();
            (r, t.elapsed())
        })
    };
    let mut during = Vec::new();
    let mut round = 100;
    while !compactor.is_finished() {
        let (lat, _, _) = queries(&ix, &a, n_entries, 50, round);
        during.extend(lat);
        round += 1;
    }
    let (cs, ct) = compactor.join().map_err(|_| "compaction thread panicked")?;
    let cs = cs?;
    during.sort_by(f64::total_cmp);
    println!(
        "\ncompaction: removed {removed} entries, {:.2} s, {} → {} segments, {:.1} → {:.1} MB, {} postings dropped; \
         {} queries ran meanwhile: p50 {:.3} ms, p95 {:.3} ms, max {:.3} ms",
        ct.as_secs_f64(),
        cs.segments_before,
        cs.segments_after,
        cs.bytes_before as f64 / 1e6,
        cs.bytes_after as f64 / 1e6,
        cs.postings_dropped,
        during.len(),
        synth::percentile(&during, 0.5),
        synth::percentile(&during, 0.95),
        during.last().copied().unwrap_or(0.0)
    );
    let (lat, cpu, _) = queries(&ix, &a, n_entries, a.queries, 9);
    println!(
        "after compaction: q p50 {:.3} ms, p95 {:.3} ms (CPU p50 {:.3} ms, p95 {:.3} ms)",
        synth::percentile(&lat, 0.5),
        synth::percentile(&lat, 0.95),
        synth::percentile(&cpu, 0.5),
        synth::percentile(&cpu, 0.95)
    );
    let st = ix.stats();
    let t = Instant::now();
    ix.purge()?;
    println!(
        "purge of {} entries / {} postings / {:.1} MB: {:.3} ms",
        st.entries,
        st.postings,
        st.bytes_on_disk as f64 / 1e6,
        t.elapsed().as_secs_f64() * 1e3
    );
    match Arc::try_unwrap(ix) {
        Ok(ix) => ix.destroy()?,
        Err(_) => return Err("index still shared".into()),
    }
    Ok(())
}
