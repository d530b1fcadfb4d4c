//! The write-ahead log of adds and removes since the last flush.
//!
//! Record: `len u32 | crc32 u32 | payload`, where the checksum covers the payload. Each add is
//! one record written with a single `write_all` and made durable with `fdatasync` before `add`
//! returns. On open, records are replayed until the first short or bad one; the file is cut
//! there, so a crash in the middle of an add leaves either the whole entry or nothing.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::EntryId;
use crate::error::IndexError;

const ADD: u8 = 1;
const REMOVE: u8 = 2;
/// Upper bound for one record, so a corrupt length cannot make replay allocate wildly.
const MAX_RECORD: u32 = 1 << 31;

/// One replayed operation.
#[derive(Debug)]
pub(crate) enum WalOp {
    Add {
        id: EntryId,
        key: String,
        postings: Vec<(u32, u32)>,
        blob: Vec<u8>,
    },
    Remove {
        key: String,
    },
}

pub(crate) struct Wal {
    path: PathBuf,
    file: File,
    len: u64,
}

pub(crate) fn encode_add(id: EntryId, key: &str, postings: &[(u32, u32)], blob: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(17 + key.len() + postings.len() * 8 + blob.len());
    p.push(ADD);
    p.extend_from_slice(&id.to_le_bytes());
    p.extend_from_slice(&(key.len() as u32).to_le_bytes());
    p.extend_from_slice(key.as_bytes());
    p.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    for &(h, t) in postings {
        p.extend_from_slice(&h.to_le_bytes());
        p.extend_from_slice(&t.to_le_bytes());
    }
    p.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    p.extend_from_slice(blob);
    p
}

pub(crate) fn encode_remove(key: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(5 + key.len());
    p.push(REMOVE);
    p.extend_from_slice(&(key.len() as u32).to_le_bytes());
    p.extend_from_slice(key.as_bytes());
    p
}

struct Cursor<'a>(&'a [u8], usize);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.0.get(self.1..self.1.checked_add(n)?)?;
        self.1 += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

fn decode(payload: &[u8]) -> Option<WalOp> {
    let mut c = Cursor(payload, 0);
    let op = match *c.take(1)?.first()? {
        ADD => {
            let id = c.u32()?;
            let key = c.string()?;
            let n = c.u32()? as usize;
            let raw = c.take(n.checked_mul(8)?)?;
            let postings = raw
                .chunks_exact(8)
                .map(|b| {
                    (
                        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                        u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
                    )
                })
                .collect();
            let n = c.u32()? as usize;
            let blob = c.take(n)?.to_vec();
            WalOp::Add {
                id,
                key,
                postings,
                blob,
            }
        }
        REMOVE => WalOp::Remove { key: c.string()? },
        _ => return None,
    };
    (c.1 == payload.len()).then_some(op)
}

impl Wal {
    /// Creates an empty log (fails if it exists) and makes its directory entry durable.
    pub fn create(path: &Path) -> Result<Wal, IndexError> {
        let file = OpenOptions::new()
            .create_new(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(IndexError::io(path))?;
        file.sync_all().map_err(IndexError::io(path))?;
        Ok(Wal {
            path: path.to_path_buf(),
            file,
            len: 0,
        })
    }

    /// Opens a log, returns its valid operations and cuts off a torn tail.
    pub fn open_replay(path: &Path) -> Result<(Wal, Vec<WalOp>), IndexError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(IndexError::io(path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(IndexError::io(path))?;
        let mut ops = Vec::new();
        let mut pos = 0usize;
        while let Some(head) = bytes.get(pos..pos + 8) {
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if len > MAX_RECORD {
                break;
            }
            let Some(payload) = bytes.get(pos + 8..pos + 8 + len as usize) else {
                break;
            };
            if crc32fast::hash(payload) != crc {
                break;
            }
            let Some(op) = decode(payload) else { break };
            ops.push(op);
            pos += 8 + len as usize;
        }
        if pos < bytes.len() {
            file.set_len(pos as u64).map_err(IndexError::io(path))?;
            file.sync_all().map_err(IndexError::io(path))?;
        }
        Ok((
            Wal {
                path: path.to_path_buf(),
                file,
                len: pos as u64,
            },
            ops,
        ))
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, payload: &[u8]) -> Result<(), IndexError> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&l| l <= MAX_RECORD)
            .ok_or_else(|| IndexError::InvalidInput("entry too large for one log record".into()))?;
        let mut rec = Vec::with_capacity(8 + payload.len());
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        rec.extend_from_slice(payload);
        let res = self
            .file
            .write_all(&rec)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            // Cut back whatever part of the record made it, so the log stays a clean prefix.
            let _ = self.file.set_len(self.len);
            return Err(IndexError::Io {
                path: self.path.clone(),
                source: e,
            });
        }
        self.len += rec.len() as u64;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }
}
