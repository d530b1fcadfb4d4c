//! Stand-in for the `fpshot-index` crate's `LibraryIndex` (same API), kept in this one file so the
//! command line works end to end until the real index is merged; the lead swaps it out then.
//!
//! Layout of a library directory: `entries/<id>.fpa` (fingerprint blob, the source of truth),
//! `entries/<id>.post` (postings, u32 hash + u32 time, little endian) and `keys.log` (lines
//! `add <id> <key>` / `del <id>`). Files are written to a temporary name and renamed, and the log
//! line is appended last, so a crash during an add leaves either the whole entry or nothing.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct LibraryStats {
    pub entries: usize,
    pub postings: usize,
    pub blob_bytes: u64,
    pub posting_bytes: u64,
}

pub struct LibraryIndex {
    dir: PathBuf,
    keys: HashMap<u32, String>,
    by_key: HashMap<String, u32>,
    postings: HashMap<u32, Vec<(u32, u32)>>,
    next: u32,
}

impl LibraryIndex {
    pub fn open(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir.join("entries"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let mut lib = Self {
            dir: dir.to_path_buf(),
            keys: HashMap::new(),
            by_key: HashMap::new(),
            postings: HashMap::new(),
            next: 0,
        };
        let log = dir.join("keys.log");
        let text = if log.exists() {
            fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?
        } else {
            String::new()
        };
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let (op, id) = (
                parts.next(),
                parts.next().and_then(|s| s.parse::<u32>().ok()),
            );
            match (op, id, parts.next()) {
                (Some("add"), Some(id), Some(key)) => {
                    lib.keys.insert(id, key.to_string());
                    lib.by_key.insert(key.to_string(), id);
                    lib.next = lib.next.max(id + 1);
                }
                (Some("del"), Some(id), _) => {
                    if let Some(k) = lib.keys.remove(&id) {
                        lib.by_key.remove(&k);
                    }
                    lib.next = lib.next.max(id + 1);
                }
                // A torn last line (crash mid-append) is ignored: its entry never became visible.
                _ => {}
            }
        }
        let ids: Vec<u32> = lib.keys.keys().copied().collect();
        for id in ids {
            let bytes = fs::read(lib.file(id, "post"))
                .with_context(|| format!("reading postings of entry {id}"))?;
            for c in bytes.chunks_exact(8) {
                let h = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let t = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                lib.postings.entry(h).or_default().push((id, t));
            }
        }
        Ok(lib)
    }

    fn file(&self, id: u32, ext: &str) -> PathBuf {
        self.dir.join("entries").join(format!("{id}.{ext}"))
    }

    fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    }

    fn append_log(&self, line: &str) -> Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("keys.log"))?;
        f.write_all(line.as_bytes())?;
        f.sync_all()?;
        Ok(())
    }

    /// Adds (or replaces) `key`; returns its entry id.
    pub fn add(&mut self, key: &str, postings: &[(u32, u32)], blob: &[u8]) -> Result<u32> {
        anyhow::ensure!(
            !key.is_empty() && !key.contains('\n'),
            "invalid key {key:?}"
        );
        if self.by_key.contains_key(key) {
            self.remove(key)?;
        }
        let id = self.next;
        let mut post = Vec::with_capacity(postings.len() * 8);
        for (h, t) in postings {
            post.extend_from_slice(&h.to_le_bytes());
            post.extend_from_slice(&t.to_le_bytes());
        }
        Self::write_atomic(&self.file(id, "fpa"), blob)?;
        Self::write_atomic(&self.file(id, "post"), &post)?;
        self.append_log(&format!("add {id} {key}\n"))?;
        self.next += 1;
        for &(h, t) in postings {
            self.postings.entry(h).or_default().push((id, t));
        }
        self.keys.insert(id, key.to_string());
        self.by_key.insert(key.to_string(), id);
        Ok(id)
    }

    /// Removes `key`; false when it was not there.
    pub fn remove(&mut self, key: &str) -> Result<bool> {
        let Some(id) = self.by_key.remove(key) else {
            return Ok(false);
        };
        self.append_log(&format!("del {id}\n"))?;
        self.keys.remove(&id);
        for ext in ["fpa", "post"] {
            let _ = fs::remove_file(self.file(id, ext));
        }
        Ok(true)
    }

    pub fn lookup(&self, hash: u32, out: &mut Vec<(u32, u32)>) {
        if let Some(p) = self.postings.get(&hash) {
            out.extend(p.iter().filter(|(e, _)| self.keys.contains_key(e)));
        }
    }

    /// Postings stored under `hash`, deleted entries included (an upper bound).
    pub fn count(&self, hash: u32) -> usize {
        self.postings.get(&hash).map_or(0, Vec::len)
    }

    pub fn blob(&self, entry: u32) -> Option<Vec<u8>> {
        if !self.keys.contains_key(&entry) {
            return None;
        }
        fs::read(self.file(entry, "fpa")).ok()
    }

    pub fn key(&self, entry: u32) -> Option<&str> {
        self.keys.get(&entry).map(String::as_str)
    }

    /// Removes every entry.
    #[cfg_attr(not(test), allow(dead_code))] // part of the index API the real crate provides
    pub fn purge(&mut self) -> Result<()> {
        fs::remove_dir_all(self.dir.join("entries")).ok();
        fs::remove_file(self.dir.join("keys.log")).ok();
        *self = Self::open(&self.dir.clone())?;
        Ok(())
    }

    /// Rewrites the key log without deleted entries.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn compact(&mut self) -> Result<()> {
        let mut ids: Vec<_> = self.keys.iter().collect();
        ids.sort();
        let text: String = ids
            .iter()
            .map(|(id, k)| format!("add {id} {k}\n"))
            .collect();
        Self::write_atomic(&self.dir.join("keys.log"), text.as_bytes())?;
        self.postings
            .values_mut()
            .for_each(|v| v.retain(|(e, _)| self.keys.contains_key(e)));
        Ok(())
    }

    pub fn stats(&self) -> LibraryStats {
        let size = |ext: &str| -> u64 {
            self.keys
                .keys()
                .filter_map(|id| fs::metadata(self.file(*id, ext)).ok())
                .map(|m| m.len())
                .sum()
        };
        LibraryStats {
            entries: self.keys.len(),
            postings: self
                .postings
                .values()
                .map(|v| v.iter().filter(|(e, _)| self.keys.contains_key(e)).count())
                .sum(),
            blob_bytes: size("fpa"),
            posting_bytes: size("post"),
        }
    }
}
