//! Deterministic music-like test audio (notes with harmonics and decays, chords, percussion), for
//! tests and benchmarks that cannot download recordings. Pitch and tempo can be changed
//! independently, which real-audio tools need a phase vocoder for.

/// A small deterministic generator (SplitMix64), so signals are identical on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly normal (sum of uniforms).
    pub fn gauss(&mut self) -> f64 {
        (0..4).map(|_| self.f64()).sum::<f64>() * 1.732 - 3.464
    }
}

/// `secs` of synthetic music for `seed` at `rate`, with every frequency times `pitch` and every
/// event time divided by `tempo`.
#[allow(clippy::needless_range_loop)] // sample index drives both time and the buffer
pub fn music(seed: u64, secs: f64, rate: u32, pitch: f64, tempo: f64) -> Vec<f32> {
    let n = (secs * rate as f64) as usize;
    let mut out = vec![0f32; n];
    let mut rng = Rng::new(seed);
    let scale: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
    let root = 45 + (rng.next_u64() % 12) as i32;
    let beat = 0.35 + 0.3 * rng.f64();
    let sr = rate as f64;
    // Melody, bass and a chord voice, each a sequence of notes on the beat grid.
    for voice in 0..3u64 {
        // One generator per voice, so a tempo change (more notes in the same seconds) does not
        // shift the random sequence of the other voices.
        let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(voice + 1));
        let mut t = 0.0;
        while t < secs * tempo {
            let len = beat
                * [0.5, 1.0, 1.0, 2.0][(rng.next_u64() % 4) as usize]
                * if voice == 1 { 2.0 } else { 1.0 };
            let degree = (rng.next_u64() % 14) as i32;
            let midi = root
                + 12 * (voice as i32 % 2 + if voice == 0 { 1 } else { 0 })
                + scale[(degree % 7) as usize]
                + 12 * (degree / 7)
                - if voice == 1 { 12 } else { 0 };
            let freq = 440.0 * 2f64.powf((midi - 69) as f64 / 12.0) * pitch;
            let amp = 0.12 + 0.1 * rng.f64();
            let harmonics = 3 + (rng.next_u64() % 4) as usize;
            let decay = 1.5 + 3.0 * rng.f64();
            let (s0, s1) = (
                (t / tempo * sr) as usize,
                (((t + len) / tempo) * sr) as usize,
            );
            for i in s0..s1.min(n) {
                let dt = (i - s0) as f64 / sr;
                // Envelopes follow the tempo (like a time-stretch), the waveform keeps its pitch.
                let dm = dt * tempo;
                let env = (-decay * dm).exp()
                    * (dm * 200.0).min(1.0)
                    * ((s1 - i) as f64 / (0.01 * sr)).min(1.0);
                let mut v = 0.0;
                for h in 1..=harmonics {
                    let f = freq * h as f64;
                    if f < sr / 2.0 {
                        v += (2.0 * std::f64::consts::PI * f * dt).sin() / h as f64;
                    }
                }
                out[i] += (amp * env * v) as f32;
            }
            t += len;
        }
    }
    // Percussion: decaying noise bursts on the beat, coloured per seed.
    let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(17));
    let mut t = 0.0;
    let mut lp = 0.0;
    let cut = 0.2 + 0.6 * rng.f64();
    while t < secs * tempo {
        let s0 = (t / tempo * sr) as usize;
        let strong = rng.f64() < 0.5;
        for i in s0..(s0 + (0.12 / tempo * sr) as usize).min(n) {
            let dt = (i - s0) as f64 / sr * tempo;
            lp += cut * (rng.gauss() - lp);
            out[i] += (lp * 0.15 * if strong { 1.0 } else { 0.5 } * (-30.0 * dt).exp()) as f32;
        }
        t += beat;
    }
    out
}

/// Adds white noise at `snr_db` relative to the signal's mean power.
pub fn add_noise(x: &mut [f32], snr_db: f64, seed: u64) {
    let p = x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    let sigma = (p / 10f64.powf(snr_db / 10.0)).sqrt();
    let mut rng = Rng::new(seed);
    for v in x {
        *v += (rng.gauss() * sigma) as f32;
    }
}
