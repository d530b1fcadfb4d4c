//! Dense verification: compare the query's dense words with the reference's along a candidate
//! alignment, refine the alignment, cut the matching stretches out (X-drop over per-word scores)
//! and apply the decision rule.

use super::search::{SearchParams, Segment};
use super::{AudioFingerprint, DenseTrack, FRAME_RATE};

/// Score a silent (invalid) word gets: slightly negative so silence does not extend segments.
const SILENT_SCORE: f64 = -0.02;
/// Score drop from the running best that ends a segment (~8 unrelated words, 1 s).
const X_DROP: f64 = 1.2;
/// Alignment refinement grid around the landmark estimate.
const SCALE_STEPS: [f64; 5] = [-0.006, -0.003, 0.0, 0.003, 0.006];
const OFFSET_STEPS: [f64; 9] = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0];
/// Frames between the start of the audio a dense word depends on and the word's own frame, and
/// the span an FFT frame covers after it: used to put segment edges where the audio changes.
const WORD_LEAD: f64 = 3.5;
const WORD_TAIL: f64 = 2.0;

pub struct Alignment {
    pub entry: u32,
    pub shift: i32,
    pub scale: f64,
    pub offset: f64,
    pub segments: Vec<Segment>,
}

impl Alignment {
    pub fn score(&self) -> f64 {
        self.segments
            .iter()
            .map(|s| s.similarity * s.input_duration)
            .sum()
    }
}

/// Query word index facing reference word `k`, if inside the query.
fn facing(q: &DenseTrack, r_stride: u32, k: usize, scale: f64, offset: f64) -> Option<usize> {
    let qf = ((k as u32 * r_stride) as f64 - offset) / scale;
    let qi = (qf / q.stride as f64).round();
    if qi < 0.0 || qi >= q.words.len() as f64 {
        None
    } else {
        Some(qi as usize)
    }
}

/// Reference word range whose facing query frames lie in `[q_from, q_to)`.
fn ref_range(r: &DenseTrack, q_from: f64, q_to: f64, scale: f64, offset: f64) -> (usize, usize) {
    let rs = r.stride as f64;
    let lo = ((q_from * scale + offset) / rs).ceil().max(0.0) as usize;
    let hi = (((q_to * scale + offset) / rs).floor().max(0.0) as usize + 1).min(r.words.len());
    (lo.min(hi), hi)
}

/// Mean bit error rate over valid word pairs, and how many there were.
fn mean_ber(
    q: &DenseTrack,
    r: &DenseTrack,
    range: (usize, usize),
    scale: f64,
    offset: f64,
) -> (f64, usize) {
    let (mut bits, mut n) = (0u32, 0usize);
    for k in range.0..range.1 {
        if !r.is_valid(k) {
            continue;
        }
        if let Some(qi) = facing(q, r.stride as u32, k, scale, offset)
            && q.is_valid(qi)
        {
            bits += (q.words[qi] ^ r.words[k]).count_ones();
            n += 1;
        }
    }
    if n == 0 {
        (0.5, 0)
    } else {
        (bits as f64 / (32 * n) as f64, n)
    }
}

#[allow(clippy::too_many_arguments)]
pub fn verify(
    query: &AudioFingerprint,
    reference: &AudioFingerprint,
    entry: u32,
    shift: i32,
    scale: f64,
    offset: f64,
    window: (u32, u32),
    params: &SearchParams,
) -> Option<Alignment> {
    let r = reference.track(0)?;
    // Refine pitch variant, scale and offset on the window that produced the candidate.
    let mut best = (f64::MAX, shift, scale, offset);
    for dp in [-1, 0, 1] {
        let p = shift + dp;
        let Some(q) = query.dense.iter().find(|d| d.shift as i32 == p) else {
            continue;
        };
        for ds in SCALE_STEPS {
            let s = scale * (1.0 + ds);
            for dof in OFFSET_STEPS {
                // Keep the alignment anchored at the window centre while the scale moves.
                let centre = (window.0 + window.1) as f64 / 2.0;
                let o = offset + dof + centre * (scale - s);
                let range = ref_range(r, window.0 as f64, window.1 as f64, s, o);
                let (ber, n) = mean_ber(q, r, range, s, o);
                if n >= 4 && ber < best.0 {
                    best = (ber, p, s, o);
                }
            }
        }
    }
    let (ber, shift, scale, offset) = best;
    if ber > params.word_ber + 0.05 {
        return None;
    }
    let q = query
        .dense
        .iter()
        .find(|d| d.shift as i32 == shift)
        .or_else(|| query.track(0))?;
    let (lo, hi) = ref_range(r, 0.0, query.frames as f64, scale, offset);
    let segments = segments(q, r, (lo, hi), scale, offset, params);
    if segments.is_empty() {
        return None;
    }
    Some(Alignment {
        entry,
        shift,
        scale,
        offset,
        segments,
    })
}

fn segments(
    q: &DenseTrack,
    r: &DenseTrack,
    (lo, hi): (usize, usize),
    scale: f64,
    offset: f64,
    params: &SearchParams,
) -> Vec<Segment> {
    // Per reference word: Some(bit errors) when both sides are valid.
    let errs: Vec<Option<u32>> = (lo..hi)
        .map(|k| {
            let qi = facing(q, r.stride as u32, k, scale, offset)?;
            (r.is_valid(k) && q.is_valid(qi)).then(|| (q.words[qi] ^ r.words[k]).count_ones())
        })
        .collect();
    let score = |e: &Option<u32>| e.map_or(SILENT_SCORE, |b| params.word_ber - b as f64 / 32.0);
    let mut out = Vec::new();
    let (mut cur, mut best, mut start, mut best_end) = (0.0f64, 0.0f64, 0usize, 0usize);
    let mut i = 0;
    while i <= errs.len() {
        let ended = i == errs.len();
        if !ended {
            cur += score(&errs[i]);
            if cur > best {
                best = cur;
                best_end = i;
            }
        }
        if ended || cur < 0.0 || best - cur > X_DROP {
            if best > 0.0 {
                if let Some(s) =
                    to_segment(r, q, &errs, (start, best_end), lo, scale, offset, params)
                {
                    out.push(s);
                }
                i = best_end + 1;
            } else {
                i += 1;
            }
            cur = 0.0;
            best = 0.0;
            start = i;
            best_end = i;
            continue;
        }
        i += 1;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn to_segment(
    r: &DenseTrack,
    q: &DenseTrack,
    errs: &[Option<u32>],
    (a, b): (usize, usize),
    lo: usize,
    scale: f64,
    offset: f64,
    params: &SearchParams,
) -> Option<Segment> {
    let (bits, n) = errs[a..=b]
        .iter()
        .flatten()
        .fold((0u32, 0usize), |(s, n), e| (s + e, n + 1));
    if n == 0 {
        return None;
    }
    let ber = bits as f64 / (32 * n) as f64;
    let rs = r.stride as f64;
    let r_start = ((lo + a) as f64 * rs - WORD_LEAD).max(0.0);
    let r_end = (lo + b) as f64 * rs + WORD_TAIL + rs / 2.0;
    let q_start = ((r_start - offset) / scale).max(0.0);
    let q_end = ((r_end - offset) / scale).min(q.words.len() as f64 * q.stride as f64);
    let dur = (q_end - q_start) / FRAME_RATE;
    if !params.accepts(ber, dur) {
        return None;
    }
    let r_start = q_start * scale + offset;
    let r_end = q_end * scale + offset;
    Some(Segment {
        input_start: q_start / FRAME_RATE,
        input_duration: dur,
        dup_start: r_start / FRAME_RATE,
        dup_duration: (r_end - r_start) / FRAME_RATE,
        similarity: (1.0 - 2.0 * ber).clamp(0.0, 1.0),
    })
}
