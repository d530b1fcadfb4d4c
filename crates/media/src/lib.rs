//! fpshot-media: streaming audio decoding to mono `f32` at a caller-chosen sample rate.
//!
//! WAV, FLAC, MP3, AAC/M4A, ALAC and Ogg Vorbis decode in process (symphonia); anything symphonia
//! cannot open (Opus, video containers, ...) goes through an `ffmpeg` subprocess when one is on
//! PATH. Output comes in bounded chunks, so a two-hour file never sits whole in memory.

mod ffmpeg;
mod resample;
mod symph;

use std::path::Path;
use std::time::Duration;

pub use resample::Resampler;

/// Everything that can go wrong while turning a file into samples.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is empty")]
    Empty { path: String },
    #[error("{path} holds no decodable audio: {reason}")]
    NotAudio { path: String, reason: String },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: String, reason: String },
    #[error(
        "{path}: format not supported in process ({reason}) and `{tool}` is not on PATH; install {tool} to decode it"
    )]
    ToolMissing {
        path: String,
        tool: &'static str,
        reason: String,
    },
    #[error("{tool} failed on {path}: {reason}")]
    Tool {
        path: String,
        tool: &'static str,
        reason: String,
    },
    #[error("{tool} took longer than {secs} s on {path}; killed")]
    Timeout {
        path: String,
        tool: &'static str,
        secs: u64,
    },
    #[error("invalid sample rate {0}")]
    BadRate(u32),
}

/// How a file is decoded.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Output sample rate (the fingerprinter's).
    pub sample_rate: u32,
    /// Wall-clock limit for an external decoder process.
    pub tool_timeout: Duration,
    /// Samples per chunk handed out by [`AudioStream::next_chunk`] (approximate).
    pub chunk_samples: usize,
}

impl DecodeOptions {
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate,
            tool_timeout: Duration::from_secs(3600),
            chunk_samples: 1 << 16,
        }
    }
}

/// Which decoder serves a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Symphonia,
    Ffmpeg,
}

enum Inner {
    Symphonia(Box<symph::SymphoniaSource>),
    Ffmpeg(ffmpeg::FfmpegSource),
}

/// A file being decoded: pull mono chunks at the requested rate until `None`.
pub struct AudioStream {
    inner: Inner,
    produced: u64,
    path: String,
}

impl AudioStream {
    /// Opens `path`, in process when symphonia knows the format, else through ffmpeg.
    pub fn open(path: &Path, opts: &DecodeOptions) -> Result<Self, MediaError> {
        if opts.sample_rate < 1000 || opts.sample_rate > 384_000 {
            return Err(MediaError::BadRate(opts.sample_rate));
        }
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| MediaError::Io {
            path: shown.clone(),
            source: e,
        })?;
        if meta.len() == 0 {
            return Err(MediaError::Empty { path: shown });
        }
        let inner = match symph::SymphoniaSource::open(path, opts) {
            Ok(s) => Inner::Symphonia(Box::new(s)),
            Err(symph::OpenError::Fatal(e)) => return Err(e),
            Err(symph::OpenError::Unsupported(reason)) => {
                if !ffmpeg::available() {
                    // Without ffmpeg an unknown codec and garbage look alike: name the tool
                    // that could tell (and decode) them.
                    return Err(MediaError::ToolMissing {
                        path: shown,
                        tool: "ffmpeg",
                        reason,
                    });
                }
                Inner::Ffmpeg(ffmpeg::FfmpegSource::spawn(path, opts)?)
            }
        };
        Ok(Self {
            inner,
            produced: 0,
            path: shown,
        })
    }

    /// Forces the ffmpeg backend (for formats symphonia mis-decodes, and for tests).
    pub fn open_with_ffmpeg(path: &Path, opts: &DecodeOptions) -> Result<Self, MediaError> {
        let shown = path.display().to_string();
        if !ffmpeg::available() {
            return Err(MediaError::ToolMissing {
                path: shown,
                tool: "ffmpeg",
                reason: "ffmpeg requested".into(),
            });
        }
        Ok(Self {
            inner: Inner::Ffmpeg(ffmpeg::FfmpegSource::spawn(path, opts)?),
            produced: 0,
            path: shown,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Symphonia(_) => Backend::Symphonia,
            Inner::Ffmpeg(_) => Backend::Ffmpeg,
        }
    }

    /// Next chunk of mono samples at the requested rate; `Ok(None)` at the end. A stream that ends
    /// without producing one sample is an error (`NotAudio`), never an empty success.
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>, MediaError> {
        let chunk = match &mut self.inner {
            Inner::Symphonia(s) => s.next_chunk()?,
            Inner::Ffmpeg(f) => f.next_chunk()?,
        };
        match chunk {
            Some(c) => {
                self.produced += c.len() as u64;
                Ok(Some(c))
            }
            None if self.produced == 0 => Err(MediaError::NotAudio {
                path: self.path.clone(),
                reason: "no audio samples decoded".into(),
            }),
            None => Ok(None),
        }
    }

    /// Samples handed out so far.
    pub fn samples_produced(&self) -> u64 {
        self.produced
    }
}

/// True when an `ffmpeg` executable is on PATH.
pub fn ffmpeg_available() -> bool {
    ffmpeg::available()
}

#[cfg(test)]
#[path = "lib_test.rs"]
mod tests;
