//! Segment format tests: bucket spread and round trips.

use super::*;
use crate::segwrite::{NewEntry, write_segment};

/// Hashes packed in the low bits (as landmark hashes are) must still spread over the
/// buckets, or every lookup would scan the whole segment.
#[test]
fn low_bit_hashes_spread_over_buckets_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("s.seg");
    let mut p: Vec<(u32, EntryId, u32)> =
        (0..20_000u32).map(|h| (mix(h % 5_000), h % 7, h)).collect();
    p.sort_unstable();
    let entries: Vec<NewEntry<'_>> = (0..7)
        .map(|id| NewEntry {
            id,
            n_postings: 0,
            key: b"k",
            blob: b"",
        })
        .collect();
    write_segment(
        &dir.path().join("s.tmp"),
        &dest,
        p.len() as u64,
        p.iter().copied().map(Ok),
        &entries,
    )
    .unwrap();
    let seg = Segment::open(&dest, 1).unwrap();
    let n_buckets = 1usize << seg.bucket_bits;
    assert!(n_buckets >= 256);
    let biggest = (0..n_buckets).map(|b| seg.bucket(b).len()).max().unwrap();
    assert!(
        biggest < 2_000,
        "largest bucket {biggest} bytes of {}",
        seg.postings.1 - seg.postings.0
    );
    let none = HashSet::new();
    for h in [0u32, 1, 4_999] {
        let mut got = Vec::new();
        seg.lookup(h, &none, |e, t| got.push((e, t)));
        let want: Vec<_> = (0..20_000u32)
            .filter(|x| x % 5_000 == h)
            .map(|x| (x % 7, x))
            .collect();
        got.sort_unstable();
        let mut want = want;
        want.sort_unstable();
        assert_eq!(got, want);
    }
    let mut it = seg.postings();
    let mut all = Vec::new();
    while let Some(x) = it.next_posting().unwrap() {
        all.push(x);
    }
    assert_eq!(all, p);
}
