//! An in-memory [`PostingSource`]: for tests, benchmarks and small tools.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use super::{AudioFingerprint, PostingSource};

#[derive(Default)]
pub struct MemorySource {
    postings: HashMap<u32, Vec<(u32, u32)>>,
    entries: Vec<Option<Arc<AudioFingerprint>>>,
}

impl MemorySource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fingerprint, returning its entry id.
    pub fn add(&mut self, fp: AudioFingerprint) -> u32 {
        let id = self.entries.len() as u32;
        for (h, t) in fp.postings() {
            self.postings.entry(h).or_default().push((id, t));
        }
        self.entries.push(Some(Arc::new(fp)));
        id
    }

    /// Removes an entry; its postings are skipped from then on.
    pub fn remove(&mut self, entry: u32) {
        if let Some(e) = self.entries.get_mut(entry as usize) {
            *e = None;
        }
    }

    pub fn postings_len(&self) -> usize {
        self.postings.values().map(Vec::len).sum()
    }
}

impl PostingSource for MemorySource {
    fn lookup(&self, hash: u32, out: &mut Vec<(u32, u32)>) {
        if let Some(p) = self.postings.get(&hash) {
            out.extend(
                p.iter()
                    .filter(|(e, _)| matches!(self.entries.get(*e as usize), Some(Some(_)))),
            );
        }
    }

    fn posting_count(&self, hash: u32) -> usize {
        self.postings.get(&hash).map_or(0, Vec::len)
    }

    fn fingerprint(&self, entry: u32) -> Option<Arc<AudioFingerprint>> {
        self.entries.get(entry as usize).cloned().flatten()
    }
}
