//! Unit tests of `LibraryIndex` through its public API (plus a peek at files on disk).

use std::sync::Arc;

use crate::{IndexError, LibraryIndex, Options};

pub(crate) fn small_opts() -> Options {
    Options {
        mem_postings_limit: 40,
        mem_entries_limit: 3,
        auto_merge: true,
    }
}

/// Deterministic postings for entry `i`: some shared hashes, some unique, some at the edges.
pub(crate) fn postings_for(i: u32, n: u32) -> Vec<(u32, u32)> {
    (0..n)
        .map(|j| {
            let h = match j % 4 {
                0 => 7,                                              // shared by every entry
                1 => u32::MAX - (j % 3),                             // top bucket edge
                _ => (i.wrapping_mul(2_654_435_761)) ^ (j * 40_503), // spread out
            };
            (h, j * 10 + i)
        })
        .collect()
}

fn look(ix: &LibraryIndex, h: u32) -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    ix.lookup(h, &mut v);
    v.sort_unstable();
    v
}

#[test]
fn add_lookup_blob_key_survive_flush_merge_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    {
        let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
        for i in 0..10 {
            ids.push(
                ix.add(
                    &format!("k{i}"),
                    &postings_for(i, 12),
                    format!("blob{i}").as_bytes(),
                )
                .unwrap(),
            );
        }
        assert!(ix.stats().segments >= 1, "small limits must have flushed");
        assert_eq!(ix.stats().entries, 10);
        assert_eq!(ix.stats().postings, 120);
    }
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    for (i, &id) in ids.iter().enumerate() {
        assert_eq!(ix.key(id).as_deref(), Some(format!("k{i}").as_str()));
        assert_eq!(
            &*ix.blob(id).unwrap().unwrap(),
            format!("blob{i}").as_bytes()
        );
    }
    let hits = look(&ix, 7);
    assert_eq!(hits.len(), 10 * 3, "hash 7 is in every entry 3 times");
    for (i, &id) in ids.iter().enumerate() {
        let mut want: Vec<(u32, u32)> = postings_for(i as u32, 12)
            .into_iter()
            .filter(|p| p.0 == 7)
            .map(|p| (id, p.1))
            .collect();
        want.sort_unstable();
        let got: Vec<_> = hits.iter().copied().filter(|h| h.0 == id).collect();
        assert_eq!(got, want);
    }
    assert!(look(&ix, 123_456).is_empty());
    let names: Vec<String> = ix.entries().into_iter().map(|e| e.0).collect();
    assert_eq!(names.len(), 10);
}

#[test]
fn replace_gives_new_id_and_hides_old() {
    let dir = tempfile::tempdir().unwrap();
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    let a = ix.add("song", &[(1, 10), (2, 20)], b"v1").unwrap();
    ix.add("other", &[(1, 5)], b"o").unwrap();
    ix.add("third", &[(3, 5)], b"t").unwrap(); // crosses the entry limit: flush
    let b = ix.add("song", &[(1, 11)], b"v2").unwrap();
    assert_ne!(a, b);
    assert_eq!(ix.key(a), None);
    assert_eq!(ix.blob(a).unwrap(), None);
    assert_eq!(look(&ix, 2), vec![]);
    assert!(look(&ix, 1).contains(&(b, 11)));
    assert_eq!(ix.stats().tombstones, 1);
    assert_eq!(ix.entries().iter().filter(|e| e.0 == "song").count(), 1);
}

#[test]
fn remove_is_immediate_durable_and_compaction_reclaims() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        auto_merge: false,
        ..small_opts()
    };
    let ix = LibraryIndex::open_with(dir.path(), opts.clone()).unwrap();
    for i in 0..9 {
        ix.add(&format!("k{i}"), &postings_for(i, 20), &[i as u8; 1000])
            .unwrap();
    }
    assert!(ix.remove("k3").unwrap());
    assert!(!ix.remove("k3").unwrap());
    assert!(!ix.remove("never").unwrap());
    assert_eq!(look(&ix, 7).len(), 8 * 5);
    drop(ix);
    let ix = LibraryIndex::open_with(dir.path(), opts).unwrap();
    assert_eq!(look(&ix, 7).len(), 8 * 5);
    let before = ix.stats();
    assert_eq!(before.tombstones, 1);
    assert!(before.segments >= 3);
    // With auto_merge off, merge_step does the binary-counter merging on demand.
    assert!(ix.merge_step().unwrap());
    let stepped = ix.stats();
    assert!(stepped.segments < before.segments);
    assert_eq!(stepped.entries, 8);
    assert_eq!(look(&ix, 7).len(), 8 * 5);
    // The merge may already have dropped the tombstoned entry; compaction drops the rest.
    let dropped_by_step = before.tombstones - stepped.tombstones;
    let c = ix.compact().unwrap();
    assert_eq!(c.entries_dropped + dropped_by_step, 1);
    assert_eq!(c.postings_dropped, 20 * c.entries_dropped);
    assert!(c.bytes_after <= c.bytes_before);
    let after = ix.stats();
    assert_eq!((after.tombstones, after.segments, after.entries), (0, 1, 8));
    assert_eq!(look(&ix, 7).len(), 8 * 5);
    assert!(!ix.merge_step().unwrap(), "one segment: no merge due");
    // Nothing left to do: a second compaction is a no-op.
    let c2 = ix.compact().unwrap();
    assert_eq!(
        (c2.segments_before, c2.segments_after, c2.entries_dropped),
        (1, 1, 0)
    );
}

#[test]
fn purge_empties_keeps_counting_ids_and_deletes_old_generation() {
    let dir = tempfile::tempdir().unwrap();
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    let mut last = 0;
    for i in 0..7 {
        last = ix
            .add(&format!("k{i}"), &postings_for(i, 10), b"x")
            .unwrap();
    }
    ix.purge().unwrap();
    assert!(look(&ix, 7).is_empty());
    assert_eq!(ix.stats().entries, 0);
    assert!(ix.entries().is_empty());
    let id = ix.add("k0", &[(7, 1)], b"y").unwrap();
    assert!(id > last, "ids are never reused, even across a purge");
    drop(ix);
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    assert_eq!(look(&ix, 7), vec![(id, 1)]);
    let gens: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .collect();
    assert_eq!(gens.len(), 1, "open removes generations left by a purge");
}

#[test]
fn lookup_many_matches_single_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    for i in 0..8 {
        ix.add(&format!("k{i}"), &postings_for(i, 16), b"").unwrap();
    }
    let hashes: Vec<u32> = postings_for(3, 16)
        .iter()
        .map(|p| p.0)
        .chain([99, 7])
        .collect();
    let mut many = Vec::new();
    ix.lookup_many(&hashes, &mut many);
    let mut single = Vec::new();
    for (i, &h) in hashes.iter().enumerate() {
        let mut v = Vec::new();
        ix.lookup(h, &mut v);
        single.extend(v.into_iter().map(|(e, t)| (i as u32, e, t)));
    }
    many.sort_unstable();
    single.sort_unstable();
    assert_eq!(many, single);
}

#[test]
fn second_open_is_refused_while_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _ix = LibraryIndex::open(dir.path()).unwrap();
    assert!(matches!(
        LibraryIndex::open(dir.path()),
        Err(IndexError::Locked(_))
    ));
}

#[test]
fn destroy_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let ix = LibraryIndex::open(&lib).unwrap();
    ix.add("a", &[(1, 1)], b"z").unwrap();
    ix.destroy().unwrap();
    assert!(!lib.exists());
}

#[test]
fn corrupt_segment_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
        for i in 0..3 {
            ix.add(&format!("k{i}"), &postings_for(i, 10), b"x")
                .unwrap();
        }
        assert_eq!(ix.stats().segments, 1);
    }
    let seg = find_files(dir.path(), ".seg").pop().unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[40] ^= 0xff; // buckets offset
    std::fs::write(&seg, &bytes).unwrap();
    assert!(matches!(
        LibraryIndex::open(dir.path()),
        Err(IndexError::Corrupt { .. })
    ));
}

#[test]
fn orphan_files_of_an_interrupted_flush_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
        ix.add("a", &[(1, 1)], b"x").unwrap();
    }
    let gen_dir = find_files(dir.path(), ".log")
        .pop()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(gen_dir.join("seg-00000099.seg"), b"half a segment").unwrap();
    std::fs::write(gen_dir.join("seg-00000100.tmp"), b"tmp").unwrap();
    let ix = LibraryIndex::open_with(dir.path(), small_opts()).unwrap();
    assert_eq!(look(&ix, 1).len(), 1);
    assert!(!gen_dir.join("seg-00000099.seg").exists());
    assert!(!gen_dir.join("seg-00000100.tmp").exists());
}

#[test]
fn readers_are_not_blocked_by_a_held_writer_lock() {
    let dir = tempfile::tempdir().unwrap();
    let ix = Arc::new(LibraryIndex::open_with(dir.path(), small_opts()).unwrap());
    let id = ix.add("a", &[(5, 50)], b"blob").unwrap();
    let guard = ix.lock_writer(); // a writer in the middle of a long flush or merge
    let reader = {
        let ix = Arc::clone(&ix);
        std::thread::spawn(move || {
            (
                look(&ix, 5),
                ix.key(id),
                ix.blob(id).unwrap(),
                ix.stats().entries,
            )
        })
    };
    let (hits, key, blob, n) = reader.join().unwrap();
    drop(guard);
    assert_eq!(hits, vec![(id, 50)]);
    assert_eq!(key.as_deref(), Some("a"));
    assert_eq!(blob.as_deref(), Some(&b"blob"[..]));
    assert_eq!(n, 1);
}

#[test]
fn empty_key_and_empty_entry_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let ix = LibraryIndex::open(dir.path()).unwrap();
    let id = ix.add("", &[], b"").unwrap();
    assert_eq!(ix.key(id).as_deref(), Some(""));
}

pub(crate) fn find_files(root: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn library_index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LibraryIndex>();
}

/// Readers running through adds, flushes, merges, removes and a compaction always see whole
/// entries: every id they get has exactly its 3 postings of hash 7, never a duplicate or a part.
#[test]
fn concurrent_readers_see_whole_entries_through_maintenance() {
    let dir = tempfile::tempdir().unwrap();
    let ix = Arc::new(LibraryIndex::open_with(dir.path(), small_opts()).unwrap());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (ix, stop) = (Arc::clone(&ix), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut rounds = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut per_id = std::collections::HashMap::<u32, usize>::new();
                    let mut v = Vec::new();
                    ix.lookup(7, &mut v);
                    for (id, _) in v {
                        *per_id.entry(id).or_default() += 1;
                    }
                    assert!(
                        per_id.values().all(|&n| n == 3),
                        "torn or duplicated entry: {per_id:?}"
                    );
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    for i in 0..60 {
        ix.add(&format!("k{i}"), &postings_for(i, 12), b"b")
            .unwrap();
        if i % 7 == 3 {
            ix.remove(&format!("k{}", i - 2)).unwrap();
        }
        if i % 20 == 19 {
            ix.compact().unwrap();
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(look(&ix, 7).len(), (60 - 9) * 3);
}
