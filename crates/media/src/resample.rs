//! Streaming mono resampler: rational polyphase windowed-sinc (Kaiser window).
//!
//! Written by hand rather than taking rubato because the job is narrow (mono, one fixed ratio,
//! arbitrary push sizes, downsampling to 8–16 kHz) and an exact rational polyphase table makes it
//! both cheap (one dot product of ~67 taps per output sample from 44.1 kHz) and free of the
//! fixed-chunk buffering rubato's API would need around it.

/// Zero crossings of the sinc on each side, at the lower of the two rates.
const HALF_ZEROS: usize = 6;
/// Passband edge as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.9;
/// Kaiser window shape (about 80 dB stopband).
const KAISER_BETA: f64 = 8.0;
/// Phase tables beyond this size round the phase to the nearest of this many.
const MAX_PHASES: usize = 4096;

pub struct Resampler {
    /// Input samples per output sample, as a rational `step_num / phases`.
    phases: usize,
    step_num: usize,
    taps: usize,
    /// `phases` rows of `taps` coefficients.
    table: Vec<f32>,
    /// Input history; `buf[0]` is input sample index `base`.
    buf: Vec<f32>,
    /// Position of the next output in input samples, as `pos_int + pos_frac / phases`.
    pos_int: usize,
    pos_frac: usize,
    passthrough: bool,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Modified Bessel function of the first kind, order 0 (series), for the Kaiser window.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..50 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < 1e-12 * sum {
            break;
        }
    }
    sum
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        let g = gcd(from as u64, to as u64).max(1);
        let (mut num, mut den) = ((from as u64 / g) as usize, (to as u64 / g) as usize);
        if den > MAX_PHASES {
            // Irregular rate pairs: approximate the ratio with MAX_PHASES phases (error < 1e-4 %).
            num = ((from as f64 / to as f64) * MAX_PHASES as f64).round() as usize;
            den = MAX_PHASES;
        }
        let passthrough = from == to;
        // Filter scaled to the lower rate so downsampling also low-passes.
        let scale = (to as f64 / from as f64).min(1.0);
        let half_width = HALF_ZEROS as f64 / scale; // in input samples
        let taps = 2 * half_width.ceil() as usize + 1;
        let mut table = vec![0f32; den * taps];
        let i0b = bessel_i0(KAISER_BETA);
        for p in 0..den {
            let frac = p as f64 / den as f64;
            let row = &mut table[p * taps..(p + 1) * taps];
            let mut sum = 0.0;
            let mut vals = vec![0f64; taps];
            for (k, v) in vals.iter_mut().enumerate() {
                // Tap k sits at input offset (k - taps/2) from the floor position.
                let x = k as f64 - (taps / 2) as f64 - frac;
                let r = x / half_width;
                if r.abs() >= 1.0 {
                    continue;
                }
                let w = bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / i0b;
                let t = std::f64::consts::PI * x * scale * CUTOFF;
                let s = if t.abs() < 1e-12 { 1.0 } else { t.sin() / t };
                *v = s * w;
                sum += *v;
            }
            for (dst, v) in row.iter_mut().zip(vals) {
                *dst = (v / sum) as f32;
            }
        }
        // Start with half a filter of silence so the first output is aligned with input 0.
        let buf = vec![0f32; taps / 2];
        Self {
            phases: den,
            step_num: num,
            taps,
            table,
            buf,
            pos_int: 0,
            pos_frac: 0,
            passthrough,
        }
    }

    /// Feeds `input`, appends every output sample that is now computable to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.passthrough {
            out.extend_from_slice(input);
            return;
        }
        self.buf.extend_from_slice(input);
        self.drain(out);
    }

    /// Flushes the tail (pads with silence), returning the final outputs.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if self.passthrough {
            return;
        }
        let pad = self.taps / 2 + 1;
        self.buf.extend(std::iter::repeat_n(0.0, pad));
        self.drain(out);
        self.buf.clear();
    }

    fn drain(&mut self, out: &mut Vec<f32>) {
        let taps = self.taps;
        while self.pos_int + taps <= self.buf.len() {
            let row = &self.table[self.pos_frac * taps..(self.pos_frac + 1) * taps];
            let win = &self.buf[self.pos_int..self.pos_int + taps];
            let mut acc = 0f32;
            for (a, b) in row.iter().zip(win) {
                acc += a * b;
            }
            out.push(acc);
            self.pos_frac += self.step_num;
            self.pos_int += self.pos_frac / self.phases;
            self.pos_frac %= self.phases;
        }
        // Drop consumed history, keeping the window start.
        if self.pos_int > 0 {
            self.buf.drain(..self.pos_int.min(self.buf.len()));
            self.pos_int = 0;
        }
    }
}

#[cfg(test)]
#[path = "resample_test.rs"]
mod tests;
