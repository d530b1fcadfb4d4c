use super::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// Writes 16-bit PCM WAV by hand (no extra dev dependency needed for a 44-byte header).
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let data_len = (samples.len() * 2) as u32;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(b"RIFF").unwrap();
    f.write_all(&(36 + data_len).to_le_bytes()).unwrap();
    f.write_all(b"WAVEfmt ").unwrap();
    f.write_all(&16u32.to_le_bytes()).unwrap();
    f.write_all(&1u16.to_le_bytes()).unwrap();
    f.write_all(&channels.to_le_bytes()).unwrap();
    f.write_all(&rate.to_le_bytes()).unwrap();
    f.write_all(&(rate * channels as u32 * 2).to_le_bytes())
        .unwrap();
    f.write_all(&(channels * 2).to_le_bytes()).unwrap();
    f.write_all(&16u16.to_le_bytes()).unwrap();
    f.write_all(b"data").unwrap();
    f.write_all(&data_len.to_le_bytes()).unwrap();
    for s in samples {
        f.write_all(&((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
            .unwrap();
    }
}

fn tone(rate: u32, channels: u16, freq: f64, secs: f64) -> Vec<f32> {
    let n = (rate as f64 * secs) as usize;
    (0..n)
        .flat_map(|i| {
            let v = (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32 * 0.5;
            std::iter::repeat_n(v, channels as usize)
        })
        .collect()
}

fn decode_all(path: &Path, rate: u32) -> Result<(Vec<f32>, Backend), MediaError> {
    let mut s = AudioStream::open(path, &DecodeOptions::new(rate))?;
    let backend = s.backend();
    let mut all = Vec::new();
    while let Some(c) = s.next_chunk()? {
        all.extend_from_slice(c);
    }
    Ok((all, backend))
}

/// Zero crossings per second / 2 = frequency of a clean tone.
fn freq_of(x: &[f32], rate: u32) -> f64 {
    let z = x
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    z as f64 / 2.0 / (x.len() as f64 / rate as f64)
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
}

#[test]
fn wav_stereo_44k_to_mono_8k() {
    let d = dir();
    let p = d.path().join("a.wav");
    write_wav(&p, 44_100, 2, &tone(44_100, 2, 440.0, 3.0));
    let (x, backend) = decode_all(&p, 8000).unwrap();
    assert_eq!(backend, Backend::Symphonia);
    assert!((x.len() as i64 - 24_000).abs() < 50, "{}", x.len());
    let f = freq_of(&x[1000..23_000], 8000);
    assert!((f - 440.0).abs() < 3.0, "freq {f}");
}

#[test]
fn chunks_are_bounded() {
    let d = dir();
    let p = d.path().join("long.wav");
    write_wav(&p, 8000, 1, &tone(8000, 1, 300.0, 60.0));
    let mut opts = DecodeOptions::new(8000);
    opts.chunk_samples = 4096;
    let mut s = AudioStream::open(&p, &opts).unwrap();
    let mut total = 0;
    while let Some(c) = s.next_chunk().unwrap() {
        assert!(c.len() < 4096 + 8192, "chunk {}", c.len());
        total += c.len();
    }
    assert_eq!(total, 480_000);
}

#[test]
fn empty_missing_and_garbage_are_typed_errors() {
    let d = dir();
    let empty = d.path().join("e.wav");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        decode_all(&empty, 8000),
        Err(MediaError::Empty { .. })
    ));
    assert!(matches!(
        decode_all(&d.path().join("nope.wav"), 8000),
        Err(MediaError::Io { .. })
    ));
    let text = d.path().join("t.mp3");
    std::fs::write(&text, "this is not audio at all\n".repeat(100)).unwrap();
    match decode_all(&text, 8000) {
        Err(MediaError::NotAudio { .. } | MediaError::ToolMissing { .. }) => {}
        other => panic!("unexpected {:?}", other.map(|v| v.0.len())),
    }
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let junk = d.path().join("j.bin");
    std::fs::write(&junk, noise).unwrap();
    assert!(decode_all(&junk, 8000).is_err());
    assert!(matches!(
        AudioStream::open(&junk, &DecodeOptions::new(10)),
        Err(MediaError::BadRate(10))
    ));
}

#[test]
fn truncated_wav_keeps_what_is_there_or_errors() {
    let d = dir();
    let p = d.path().join("a.wav");
    write_wav(&p, 16_000, 1, &tone(16_000, 1, 500.0, 2.0));
    let bytes = std::fs::read(&p).unwrap();
    // Header cut: no audio at all.
    let head = d.path().join("h.wav");
    std::fs::write(&head, &bytes[..30]).unwrap();
    assert!(decode_all(&head, 8000).is_err());
    // Data cut in half: the first second decodes.
    let half = d.path().join("half.wav");
    std::fs::write(&half, &bytes[..44 + 32_000]).unwrap();
    let (x, _) = decode_all(&half, 8000).unwrap();
    assert!((x.len() as i64 - 8000).abs() < 50, "{}", x.len());
}

fn ffmpeg_encode(src: &Path, dst: &PathBuf, extra: &[&str]) -> bool {
    Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
        .arg(src)
        .args(extra)
        .arg(dst)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn compressed_formats_decode_when_ffmpeg_can_make_them() {
    if !have("ffmpeg") {
        eprintln!("SKIP compressed_formats: ffmpeg not on PATH");
        return;
    }
    let d = dir();
    let wav = d.path().join("src.wav");
    write_wav(&wav, 44_100, 2, &tone(44_100, 2, 440.0, 4.0));
    let cases: &[(&str, &[&str], Backend)] = &[
        ("flac", &[], Backend::Symphonia),
        ("mp3", &["-b:a", "128k"], Backend::Symphonia),
        ("m4a", &["-c:a", "aac", "-b:a", "96k"], Backend::Symphonia),
        ("ogg", &["-c:a", "libvorbis"], Backend::Symphonia),
        ("opus", &["-c:a", "libopus"], Backend::Ffmpeg),
    ];
    for (ext, args, backend) in cases {
        let out = d.path().join(format!("x.{ext}"));
        if !ffmpeg_encode(&wav, &out, args) {
            eprintln!("SKIP {ext}: this ffmpeg cannot encode it");
            continue;
        }
        let (x, b) = decode_all(&out, 8000).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(b, *backend, "{ext}");
        assert!(
            (x.len() as i64 - 32_000).abs() < 2_000,
            "{ext}: {} samples",
            x.len()
        );
        let f = freq_of(&x[4000..28_000], 8000);
        assert!((f - 440.0).abs() < 5.0, "{ext}: freq {f}");
    }
}

#[test]
fn ffmpeg_backend_reports_failures_and_timeouts() {
    if !have("ffmpeg") {
        eprintln!("SKIP ffmpeg_backend: ffmpeg not on PATH");
        return;
    }
    let d = dir();
    let junk = d.path().join("j.opus");
    std::fs::write(&junk, vec![7u8; 10_000]).unwrap();
    let mut s = AudioStream::open_with_ffmpeg(&junk, &DecodeOptions::new(8000)).unwrap();
    let mut r = s.next_chunk().map(|c| c.map(|c| c.len()));
    while let Ok(Some(_)) = r {
        r = s.next_chunk().map(|c| c.map(|c| c.len()));
    }
    assert!(r.is_err());
    // A zero timeout kills the process before it finishes a long file.
    let wav = d.path().join("long.wav");
    write_wav(&wav, 44_100, 2, &tone(44_100, 2, 440.0, 60.0));
    let mut opts = DecodeOptions::new(8000);
    opts.tool_timeout = std::time::Duration::from_millis(1);
    let mut s = AudioStream::open_with_ffmpeg(&wav, &opts).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut last = s.next_chunk().map(|c| c.map(|c| c.len()));
    while let Ok(Some(_)) = last {
        last = s.next_chunk().map(|c| c.map(|c| c.len()));
    }
    assert!(
        matches!(
            last,
            Err(MediaError::Timeout { .. }) | Err(MediaError::NotAudio { .. })
        ),
        "{last:?}"
    );
}
