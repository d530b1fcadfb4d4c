//! Writing a segment file (format in `segment.rs`).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use crate::EntryId;
use crate::error::IndexError;
use crate::segment::{ENTRY_LEN, HEADER_LEN, MAGIC, MAX_BUCKET_BITS, POSTINGS_PER_BUCKET};
use crate::varint;

/// An entry to be written: id, posting count, key, blob.
pub(crate) struct NewEntry<'a> {
    pub id: EntryId,
    pub n_postings: u32,
    pub key: &'a [u8],
    pub blob: &'a [u8],
}

/// Writes a segment to `tmp`, fsyncs it and renames it to `dest`. `postings` must yield
/// exactly `n_postings` items in ([`mix`]ed hash, entry, time) order; `entries` must be
/// sorted by id.
pub(crate) fn write_segment<I>(
    tmp: &Path,
    dest: &Path,
    n_postings: u64,
    postings: I,
    entries: &[NewEntry<'_>],
) -> Result<(), IndexError>
where
    I: Iterator<Item = Result<(u32, EntryId, u32), IndexError>>,
{
    let io = IndexError::io(tmp);
    let file = File::create(tmp).map_err(IndexError::io(tmp))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let wr = |w: &mut BufWriter<File>, b: &[u8]| w.write_all(b).map_err(IndexError::io(tmp));
    wr(&mut w, &[0u8; HEADER_LEN as usize])?;

    let wanted = n_postings.div_ceil(POSTINGS_PER_BUCKET).max(1);
    let bits = (64 - (wanted - 1).leading_zeros()).min(MAX_BUCKET_BITS);
    let n_buckets = 1usize << bits;
    let bucket_of = |h: u32| {
        if bits == 0 {
            0
        } else {
            (h >> (32 - bits)) as usize
        }
    };
    let mut offsets: Vec<u64> = Vec::with_capacity(n_buckets + 1);
    let mut written: u64 = 0;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut group: Vec<(EntryId, u32)> = Vec::new();
    let mut group_hash = 0u32;
    let mut prev_hash: Option<u32> = None; // previous group's hash within the current bucket
    let mut count: u64 = 0;
    let mut last: Option<(u32, EntryId, u32)> = None;

    let flush_group = |buf: &mut Vec<u8>,
                       group: &mut Vec<(EntryId, u32)>,
                       h: u32,
                       prev: Option<u32>,
                       base: u32| {
        if group.is_empty() {
            return;
        }
        varint::put(buf, h - prev.unwrap_or(base));
        varint::put(buf, group.len() as u32);
        let mut body = Vec::with_capacity(group.len() * 6);
        let (mut pe, mut pt) = (0u32, 0u32);
        for (i, &(e, t)) in group.iter().enumerate() {
            if i == 0 || e != pe {
                varint::put(&mut body, e - if i == 0 { 0 } else { pe });
                varint::put(&mut body, t);
            } else {
                varint::put(&mut body, 0);
                varint::put(&mut body, t - pt);
            }
            (pe, pt) = (e, t);
        }
        if group.len() > 1 {
            varint::put(buf, body.len() as u32);
        }
        buf.extend_from_slice(&body);
        group.clear();
    };
    let base_of = |b: usize| {
        if bits == 0 {
            0
        } else {
            (b as u32) << (32 - bits)
        }
    };

    let mut cur_bucket = 0usize;
    offsets.push(0);
    for p in postings {
        let p = p?;
        if let Some(l) = last
            && p < l
        {
            return Err(IndexError::InvalidInput("postings out of order".into()));
        }
        last = Some(p);
        count += 1;
        let (h, e, t) = p;
        let b = bucket_of(h);
        if b != cur_bucket || h != group_hash || group.is_empty() {
            if !group.is_empty() {
                flush_group(
                    &mut buf,
                    &mut group,
                    group_hash,
                    prev_hash,
                    base_of(cur_bucket),
                );
                prev_hash = Some(group_hash);
            }
            while cur_bucket < b {
                written += buf.len() as u64;
                wr(&mut w, &buf)?;
                buf.clear();
                offsets.push(written);
                cur_bucket += 1;
                prev_hash = None;
            }
            group_hash = h;
        }
        group.push((e, t));
    }
    flush_group(
        &mut buf,
        &mut group,
        group_hash,
        prev_hash,
        base_of(cur_bucket),
    );
    written += buf.len() as u64;
    wr(&mut w, &buf)?;
    while offsets.len() < n_buckets + 1 {
        offsets.push(written);
    }
    if count != n_postings {
        return Err(IndexError::InvalidInput("posting count mismatch".into()));
    }
    let postings_len = written;
    for o in &offsets {
        wr(&mut w, &o.to_le_bytes())?;
    }
    let entries_off = HEADER_LEN + postings_len + offsets.len() as u64 * 8;
    let data_off = entries_off + (entries.len() * ENTRY_LEN) as u64;
    let mut d = data_off;
    for e in entries {
        let mut rec = [0u8; ENTRY_LEN];
        rec[0..4].copy_from_slice(&e.id.to_le_bytes());
        rec[4..8].copy_from_slice(&e.n_postings.to_le_bytes());
        rec[8..12].copy_from_slice(&(e.key.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&(e.blob.len() as u32).to_le_bytes());
        rec[16..24].copy_from_slice(&d.to_le_bytes());
        wr(&mut w, &rec)?;
        d += (e.key.len() + e.blob.len()) as u64;
    }
    for e in entries {
        wr(&mut w, e.key)?;
        wr(&mut w, e.blob)?;
    }
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&bits.to_le_bytes());
    header[12..16].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    for (i, v) in [
        n_postings,
        HEADER_LEN,
        postings_len,
        HEADER_LEN + postings_len,
        entries_off,
        data_off,
    ]
    .iter()
    .enumerate()
    {
        header[16 + i * 8..24 + i * 8].copy_from_slice(&v.to_le_bytes());
    }
    w.seek(SeekFrom::Start(0)).map_err(IndexError::io(tmp))?;
    wr(&mut w, &header)?;
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(IndexError::io(tmp))?;
    std::fs::rename(tmp, dest).map_err(IndexError::io(dest))?;
    Ok(())
}
