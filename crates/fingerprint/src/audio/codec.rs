//! Byte layout of a stored fingerprint (little endian):
//! `"FPA"`, version, frames u32, samples u64, peak count u32, peaks as (frame delta varint, bin u8),
//! track count u8, then per track: shift i8, stride u8, word count u32, words u32 each, validity
//! bitmap u64 words.

use super::{AudioFingerprint, DenseTrack, Peak};
use crate::FingerprintError;

const MAGIC: &[u8; 3] = b"FPA";
const VERSION: u8 = 1;

pub fn encode(fp: &AudioFingerprint) -> Vec<u8> {
    let words: usize = fp
        .dense
        .iter()
        .map(|d| d.words.len() * 4 + d.valid.len() * 8 + 6)
        .sum();
    let mut b = Vec::with_capacity(24 + fp.peaks.len() * 2 + words);
    b.extend_from_slice(MAGIC);
    b.push(VERSION);
    b.extend_from_slice(&fp.frames.to_le_bytes());
    b.extend_from_slice(&fp.samples.to_le_bytes());
    b.extend_from_slice(&(fp.peaks.len() as u32).to_le_bytes());
    let mut prev = 0u32;
    for p in &fp.peaks {
        let mut d = p.t - prev;
        prev = p.t;
        loop {
            let byte = (d & 0x7f) as u8;
            d >>= 7;
            if d == 0 {
                b.push(byte);
                break;
            }
            b.push(byte | 0x80);
        }
        b.push(p.f);
    }
    b.push(fp.dense.len() as u8);
    for d in &fp.dense {
        b.push(d.shift as u8);
        b.push(d.stride);
        b.extend_from_slice(&(d.words.len() as u32).to_le_bytes());
        for w in &d.words {
            b.extend_from_slice(&w.to_le_bytes());
        }
        for v in &d.valid {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FingerprintError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(FingerprintError::Malformed("length overflow"))?;
        let s = self
            .b
            .get(self.pos..end)
            .ok_or(FingerprintError::Malformed("truncated"))?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, FingerprintError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, FingerprintError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, FingerprintError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn varint(&mut self) -> Result<u32, FingerprintError> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = self.u8()?;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(v)
                    .map_err(|_| FingerprintError::Malformed("varint overflow"));
            }
        }
        Err(FingerprintError::Malformed("varint too long"))
    }
}

pub fn decode(b: &[u8]) -> Result<AudioFingerprint, FingerprintError> {
    let mut r = Reader { b, pos: 0 };
    if r.take(3)? != MAGIC {
        return Err(FingerprintError::Malformed("not an audio fingerprint"));
    }
    let v = r.u8()?;
    if v != VERSION {
        return Err(FingerprintError::Version(v));
    }
    let frames = r.u32()?;
    let samples = r.u64()?;
    let n = r.u32()? as usize;
    // Each peak takes at least 2 bytes: refuse counts the blob cannot hold before allocating.
    if n > b.len() / 2 {
        return Err(FingerprintError::Malformed("peak count exceeds blob"));
    }
    let mut peaks = Vec::with_capacity(n);
    let mut t = 0u32;
    for _ in 0..n {
        t = t
            .checked_add(r.varint()?)
            .ok_or(FingerprintError::Malformed("peak time overflow"))?;
        let f = r.u8()?;
        if f as usize >= super::LOG_BINS {
            return Err(FingerprintError::Malformed("peak bin out of range"));
        }
        peaks.push(Peak { t, f });
    }
    let tracks = r.u8()? as usize;
    let mut dense = Vec::with_capacity(tracks);
    for _ in 0..tracks {
        let shift = r.u8()? as i8;
        let stride = r.u8()?;
        if stride == 0 {
            return Err(FingerprintError::Malformed("zero stride"));
        }
        let count = r.u32()? as usize;
        if count > b.len() / 4 {
            return Err(FingerprintError::Malformed("word count exceeds blob"));
        }
        let words = r
            .take(count * 4)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let mut valid = Vec::with_capacity(count.div_ceil(64));
        for _ in 0..count.div_ceil(64) {
            valid.push(r.u64()?);
        }
        dense.push(DenseTrack {
            shift,
            stride,
            words,
            valid,
        });
    }
    if r.pos != b.len() {
        return Err(FingerprintError::Malformed("trailing bytes"));
    }
    Ok(AudioFingerprint {
        frames,
        samples,
        peaks,
        dense,
    })
}
