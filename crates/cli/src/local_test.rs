use super::*;
use fpshot_fingerprint::audio::testsignal::{add_noise, music};
use std::io::Write;
use std::process::Command;

const RATE: u32 = 22_050;

fn write_wav(path: &Path, samples: &[f32]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let data = (samples.len() * 2) as u32;
    f.write_all(b"RIFF").unwrap();
    f.write_all(&(36 + data).to_le_bytes()).unwrap();
    f.write_all(b"WAVEfmt ").unwrap();
    for v in [
        16u32.to_le_bytes(),
        [1, 0, 1, 0],
        RATE.to_le_bytes(),
        (RATE * 2).to_le_bytes(),
        [2, 0, 16, 0],
    ] {
        f.write_all(&v).unwrap();
    }
    f.write_all(b"data").unwrap();
    f.write_all(&data.to_le_bytes()).unwrap();
    for s in samples {
        f.write_all(&((s.clamp(-1.0, 1.0) * 32000.0) as i16).to_le_bytes())
            .unwrap();
    }
}

fn song(seed: u64, secs: f64) -> Vec<f32> {
    music(seed, secs, RATE, 1.0, 1.0)
}

fn at(s: f64) -> usize {
    (s * RATE as f64) as usize
}

fn best(lib: &Path, q: &Path) -> Option<(String, f64, f64)> {
    let (index, m) = search_file(lib, q).unwrap();
    let m = m.first()?;
    Some((
        index.key(m.entry)?.to_string(),
        m.segments[0].dup_start,
        m.similarity,
    ))
}

#[test]
fn add_query_edit_delete_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let (lib, songs_dir) = (d.path().join("lib"), d.path().join("songs"));
    std::fs::create_dir_all(songs_dir.join("sub")).unwrap();
    let songs: Vec<Vec<f32>> = (0..4).map(|s| song(s, 30.0)).collect();
    for (i, x) in songs.iter().enumerate() {
        let dir = if i % 2 == 0 {
            songs_dir.clone()
        } else {
            songs_dir.join("sub")
        };
        write_wav(&dir.join(format!("s{i}.wav")), x);
    }
    std::fs::write(songs_dir.join("broken.wav"), b"RIFF nonsense").unwrap();
    add(&lib, None, &songs_dir).unwrap();
    assert_eq!(LibraryIndex::open(&lib).unwrap().stats().entries, 4);

    let q = d.path().join("q.wav");
    write_wav(&q, &songs[1][at(8.0)..at(18.0)]);
    let (k, start, sim) = best(&lib, &q).expect("clean match");
    assert_eq!(k, "sub/s1");
    assert!((start - 8.0).abs() < 0.3 && sim > 0.8, "{start} {sim}");
    let (index, m) = search_file(&lib, &q).unwrap();
    let j = to_json(&index, &m);
    assert_eq!(j["FpShot"][0]["PrimaryKey"], "sub/s1");
    let slice = &j["FpShot"][0]["FpShotSlices"]["FpShotSlice"][0];
    assert!(
        slice["Duplication"]["Start"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .is_ok()
    );
    assert!(slice["Similarity"].is_string() && slice["Input"]["Duration"].is_string());
    drop(index); // one LibraryIndex per directory at a time

    let mut noisy = songs[2][at(3.0)..at(13.0)].to_vec();
    add_noise(&mut noisy, 10.0, 4);
    write_wav(&q, &noisy);
    assert_eq!(best(&lib, &q).map(|b| b.0).as_deref(), Some("s2"));

    // Speed ×1.03: written at a 3 % higher sample rate, read back at the normal one.
    let mut fast = Vec::new();
    let mut r = fpshot_media::Resampler::new((RATE as f64 * 1.03) as u32, RATE);
    r.process(&songs[3][at(10.0)..at(20.5)], &mut fast);
    r.finish(&mut fast);
    write_wav(&q, &fast);
    let (k, start, _) = best(&lib, &q).expect("speed match");
    assert_eq!(k, "sub/s3");
    assert!((start - 10.0).abs() < 0.3, "{start}");

    if Command::new("ffmpeg").arg("-version").output().is_ok() {
        write_wav(&q, &songs[0][at(15.0)..at(25.0)]);
        let mp3 = d.path().join("q.mp3");
        let ok = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
            .arg(&q)
            .args(["-b:a", "64k"])
            .arg(&mp3)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            assert_eq!(best(&lib, &mp3).map(|b| b.0).as_deref(), Some("s0"));
        }
    } else {
        eprintln!("SKIP mp3 re-encode: ffmpeg not on PATH");
    }

    write_wav(&q, &song(77, 12.0));
    assert!(best(&lib, &q).is_none(), "unrelated audio matched");

    write_wav(&q, &songs[1][at(8.0)..at(18.0)]);
    let index = LibraryIndex::open(&lib).unwrap();
    assert!(index.remove("sub/s1").unwrap());
    assert!(!index.remove("sub/s1").unwrap());
    drop(index);
    assert!(best(&lib, &q).is_none_or(|b| b.0 != "sub/s1"));
    let index = LibraryIndex::open(&lib).unwrap();
    index.compact().unwrap();
    assert_eq!(index.stats().entries, 3);
    index.purge().unwrap();
    assert_eq!(index.stats().entries, 0);
    drop(index);
    assert_eq!(LibraryIndex::open(&lib).unwrap().stats().entries, 0);
}
