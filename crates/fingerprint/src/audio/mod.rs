//! Audio fingerprints: sparse landmark pairs for candidate search by offset voting, dense 32-bit
//! words per frame for verification, scoring and segment boundaries.
//!
//! Both are built on a log-frequency spectrum (24 bins per octave, 180–3,630 Hz at 8 kHz), where a
//! pitch shift or resampled speed change is a shift along the frequency axis. References are stored
//! once; robustness to speed ±5 % and pitch ±1 semitone comes from the query side, which is read
//! under a grid of (pitch, time-scale) hypotheses (see `search`).

mod codec;
mod extract;
mod frontend;
mod hash;
mod memory;
mod search;
mod verify;

pub use extract::Extractor;
pub use memory::MemorySource;
pub use search::{AudioMatch, PostingSource, SearchParams, Segment, search};

/// Sample rate the extractor expects (mono f32).
pub const SAMPLE_RATE: u32 = 8000;
/// FFT length in samples (128 ms).
pub const FFT_SIZE: usize = 1024;
/// Hop between spectral frames in samples (32 ms): the time unit of postings.
pub const HOP: usize = 256;
/// Spectral frames per second.
pub const FRAME_RATE: f64 = SAMPLE_RATE as f64 / HOP as f64;
/// Lowest log-bin centre frequency.
pub const F_MIN: f32 = 180.0;
/// Log-frequency bins (24 per octave).
pub const LOG_BINS: usize = 104;
/// Stored references keep one dense word every this many frames (128 ms).
pub const REF_DENSE_STRIDE: u8 = 4;
/// Pitch variants (in log bins, half a semitone each) a query carries for verification.
pub const QUERY_SHIFTS: [i8; 5] = [-2, -1, 0, 1, 2];

/// A spectral peak: frame index and log-frequency bin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Peak {
    pub t: u32,
    pub f: u8,
}

/// Dense 32-bit words read at one pitch shift, one word every `stride` frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseTrack {
    /// Log-bin shift the bands were read at (query = reference shifted up by `shift`).
    pub shift: i8,
    pub stride: u8,
    pub words: Vec<u32>,
    /// One bit per word: set when the frame was loud enough to mean something.
    pub valid: Vec<u64>,
}

impl DenseTrack {
    pub fn is_valid(&self, i: usize) -> bool {
        self.valid
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

/// The fingerprint of one piece of audio; `to_bytes` is the stored source of truth from which
/// `postings` (the index content) can always be recomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioFingerprint {
    /// Spectral frames covered.
    pub frames: u32,
    /// Samples at [`SAMPLE_RATE`] that were fingerprinted.
    pub samples: u64,
    pub peaks: Vec<Peak>,
    pub dense: Vec<DenseTrack>,
}

impl AudioFingerprint {
    /// Landmark hashes with their anchor frame, as stored in an index.
    pub fn postings(&self) -> Vec<(u32, u32)> {
        hash::reference_postings(&self.peaks)
    }

    pub fn duration_secs(&self) -> f64 {
        self.samples as f64 / SAMPLE_RATE as f64
    }

    /// The dense track read at `shift`, or the unshifted one.
    pub fn track(&self, shift: i8) -> Option<&DenseTrack> {
        self.dense
            .iter()
            .find(|d| d.shift == shift)
            .or_else(|| self.dense.iter().find(|d| d.shift == 0))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, crate::FingerprintError> {
        codec::decode(b)
    }
}

pub mod testsignal;

#[cfg(test)]
#[path = "audio_test.rs"]
mod tests;
