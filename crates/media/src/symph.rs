//! In-process decoding with symphonia, downmixed to mono and resampled as packets arrive.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::{DecodeOptions, MediaError, Resampler};

/// Consecutive undecodable packets after which the file is declared corrupt.
const MAX_BAD_PACKETS: usize = 64;

pub enum OpenError {
    /// Symphonia does not know the container or codec: another decoder may.
    Unsupported(String),
    Fatal(MediaError),
}

pub struct SymphoniaSource {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    resampler: Option<Resampler>,
    target_rate: u32,
    interleaved: Vec<f32>,
    mono: Vec<f32>,
    out: Vec<f32>,
    chunk: usize,
    done: bool,
    path: String,
}

impl SymphoniaSource {
    pub fn open(path: &Path, opts: &DecodeOptions) -> Result<Self, OpenError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            OpenError::Fatal(MediaError::Io {
                path: shown.clone(),
                source: e,
            })
        })?;
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
                    OpenError::Fatal(MediaError::Io {
                        path: shown.clone(),
                        source: io,
                    })
                }
                other => OpenError::Unsupported(other.to_string()),
            })?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| OpenError::Unsupported("no audio track".into()))?;
        let track_id = track.id;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| OpenError::Unsupported("no audio codec parameters".into()))?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| OpenError::Unsupported(e.to_string()))?;
        Ok(Self {
            format,
            decoder,
            track_id,
            resampler: None,
            target_rate: opts.sample_rate,
            interleaved: Vec::new(),
            mono: Vec::new(),
            out: Vec::new(),
            chunk: opts.chunk_samples.max(1024),
            done: false,
            path: shown,
        })
    }

    fn corrupt(&self, reason: impl Into<String>) -> MediaError {
        MediaError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// Decodes packets until a chunk's worth of output is ready (or the stream ends).
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>, MediaError> {
        self.out.clear();
        let mut bad = 0usize;
        while !self.done && self.out.len() < self.chunk {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.finish_stream();
                    break;
                }
                // A truncated file ends early: keep what decoded, like every media player does.
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.finish_stream();
                    break;
                }
                Err(SymError::IoError(e)) => {
                    return Err(MediaError::Io {
                        path: self.path.clone(),
                        source: e,
                    });
                }
                Err(SymError::DecodeError(m)) => {
                    bad += 1;
                    if bad > MAX_BAD_PACKETS {
                        return Err(self.corrupt(m));
                    }
                    continue;
                }
                Err(e) => return Err(self.corrupt(e.to_string())),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buf = match self.decoder.decode(&packet) {
                Ok(b) => b,
                Err(SymError::DecodeError(m)) => {
                    bad += 1;
                    if bad > MAX_BAD_PACKETS {
                        return Err(self.corrupt(m));
                    }
                    continue;
                }
                Err(SymError::IoError(_)) => {
                    bad += 1;
                    continue;
                }
                Err(e) => return Err(self.corrupt(e.to_string())),
            };
            bad = 0;
            let channels = buf.spec().channels().count().max(1);
            let rate = buf.spec().rate();
            if rate == 0 {
                return Err(self.corrupt("sample rate 0"));
            }
            buf.copy_to_vec_interleaved(&mut self.interleaved);
            self.mono.clear();
            // Mean of the channels: the fingerprint is of the mix, whatever the layout.
            let inv = 1.0 / channels as f32;
            self.mono.extend(
                self.interleaved
                    .chunks_exact(channels)
                    .map(|f| f.iter().sum::<f32>() * inv),
            );
            let target = self.target_rate;
            let rs = self
                .resampler
                .get_or_insert_with(|| Resampler::new(rate, target));
            rs.process(&self.mono, &mut self.out);
        }
        if self.out.is_empty() {
            Ok(None)
        } else {
            Ok(Some(&self.out))
        }
    }

    fn finish_stream(&mut self) {
        self.done = true;
        if let Some(rs) = self.resampler.as_mut() {
            rs.finish(&mut self.out);
        }
    }
}
