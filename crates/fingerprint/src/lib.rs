//! fpshot-fingerprint: pure computation of media fingerprints and their matching. No IO.

pub mod audio;

/// Everything that can go wrong inside the fingerprint crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FingerprintError {
    #[error("fingerprint blob is malformed: {0}")]
    Malformed(&'static str),
    #[error("fingerprint blob has unsupported version {0}")]
    Version(u8),
}
