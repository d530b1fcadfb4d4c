use super::testsignal::{Rng, add_noise, music};
use super::*;

fn fp_of(x: &[f32], query: bool) -> AudioFingerprint {
    let mut e = if query {
        Extractor::query()
    } else {
        Extractor::reference()
    };
    for c in x.chunks(3000) {
        e.push(c);
    }
    e.finish()
}

/// Resampled speed change: read the samples as if recorded at `speed` × the rate.
fn speed(x: &[f32], speed: f64) -> Vec<f32> {
    let mut out = Vec::new();
    let mut r =
        fpshot_media::Resampler::new((SAMPLE_RATE as f64 * speed).round() as u32, SAMPLE_RATE);
    r.process(x, &mut out);
    r.finish(&mut out);
    out
}

fn secs(s: f64) -> usize {
    (s * SAMPLE_RATE as f64) as usize
}

struct Lib {
    src: MemorySource,
    songs: Vec<Vec<f32>>,
}

fn library(n: u64, len: f64) -> Lib {
    let mut src = MemorySource::new();
    let mut songs = Vec::new();
    for seed in 0..n {
        let x = music(seed, len, SAMPLE_RATE, 1.0, 1.0);
        src.add(fp_of(&x, false));
        songs.push(x);
    }
    Lib { src, songs }
}

fn top(lib: &Lib, q: &[f32]) -> Vec<AudioMatch> {
    search(&lib.src, &fp_of(q, true), &SearchParams::default())
}

/// Asserts the best match is `entry` with its first segment starting at `dup_start` (±tol s).
fn expect_hit(m: &[AudioMatch], entry: u32, dup_start: f64, tol: f64, what: &str) {
    let Some(best) = m.first() else {
        panic!("{what}: no match")
    };
    assert_eq!(best.entry, entry, "{what}: {m:?}");
    let s = &best.segments[0];
    assert!(
        (s.dup_start - dup_start).abs() <= tol,
        "{what}: dup_start {} want {dup_start}: {m:?}",
        s.dup_start
    );
}

#[test]
fn codec_round_trip_and_rejects_garbage() {
    let x = music(7, 20.0, SAMPLE_RATE, 1.0, 1.0);
    for query in [false, true] {
        let fp = fp_of(&x, query);
        let b = fp.to_bytes();
        assert_eq!(AudioFingerprint::from_bytes(&b).unwrap(), fp);
        for cut in [0, 3, 10, b.len() / 2, b.len() - 1] {
            assert!(
                AudioFingerprint::from_bytes(&b[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut bad = b.clone();
        bad[3] = 9;
        assert_eq!(
            AudioFingerprint::from_bytes(&bad),
            Err(crate::FingerprintError::Version(9))
        );
    }
    let mut rng = Rng::new(1);
    for _ in 0..200 {
        let n = (rng.next_u64() % 300) as usize;
        let mut junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
        if junk.len() > 4 {
            junk[..4].copy_from_slice(b"FPA\x01");
        }
        let _ = AudioFingerprint::from_bytes(&junk);
    }
}

#[test]
fn extraction_is_chunking_independent_and_sparse() {
    let x = music(3, 30.0, SAMPLE_RATE, 1.0, 1.0);
    let a = fp_of(&x, false);
    let mut e = Extractor::reference();
    for c in x.chunks(17) {
        e.push(c);
    }
    assert_eq!(e.finish(), a);
    let rate = a.postings().len() as f64 / a.duration_secs();
    assert!((10.0..40.0).contains(&rate), "postings per second {rate}");
    assert!((a.duration_secs() - 30.0).abs() < 1e-9);
    // Silence: no peaks and no valid dense words, so it cannot match anything.
    let s = fp_of(&vec![0.0; secs(10.0)], true);
    assert!(s.peaks.is_empty());
    assert!(
        s.dense
            .iter()
            .all(|d| (0..d.words.len()).all(|i| !d.is_valid(i)))
    );
}

#[test]
fn finds_clean_noisy_and_speed_changed_excerpts() {
    let lib = library(6, 40.0);
    let clip =
        |song: usize, from: f64, len: f64| lib.songs[song][secs(from)..secs(from + len)].to_vec();
    expect_hit(&top(&lib, &clip(2, 12.0, 10.0)), 2, 12.0, 0.25, "clean");
    let mut noisy = clip(4, 20.0, 10.0);
    add_noise(&mut noisy, 10.0, 99);
    expect_hit(&top(&lib, &noisy), 4, 20.0, 0.3, "noise 10 dB");
    let fast = speed(&clip(1, 5.0, 10.5), 1.03);
    let m = top(&lib, &fast);
    expect_hit(&m, 1, 5.0, 0.3, "speed 1.03");
    assert!(
        (m[0].time_scale - 1.03).abs() < 0.01,
        "scale {}",
        m[0].time_scale
    );
    let slow = speed(&clip(3, 8.0, 10.0), 0.96);
    expect_hit(&top(&lib, &slow), 3, 8.0, 0.3, "speed 0.96");
}

#[test]
fn finds_pitch_and_tempo_changes() {
    let lib = library(4, 40.0);
    let up = music(2, 40.0, SAMPLE_RATE, 2f64.powf(1.0 / 12.0), 1.0);
    let m = top(&lib, &up[secs(10.0)..secs(20.0)]);
    expect_hit(&m, 2, 10.0, 0.3, "pitch +1 semitone");
    let fast = music(1, 40.0, SAMPLE_RATE, 1.0, 1.05);
    // Query second 10 of the tempo-changed version = reference second 10.5.
    expect_hit(
        &top(&lib, &fast[secs(10.0)..secs(20.0)]),
        1,
        10.5,
        0.3,
        "tempo 1.05",
    );
}

#[test]
fn unrelated_audio_does_not_match() {
    let lib = library(6, 40.0);
    for seed in 100..108 {
        let x = music(seed, 12.0, SAMPLE_RATE, 1.0, 1.0);
        let m = top(&lib, &x);
        assert!(m.is_empty(), "seed {seed}: {m:?}");
    }
    let mut rng = Rng::new(5);
    let noise: Vec<f32> = (0..secs(10.0))
        .map(|_| (rng.gauss() * 0.1) as f32)
        .collect();
    assert!(top(&lib, &noise).is_empty());
    assert!(top(&lib, &vec![0.0; secs(10.0)]).is_empty());
}

#[test]
fn long_query_spanning_two_entries_gives_two_segments() {
    let lib = library(5, 30.0);
    let mut q = music(200, 6.0, SAMPLE_RATE, 1.0, 1.0);
    q.extend_from_slice(&lib.songs[1][secs(4.0)..secs(19.0)]);
    q.extend_from_slice(&lib.songs[3][secs(10.0)..secs(25.0)]);
    let m = top(&lib, &q);
    let e1 = m.iter().find(|m| m.entry == 1).expect("entry 1");
    let e3 = m.iter().find(|m| m.entry == 3).expect("entry 3");
    let (a, b) = (&e1.segments[0], &e3.segments[0]);
    assert!(
        (a.input_start - 6.0).abs() < 0.5 && (a.dup_start - 4.0).abs() < 0.5,
        "{a:?}"
    );
    assert!((a.input_duration - 15.0).abs() < 1.0, "{a:?}");
    assert!(
        (b.input_start - 21.0).abs() < 0.5 && (b.dup_start - 10.0).abs() < 0.5,
        "{b:?}"
    );
    assert!((b.input_duration - 15.0).abs() < 1.0, "{b:?}");
    assert_eq!(m.len(), 2, "{m:?}");
}

#[test]
fn removed_entries_are_not_found() {
    let mut lib = library(3, 30.0);
    let q = lib.songs[2][secs(5.0)..secs(15.0)].to_vec();
    expect_hit(&top(&lib, &q), 2, 5.0, 0.3, "before remove");
    lib.src.remove(2);
    assert!(top(&lib, &q).iter().all(|m| m.entry != 2));
}
