//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in a [`crate::LibraryIndex`].
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An I/O call failed; `path` names the file or directory involved.
    #[error("index I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file on disk does not have the expected structure (bad magic, bounds, checksum).
    #[error("index file {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Another process (or another `LibraryIndex` in this one) holds the library's lock.
    #[error("index directory {0} is locked by another user")]
    Locked(PathBuf),
    /// The caller passed something the format cannot hold (e.g. a key or blob over 4 GiB).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The 32-bit entry id space is used up (ids are never reused in a directory, not even
    /// after a purge, so this takes 4 G adds); destroy the library and create it again.
    #[error("entry ids exhausted")]
    IdsExhausted,
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> IndexError {
        let path = path.into();
        move |source| IndexError::Io { path, source }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> IndexError {
        IndexError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
