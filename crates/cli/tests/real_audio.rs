//! `fpshot local` end to end on real recordings (Debian's `asc-music`, which the test command
//! installs): add, query clean and edited copies, unrelated audio, delete, and a kill -9
//! in the middle of adding a folder.

use fpshot_fingerprint::audio::testsignal::add_noise;
use fpshot_media::{AudioStream, DecodeOptions, Resampler};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const MUSIC: &str = "/usr/share/games/asc/music";
const RATE: u32 = 22_050;

fn track(name: &str) -> PathBuf {
    let p = Path::new(MUSIC).join(format!("{name}.mp3"));
    assert!(
        p.exists(),
        "{} is missing: install Debian's asc-music (bash scripts/test.sh does)",
        p.display()
    );
    p
}

fn fpshot(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fpshot"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run fpshot");
    assert!(
        out.status.success(),
        "fpshot {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `secs` seconds of `path` from `start`, decoded to mono at RATE.
fn excerpt(path: &Path, start: f64, secs: f64) -> Vec<f32> {
    let mut stream = AudioStream::open(path, &DecodeOptions::new(RATE)).expect("decode");
    let (from, to) = (
        (start * RATE as f64) as usize,
        ((start + secs) * RATE as f64) as usize,
    );
    let mut all = Vec::new();
    while let Some(chunk) = stream.next_chunk().expect("chunk") {
        all.extend_from_slice(chunk);
        if all.len() >= to {
            break;
        }
    }
    all[from..to.min(all.len())].to_vec()
}

fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let data = (samples.len() * 2) as u32;
    let mut header = Vec::new();
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36 + data).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&[1, 0, 1, 0]);
    header.extend_from_slice(&rate.to_le_bytes());
    header.extend_from_slice(&(rate * 2).to_le_bytes());
    header.extend_from_slice(&[2, 0, 16, 0]);
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data.to_le_bytes());
    f.write_all(&header).expect("write");
    for s in samples {
        f.write_all(&((s.clamp(-1.0, 1.0) * 32000.0) as i16).to_le_bytes())
            .expect("write");
    }
}

/// (PrimaryKey, Duplication.Start) of the best match, from `--json`.
fn best(lib: &Path, query: &Path) -> Option<(String, f64)> {
    let out = fpshot(&[
        "local",
        "query",
        "--lib",
        lib.to_str()?,
        "--json",
        query.to_str()?,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let shot = v["FpShot"].get(0)?;
    let start = shot["FpShotSlices"]["FpShotSlice"][0]["Duplication"]["Start"].as_str()?;
    Some((
        shot["PrimaryKey"].as_str()?.to_string(),
        start.parse().ok()?,
    ))
}

#[test]
fn real_recordings_add_query_edit_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("lib");
    let lib_s = lib.to_str().expect("utf-8");
    for name in ["frontiers", "machine_wars"] {
        fpshot(&[
            "local",
            "add",
            "--lib",
            lib_s,
            "--key",
            name,
            track(name).to_str().expect("utf-8"),
        ]);
    }
    let q = dir.path().join("q.wav");

    write_wav(&q, RATE, &excerpt(&track("frontiers"), 40.0, 10.0));
    let (key, start) = best(&lib, &q).expect("clean excerpt found");
    assert_eq!(key, "frontiers");
    assert!((start - 40.0).abs() < 1.0, "offset {start}");

    let mut noisy = excerpt(&track("machine_wars"), 25.0, 10.0);
    add_noise(&mut noisy, 10.0, 7);
    write_wav(&q, RATE, &noisy);
    assert_eq!(
        best(&lib, &q).map(|b| b.0).as_deref(),
        Some("machine_wars"),
        "white noise at 10 dB SNR"
    );

    // Played 4 % fast: resampled, so pitch moves with speed.
    let mut fast = Vec::new();
    let mut r = Resampler::new((RATE as f64 * 1.04) as u32, RATE);
    r.process(&excerpt(&track("frontiers"), 60.0, 10.4), &mut fast);
    r.finish(&mut fast);
    write_wav(&q, RATE, &fast);
    let (key, start) = best(&lib, &q).expect("sped-up excerpt found");
    assert_eq!(key, "frontiers");
    assert!((start - 60.0).abs() < 1.0, "offset {start}");

    write_wav(&q, RATE, &excerpt(&track("time_to_strike"), 30.0, 10.0));
    assert_eq!(
        best(&lib, &q),
        None,
        "a track that is not in the library matched"
    );

    write_wav(&q, RATE, &excerpt(&track("frontiers"), 40.0, 10.0));
    fpshot(&["local", "delete", "--lib", lib_s, "--key", "frontiers"]);
    assert_eq!(
        best(&lib, &q),
        None,
        "a deleted entry is gone from results at once"
    );
    write_wav(&q, RATE, &excerpt(&track("machine_wars"), 90.0, 10.0));
    assert_eq!(best(&lib, &q).map(|b| b.0).as_deref(), Some("machine_wars"));
}

#[test]
fn a_killed_folder_add_leaves_whole_entries_and_can_be_resumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (lib, songs) = (dir.path().join("lib"), dir.path().join("songs"));
    std::fs::create_dir_all(&songs).expect("mkdir");
    for name in ["frontiers", "machine_wars", "time_to_strike"] {
        std::os::unix::fs::symlink(track(name), songs.join(format!("{name}.mp3"))).expect("link");
    }
    let args = [
        "local",
        "add",
        "--lib",
        lib.to_str().expect("utf-8"),
        songs.to_str().expect("utf-8"),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_fpshot"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    // Whatever was acknowledged is whole; the library opens and answers.
    let stats = fpshot(&["local", "stats", "--lib", lib.to_str().expect("utf-8")]);
    assert!(stats.contains("entries:"), "{stats}");
    fpshot(&args);
    let stats = fpshot(&["local", "stats", "--lib", lib.to_str().expect("utf-8")]);
    assert!(
        stats.lines().any(|l| l == "entries: 3"),
        "adding again completes the library: {stats}"
    );
    let q = dir.path().join("q.wav");
    write_wav(&q, RATE, &excerpt(&track("time_to_strike"), 50.0, 10.0));
    assert_eq!(
        best(&lib, &q).map(|b| b.0).as_deref(),
        Some("time_to_strike")
    );
}
