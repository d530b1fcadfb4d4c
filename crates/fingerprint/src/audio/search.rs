//! Candidate search by offset voting over landmark hashes, under a grid of pitch-shift and
//! time-scale hypotheses, then dense verification of each candidate (see `verify`).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use super::hash::{QueryHash, query_hashes};
use super::verify::{Alignment, verify};
use super::{AudioFingerprint, FRAME_RATE};

/// Where matching finds its postings and stored fingerprints (an index, or [`super::MemorySource`]).
pub trait PostingSource {
    /// Appends `(entry, anchor frame)` for every stored posting of `hash`.
    fn lookup(&self, hash: u32, out: &mut Vec<(u32, u32)>);
    /// The stored fingerprint of `entry`, if it still exists.
    fn fingerprint(&self, entry: u32) -> Option<Arc<AudioFingerprint>>;
    /// How many postings `hash` has (an upper bound is fine: deleted entries may still count).
    /// Indexes should override this with a stored count; the default fetches the list.
    fn posting_count(&self, hash: u32) -> usize {
        let mut v = Vec::new();
        self.lookup(hash, &mut v);
        v.len()
    }
}

/// Search settings; `Default` is the calibrated operating point (see BENCHMARKS-audio.md).
#[derive(Clone, Debug)]
pub struct SearchParams {
    /// Candidate-search window and hop over long queries, seconds.
    pub window_secs: f64,
    pub hop_secs: f64,
    /// Pitch hypotheses in log bins (half semitones); the query is the reference shifted by these.
    pub shifts: Vec<i32>,
    /// Time-scale hypotheses: reference frames per query frame.
    pub scales: Vec<f64>,
    /// Least votes (within ±1 frame of offset) for a candidate.
    pub min_votes: u32,
    /// Posting lists longer than this are skipped (a query-time stop list: such hashes are common
    /// to much of the library, carry little evidence and dominate voting time at scale).
    pub max_postings_per_hash: usize,
    /// Most votes cast per window; beyond it the longest posting lists are skipped.
    pub vote_budget: usize,
    /// Candidates verified per window.
    pub candidates_per_window: usize,
    /// Per-word bit error rate below which a dense word counts as evidence (segment building).
    pub word_ber: f64,
    /// Decision rule per segment: bit error rate at most this...
    pub max_ber: f64,
    /// ...over at least this many seconds.
    pub min_segment_secs: f64,
    /// Or: bit error rate at most this over at least `long_segment_secs` (unrelated audio never
    /// sustained a low error rate that long in calibration, so long segments may be noisier).
    pub max_ber_long: f64,
    pub long_segment_secs: f64,
}

impl Default for SearchParams {
    fn default() -> Self {
        Self {
            window_secs: 10.0,
            hop_secs: 5.0,
            shifts: vec![-2, -1, 0, 1, 2],
            scales: (0..9).map(|i| 0.95 + 0.0125 * i as f64).collect(),
            min_votes: 3,
            candidates_per_window: 6,
            max_postings_per_hash: 2000,
            vote_budget: 1_000_000,
            word_ber: 0.42,
            max_ber: 0.35,
            min_segment_secs: 2.0,
            max_ber_long: 0.38,
            long_segment_secs: 5.0,
        }
    }
}

impl SearchParams {
    /// The decision rule for one segment.
    pub fn accepts(&self, ber: f64, secs: f64) -> bool {
        (ber <= self.max_ber && secs >= self.min_segment_secs)
            || (ber <= self.max_ber_long && secs >= self.long_segment_secs)
    }
}

/// A matched stretch: query time range ↔ entry time range, seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub input_start: f64,
    pub input_duration: f64,
    pub dup_start: f64,
    pub dup_duration: f64,
    pub similarity: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AudioMatch {
    pub entry: u32,
    /// Duration-weighted similarity of the segments, in [0, 1].
    pub similarity: f64,
    pub segments: Vec<Segment>,
    /// Estimated reference seconds per query second (1.05 = query played 5 % faster).
    pub time_scale: f64,
    /// Estimated pitch shift of the query, semitones.
    pub pitch_semitones: f64,
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    entry: u32,
    hyp: u16,
    offset: i32,
    votes: u32,
    /// Query frame range of the window that found it.
    q_from: u32,
    q_to: u32,
}

/// Finds the entries `query` copies, best first.
pub fn search(
    src: &impl PostingSource,
    query: &AudioFingerprint,
    params: &SearchParams,
) -> Vec<AudioMatch> {
    let hyps: Vec<(i32, f64)> = params
        .shifts
        .iter()
        .flat_map(|&p| params.scales.iter().map(move |&s| (p, s)))
        .collect();
    let win = (params.window_secs * FRAME_RATE).round().max(1.0) as u32;
    let hop = (params.hop_secs * FRAME_RATE).round().max(1.0) as u32;
    let mut cands: Vec<Candidate> = Vec::new();
    let mut hashes = Vec::new();
    let mut posts = Vec::new();
    let mut votes: HashMap<(u32, u16, i32), u32> = HashMap::default();
    let mut start = 0u32;
    loop {
        let end = start + win;
        let lo = query.peaks.partition_point(|p| p.t < start);
        let hi = query.peaks.partition_point(|p| p.t < end);
        let peaks = &query.peaks[lo..hi];
        hashes.clear();
        for (i, &(p, s)) in hyps.iter().enumerate() {
            query_hashes(peaks, p, s, i as u16, &mut hashes);
        }
        hashes.sort_unstable_by_key(|h: &QueryHash| h.hash);
        votes.clear();
        // Pass 1: list lengths. Pass 2: vote, cheapest hashes first, until the vote budget is
        // spent, so the most common hashes (least evidence, most work) are the ones dropped and
        // query time stays bounded as the library grows.
        let groups: Vec<&[QueryHash]> = hashes.chunk_by(|a, b| a.hash == b.hash).collect();
        let mut cost: Vec<(usize, usize)> = Vec::with_capacity(groups.len());
        for (gi, group) in groups.iter().enumerate() {
            let n = src.posting_count(group[0].hash);
            if n > 0 && n <= params.max_postings_per_hash {
                cost.push((n * group.len(), gi));
            }
        }
        cost.sort_unstable();
        let mut spent = 0usize;
        for &(c, gi) in &cost {
            spent += c;
            if spent > params.vote_budget {
                break;
            }
            let group = groups[gi];
            posts.clear();
            src.lookup(group[0].hash, &mut posts);
            for &(entry, t) in &posts {
                for q in group {
                    *votes.entry((entry, q.hyp, t as i32 - q.t)).or_default() += 1;
                }
            }
        }
        window_candidates(&votes, params, start, end.min(query.frames), &mut cands);
        if end >= query.frames {
            break;
        }
        start += hop;
    }
    let mut aligns: Vec<Alignment> = Vec::new();
    let mut cache: HashMap<u32, Option<Arc<AudioFingerprint>>> = HashMap::default();
    cands.sort_by_key(|c| std::cmp::Reverse(c.votes));
    for c in cands {
        let (p, s) = hyps[c.hyp as usize];
        // Same entry, same hypothesis, nearly the same offset: already being verified.
        if aligns.iter().any(|a| {
            a.entry == c.entry
                && (a.scale - s).abs() < 0.013
                && (a.offset - c.offset as f64).abs() <= 3.0
        }) {
            continue;
        }
        let Some(fp) = cache
            .entry(c.entry)
            .or_insert_with(|| src.fingerprint(c.entry))
            .clone()
        else {
            continue;
        };
        if let Some(a) = verify(
            query,
            &fp,
            c.entry,
            p,
            s,
            c.offset as f64,
            (c.q_from, c.q_to),
            params,
        ) {
            aligns.push(a);
        }
    }
    assemble(aligns)
}

/// Best (hypothesis, offset) peaks of one window's votes, folded over ±1 frame.
fn window_candidates(
    votes: &HashMap<(u32, u16, i32), u32>,
    params: &SearchParams,
    q_from: u32,
    q_to: u32,
    out: &mut Vec<Candidate>,
) {
    let mut scored: Vec<Candidate> = Vec::new();
    for (&(entry, hyp, off), &v) in votes {
        let around = |d: i32| votes.get(&(entry, hyp, off + d)).copied().unwrap_or(0);
        let (l, r) = (around(-1), around(1));
        // Keep only the left-most local maximum of the folded count.
        if l > v || r > v || (l == v && l > 0) {
            continue;
        }
        let total = v + l + r;
        if total >= params.min_votes {
            scored.push(Candidate {
                entry,
                hyp,
                offset: off,
                votes: total,
                q_from,
                q_to,
            });
        }
    }
    scored.sort_by(|a, b| {
        b.votes
            .cmp(&a.votes)
            .then(a.entry.cmp(&b.entry))
            .then(a.hyp.cmp(&b.hyp))
    });
    // Neighbouring hypotheses vote for the same alignment: keep a few distinct entries first.
    let mut kept: Vec<Candidate> = Vec::new();
    for c in &scored {
        let same_entry = kept.iter().filter(|k| k.entry == c.entry).count();
        if same_entry < 2 && kept.len() < params.candidates_per_window {
            kept.push(*c);
        }
    }
    out.extend(kept);
}

/// Groups verified alignments into one match per entry, dropping segments another alignment of
/// the same entry already covers better.
fn assemble(mut aligns: Vec<Alignment>) -> Vec<AudioMatch> {
    aligns.sort_by(|a, b| b.score().total_cmp(&a.score()));
    let mut by_entry: Vec<AudioMatch> = Vec::new();
    for a in aligns {
        let m = match by_entry.iter_mut().position(|m| m.entry == a.entry) {
            Some(i) => &mut by_entry[i],
            None => {
                by_entry.push(AudioMatch {
                    entry: a.entry,
                    similarity: 0.0,
                    segments: Vec::new(),
                    time_scale: a.scale,
                    pitch_semitones: a.shift as f64 / 2.0,
                });
                let last = by_entry.len() - 1;
                &mut by_entry[last]
            }
        };
        for s in a.segments {
            let overlaps = m.segments.iter().any(|o| {
                let lo = o.input_start.max(s.input_start);
                let hi = (o.input_start + o.input_duration).min(s.input_start + s.input_duration);
                hi - lo > 0.5 * s.input_duration.min(o.input_duration)
            });
            if !overlaps {
                m.segments.push(s);
            }
        }
    }
    for m in &mut by_entry {
        m.segments
            .sort_by(|a, b| a.input_start.total_cmp(&b.input_start));
        let total: f64 = m.segments.iter().map(|s| s.input_duration).sum();
        m.similarity = m
            .segments
            .iter()
            .map(|s| s.similarity * s.input_duration)
            .sum::<f64>()
            / total.max(1e-9);
    }
    by_entry.retain(|m| !m.segments.is_empty());
    by_entry.sort_by(|a, b| {
        let wa = a.similarity * a.segments.iter().map(|s| s.input_duration).sum::<f64>();
        let wb = b.similarity * b.segments.iter().map(|s| s.input_duration).sum::<f64>();
        wb.total_cmp(&wa)
    });
    by_entry
}
