//! Storage choice by benchmark: the hand-written memory-mapped segments of `LibraryIndex`
//! against redb (B-tree, key `(hash, entry, time)`) and fjall (LSM-tree with LZ4, key the
//! same 12 bytes big-endian), on the same synthetic
//! library: ingest (one durable transaction per entry in both), bytes on disk, and latency
//! of 10-second queries (200 hash lookups).
//!
//! nice -n 10 cargo run --release -p fpshot-index --features storage-compare \
//!     --example storage_compare -- --hours 20

#[path = "common/synth.rs"]
#[allow(dead_code)] // shared with the scale example
mod synth;

use std::time::Instant;

use fpshot_index::LibraryIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use synth::{Dist, POSTINGS_PER_SEC};

const POSTINGS: TableDefinition<(u32, u32, u32), ()> = TableDefinition::new("postings");
const BLOBS: TableDefinition<u32, &[u8]> = TableDefinition::new("blobs");
const ENTRY_SECS: u32 = 180;
const BLOB_LEN: usize = 6_000;

struct Row {
    name: &'static str,
    ingest_s: f64,
    disk: u64,
    lat: Vec<f64>,
    hits: usize,
}

fn query_hashes(n_entries: u64, n: usize, dist: Dist) -> Vec<Vec<u32>> {
    let mut rng = StdRng::seed_from_u64(5);
    (0..n)
        .map(|_| {
            let p = synth::postings(rng.random_range(0..n_entries), ENTRY_SECS, dist);
            let w = (10 * POSTINGS_PER_SEC) as usize;
            let s = rng.random_range(0..p.len() - w);
            p[s..s + w].iter().map(|x| x.0).collect()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().collect();
    let hours: f64 = argv
        .iter()
        .position(|a| a == "--hours")
        .and_then(|i| argv.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(20.0);
    let dist = argv
        .iter()
        .position(|a| a == "--dist")
        .and_then(|i| argv.get(i + 1))
        .and_then(|v| Dist::parse(v))
        .unwrap_or(Dist::Uniform);
    let n_entries = (hours * 3600.0 / f64::from(ENTRY_SECS)) as u64;
    let root = std::env::temp_dir().join(format!("fpshot-storage-compare-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    let queries = query_hashes(n_entries, 1000, dist);
    let mut rows = Vec::new();

    // fpshot-index segments.
    {
        let dir = root.join("segments");
        let ix = LibraryIndex::open(&dir)?;
        let t = Instant::now();
        for i in 0..n_entries {
            ix.add(
                &format!("entry-{i:08}"),
                &synth::postings(i, ENTRY_SECS, dist),
                &synth::blob(i, BLOB_LEN),
            )?;
        }
        ix.compact()?; // both sides measured fully merged
        let ingest_s = t.elapsed().as_secs_f64();
        let mut out = Vec::new();
        let (mut lat, mut hits) = (Vec::new(), 0);
        for q in &queries {
            out.clear();
            let t = Instant::now();
            ix.lookup_many(q, &mut out);
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            hits += out.len();
        }
        rows.push(Row {
            name: "fpshot-index (mmap segments)",
            ingest_s,
            disk: synth::dir_bytes(&dir),
            lat,
            hits,
        });
    }

    // redb.
    {
        let path = root.join("redb.db");
        let mut db = Database::create(&path)?;
        let t = Instant::now();
        for i in 0..n_entries {
            let p = synth::postings(i, ENTRY_SECS, dist);
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(POSTINGS)?;
                for &(h, time) in &p {
                    table.insert((h, i as u32, time), ())?;
                }
                let mut blobs = txn.open_table(BLOBS)?;
                blobs.insert(i as u32, synth::blob(i, BLOB_LEN).as_slice())?;
            }
            txn.commit()?;
        }
        db.compact(redb::CompactionMode::Balanced)?;
        let ingest_s = t.elapsed().as_secs_f64();
        let (mut lat, mut hits) = (Vec::new(), 0);
        let mut out: Vec<(u32, u32, u32)> = Vec::new();
        for q in &queries {
            out.clear();
            let t = Instant::now();
            let read = db.begin_read()?;
            let table = read.open_table(POSTINGS)?;
            for (qi, &h) in q.iter().enumerate() {
                for kv in table.range((h, 0, 0)..=(h, u32::MAX, u32::MAX))? {
                    let (k, _) = kv?;
                    let (_, e, time) = k.value();
                    out.push((qi as u32, e, time));
                }
            }
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            hits += out.len();
        }
        rows.push(Row {
            name: "redb 5 (B-tree, key (hash,entry,time))",
            ingest_s,
            disk: std::fs::metadata(&path)?.len(),
            lat,
            hits,
        });
    }

    // fjall.
    {
        let path = root.join("fjall");
        let db = fjall::Database::builder(&path).open()?;
        let ks = db.keyspace("postings", fjall::KeyspaceCreateOptions::default)?;
        let blobs = db.keyspace("blobs", fjall::KeyspaceCreateOptions::default)?;
        let t = Instant::now();
        for i in 0..n_entries {
            let mut batch = db.batch();
            for (h, time) in synth::postings(i, ENTRY_SECS, dist) {
                let mut k = [0u8; 12];
                k[..4].copy_from_slice(&h.to_be_bytes());
                k[4..8].copy_from_slice(&(i as u32).to_be_bytes());
                k[8..].copy_from_slice(&time.to_be_bytes());
                batch.insert(&ks, k.to_vec(), Vec::new());
            }
            batch.insert(
                &blobs,
                (i as u32).to_be_bytes().to_vec(),
                synth::blob(i, BLOB_LEN),
            );
            batch.commit()?;
            db.persist(fjall::PersistMode::SyncData)?;
        }
        let ingest_s = t.elapsed().as_secs_f64();
        let (mut lat, mut hits) = (Vec::new(), 0);
        let mut out: Vec<(u32, u32, u32)> = Vec::new();
        for q in &queries {
            out.clear();
            let t = Instant::now();
            for (qi, &h) in q.iter().enumerate() {
                for g in ks.prefix(h.to_be_bytes()) {
                    let k = g.key()?;
                    let e = u32::from_be_bytes([k[4], k[5], k[6], k[7]]);
                    let time = u32::from_be_bytes([k[8], k[9], k[10], k[11]]);
                    out.push((qi as u32, e, time));
                }
            }
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            hits += out.len();
        }
        drop((ks, blobs, db));
        rows.push(Row {
            name: "fjall 3 (LSM, LZ4, key hash‖entry‖time)",
            ingest_s,
            disk: synth::dir_bytes(&path),
            lat,
            hits,
        });
    }

    let postings = n_entries * u64::from(ENTRY_SECS * POSTINGS_PER_SEC);
    println!(
        "{hours} h, {n_entries} entries, {postings} postings, dist {dist:?}, blob {BLOB_LEN} B/entry"
    );
    println!("| storage | ingest s (h/s) | disk MB | MB/h | q p50 ms | q p95 ms | hits/q |");
    println!("|---|---|---|---|---|---|---|");
    for r in &mut rows {
        r.lat.sort_by(f64::total_cmp);
        println!(
            "| {} | {:.1} ({:.1}) | {:.1} | {:.3} | {:.3} | {:.3} | {:.0} |",
            r.name,
            r.ingest_s,
            hours / r.ingest_s,
            r.disk as f64 / 1e6,
            r.disk as f64 / 1e6 / hours,
            synth::percentile(&r.lat, 0.5),
            synth::percentile(&r.lat, 0.95),
            r.hits as f64 / queries.len() as f64
        );
    }
    std::fs::remove_dir_all(&root)?;
    Ok(())
}
