//! LEB128 varints for the posting stream.
//!
//! Hand-written because this is the innermost loop of every lookup: it decodes from a
//! memory-mapped slice without allocation, never panics on corrupt bytes (returns `None`),
//! and inlines into the bucket scan. Crates like `integer-encoding` work through `Read`
//! or return `Option<(T, usize)>` with the same code; owning these 20 lines is cheaper.

/// Appends `v` as an unsigned LEB128 varint.
#[inline]
pub(crate) fn put(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes one varint at `*pos`, advancing it. `None` on truncation or overlong input.
#[inline]
pub(crate) fn get(buf: &[u8], pos: &mut usize) -> Option<u32> {
    let mut v: u32 = 0;
    let mut shift = 0u32;
    loop {
        let b = *buf.get(*pos)?;
        *pos += 1;
        if shift == 28 && b > 0x0f {
            return None; // more than 32 bits: corrupt
        }
        v |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_edges() {
        for v in [0u32, 1, 127, 128, 16_383, 16_384, u32::MAX - 1, u32::MAX] {
            let mut b = Vec::new();
            put(&mut b, v);
            let mut p = 0;
            assert_eq!(get(&b, &mut p), Some(v));
            assert_eq!(p, b.len());
        }
    }

    #[test]
    fn rejects_truncated_and_overlong() {
        let mut p = 0;
        assert_eq!(get(&[0x80, 0x80], &mut p), None);
        let mut p = 0;
        assert_eq!(get(&[0xff, 0xff, 0xff, 0xff, 0x1f], &mut p), None);
        let mut p = 0;
        assert_eq!(get(&[], &mut p), None);
    }
}
