//! Purge cost against library size: builds libraries of growing size (1-hour entries of
//! synthetic postings) and times `purge()`, which must not grow with the size, and the
//! background deletion of the old generation, which may.
//!
//! nice -n 10 cargo run --release -p fpshot-index --example purge -- --hours 1,10,100,300

#[path = "common/synth.rs"]
#[allow(dead_code)] // shared with the scale example
mod synth;

use std::time::{Duration, Instant};

use fpshot_index::LibraryIndex;
use synth::Dist;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let hours: Vec<u64> = argv
        .iter()
        .position(|a| a == "--hours")
        .and_then(|i| argv.get(i + 1))
        .map(|v| v.split(',').filter_map(|h| h.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 10, 100]);
    println!(
        "| hours | postings | segments | disk MB | purge ms | old generation deleted after ms |"
    );
    println!("|---|---|---|---|---|---|");
    for h in hours {
        let dir =
            std::env::temp_dir().join(format!("fpshot-index-purge-{}-{h}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ix = LibraryIndex::open(&dir)?;
        for i in 0..h {
            ix.add(
                &format!("hour-{i}"),
                &synth::postings(i, 3600, Dist::Uniform),
                &synth::blob(i, 120_000),
            )?;
        }
        let st = ix.stats();
        let gens_before: Vec<_> = std::fs::read_dir(&dir)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        let t = Instant::now();
        ix.purge()?;
        let purge = t.elapsed();
        // The old generation goes on a background thread; wait for it to see what it costs.
        while gens_before.iter().any(|g| g.exists()) && t.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_micros(200));
        }
        let gone = t.elapsed();
        println!(
            "| {h} | {} | {} | {:.1} | {:.3} | {:.1} |",
            st.postings,
            st.segments,
            st.bytes_on_disk as f64 / 1e6,
            purge.as_secs_f64() * 1e3,
            gone.as_secs_f64() * 1e3
        );
        ix.destroy()?;
    }
    Ok(())
}
