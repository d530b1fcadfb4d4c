//! fpshot-index: the per-library posting index of fpshot.
//!
//! One [`LibraryIndex`] holds one fingerprint library (FpDB): entries named by a key (the
//! API's PrimaryKey), each with opaque `(hash, time)` postings and an opaque blob (the stored
//! fingerprint, the source of truth from which an index can be rebuilt). This crate knows
//! nothing about how hashes are made.
//!
//! On disk (`dir/`):
//! ```text
//! LOCK                 advisory lock: one LibraryIndex per directory
//! CURRENT              name of the live generation, replaced atomically
//! gen-00000001/        one generation; purge switches to a fresh one
//!   MANIFEST           segments, tombstones, id counter, log number (atomic replace)
//!   seg-00000003.seg   immutable sorted posting segments (memory-mapped)
//!   wal-00000002.log   write-ahead log of adds/removes since the last flush
//! ```
//! Adds go to the log (fdatasync per add) and to an in-memory segment; when that grows past
//! a threshold it is written as a sorted segment, and segments of similar size are merged
//! (a binary-counter policy: O(log n) segments; after the flushing add, or on the owner's
//! thread through `merge_step` when `Options::auto_merge` is off). `compact` merges everything
//! and drops removed entries. Readers see immutable snapshots through `arc-swap`, so no writer,
//! flush, merge, compaction or purge ever blocks a lookup. Figures: `BENCHMARKS-index.md`.

mod error;
mod index;
mod maint;
mod manifest;
mod segment;
mod segwrite;
mod varint;
mod wal;

pub use error::IndexError;
pub use index::{CompactStats, IndexStats, LibraryIndex, Options};

/// Identifies one added entry. Ids are never reused within a library directory (a replaced
/// key gets a new id), so an id found by a lookup never silently points at other content.
pub type EntryId = u32;

#[cfg(test)]
#[path = "index_test.rs"]
mod index_test;

#[cfg(test)]
#[path = "model_test.rs"]
mod model_test;

#[cfg(test)]
#[path = "crash_test.rs"]
mod crash_test;
