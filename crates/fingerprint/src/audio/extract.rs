//! Streaming extraction: samples in, peaks and dense words out, in bounded memory.

use std::collections::VecDeque;

use super::frontend::{Frontend, POWER_FLOOR};
use super::{AudioFingerprint, DenseTrack, LOG_BINS, Peak, QUERY_SHIFTS, REF_DENSE_STRIDE};

/// Peak neighbourhood: ±frames in time, ±bins in frequency.
const PEAK_DT: usize = 5;
const PEAK_DF: usize = 5;
/// Peaks kept per block of frames (density control: ~8 peaks/s).
const PEAK_BLOCK: u32 = 16;
const PEAKS_PER_BLOCK: usize = 4;
/// Queries keep more peaks, so a reference peak that noise pushed down the ranking still pairs.
const QUERY_PEAKS_PER_BLOCK: usize = 8;
/// Dense bands: 33 bands of 6 log bins (3 semitones) with a stride of 3, starting at `BAND0`.
const BANDS: usize = 33;
const BAND_WIDTH: usize = 6;
const BAND_STEP: usize = 3;
const BAND0: i32 = 1;
/// Frames averaged per dense band energy, and the time lag of the temporal difference.
const SMOOTH: usize = 4;
const LAG: usize = 4;

/// Streaming fingerprint extractor: `push` mono samples at [`super::SAMPLE_RATE`], then `finish`.
pub struct Extractor {
    front: Frontend,
    shifts: Vec<i8>,
    stride: u8,
    samples: u64,
    frames: u32,
    /// Recent log rows for peak picking (centre frame = front - PEAK_DT).
    rows: VecDeque<(u32, [f32; LOG_BINS], bool)>,
    /// Frequency-max-filtered copies of `rows`.
    fmax: VecDeque<[f32; LOG_BINS]>,
    block: Vec<(f32, Peak)>,
    block_id: u32,
    peaks: Vec<Peak>,
    /// Per shift: recent band energies (for smoothing and the lag).
    bands: Vec<VecDeque<[f32; BANDS]>>,
    tracks: Vec<DenseTrack>,
    loud: VecDeque<bool>,
    scratch: Vec<([f32; LOG_BINS], f32)>,
    peaks_per_block: usize,
}

impl Default for Extractor {
    fn default() -> Self {
        Self::reference()
    }
}

impl Extractor {
    /// For library entries: one dense track, a word every [`REF_DENSE_STRIDE`] frames.
    pub fn reference() -> Self {
        Self::with(&[0], REF_DENSE_STRIDE, PEAKS_PER_BLOCK)
    }

    /// For queries: a dense word every frame at each of [`QUERY_SHIFTS`].
    pub fn query() -> Self {
        Self::with(&QUERY_SHIFTS, 1, QUERY_PEAKS_PER_BLOCK)
    }

    fn with(shifts: &[i8], stride: u8, peaks_per_block: usize) -> Self {
        Self {
            peaks_per_block,
            front: Frontend::new(),
            shifts: shifts.to_vec(),
            stride,
            samples: 0,
            frames: 0,
            rows: VecDeque::new(),
            fmax: VecDeque::new(),
            block: Vec::new(),
            block_id: 0,
            peaks: Vec::new(),
            bands: shifts.iter().map(|_| VecDeque::new()).collect(),
            tracks: shifts
                .iter()
                .map(|&s| DenseTrack {
                    shift: s,
                    stride,
                    words: Vec::new(),
                    valid: Vec::new(),
                })
                .collect(),
            loud: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    pub fn push(&mut self, samples: &[f32]) {
        self.samples += samples.len() as u64;
        let mut rows = std::mem::take(&mut self.scratch);
        self.front.push(samples, &mut rows);
        for (row, mean) in rows.drain(..) {
            self.on_frame(&row, mean);
        }
        self.scratch = rows;
    }

    pub fn finish(mut self) -> AudioFingerprint {
        // Flush the peak picker: pretend silence follows.
        for i in 0..PEAK_DT as u32 {
            let row = [POWER_FLOOR.ln(); LOG_BINS];
            self.pick_peaks(self.frames + i, row, false);
        }
        self.flush_block();
        AudioFingerprint {
            frames: self.frames,
            samples: self.samples,
            peaks: self.peaks,
            dense: self.tracks,
        }
    }

    fn on_frame(&mut self, row: &[f32], mean_power: f32) {
        let mut r = [0f32; LOG_BINS];
        r.copy_from_slice(row);
        let loud = mean_power > POWER_FLOOR;
        self.dense(&r, loud);
        self.pick_peaks(self.frames, r, loud);
        self.frames += 1;
    }

    fn pick_peaks(&mut self, t: u32, row: [f32; LOG_BINS], loud: bool) {
        let mut fm = [0f32; LOG_BINS];
        for (j, v) in fm.iter_mut().enumerate() {
            let lo = j.saturating_sub(PEAK_DF);
            let hi = (j + PEAK_DF + 1).min(LOG_BINS);
            *v = row[lo..hi].iter().copied().fold(f32::MIN, f32::max);
        }
        self.rows.push_back((t, row, loud));
        self.fmax.push_back(fm);
        let span = 2 * PEAK_DT + 1;
        if self.rows.len() < PEAK_DT + 1 {
            return;
        }
        if self.rows.len() > span {
            self.rows.pop_front();
            self.fmax.pop_front();
        }
        // Centre frame index: rows still missing at the start are treated as silence.
        let centre_idx = self.rows.len() - 1 - PEAK_DT;
        let (t, centre, centre_loud) = self.rows[centre_idx];
        if !centre_loud {
            return;
        }
        for j in 0..LOG_BINS {
            let v = centre[j];
            if v <= POWER_FLOOR.ln() + 2.0 {
                continue;
            }
            if self.fmax.iter().all(|m| m[j] <= v) {
                // Loudest peaks of each block survive the density control.
                self.add_peak(t, j as u8, v);
            }
        }
    }

    fn add_peak(&mut self, t: u32, f: u8, strength: f32) {
        let b = t / PEAK_BLOCK;
        if b != self.block_id {
            self.flush_block();
            self.block_id = b;
        }
        self.block.push((strength, Peak { t, f }));
    }

    fn flush_block(&mut self) {
        self.block.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut kept: Vec<Peak> = self
            .block
            .iter()
            .take(self.peaks_per_block)
            .map(|p| p.1)
            .collect();
        kept.sort();
        self.peaks.extend(kept);
        self.block.clear();
    }

    fn dense(&mut self, row: &[f32; LOG_BINS], loud: bool) {
        let t = self.frames as usize;
        self.loud.push_back(loud);
        if self.loud.len() > SMOOTH + LAG {
            self.loud.pop_front();
        }
        let emit = t.is_multiple_of(self.stride as usize);
        let all_loud = self.loud.iter().rev().take(SMOOTH).all(|l| *l);
        for (k, &shift) in self.shifts.iter().enumerate() {
            let mut e = [0f32; BANDS];
            for (m, v) in e.iter_mut().enumerate() {
                let start = BAND0 + (m * BAND_STEP) as i32 + shift as i32;
                let mut s = 0.0;
                for d in 0..BAND_WIDTH as i32 {
                    s += row[(start + d).clamp(0, LOG_BINS as i32 - 1) as usize];
                }
                *v = s;
            }
            let hist = &mut self.bands[k];
            hist.push_back(e);
            if hist.len() > SMOOTH + LAG {
                hist.pop_front();
            }
            if !emit {
                continue;
            }
            let n = hist.len();
            let now = smooth(hist, n.saturating_sub(SMOOTH), n);
            let before_end = n.saturating_sub(LAG).max(1);
            let before = smooth(hist, before_end.saturating_sub(SMOOTH), before_end);
            let mut word = 0u32;
            for m in 0..32 {
                let d = (now[m] - now[m + 1]) - (before[m] - before[m + 1]);
                if d > 0.0 {
                    word |= 1 << m;
                }
            }
            let track = &mut self.tracks[k];
            let i = track.words.len();
            track.words.push(word);
            if i.is_multiple_of(64) {
                track.valid.push(0);
            }
            if all_loud && let Some(last) = track.valid.last_mut() {
                *last |= 1 << (i % 64);
            }
        }
    }
}

fn smooth(h: &VecDeque<[f32; BANDS]>, from: usize, to: usize) -> [f32; BANDS] {
    let mut out = [0f32; BANDS];
    for r in h.range(from..to) {
        for (o, v) in out.iter_mut().zip(r) {
            *o += v;
        }
    }
    out
}
