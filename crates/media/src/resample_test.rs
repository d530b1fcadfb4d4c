use super::*;

fn sine(rate: u32, freq: f64, secs: f64) -> Vec<f32> {
    let n = (rate as f64 * secs) as usize;
    (0..n)
        .map(|i| (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32 * 0.5)
        .collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn run(from: u32, to: u32, input: &[f32], piece: usize) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let mut out = Vec::new();
    for c in input.chunks(piece) {
        r.process(c, &mut out);
    }
    r.finish(&mut out);
    out
}

#[test]
fn keeps_length_amplitude_and_phase() {
    for &(from, to) in &[
        (44_100, 8_000),
        (48_000, 8_000),
        (22_050, 8_000),
        (8_000, 16_000),
        (44_056, 8_000),
    ] {
        let x = sine(from, 440.0, 2.0);
        let y = run(from, to, &x, 777);
        let expect = (x.len() as f64 * to as f64 / from as f64) as i64;
        assert!(
            (y.len() as i64 - expect).abs() <= 2,
            "{from}->{to}: {} vs {expect}",
            y.len()
        );
        let want = sine(to, 440.0, 2.0);
        // Compare away from the edges: the resampled tone is the tone sampled at the new rate.
        let m = want.len().min(y.len());
        let err: f64 = (200..m - 200)
            .map(|i| (y[i] - want[i]).abs() as f64)
            .fold(0.0, f64::max);
        assert!(err < 0.01, "{from}->{to}: max error {err}");
    }
}

#[test]
fn removes_content_above_new_nyquist() {
    let x = sine(44_100, 6_000.0, 1.0);
    let y = run(44_100, 8_000, &x, 4096);
    assert!(rms(&y[100..y.len() - 100]) < 0.001, "alias rms {}", rms(&y));
}

#[test]
fn chunking_does_not_change_output() {
    let x = sine(44_100, 1000.0, 1.0);
    let a = run(44_100, 8_000, &x, 1);
    let b = run(44_100, 8_000, &x, 100_000);
    assert_eq!(a, b);
}
