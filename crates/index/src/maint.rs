//! Maintenance: flushing the in-memory segment, merging segments (automatic and
//! [`LibraryIndex::compact`]), purge and destroy. All of it publishes new snapshots; none of it
//! blocks a reader.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::path::Path;
use std::sync::{Arc, MutexGuard};

use crate::EntryId;
use crate::error::IndexError;
use crate::index::{CompactStats, LibraryIndex, MemEntry, Snapshot, Writer, init_generation};
use crate::manifest::{self, gen_name, seg_name, wal_name};
use crate::segment::{Segment, mix};
use crate::segwrite::{NewEntry, write_segment};
use crate::wal::Wal;

/// A merged segment, written but not yet installed.
struct Merged {
    seg: Option<Segment>,
    /// Tombstoned ids the merge left out (they now exist nowhere once installed).
    dropped: Vec<EntryId>,
    postings_dropped: u64,
}

/// Writes the live content of `inputs` as one new segment numbered `seq` in `gen_dir`.
fn merge_segments(
    gen_dir: &Path,
    seq: u64,
    inputs: &[Arc<Segment>],
    dead: &HashSet<EntryId>,
) -> Result<Merged, IndexError> {
    let mut entries = Vec::new();
    let mut dropped = Vec::new();
    let (mut n_postings, mut postings_dropped) = (0u64, 0u64);
    for seg in inputs {
        for i in 0..seg.n_entries() {
            let e = seg.entry_at(i);
            if dead.contains(&e.id) {
                dropped.push(e.id);
                postings_dropped += u64::from(e.n_postings);
            } else {
                n_postings += u64::from(e.n_postings);
                entries.push(NewEntry {
                    id: e.id,
                    n_postings: e.n_postings,
                    key: seg.key_bytes(&e),
                    blob: seg.blob_bytes(&e),
                });
            }
        }
    }
    if entries.is_empty() {
        return Ok(Merged {
            seg: None,
            dropped,
            postings_dropped,
        });
    }
    entries.sort_unstable_by_key(|e| e.id);
    // k-way merge of the sorted posting streams, dropping tombstoned entries.
    let mut streams: Vec<_> = inputs.iter().map(|s| s.postings()).collect();
    let mut heap = BinaryHeap::with_capacity(streams.len());
    for (i, s) in streams.iter_mut().enumerate() {
        if let Some(p) = s.next_posting()? {
            heap.push(Reverse((p, i)));
        }
    }
    let merged = std::iter::from_fn(move || {
        loop {
            let Reverse((p, i)) = heap.pop()?;
            match streams[i].next_posting() {
                Ok(Some(n)) => heap.push(Reverse((n, i))),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            if !dead.contains(&p.1) {
                return Some(Ok(p));
            }
        }
    });
    let dest = gen_dir.join(seg_name(seq));
    write_segment(
        &dest.with_extension("tmp"),
        &dest,
        n_postings,
        merged,
        &entries,
    )?;
    Ok(Merged {
        seg: Some(Segment::open(&dest, seq)?),
        dropped,
        postings_dropped,
    })
}

impl LibraryIndex {
    /// Flush (and, if enabled, merge) after an add crossed a threshold. The add itself is
    /// already durable in the log, so a failure here is recorded, not returned: the in-memory
    /// segment stays and the next add retries. The merge runs after the writer lock is
    /// released, so other adds (and all lookups) go on meanwhile.
    pub(crate) fn maintain(&self, mut w: MutexGuard<'_, Writer>) {
        let mut res = self.flush(&mut w);
        drop(w);
        if res.is_ok() && self.opts.auto_merge {
            res = self.merge_step().map(|_| ());
        }
        if let Ok(mut e) = self.last_error.lock() {
            *e = res.err().map(|e| e.to_string());
        }
    }

    /// Writes the in-memory segment's live entries as a sorted segment and starts a new log.
    pub(crate) fn flush(&self, w: &mut Writer) -> Result<(), IndexError> {
        if w.mem.is_empty() {
            return Ok(());
        }
        let mut m = w.manifest.clone();
        let mut segments = w.segments.clone();
        let live: Vec<&MemEntry> = w
            .mem
            .iter()
            .map(|m| &**m)
            .filter(|m| !w.dead.contains(&m.id))
            .collect();
        let mut written = None;
        if !live.is_empty() {
            let mut all: Vec<(u32, EntryId, u32)> = Vec::with_capacity(w.mem_postings);
            for e in &live {
                all.extend(e.postings.iter().map(|&(h, t)| (mix(h), e.id, t)));
            }
            all.sort_unstable();
            let mut entries: Vec<NewEntry<'_>> = live
                .iter()
                .map(|e| NewEntry {
                    id: e.id,
                    n_postings: e.postings.len() as u32,
                    key: e.key.as_bytes(),
                    blob: &e.blob,
                })
                .collect();
            entries.sort_unstable_by_key(|e| e.id);
            let seq = m.next_seg;
            m.next_seg += 1;
            let dest = w.gen_dir.join(seg_name(seq));
            write_segment(
                &dest.with_extension("tmp"),
                &dest,
                all.len() as u64,
                all.into_iter().map(Ok),
                &entries,
            )?;
            let seg = Arc::new(Segment::open(&dest, seq)?);
            segments.push(Arc::clone(&seg));
            m.segments.push(seq);
            written = Some(dest);
        }
        let cleanup = |written: &Option<std::path::PathBuf>| {
            if let Some(p) = written {
                let _ = std::fs::remove_file(p);
            }
        };
        let new_wal_path = w.gen_dir.join(wal_name(m.wal + 1));
        let _ = std::fs::remove_file(&new_wal_path); // leftover of an earlier failed flush
        let new_wal = match Wal::create(&new_wal_path) {
            Ok(x) => x,
            Err(e) => {
                cleanup(&written);
                return Err(e);
            }
        };
        let mut dead = (*w.dead).clone();
        for e in &w.mem {
            dead.remove(&e.id);
        }
        let old_wal = w.gen_dir.join(wal_name(m.wal));
        m.wal += 1;
        m.dead = dead.iter().copied().collect();
        if let Err(e) = m.store(&w.gen_dir) {
            cleanup(&written);
            let _ = std::fs::remove_file(&new_wal_path);
            return Err(e);
        }
        // Committed: the manifest names the new segment and the new log.
        let _ = std::fs::remove_file(old_wal);
        w.manifest = m;
        w.wal = new_wal;
        w.segments = segments;
        w.mem.clear();
        w.mem_postings = 0;
        w.dead = Arc::new(dead);
        self.publish(w);
        Ok(())
    }

    /// One step of binary-counter merging: merges the smallest segments while together they
    /// are at least as large as the next one, which keeps O(log n) segments and rewrites each
    /// posting O(log n) times. Runs after flushes when [`Options::auto_merge`] is on (in the
    /// add that flushed, after it released the writer lock); with it off, call this from a
    /// background thread. `true` if a merge happened; `false` if none was due or another
    /// merge or a `compact` was running. Never blocks lookups.
    ///
    /// [`Options::auto_merge`]: crate::Options::auto_merge
    pub fn merge_step(&self) -> Result<bool, IndexError> {
        let Ok(_guard) = self.merging.try_lock() else {
            return Ok(false);
        };
        self.merge_picked(|segments, _| {
            let mut by_size = segments.to_vec();
            by_size.sort_by_key(|s| Reverse(s.n_postings));
            let mut take = 1usize;
            let mut acc = by_size.last().map_or(0, |s| s.n_postings);
            while take < by_size.len() && by_size[by_size.len() - take - 1].n_postings <= acc {
                take += 1;
                acc += by_size[by_size.len() - take].n_postings;
            }
            (take >= 2).then(|| by_size.split_off(by_size.len() - take))
        })
        .map(|merged| merged.is_some())
    }

    /// Picks merge inputs under the writer lock, merges them without it, and installs the
    /// result under it again. The caller holds `merging`. Returns the dropped entries and
    /// postings, or `None` when nothing was merged (nothing picked, or a purge intervened).
    fn merge_picked(
        &self,
        pick: impl FnOnce(&[Arc<Segment>], &HashSet<EntryId>) -> Option<Vec<Arc<Segment>>>,
    ) -> Result<Option<(u64, u64)>, IndexError> {
        let (generation, inputs, dead, seq, gen_dir) = {
            let mut w = self.lock_writer();
            let Some(inputs) = pick(&w.segments, &w.dead) else {
                return Ok(None);
            };
            let seq = w.manifest.next_seg;
            w.manifest.next_seg += 1;
            (
                w.generation,
                inputs,
                Arc::clone(&w.dead),
                seq,
                w.gen_dir.clone(),
            )
        };
        let merged = match merge_segments(&gen_dir, seq, &inputs, &dead) {
            Ok(m) => m,
            // A purge meanwhile deleted the directory under the merge: nothing to merge.
            Err(_) if self.lock_writer().generation != generation => return Ok(None),
            Err(e) => return Err(e),
        };
        let dropped = (merged.dropped.len() as u64, merged.postings_dropped);
        let mut w = self.lock_writer();
        let installed = self.install(&mut w, generation, &inputs, merged)?;
        Ok(installed.then_some(dropped))
    }

    /// Swaps merge inputs for their output in the manifest and the snapshot. `false` (and the
    /// output deleted) when a purge happened meanwhile.
    fn install(
        &self,
        w: &mut Writer,
        generation: u64,
        inputs: &[Arc<Segment>],
        merged: Merged,
    ) -> Result<bool, IndexError> {
        let out_path = merged.seg.as_ref().map(|s| s.path.clone());
        let still_there = inputs
            .iter()
            .all(|i| w.segments.iter().any(|s| s.seq == i.seq));
        if w.generation != generation || !still_there {
            if let Some(p) = out_path {
                let _ = std::fs::remove_file(p);
            }
            return Ok(false);
        }
        let mut segments: Vec<Arc<Segment>> = w
            .segments
            .iter()
            .filter(|s| !inputs.iter().any(|i| i.seq == s.seq))
            .cloned()
            .collect();
        if let Some(seg) = merged.seg {
            segments.push(Arc::new(seg));
        }
        let mut dead = (*w.dead).clone();
        for id in &merged.dropped {
            dead.remove(id);
        }
        let mut m = w.manifest.clone();
        m.segments = segments.iter().map(|s| s.seq).collect();
        m.dead = dead.iter().copied().collect();
        if let Err(e) = m.store(&w.gen_dir) {
            if let Some(p) = out_path {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        w.manifest = m;
        w.segments = segments;
        w.dead = Arc::new(dead);
        self.publish(w);
        // Readers still holding the old snapshot keep their mappings; unlinking is safe.
        for i in inputs {
            let _ = std::fs::remove_file(&i.path);
        }
        Ok(true)
    }

    /// Flushes, then merges all segments into one without tombstoned entries. The merge runs
    /// without the writer lock: lookups and adds go on meanwhile (adds land in new segments,
    /// removes meanwhile stay tombstones until the next compaction).
    pub fn compact(&self) -> Result<CompactStats, IndexError> {
        let _guard = self.merging.lock().unwrap_or_else(|p| p.into_inner());
        let before = {
            let mut w = self.lock_writer();
            self.flush(&mut w)?;
            w.segments.clone()
        };
        let bytes_before: u64 = before.iter().map(|s| s.file_len()).sum();
        let mut stats = CompactStats {
            segments_before: before.len() as u64,
            segments_after: before.len() as u64,
            bytes_before,
            bytes_after: bytes_before,
            ..CompactStats::default()
        };
        // After the flush, every tombstone names an entry in a segment.
        let picked = self.merge_picked(|segments, dead| {
            (segments.len() > 1 || !dead.is_empty()).then(|| segments.to_vec())
        })?;
        if let Some((entries, postings)) = picked {
            let snap = self.snap.load();
            stats.segments_after = snap.segments.len() as u64;
            stats.bytes_after = snap.segments.iter().map(|s| s.file_len()).sum();
            stats.entries_dropped = entries;
            stats.postings_dropped = postings;
        }
        Ok(stats)
    }

    /// Empties the library in constant time: a fresh generation directory becomes current by
    /// one atomic rename of `CURRENT`; the old one is deleted afterwards on a background
    /// thread (or at the next open, after a crash). Entry ids keep counting up.
    pub fn purge(&self) -> Result<(), IndexError> {
        let mut w = self.lock_writer();
        let next_id = w.manifest.next_id;
        let generation = w.generation + 1;
        let (dir, m, wal) = init_generation(&self.root, generation, next_id)?;
        manifest::write_atomic(&self.root.join("CURRENT"), gen_name(generation).as_bytes())?;
        let old = std::mem::replace(&mut w.gen_dir, dir);
        w.generation = generation;
        w.manifest = m;
        w.wal = wal;
        w.keys.clear();
        w.dead = Arc::new(HashSet::new());
        w.segments.clear();
        w.mem.clear();
        w.mem_postings = 0;
        self.snap.store(Arc::new(Snapshot {
            segments: Vec::new(),
            mem: Vec::new(),
            dead: Arc::clone(&w.dead),
            wal_bytes: 0,
        }));
        drop(w);
        std::thread::spawn(move || {
            let _ = std::fs::remove_dir_all(old);
        });
        Ok(())
    }

    /// Deletes the library's directory and everything in it.
    pub fn destroy(self) -> Result<(), IndexError> {
        let root = self.root.clone();
        drop(self);
        // A purge's background deletion may be removing an old generation at the same time.
        let mut res = Ok(());
        for _ in 0..3 {
            res = std::fs::remove_dir_all(&root);
            if res.is_ok() || !root.exists() {
                return Ok(());
            }
        }
        res.map_err(IndexError::io(&root))
    }
}
