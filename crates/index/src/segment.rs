//! Immutable, memory-mapped posting segments.
//!
//! Layout (all integers little-endian):
//! ```text
//! header   64 B  magic "FPIXSEG1", bucket_bits u32, n_entries u32, n_postings u64,
//!                postings_off u64, postings_len u64, buckets_off u64, entries_off u64, data_off u64
//! postings       varint stream, grouped per bucket (top `bucket_bits` bits of the hash)
//! buckets        (2^bucket_bits + 1) × u64: start of each bucket in the posting stream
//! entries        n_entries × 24 B sorted by id: id u32, n_postings u32, key_len u32,
//!                blob_len u32, data_off u64 (key bytes then blob bytes)
//! data           keys and blobs
//! ```
//! Inside a bucket, postings are sorted by (hash, entry, time) and grouped per hash:
//! `hash - previous hash` (from the bucket's base), `count`, then, when `count > 1`, the byte
//! length of the group's postings so a lookup can skip it; each posting is the entry id
//! (absolute for the first of a group, delta after) and the time (delta when the entry repeats,
//! absolute otherwise). Random 32-bit hashes cost about 7 bytes per posting this way.
//!
//! Segments are keyed by [`mix`]`(hash)`, a bijection that spreads any hash layout (e.g. a
//! landmark hash packed into the low 22 bits) evenly over the buckets.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::EntryId;
use crate::error::IndexError;
use crate::varint;

pub(crate) const MAGIC: &[u8; 8] = b"FPIXSEG1";
pub(crate) const HEADER_LEN: u64 = 64;
pub(crate) const ENTRY_LEN: usize = 24;
/// Average postings per bucket the writer aims for: small enough that a lookup decodes a
/// few hundred bytes, large enough that the bucket table stays under 0.1 byte per posting.
pub(crate) const POSTINGS_PER_BUCKET: u64 = 64;
pub(crate) const MAX_BUCKET_BITS: u32 = 24;

/// One entry as stored in a segment's entry table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryRec {
    pub id: EntryId,
    pub n_postings: u32,
    key_len: u32,
    blob_len: u32,
    data_off: u64,
}

/// A sealed segment file, mapped read-only.
pub(crate) struct Segment {
    pub seq: u64,
    pub path: PathBuf,
    map: Mmap,
    bucket_bits: u32,
    n_entries: usize,
    pub n_postings: u64,
    postings: (usize, usize),
    buckets_off: usize,
    entries_off: usize,
}

/// MurmurHash3's 32-bit finalizer: a bijection on u32 (xor-shifts and odd multipliers are
/// invertible), so distinct hashes stay distinct while their top bits become uniform.
#[inline]
pub(crate) fn mix(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl Segment {
    pub fn open(path: &Path, seq: u64) -> Result<Segment, IndexError> {
        let file = File::open(path).map_err(IndexError::io(path))?;
        // SAFETY: segment files are written once under a temporary name, fsynced and renamed;
        // nothing writes or truncates them afterwards (the library directory is locked), so the
        // mapping stays valid and immutable for its whole life.
        let map = unsafe { Mmap::map(&file) }.map_err(IndexError::io(path))?;
        let bad = |r: &str| IndexError::corrupt(path, r);
        let len = map.len() as u64;
        if len < HEADER_LEN || &map[..8] != MAGIC {
            return Err(bad("bad magic or short header"));
        }
        let bucket_bits = le_u32(&map, 8);
        let n_entries = le_u32(&map, 12) as u64;
        let n_postings = le_u64(&map, 16);
        let (p_off, p_len) = (le_u64(&map, 24), le_u64(&map, 32));
        let (b_off, e_off, d_off) = (le_u64(&map, 40), le_u64(&map, 48), le_u64(&map, 56));
        if bucket_bits > MAX_BUCKET_BITS {
            return Err(bad("bucket bits out of range"));
        }
        let n_buckets = (1u64 << bucket_bits) + 1;
        let ok = p_off == HEADER_LEN
            && p_off.checked_add(p_len) == Some(b_off)
            && b_off.checked_add(n_buckets * 8) == Some(e_off)
            && e_off.checked_add(n_entries * ENTRY_LEN as u64) == Some(d_off)
            && d_off <= len;
        if !ok {
            return Err(bad("section offsets inconsistent"));
        }
        let seg = Segment {
            seq,
            path: path.to_path_buf(),
            bucket_bits,
            n_entries: n_entries as usize,
            n_postings,
            postings: (p_off as usize, (p_off + p_len) as usize),
            buckets_off: b_off as usize,
            entries_off: e_off as usize,
            map,
        };
        // The bucket table must be monotone and inside the posting stream, so lookups can
        // slice without checks that could fail later.
        let mut prev = 0u64;
        for b in 0..n_buckets as usize {
            let o = le_u64(&seg.map, seg.buckets_off + b * 8);
            if o < prev || o > p_len {
                return Err(bad("bucket table not monotone"));
            }
            prev = o;
        }
        for i in 0..seg.n_entries {
            let e = seg.entry_at(i);
            let end = e.data_off + u64::from(e.key_len) + u64::from(e.blob_len);
            if e.data_off < d_off || end > len || (i > 0 && seg.entry_at(i - 1).id >= e.id) {
                return Err(bad("entry table out of bounds or unsorted"));
            }
        }
        Ok(seg)
    }

    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn n_entries(&self) -> usize {
        self.n_entries
    }

    pub fn entry_at(&self, i: usize) -> EntryRec {
        let at = self.entries_off + i * ENTRY_LEN;
        EntryRec {
            id: le_u32(&self.map, at),
            n_postings: le_u32(&self.map, at + 4),
            key_len: le_u32(&self.map, at + 8),
            blob_len: le_u32(&self.map, at + 12),
            data_off: le_u64(&self.map, at + 16),
        }
    }

    pub fn find_entry(&self, id: EntryId) -> Option<EntryRec> {
        let (mut lo, mut hi) = (0usize, self.n_entries);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let e = self.entry_at(mid);
            match e.id.cmp(&id) {
                std::cmp::Ordering::Equal => return Some(e),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }

    pub fn key_bytes(&self, e: &EntryRec) -> &[u8] {
        let s = e.data_off as usize;
        &self.map[s..s + e.key_len as usize]
    }

    pub fn blob_bytes(&self, e: &EntryRec) -> &[u8] {
        let s = e.data_off as usize + e.key_len as usize;
        &self.map[s..s + e.blob_len as usize]
    }

    fn bucket(&self, b: usize) -> &[u8] {
        let base = self.buckets_off + b * 8;
        let s = le_u64(&self.map, base) as usize;
        let e = le_u64(&self.map, base + 8) as usize;
        &self.map[self.postings.0..self.postings.1][s..e]
    }

    fn bucket_of(&self, hash: u32) -> usize {
        if self.bucket_bits == 0 {
            0
        } else {
            (hash >> (32 - self.bucket_bits)) as usize
        }
    }

    fn bucket_base(&self, b: usize) -> u32 {
        if self.bucket_bits == 0 {
            0
        } else {
            (b as u32) << (32 - self.bucket_bits)
        }
    }

    /// Calls `emit(entry, time)` for the postings of `hash` whose entry is not in `dead`.
    #[inline]
    pub fn lookup(&self, hash: u32, dead: &HashSet<EntryId>, emit: impl FnMut(EntryId, u32)) {
        let key = mix(hash);
        let b = self.bucket_of(key);
        scan(self.bucket(b), self.bucket_base(b), key, dead, emit);
    }

    /// Calls `emit(i, entry, time)` for the postings of every `hashes[i]`. Two passes: first
    /// every bucket's bounds and first byte are loaded (independent loads the CPU overlaps,
    /// instead of one chain of cache and TLB misses per hash), then the buckets are scanned.
    pub fn lookup_batch(
        &self,
        hashes: &[u32],
        dead: &HashSet<EntryId>,
        mut emit: impl FnMut(u32, EntryId, u32),
    ) {
        let mut touched = 0u8;
        let located: Vec<(u32, &[u8], u32)> = hashes
            .iter()
            .map(|&h| {
                let key = mix(h);
                let b = self.bucket_of(key);
                let data = self.bucket(b);
                touched ^= data.first().copied().unwrap_or(0);
                (key, data, self.bucket_base(b))
            })
            .collect();
        std::hint::black_box(touched);
        for (i, (key, data, base)) in located.into_iter().enumerate() {
            scan(data, base, key, dead, |e, t| emit(i as u32, e, t));
        }
    }

    /// All postings as (mixed hash, entry, time) in that order; used by merges.
    pub fn postings(&self) -> SegmentPostings<'_> {
        SegmentPostings {
            seg: self,
            next_bucket: 0,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// Decodes a whole bucket; `None` when its bytes are corrupt.
    fn decode_bucket(&self, b: usize, out: &mut Vec<(u32, EntryId, u32)>) -> Option<()> {
        let data = self.bucket(b);
        let mut pos = 0usize;
        let mut h = self.bucket_base(b);
        while pos < data.len() {
            h = h.checked_add(varint::get(data, &mut pos)?)?;
            let count = varint::get(data, &mut pos)?;
            if count > 1 {
                varint::get(data, &mut pos)?;
            }
            let (mut entry, mut time) = (0u32, 0u32);
            for i in 0..count {
                let de = varint::get(data, &mut pos)?;
                let t = varint::get(data, &mut pos)?;
                if i == 0 || de != 0 {
                    entry = entry.wrapping_add(de);
                    time = t;
                } else {
                    time = time.wrapping_add(t);
                }
                out.push((h, entry, time));
            }
        }
        Some(())
    }
}

/// Scans one bucket (`base` is its first hash) for the mixed hash `hash`, calling
/// `emit(entry, time)` for postings whose entry is not in `dead`. Corrupt bytes end the scan
/// quietly: a lookup never panics.
#[inline]
fn scan(
    data: &[u8],
    base: u32,
    hash: u32,
    dead: &HashSet<EntryId>,
    mut emit: impl FnMut(EntryId, u32),
) {
    let mut pos = 0usize;
    let mut h = base;
    let mut first = true;
    while pos < data.len() {
        let Some(d) = varint::get(data, &mut pos) else {
            return;
        };
        if !first && d == 0 {
            return;
        }
        first = false;
        let Some(nh) = h.checked_add(d) else { return };
        h = nh;
        let Some(count) = varint::get(data, &mut pos) else {
            return;
        };
        if h > hash {
            return;
        }
        if h < hash {
            if count == 1 {
                let (Some(_), Some(_)) = (varint::get(data, &mut pos), varint::get(data, &mut pos))
                else {
                    return;
                };
            } else {
                let Some(n) = varint::get(data, &mut pos) else {
                    return;
                };
                pos = pos.saturating_add(n as usize);
            }
            continue;
        }
        if count > 1 && varint::get(data, &mut pos).is_none() {
            return;
        }
        let (mut entry, mut time) = (0u32, 0u32);
        for i in 0..count {
            let (Some(de), Some(t)) = (varint::get(data, &mut pos), varint::get(data, &mut pos))
            else {
                return;
            };
            if i == 0 || de != 0 {
                entry = entry.wrapping_add(de);
                time = t;
            } else {
                time = time.wrapping_add(t);
            }
            if dead.is_empty() || !dead.contains(&entry) {
                emit(entry, time);
            }
        }
        return;
    }
}

/// Streaming iterator over a segment's postings, one decoded bucket at a time.
pub(crate) struct SegmentPostings<'a> {
    seg: &'a Segment,
    next_bucket: usize,
    buf: Vec<(u32, EntryId, u32)>,
    at: usize,
}

impl SegmentPostings<'_> {
    /// Next posting; `Err` when the segment's bytes are corrupt.
    pub fn next_posting(&mut self) -> Result<Option<(u32, EntryId, u32)>, IndexError> {
        let n_buckets = 1usize << self.seg.bucket_bits;
        while self.at >= self.buf.len() {
            if self.next_bucket >= n_buckets {
                return Ok(None);
            }
            self.buf.clear();
            self.at = 0;
            let b = self.next_bucket;
            self.next_bucket += 1;
            if self.seg.decode_bucket(b, &mut self.buf).is_none() {
                return Err(IndexError::corrupt(
                    &self.seg.path,
                    format!("bucket {b} undecodable"),
                ));
            }
        }
        let p = self.buf[self.at];
        self.at += 1;
        Ok(Some(p))
    }
}

#[cfg(test)]
#[path = "segment_test.rs"]
mod tests;
