//! The public [`LibraryIndex`]: open/recover, add, remove, lookups and accessors.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;

use crate::EntryId;
use crate::error::IndexError;
use crate::manifest::{self, Manifest, gen_name, seg_name, wal_name};
use crate::segment::Segment;
use crate::wal::{self, Wal, WalOp};

/// Tuning knobs; [`Options::default`] suits audio libraries.
#[derive(Debug, Clone)]
pub struct Options {
    /// Flush the in-memory segment once it holds this many postings.
    pub mem_postings_limit: usize,
    /// ... or this many entries (each is binary-searched separately by a lookup).
    pub mem_entries_limit: usize,
    /// Merge segments of similar size after a flush. Off: the owner calls
    /// [`LibraryIndex::merge_step`] (e.g. on a background thread) or [`LibraryIndex::compact`].
    pub auto_merge: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mem_postings_limit: 1 << 20,
            mem_entries_limit: 64,
            auto_merge: true,
        }
    }
}

/// Counters for one library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Live entries.
    pub entries: u64,
    /// Postings of live entries.
    pub postings: u64,
    /// Removed or replaced entries whose data still takes space (until compaction).
    pub tombstones: u64,
    pub segments: u64,
    /// Entries still only in the in-memory segment (and the log).
    pub mem_entries: u64,
    /// Segment files plus the log.
    pub bytes_on_disk: u64,
    /// The last background flush/merge failure, if any (the add that triggered it succeeded).
    pub last_maintenance_error: Option<String>,
}

/// What a [`LibraryIndex::compact`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactStats {
    pub segments_before: u64,
    pub segments_after: u64,
    pub entries_dropped: u64,
    pub postings_dropped: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// An entry not yet in a segment.
pub(crate) struct MemEntry {
    pub id: EntryId,
    pub key: String,
    pub blob: Arc<[u8]>,
    /// Sorted by (hash, time).
    pub postings: Vec<(u32, u32)>,
}

/// What readers see: immutable, swapped whole.
pub(crate) struct Snapshot {
    pub segments: Vec<Arc<Segment>>,
    pub mem: Vec<Arc<MemEntry>>,
    pub dead: Arc<HashSet<EntryId>>,
    pub wal_bytes: u64,
}

/// The writer's state, behind one mutex (writers are serialized; readers never take it).
pub(crate) struct Writer {
    pub generation: u64,
    pub gen_dir: PathBuf,
    /// The durable state; `next_id` and `next_seg` run ahead of the file between writes.
    pub manifest: Manifest,
    pub wal: Wal,
    pub keys: HashMap<String, EntryId>,
    /// Tombstones of entries whose data still exists in a segment or in `mem`.
    pub dead: Arc<HashSet<EntryId>>,
    pub segments: Vec<Arc<Segment>>,
    pub mem: Vec<Arc<MemEntry>>,
    pub mem_postings: usize,
}

/// One fingerprint library's index. `Send + Sync`; share it behind an `Arc`.
pub struct LibraryIndex {
    pub(crate) root: PathBuf,
    pub(crate) opts: Options,
    pub(crate) snap: ArcSwap<Snapshot>,
    pub(crate) writer: Mutex<Writer>,
    /// Held by whoever merges segments, so two merges never consume the same input.
    pub(crate) merging: Mutex<()>,
    /// Last failure of a flush or merge triggered by an add (kept apart from the writer so
    /// `stats` never waits for one).
    pub(crate) last_error: Mutex<Option<String>>,
    _lock: File,
}

impl Writer {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            segments: self.segments.clone(),
            mem: self.mem.clone(),
            dead: Arc::clone(&self.dead),
            wal_bytes: self.wal.len(),
        }
    }

    fn apply_add(
        &mut self,
        id: EntryId,
        key: String,
        mut postings: Vec<(u32, u32)>,
        blob: Arc<[u8]>,
    ) {
        postings.sort_unstable();
        if let Some(old) = self.keys.insert(key.clone(), id) {
            Arc::make_mut(&mut self.dead).insert(old);
        }
        self.manifest.next_id = self.manifest.next_id.max(id.saturating_add(1));
        self.mem_postings += postings.len();
        self.mem.push(Arc::new(MemEntry {
            id,
            key,
            blob,
            postings,
        }));
    }

    fn apply_remove(&mut self, key: &str) -> bool {
        match self.keys.remove(key) {
            Some(id) => Arc::make_mut(&mut self.dead).insert(id),
            None => false,
        }
    }
}

fn read_current(root: &Path) -> Result<Option<u64>, IndexError> {
    let path = root.join("CURRENT");
    match std::fs::read_to_string(&path) {
        Ok(s) => s
            .trim()
            .strip_prefix("gen-")
            .and_then(|n| n.parse().ok())
            .map(Some)
            .ok_or_else(|| IndexError::corrupt(&path, "not a generation name")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::Io { path, source: e }),
    }
}

/// Creates an empty generation directory (replacing leftovers of a failed attempt).
pub(crate) fn init_generation(
    root: &Path,
    generation: u64,
    next_id: EntryId,
) -> Result<(PathBuf, Manifest, Wal), IndexError> {
    let dir = root.join(gen_name(generation));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(IndexError::io(&dir))?;
    }
    std::fs::create_dir(&dir).map_err(IndexError::io(&dir))?;
    let m = Manifest {
        next_id,
        next_seg: 1,
        wal: 1,
        ..Manifest::default()
    };
    let wal = Wal::create(&dir.join(wal_name(1)))?;
    m.store(&dir)?;
    manifest::fsync_dir(root)?;
    Ok((dir, m, wal))
}

impl LibraryIndex {
    /// Opens the library in `dir` with default [`Options`], creating it if missing and
    /// recovering after a crash (a torn last log record is dropped whole).
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        Self::open_with(dir, Options::default())
    }

    pub fn open_with(dir: &Path, opts: Options) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(IndexError::io(dir))?;
        let lock_path = dir.join("LOCK");
        let lock = File::create(&lock_path).map_err(IndexError::io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(IndexError::Locked(dir.to_path_buf()));
        }
        let generation = match read_current(dir)? {
            Some(g) => g,
            None => {
                init_generation(dir, 1, 0)?;
                manifest::write_atomic(&dir.join("CURRENT"), gen_name(1).as_bytes())?;
                1
            }
        };
        // Leftovers of a purge (old generations) or of an interrupted CURRENT write.
        let live_gen = gen_name(generation);
        for e in std::fs::read_dir(dir)
            .map_err(IndexError::io(dir))?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("gen-") && name != live_gen {
                let _ = std::fs::remove_dir_all(e.path());
            } else if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let gen_dir = dir.join(&live_gen);
        let manifest = Manifest::load(&gen_dir)?;
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for &seq in &manifest.segments {
            segments.push(Arc::new(Segment::open(&gen_dir.join(seg_name(seq)), seq)?));
        }
        // Files the manifest does not name: a flush or merge that crashed before its commit
        // point, or a log already folded into a segment.
        let mut known: HashSet<String> = manifest.segments.iter().map(|&s| seg_name(s)).collect();
        known.insert(wal_name(manifest.wal));
        known.insert("MANIFEST".into());
        for e in std::fs::read_dir(&gen_dir)
            .map_err(IndexError::io(&gen_dir))?
            .flatten()
        {
            if !known.contains(&*e.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let dead: HashSet<EntryId> = manifest.dead.iter().copied().collect();
        let mut keys = HashMap::new();
        for seg in &segments {
            for i in 0..seg.n_entries() {
                let e = seg.entry_at(i);
                if dead.contains(&e.id) {
                    continue;
                }
                let key = String::from_utf8(seg.key_bytes(&e).to_vec())
                    .map_err(|_| IndexError::corrupt(&seg.path, "key is not UTF-8"))?;
                keys.insert(key, e.id);
            }
        }
        let wal_path = gen_dir.join(wal_name(manifest.wal));
        let (wal, ops) = if wal_path.exists() {
            Wal::open_replay(&wal_path)?
        } else {
            (Wal::create(&wal_path)?, Vec::new())
        };
        let mut w = Writer {
            generation,
            gen_dir,
            manifest,
            wal,
            keys,
            dead: Arc::new(dead),
            segments,
            mem: Vec::new(),
            mem_postings: 0,
        };
        for op in ops {
            match op {
                WalOp::Add {
                    id,
                    key,
                    postings,
                    blob,
                } => {
                    // An id the manifest already tombstones was removed or replaced later in
                    // this log (a merge wrote the manifest since): keep its data in memory so
                    // the next flush drops it, but do not let it claim the key.
                    let already_dead = w.dead.contains(&id);
                    w.apply_add(id, key.clone(), postings, blob.into());
                    if already_dead {
                        w.keys.remove(&key);
                    }
                }
                WalOp::Remove { key } => {
                    w.apply_remove(&key);
                }
            }
        }
        let snap = ArcSwap::from_pointee(w.snapshot());
        Ok(LibraryIndex {
            root: dir.to_path_buf(),
            opts,
            snap,
            writer: Mutex::new(w),
            merging: Mutex::new(()),
            last_error: Mutex::new(None),
            _lock: lock,
        })
    }

    pub(crate) fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // Writer methods leave the state consistent at every await-free step; a panic while
        // holding the lock (a bug) must not make the library unusable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn publish(&self, w: &Writer) {
        self.snap.store(Arc::new(w.snapshot()));
    }

    /// Adds an entry and returns its new id. The entry is durable (logged and fsynced) when
    /// this returns. A key that already exists is **replaced**: the old entry is tombstoned
    /// in the same log record, so a crash leaves either the old or the new entry, never both
    /// and never neither. `postings` are `(hash, time)` pairs in any order.
    pub fn add(
        &self,
        key: &str,
        postings: &[(u32, u32)],
        blob: &[u8],
    ) -> Result<EntryId, IndexError> {
        if u32::try_from(postings.len()).is_err()
            || u32::try_from(blob.len()).is_err()
            || u32::try_from(key.len()).is_err()
        {
            return Err(IndexError::InvalidInput(
                "entry exceeds 4 GiB limits".into(),
            ));
        }
        let record_for = |id| wal::encode_add(id, key, postings, blob);
        let blob: Arc<[u8]> = Arc::from(blob);
        let mut w = self.lock_writer();
        let id = w.manifest.next_id;
        if id == EntryId::MAX {
            return Err(IndexError::IdsExhausted);
        }
        w.wal.append(&record_for(id))?;
        w.apply_add(id, key.to_owned(), postings.to_vec(), blob);
        self.publish(&w);
        if w.mem_postings >= self.opts.mem_postings_limit
            || w.mem.len() >= self.opts.mem_entries_limit
        {
            self.maintain(w);
        }
        Ok(id)
    }

    /// Removes the entry named `key`; it is gone from lookups when this returns. Its space is
    /// reclaimed by the next flush (if still in memory) or by compaction. `false` if absent.
    pub fn remove(&self, key: &str) -> Result<bool, IndexError> {
        let mut w = self.lock_writer();
        if !w.keys.contains_key(key) {
            return Ok(false);
        }
        w.wal.append(&wal::encode_remove(key))?;
        let removed = w.apply_remove(key);
        self.publish(&w);
        Ok(removed)
    }

    /// Appends `(entry, time)` for every live posting of `hash`.
    pub fn lookup(&self, hash: u32, out: &mut Vec<(EntryId, u32)>) {
        let s = self.snap.load();
        for seg in &s.segments {
            seg.lookup(hash, &s.dead, |e, t| out.push((e, t)));
        }
        for m in &s.mem {
            if s.dead.contains(&m.id) {
                continue;
            }
            let from = m.postings.partition_point(|p| p.0 < hash);
            out.extend(
                m.postings[from..]
                    .iter()
                    .take_while(|p| p.0 == hash)
                    .map(|p| (m.id, p.1)),
            );
        }
    }

    /// Batched lookup over one snapshot: appends `(i, entry, time)` for every live posting of
    /// `hashes[i]` (in no particular order). Faster than one `lookup` per hash.
    pub fn lookup_many(&self, hashes: &[u32], out: &mut Vec<(u32, EntryId, u32)>) {
        let s = self.snap.load();
        for seg in &s.segments {
            seg.lookup_batch(hashes, &s.dead, |i, e, t| out.push((i, e, t)));
        }
        for (i, &hash) in hashes.iter().enumerate() {
            let i = i as u32;
            for m in &s.mem {
                if s.dead.contains(&m.id) {
                    continue;
                }
                let from = m.postings.partition_point(|p| p.0 < hash);
                out.extend(
                    m.postings[from..]
                        .iter()
                        .take_while(|p| p.0 == hash)
                        .map(|p| (i, m.id, p.1)),
                );
            }
        }
    }

    /// The stored blob of a live entry.
    pub fn blob(&self, id: EntryId) -> Result<Option<Arc<[u8]>>, IndexError> {
        let s = self.snap.load();
        if s.dead.contains(&id) {
            return Ok(None);
        }
        if let Some(m) = s.mem.iter().find(|m| m.id == id) {
            return Ok(Some(Arc::clone(&m.blob)));
        }
        Ok(s.segments
            .iter()
            .find_map(|seg| seg.find_entry(id).map(|e| Arc::from(seg.blob_bytes(&e)))))
    }

    /// The key of a live entry.
    pub fn key(&self, id: EntryId) -> Option<String> {
        let s = self.snap.load();
        if s.dead.contains(&id) {
            return None;
        }
        if let Some(m) = s.mem.iter().find(|m| m.id == id) {
            return Some(m.key.clone());
        }
        s.segments.iter().find_map(|seg| {
            seg.find_entry(id)
                .map(|e| String::from_utf8_lossy(seg.key_bytes(&e)).into_owned())
        })
    }

    /// All live entries as `(key, id)`, sorted by id.
    pub fn entries(&self) -> Vec<(String, EntryId)> {
        let s = self.snap.load();
        let mut out = Vec::new();
        for seg in &s.segments {
            for i in 0..seg.n_entries() {
                let e = seg.entry_at(i);
                if !s.dead.contains(&e.id) {
                    out.push((
                        String::from_utf8_lossy(seg.key_bytes(&e)).into_owned(),
                        e.id,
                    ));
                }
            }
        }
        out.extend(
            s.mem
                .iter()
                .filter(|m| !s.dead.contains(&m.id))
                .map(|m| (m.key.clone(), m.id)),
        );
        out.sort_unstable_by_key(|e| e.1);
        out
    }

    pub fn stats(&self) -> IndexStats {
        let s = self.snap.load();
        let mut st = IndexStats {
            tombstones: s.dead.len() as u64,
            segments: s.segments.len() as u64,
            bytes_on_disk: s.wal_bytes,
            ..IndexStats::default()
        };
        for seg in &s.segments {
            st.bytes_on_disk += seg.file_len();
            for i in 0..seg.n_entries() {
                let e = seg.entry_at(i);
                if !s.dead.contains(&e.id) {
                    st.entries += 1;
                    st.postings += u64::from(e.n_postings);
                }
            }
        }
        for m in s.mem.iter().filter(|m| !s.dead.contains(&m.id)) {
            st.entries += 1;
            st.mem_entries += 1;
            st.postings += m.postings.len() as u64;
        }
        st.last_maintenance_error = self.last_error.lock().map(|e| e.clone()).unwrap_or(None);
        st
    }
}
