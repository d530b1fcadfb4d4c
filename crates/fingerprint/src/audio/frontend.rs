//! Short-time spectrum on a log-frequency axis (24 bins per octave): pitch shifts and resampled
//! speed changes become translations along this axis, which both the landmarks and the dense
//! frames exploit.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

use super::{F_MIN, FFT_SIZE, HOP, LOG_BINS, SAMPLE_RATE};

/// Power below which a log bin counts as silent (about -70 dBFS); also the floor of the log.
pub const POWER_FLOOR: f32 = 1e-4;

pub struct Frontend {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per log bin: first FFT bin and its weights.
    weights: Vec<(usize, Vec<f32>)>,
    pending: Vec<f32>,
    frame_in: Vec<f32>,
    spec: Vec<Complex32>,
    scratch: Vec<Complex32>,
    power: Vec<f32>,
}

impl Frontend {
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_SIZE);
        let window = (0..FFT_SIZE)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / FFT_SIZE as f32).cos())
            .collect();
        let bin_hz = SAMPLE_RATE as f32 / FFT_SIZE as f32;
        let mut weights = Vec::with_capacity(LOG_BINS);
        for j in 0..LOG_BINS {
            let fc = F_MIN * 2f32.powf(j as f32 / 24.0);
            let c = fc / bin_hz;
            // Triangle reaching the neighbouring centres, never narrower than one FFT bin each
            // side, so narrow low bins interpolate instead of missing energy.
            let half = (c * (2f32.powf(1.0 / 24.0) - 1.0)).max(1.0);
            let lo = (c - half).ceil().max(0.0) as usize;
            let hi = ((c + half).floor() as usize).min(FFT_SIZE / 2);
            let mut w: Vec<f32> = (lo..=hi)
                .map(|k| (1.0 - (k as f32 - c).abs() / half).max(0.0))
                .collect();
            let sum: f32 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= sum.max(1e-9));
            weights.push((lo, w));
        }
        let spec = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Self {
            fft,
            window,
            weights,
            pending: Vec::with_capacity(FFT_SIZE * 4),
            frame_in: vec![0.0; FFT_SIZE],
            spec,
            scratch,
            power: vec![0.0; FFT_SIZE / 2 + 1],
        }
    }

    /// Feeds samples; appends `(log_power_row, mean_power)` for every completed frame.
    pub fn push(&mut self, samples: &[f32], out: &mut Vec<([f32; LOG_BINS], f32)>) {
        self.pending.extend_from_slice(samples);
        let mut start = 0;
        let mut row = [0f32; LOG_BINS];
        while start + FFT_SIZE <= self.pending.len() {
            for ((d, s), w) in self
                .frame_in
                .iter_mut()
                .zip(&self.pending[start..start + FFT_SIZE])
                .zip(&self.window)
            {
                *d = s * w;
            }
            // Lengths come from the planner itself, so this cannot fail.
            if self
                .fft
                .process_with_scratch(&mut self.frame_in, &mut self.spec, &mut self.scratch)
                .is_err()
            {
                return;
            }
            for (p, c) in self.power.iter_mut().zip(&self.spec) {
                *p = c.re * c.re + c.im * c.im;
            }
            let mut total = 0f32;
            for (r, (lo, w)) in row.iter_mut().zip(&self.weights) {
                let e: f32 = w.iter().zip(&self.power[*lo..]).map(|(a, b)| a * b).sum();
                total += e;
                *r = (e + POWER_FLOOR).ln();
            }
            out.push((row, total / LOG_BINS as f32));
            start += HOP;
        }
        self.pending.drain(..start);
    }
}
