//! `fpshot local ...`: add, query, delete and inspect an audio fingerprint library in a directory,
//! without the server. Also the interface of the evaluation harness: keep output stable.

mod library;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use fpshot_fingerprint::audio::{
    self, AudioFingerprint, AudioMatch, Extractor, PostingSource, SearchParams,
};
use fpshot_media::{AudioStream, DecodeOptions};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use library::LibraryIndex;

#[derive(Args)]
pub struct LocalArgs {
    #[command(subcommand)]
    command: LocalCommand,
}

#[derive(Subcommand)]
enum LocalCommand {
    /// Fingerprint FILE (or every audio file under a folder) into the library.
    Add {
        #[arg(long)]
        lib: PathBuf,
        /// PrimaryKey (default: the file name without extension; for a folder, a key prefix).
        #[arg(long)]
        key: Option<String>,
        path: PathBuf,
    },
    /// Search the library for what FILE copies.
    Query {
        #[arg(long)]
        lib: PathBuf,
        /// Print the API's `AudioFpShots` structure.
        #[arg(long)]
        json: bool,
        path: PathBuf,
    },
    /// Remove an entry by PrimaryKey.
    Delete {
        #[arg(long)]
        lib: PathBuf,
        #[arg(long)]
        key: String,
    },
    /// Entries, postings and bytes of the library.
    Stats {
        #[arg(long)]
        lib: PathBuf,
    },
}

pub fn run(args: LocalArgs) -> Result<()> {
    match args.command {
        LocalCommand::Add { lib, key, path } => add(&lib, key, &path),
        LocalCommand::Query { lib, json, path } => query(&lib, &path, json),
        LocalCommand::Delete { lib, key } => {
            let mut index = LibraryIndex::open(&lib)?;
            anyhow::ensure!(index.remove(&key)?, "no entry with key {key:?}");
            println!("deleted {key}");
            Ok(())
        }
        LocalCommand::Stats { lib } => {
            let index = LibraryIndex::open(&lib)?;
            let s = index.stats();
            println!(
                "entries: {}\npostings: {}\nfingerprint bytes: {}\nposting bytes: {}",
                s.entries, s.postings, s.blob_bytes, s.posting_bytes
            );
            Ok(())
        }
    }
}

/// Decodes and fingerprints a file in one streaming pass.
pub fn fingerprint_file(path: &Path, mut ex: Extractor) -> Result<AudioFingerprint> {
    let mut stream = AudioStream::open(path, &DecodeOptions::new(audio::SAMPLE_RATE))?;
    while let Some(chunk) = stream.next_chunk()? {
        ex.push(chunk);
    }
    Ok(ex.finish())
}

const AUDIO_EXTS: &[&str] = &[
    "wav", "flac", "mp3", "m4a", "aac", "mp4", "ogg", "oga", "opus", "webm", "mka", "mkv", "wma",
    "aif", "aiff", "caf",
];

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut items: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    items.sort_by_key(|e| e.path());
    for e in items {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| AUDIO_EXTS.contains(&x.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn stem_key(base: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(base).unwrap_or(file).with_extension("");
    rel.to_string_lossy().replace('\\', "/")
}

fn add(lib: &Path, key: Option<String>, path: &Path) -> Result<()> {
    let mut index = LibraryIndex::open(lib)?;
    if !path.is_dir() {
        let key = key.unwrap_or_else(|| stem_key(path.parent().unwrap_or(Path::new("")), path));
        let fp = fingerprint_file(path, Extractor::reference())
            .with_context(|| format!("fingerprinting {}", path.display()))?;
        index.add(&key, &fp.postings(), &fp.to_bytes())?;
        println!("added {key} ({:.1} s)", fp.duration_secs());
        return Ok(());
    }
    let mut files = Vec::new();
    collect_files(path, &mut files)?;
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (started, mut secs, mut ok, mut failed) = (Instant::now(), 0.0, 0usize, Vec::new());
    for f in &files {
        let k = match &key {
            Some(prefix) => format!("{prefix}/{}", stem_key(path, f)),
            None => stem_key(path, f),
        };
        bar.set_message(k.clone());
        match fingerprint_file(f, Extractor::reference()) {
            Ok(fp) => {
                index.add(&k, &fp.postings(), &fp.to_bytes())?;
                secs += fp.duration_secs();
                ok += 1;
            }
            Err(e) => failed.push(format!("{}: {e:#}", f.display())),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let el = started.elapsed().as_secs_f64();
    println!(
        "added {ok} of {} files, {:.1} min of audio in {el:.1} s ({:.0}x real time)",
        files.len(),
        secs / 60.0,
        secs / el.max(1e-9)
    );
    for f in &failed {
        println!("failed: {f}");
    }
    Ok(())
}

/// The library seen through the matcher's trait; blobs are parsed once per query.
struct Source<'a> {
    index: &'a LibraryIndex,
    cache: std::cell::RefCell<std::collections::HashMap<u32, Option<Arc<AudioFingerprint>>>>,
}

impl PostingSource for Source<'_> {
    fn lookup(&self, hash: u32, out: &mut Vec<(u32, u32)>) {
        self.index.lookup(hash, out);
    }
    fn posting_count(&self, hash: u32) -> usize {
        self.index.count(hash)
    }
    fn fingerprint(&self, entry: u32) -> Option<Arc<AudioFingerprint>> {
        self.cache
            .borrow_mut()
            .entry(entry)
            .or_insert_with(|| {
                self.index
                    .blob(entry)
                    .and_then(|b| AudioFingerprint::from_bytes(&b).ok())
                    .map(Arc::new)
            })
            .clone()
    }
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Opens the library and searches it for `path`.
fn search_file(lib: &Path, path: &Path) -> Result<(LibraryIndex, Vec<AudioMatch>)> {
    let index = LibraryIndex::open(lib)?;
    let fp = fingerprint_file(path, Extractor::query())
        .with_context(|| format!("fingerprinting {}", path.display()))?;
    let src = Source {
        index: &index,
        cache: Default::default(),
    };
    let matches = audio::search(&src, &fp, &SearchParams::default());
    Ok((index, matches))
}

fn query(lib: &Path, path: &Path, as_json: bool) -> Result<()> {
    let (index, matches) = search_file(lib, path)?;
    if as_json {
        println!("{}", serde_json::to_string(&to_json(&index, &matches))?);
        return Ok(());
    }
    if matches.is_empty() {
        println!("no match");
    }
    for m in &matches {
        let key = index.key(m.entry).unwrap_or("?");
        println!(
            "{key}  similarity {:.3}  speed x{:.3}  pitch {:+.2} st",
            m.similarity, m.time_scale, m.pitch_semitones
        );
        for s in &m.segments {
            println!(
                "  input {:>9.3} +{:<8.3} <-> entry {:>9.3} +{:<8.3} similarity {:.3}",
                s.input_start, s.input_duration, s.dup_start, s.dup_duration, s.similarity
            );
        }
    }
    Ok(())
}

fn to_json(index: &LibraryIndex, matches: &[AudioMatch]) -> serde_json::Value {
    let shots: Vec<_> = matches
        .iter()
        .map(|m| {
            let slices: Vec<_> = m
                .segments
                .iter()
                .map(|s| {
                    json!({
                        "Similarity": num(s.similarity),
                        "Input": {"Start": num(s.input_start), "Duration": num(s.input_duration)},
                        "Duplication": {"Start": num(s.dup_start), "Duration": num(s.dup_duration)},
                    })
                })
                .collect();
            json!({
                "PrimaryKey": index.key(m.entry).unwrap_or(""),
                "Similarity": num(m.similarity),
                "FpShotSlices": {"FpShotSlice": slices},
            })
        })
        .collect();
    json!({ "FpShot": shots })
}

#[cfg(test)]
#[path = "local_test.rs"]
mod tests;
