//! The generation's MANIFEST and the library's CURRENT pointer, both replaced atomically
//! (write a temporary file, fsync, rename, fsync the directory).
//!
//! MANIFEST is a short text file ending in a CRC-32 line:
//! ```text
//! fpshot-index manifest 1
//! next_id 17
//! next_seg 4
//! wal 3
//! seg 1
//! seg 3
//! dead 5
//! crc 1a2b3c4d
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::EntryId;
use crate::error::IndexError;

const HEAD: &str = "fpshot-index manifest 1";

/// What a generation's durable state is, apart from the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub next_id: EntryId,
    pub next_seg: u64,
    pub wal: u64,
    pub segments: Vec<u64>,
    /// Tombstones of entries that still sit in a listed segment.
    pub dead: BTreeSet<EntryId>,
}

pub(crate) fn fsync_dir(dir: &Path) -> Result<(), IndexError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(IndexError::io(dir))
}

/// Writes `bytes` to `path` atomically and durably.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(IndexError::io(&tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(IndexError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(IndexError::io(path))?;
    if let Some(dir) = path.parent() {
        fsync_dir(dir)?;
    }
    Ok(())
}

impl Manifest {
    pub fn encode(&self) -> String {
        let mut s = format!(
            "{HEAD}\nnext_id {}\nnext_seg {}\nwal {}\n",
            self.next_id, self.next_seg, self.wal
        );
        for seg in &self.segments {
            s.push_str(&format!("seg {seg}\n"));
        }
        for d in &self.dead {
            s.push_str(&format!("dead {d}\n"));
        }
        let crc = crc32fast::hash(s.as_bytes());
        s.push_str(&format!("crc {crc:08x}\n"));
        s
    }

    pub fn decode(path: &Path, text: &str) -> Result<Manifest, IndexError> {
        let bad = |r: &str| IndexError::corrupt(path, r);
        let body_end = text.rfind("crc ").ok_or_else(|| bad("no checksum"))?;
        let (body, crc_line) = text.split_at(body_end);
        let crc = u32::from_str_radix(crc_line.trim_start_matches("crc ").trim(), 16)
            .map_err(|_| bad("bad checksum line"))?;
        if crc32fast::hash(body.as_bytes()) != crc {
            return Err(bad("checksum mismatch"));
        }
        let mut lines = body.lines();
        if lines.next() != Some(HEAD) {
            return Err(bad("unknown manifest version"));
        }
        let mut m = Manifest::default();
        for line in lines {
            let (k, v) = line.split_once(' ').ok_or_else(|| bad("malformed line"))?;
            let num = |v: &str| v.parse::<u64>().map_err(|_| bad("bad number"));
            let id = |v: &str| v.parse::<u32>().map_err(|_| bad("bad id"));
            match k {
                "next_id" => m.next_id = id(v)?,
                "next_seg" => m.next_seg = num(v)?,
                "wal" => m.wal = num(v)?,
                "seg" => m.segments.push(num(v)?),
                "dead" => {
                    m.dead.insert(id(v)?);
                }
                _ => return Err(bad("unknown key")),
            }
        }
        Ok(m)
    }

    pub fn store(&self, gen_dir: &Path) -> Result<(), IndexError> {
        write_atomic(&gen_dir.join("MANIFEST"), self.encode().as_bytes())
    }

    pub fn load(gen_dir: &Path) -> Result<Manifest, IndexError> {
        let path = gen_dir.join("MANIFEST");
        let text = std::fs::read_to_string(&path).map_err(IndexError::io(&path))?;
        Manifest::decode(&path, &text)
    }
}

pub(crate) fn seg_name(seq: u64) -> String {
    format!("seg-{seq:08}.seg")
}

pub(crate) fn wal_name(seq: u64) -> String {
    format!("wal-{seq:08}.log")
}

pub(crate) fn gen_name(generation: u64) -> String {
    format!("gen-{generation:08}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_damage() {
        let m = Manifest {
            next_id: 9,
            next_seg: 4,
            wal: 2,
            segments: vec![1, 3],
            dead: [2, 5].into_iter().collect(),
        };
        let text = m.encode();
        let p = Path::new("MANIFEST");
        assert_eq!(Manifest::decode(p, &text).unwrap(), m);
        let damaged = text.replace("seg 3", "seg 4");
        assert!(Manifest::decode(p, &damaged).is_err());
        assert!(Manifest::decode(p, &text[..text.len() - 5]).is_err());
    }
}
