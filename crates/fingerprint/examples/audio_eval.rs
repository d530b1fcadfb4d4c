//! Calibration and benchmark run on real recordings (not a test; see BENCHMARKS-audio.md):
//! `cargo run --release -p fpshot-fingerprint --example audio_eval -- DIR [queries_per_track]`
//!
//! Sorted audio files in DIR: even-indexed ones become the library, odd-indexed ones supply
//! unrelated (negative) queries. Prints extraction/ingest speed, index size, query latency,
//! recall@1 (offset ≤ 1 s) per edit, boundary errors, and the negative score distribution used to
//! calibrate `SearchParams::max_ber`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use fpshot_fingerprint::audio::testsignal::{Rng, add_noise};
use fpshot_fingerprint::audio::{
    AudioFingerprint, Extractor, MemorySource, SAMPLE_RATE, SearchParams, search,
};
use fpshot_media::{AudioStream, DecodeOptions, Resampler};

const SR: f64 = SAMPLE_RATE as f64;

fn decode(p: &Path) -> Vec<f32> {
    let mut s = AudioStream::open(p, &DecodeOptions::new(SAMPLE_RATE)).expect("decode");
    let mut v = Vec::new();
    while let Some(c) = s.next_chunk().expect("decode") {
        v.extend_from_slice(c);
    }
    v
}

fn extract(x: &[f32], query: bool) -> AudioFingerprint {
    let mut e = if query {
        Extractor::query()
    } else {
        Extractor::reference()
    };
    for c in x.chunks(8192) {
        e.push(c);
    }
    e.finish()
}

fn resample_speed(x: &[f32], speed: f64) -> Vec<f32> {
    let mut out = Vec::new();
    let mut r = Resampler::new((SR * speed).round() as u32, SAMPLE_RATE);
    r.process(x, &mut out);
    r.finish(&mut out);
    out
}

/// Pipes raw f32 through a command that reads stdin and writes stdout.
fn pipe(cmd: &str, args: &[&str], x: &[f32]) -> Option<Vec<f32>> {
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let w = std::thread::spawn(move || stdin.write_all(&bytes));
    let mut out = Vec::new();
    child.stdout.take()?.read_to_end(&mut out).ok()?;
    let _ = w.join();
    child.wait().ok()?;
    Some(
        out.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

fn sox(x: &[f32], effect: &[&str]) -> Option<Vec<f32>> {
    let fmt = [
        "-t",
        "raw",
        "-e",
        "floating-point",
        "-b",
        "32",
        "-r",
        "8000",
        "-c",
        "1",
    ];
    let mut a: Vec<&str> = fmt.to_vec();
    a.push("-");
    a.extend(fmt);
    a.push("-");
    a.extend(effect);
    pipe("sox", &a, x)
}

fn mp3(x: &[f32]) -> Option<Vec<f32>> {
    let enc = pipe(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-f",
            "f32le",
            "-ar",
            "8000",
            "-ac",
            "1",
            "-i",
            "pipe:0",
            "-b:a",
            "32k",
            "-f",
            "mp3",
            "pipe:1",
        ],
        x,
    );
    // Round trip through bytes: encode, then decode with ffmpeg back to f32.
    let enc_bytes: Vec<u8> = enc?.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut child = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "mp3",
            "-i",
            "pipe:0",
            "-f",
            "f32le",
            "-ar",
            "8000",
            "-ac",
            "1",
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let w = std::thread::spawn(move || stdin.write_all(&enc_bytes));
    let mut out = Vec::new();
    child.stdout.take()?.read_to_end(&mut out).ok()?;
    let _ = w.join();
    child.wait().ok()?;
    Some(
        out.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

struct Edit {
    name: &'static str,
    /// Reference seconds per query second (for the expected offset of a clip).
    apply: fn(&[f32]) -> Option<Vec<f32>>,
}

/// Defaults, overridable by FP_MAX_BER, FP_WORD_BER, FP_MIN_VOTES for calibration sweeps.
fn tuned() -> SearchParams {
    let mut p = SearchParams::default();
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    if let Some(v) = env("FP_MAX_BER") {
        p.max_ber = v;
    }
    if let Some(v) = env("FP_WORD_BER") {
        p.word_ber = v;
    }
    if let Some(v) = env("FP_MAX_POSTINGS") {
        p.max_postings_per_hash = v as usize;
    }
    if let Some(v) = env("FP_VOTE_BUDGET") {
        p.vote_budget = v as usize;
    }
    if let Some(v) = env("FP_MIN_VOTES") {
        p.min_votes = v as u32;
    }
    println!(
        "params: max_ber {} word_ber {} min_votes {} max_postings_per_hash {} vote_budget {}",
        p.max_ber, p.word_ber, p.min_votes, p.max_postings_per_hash, p.vote_budget
    );
    p
}

/// White noise added at 44.1 kHz keeps only 4000/22050 of its power below our Nyquist: this is
/// the SNR to apply at 8 kHz for a given SNR at 44.1 kHz (the harness's and the anchors' setup).
fn snr_at_8k(snr_44k: f64) -> f64 {
    snr_44k - 10.0 * (4000.0f64 / 22050.0).log10()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .expect("usage: audio_eval DIR [queries_per_track]"),
    );
    let per_track: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(6);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let t0 = Instant::now();
    // FP_CACHE=DIR keeps decoded 8 kHz audio between runs (decode timing is then meaningless).
    let cache = std::env::var("FP_CACHE").ok().map(PathBuf::from);
    let audio: Vec<Vec<f32>> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let Some(c) = &cache else { return decode(f) };
            let p = c.join(format!("{i}.f32"));
            if let Ok(b) = std::fs::read(&p) {
                return b
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
            }
            let x = decode(f);
            std::fs::create_dir_all(c).ok();
            std::fs::write(
                &p,
                x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
            )
            .ok();
            x
        })
        .collect();
    let dec_secs = t0.elapsed().as_secs_f64();
    let total_audio: f64 = audio.iter().map(|a| a.len() as f64 / SR).sum();
    println!(
        "files {} audio {:.2} h, decode+resample {:.1} s ({:.0}x real time)",
        files.len(),
        total_audio / 3600.0,
        dec_secs,
        total_audio / dec_secs
    );

    let t0 = Instant::now();
    let fps: Vec<AudioFingerprint> = audio.iter().map(|a| extract(a, false)).collect();
    let ex_secs = t0.elapsed().as_secs_f64();
    println!(
        "reference extraction {:.2} s ({:.0}x real time, 1 core)",
        ex_secs,
        total_audio / ex_secs
    );
    println!(
        "ingest incl. decoding: {:.0}x real time",
        total_audio / (ex_secs + dec_secs)
    );
    let t0 = Instant::now();
    let _q: Vec<AudioFingerprint> = audio.iter().take(4).map(|a| extract(a, true)).collect();
    let q_audio: f64 = audio.iter().take(4).map(|a| a.len() as f64 / SR).sum();
    println!(
        "query-mode extraction {:.0}x real time",
        q_audio / t0.elapsed().as_secs_f64()
    );

    let mut src = MemorySource::new();
    let lib_idx: Vec<usize> = (0..files.len()).step_by(2).collect();
    let neg_idx: Vec<usize> = (1..files.len()).step_by(2).collect();
    let (mut lib_secs, mut blob_bytes) = (0.0, 0usize);
    let mut entry_of = Vec::new();
    for &i in &lib_idx {
        lib_secs += fps[i].duration_secs();
        blob_bytes += fps[i].to_bytes().len();
        entry_of.push((src.add(fps[i].clone()), i));
    }
    let hours = lib_secs / 3600.0;
    let postings = src.postings_len();
    println!(
        "library {} entries {:.2} h: {:.1} postings/s, postings {:.3} MB/h at 8 B each, stored fingerprints {:.3} MB/h",
        lib_idx.len(),
        hours,
        postings as f64 / lib_secs,
        postings as f64 * 8.0 / hours / 1e6,
        blob_bytes as f64 / hours / 1e6
    );

    // Negatives: 10 s clips every 3 s of the tracks outside the library, searched with a relaxed
    // rule so the whole score distribution is visible.
    let params = tuned();
    let mut relaxed = params.clone();
    relaxed.max_ber = 0.45;
    relaxed.max_ber_long = 0.45;
    relaxed.word_ber = relaxed.word_ber.max(0.42);
    let mut neg_best: Vec<f64> = Vec::new();
    let mut neg_segs: Vec<(f64, f64)> = Vec::new();
    let mut neg_fp = 0usize;
    let mut lat = Vec::new();
    for &i in &neg_idx {
        let a = &audio[i];
        let mut s = 0;
        while s + 10 * SAMPLE_RATE as usize <= a.len() {
            let q = extract(&a[s..s + 10 * SAMPLE_RATE as usize], true);
            let t = Instant::now();
            let m = search(&src, &q, &relaxed);
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            let best = m
                .iter()
                .flat_map(|m| m.segments.iter())
                .map(|g| (1.0 - g.similarity) / 2.0)
                .fold(0.5, f64::min);
            neg_best.push(best);
            for g in m.iter().flat_map(|m| m.segments.iter()) {
                neg_segs.push(((1.0 - g.similarity) / 2.0, g.input_duration));
            }
            neg_fp += m
                .iter()
                .flat_map(|m| m.segments.iter())
                .any(|g| params.accepts((1.0 - g.similarity) / 2.0, g.input_duration))
                as usize;
            s += 3 * SAMPLE_RATE as usize;
        }
    }
    neg_best.sort_by(f64::total_cmp);
    neg_segs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let longest = neg_segs.iter().map(|s| s.1).fold(0.0, f64::max);
    println!(
        "negative segments (relaxed rule): {}, longest {longest:.2} s; lowest (BER, s): {:?}",
        neg_segs.len(),
        neg_segs
            .iter()
            .take(8)
            .map(|(b, d)| (format!("{b:.3}"), format!("{d:.1}")))
            .collect::<Vec<_>>()
    );
    let n = neg_best.len();
    println!(
        "negatives {n}: lowest segment BER quantiles: min {:.3} 0.1% {:.3} 1% {:.3} 5% {:.3} median {:.3}",
        neg_best[0],
        neg_best[n / 1000],
        neg_best[n / 100],
        neg_best[n / 20],
        neg_best[n / 2]
    );
    let thr = params.max_ber;
    let fp = neg_fp;
    println!(
        "false positives under the decision rule (max_ber {thr}, long rule {} over {} s): {fp} of {n} ({:.3} %)",
        params.max_ber_long,
        params.long_segment_secs,
        100.0 * fp as f64 / n as f64
    );

    let edits: Vec<Edit> = vec![
        Edit {
            name: "clean",
            apply: |x| Some(x.to_vec()),
        },
        Edit {
            name: "mp3 32k@8kHz",
            apply: mp3,
        },
        Edit {
            name: "noise 10 dB@8k",
            apply: |x| {
                let mut y = x.to_vec();
                add_noise(&mut y, 10.0, 7);
                Some(y)
            },
        },
        Edit {
            name: "noise 10 dB@44k",
            apply: |x| {
                let mut y = x.to_vec();
                add_noise(&mut y, snr_at_8k(10.0), 7);
                Some(y)
            },
        },
        Edit {
            name: "noise 0 dB@44k",
            apply: |x| {
                let mut y = x.to_vec();
                add_noise(&mut y, snr_at_8k(0.0), 7);
                Some(y)
            },
        },
        Edit {
            name: "speed x0.95",
            apply: |x| Some(resample_speed(x, 0.95)),
        },
        Edit {
            name: "speed x1.02",
            apply: |x| Some(resample_speed(x, 1.02)),
        },
        Edit {
            name: "speed x1.05",
            apply: |x| Some(resample_speed(x, 1.05)),
        },
        Edit {
            name: "tempo x1.05",
            apply: |x| sox(x, &["tempo", "1.05"]),
        },
        Edit {
            name: "pitch +1 st",
            apply: |x| sox(x, &["pitch", "100"]),
        },
        Edit {
            name: "pitch -1 st",
            apply: |x| sox(x, &["pitch", "-100"]),
        },
        Edit {
            name: "telephone",
            apply: |x| sox(x, &["sinc", "300-3400"]),
        },
    ];
    let mut rng = Rng::new(42);
    // Clip positions: per library track, `per_track` random 10 s (source) starts.
    let mut clips = Vec::new();
    for &(entry, i) in &entry_of {
        let len = audio[i].len() as f64 / SR;
        for _ in 0..per_track {
            if len > 14.0 {
                clips.push((entry, i, 1.0 + rng.f64() * (len - 13.0)));
            }
        }
    }
    println!(
        "\n| edit | recall@1 (offset ≤ 1 s) | median |start err| s | median |end err| s | query ms p50 / p95 |"
    );
    println!("|---|---|---|---|---|");
    let only = std::env::var("FP_EDITS").ok();
    for e in &edits {
        if only
            .as_ref()
            .is_some_and(|o| !o.split(',').any(|w| e.name.contains(w)))
        {
            continue;
        }
        let (mut hit, mut tot, mut errs, mut end_errs, mut ms) =
            (0, 0, Vec::new(), Vec::new(), Vec::new());
        for &(entry, i, start) in &clips {
            // Take 10.5 s of source so speed-ups still leave ~10 s of query.
            let a = &audio[i][(start * SR) as usize..((start + 10.5) * SR) as usize];
            let Some(y) = (e.apply)(a) else { continue };
            let y = &y[..y.len().min(10 * SAMPLE_RATE as usize)];
            let q = extract(y, true);
            let t = Instant::now();
            let m = search(&src, &q, &params);
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            tot += 1;
            if let Some(b) = m.first().filter(|b| b.entry == entry) {
                let g = &b.segments[0];
                if (g.dup_start - start).abs() <= 1.0 {
                    hit += 1;
                    if e.name == "clean" || e.name.starts_with("noise 10") {
                        errs.push((g.input_start - 0.0).abs());
                        end_errs
                            .push((g.input_start + g.input_duration - y.len() as f64 / SR).abs());
                    }
                }
            }
        }
        ms.sort_by(f64::total_cmp);
        errs.sort_by(f64::total_cmp);
        end_errs.sort_by(f64::total_cmp);
        let med = |v: &Vec<f64>| {
            if v.is_empty() {
                f64::NAN
            } else {
                v[v.len() / 2]
            }
        };
        println!(
            "| {} | {:.3} ({hit}/{tot}) | {:.3} | {:.3} | {:.1} / {:.1} |",
            e.name,
            hit as f64 / tot.max(1) as f64,
            med(&errs),
            med(&end_errs),
            ms.get(ms.len() / 2).copied().unwrap_or(0.0),
            ms.get(ms.len() * 95 / 100).copied().unwrap_or(0.0)
        );
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "\nnegative query latency ms p50 {:.1} p95 {:.1}",
        lat[lat.len() / 2],
        lat[lat.len() * 95 / 100]
    );

    // FP_SCALE_HOURS=N: grow the library with resampled copies of every track (distinct entries,
    // as the issue allows) to N hours, then time clean queries again.
    let Some(target) = std::env::var("FP_SCALE_HOURS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    else {
        return;
    };
    let mut k = 0usize;
    let mut hours = hours;
    while hours < target {
        // Speeds outside the ±5 % search range (and its refinement margin), so fillers act as
        // new content rather than as copies the matcher should (and would) find.
        let round = k / audio.len();
        let speed = if round.is_multiple_of(2) {
            0.90 - 0.008 * (round / 2) as f64
        } else {
            1.10 + 0.012 * (round / 2) as f64
        };
        let fp = extract(&resample_speed(&audio[k % audio.len()], speed), false);
        hours += fp.duration_secs() / 3600.0;
        src.add(fp);
        k += 1;
    }
    println!(
        "\nscaled library: {:.1} h, {} postings ({:.1} MB at 8 B)",
        hours,
        src.postings_len(),
        src.postings_len() as f64 * 8.0 / 1e6
    );
    let (mut ms, mut hit) = (Vec::new(), 0);
    for &(entry, i, start) in &clips {
        let a = &audio[i][(start * SR) as usize..((start + 10.0) * SR) as usize];
        let q = extract(a, true);
        let t = Instant::now();
        let m = search(&src, &q, &params);
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        hit += m
            .first()
            .is_some_and(|b| b.entry == entry && (b.segments[0].dup_start - start).abs() <= 1.0)
            as usize;
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "scaled clean queries: recall {:.3} ({hit}/{}), latency ms p50 {:.1} p95 {:.1}",
        hit as f64 / clips.len() as f64,
        clips.len(),
        ms[ms.len() / 2],
        ms[ms.len() * 95 / 100]
    );
}
