//! Decoding through an `ffmpeg` subprocess (Opus, video containers, anything symphonia lacks).
//! The process writes mono f32le at the target rate to a pipe; it is killed when the stream is
//! dropped, and by a watchdog thread when it outlives the timeout.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::{DecodeOptions, MediaError};

const TOOL: &str = "ffmpeg";

pub fn available() -> bool {
    let Some(paths) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&paths).any(|dir| dir.join(TOOL).is_file())
}

/// Reads a pipe to its end, keeping the last few kilobytes as text.
fn drain_tail(mut pipe: ChildStderr) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 8192 {
                tail.drain(..tail.len() - 4096);
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    })
}

pub struct FfmpegSource {
    child: Arc<Mutex<Child>>,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<String>>,
    stop: Option<Sender<()>>,
    watchdog: Option<JoinHandle<()>>,
    timed_out: Arc<AtomicBool>,
    timeout_secs: u64,
    bytes: Vec<u8>,
    /// Bytes of a sample split across two reads.
    carry: usize,
    out: Vec<f32>,
    done: bool,
    path: String,
}

impl FfmpegSource {
    pub fn spawn(path: &Path, opts: &DecodeOptions) -> Result<Self, MediaError> {
        let shown = path.display().to_string();
        let mut child = Command::new(TOOL)
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
            .arg(path)
            .args(["-vn", "-sn", "-dn", "-ac", "1", "-ar"])
            .arg(opts.sample_rate.to_string())
            .args(["-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => MediaError::ToolMissing {
                    path: shown.clone(),
                    tool: TOOL,
                    reason: e.to_string(),
                },
                _ => MediaError::Tool {
                    path: shown.clone(),
                    tool: TOOL,
                    reason: e.to_string(),
                },
            })?;
        let (Some(stdout), stderr) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(MediaError::Tool {
                path: shown,
                tool: TOOL,
                reason: "no stdout pipe".into(),
            });
        };
        // Drain stderr on its own thread so a chatty ffmpeg never blocks on a full pipe.
        let stderr = stderr.map(drain_tail);
        let child = Arc::new(Mutex::new(child));
        let timed_out = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<()>();
        let (c2, t2, limit) = (child.clone(), timed_out.clone(), opts.tool_timeout);
        let watchdog = std::thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                t2.store(true, Ordering::SeqCst);
                if let Ok(mut c) = c2.lock() {
                    let _ = c.kill();
                }
            }
        });
        Ok(Self {
            child,
            stdout,
            stderr,
            stop: Some(tx),
            watchdog: Some(watchdog),
            timed_out,
            timeout_secs: opts.tool_timeout.as_secs(),
            bytes: vec![0u8; opts.chunk_samples.max(1024) * 4],
            carry: 0,
            out: Vec::new(),
            done: false,
            path: shown,
        })
    }

    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>, MediaError> {
        self.out.clear();
        if self.done {
            return Ok(None);
        }
        loop {
            let n = match self.stdout.read(&mut self.bytes[self.carry..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(MediaError::Io {
                        path: self.path.clone(),
                        source: e,
                    });
                }
            };
            if n == 0 {
                self.done = true;
                return self.finish().map(|_| None);
            }
            let have = self.carry + n;
            let whole = have / 4 * 4;
            self.out.extend(
                self.bytes[..whole]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
            self.bytes.copy_within(whole..have, 0);
            self.carry = have - whole;
            if !self.out.is_empty() {
                return Ok(Some(&self.out));
            }
        }
    }

    /// End of output: reap the process and turn a failure into a typed error.
    fn finish(&mut self) -> Result<(), MediaError> {
        let status = match self.child.lock() {
            Ok(mut c) => c.wait(),
            Err(_) => {
                return Err(MediaError::Tool {
                    path: self.path.clone(),
                    tool: TOOL,
                    reason: "lock poisoned".into(),
                });
            }
        };
        self.stop_watchdog();
        if self.timed_out.load(Ordering::SeqCst) {
            return Err(MediaError::Timeout {
                path: self.path.clone(),
                tool: TOOL,
                secs: self.timeout_secs,
            });
        }
        let status = status.map_err(|e| MediaError::Io {
            path: self.path.clone(),
            source: e,
        })?;
        if !status.success() {
            let msg = self
                .stderr
                .take()
                .and_then(|h| h.join().ok())
                .unwrap_or_default();
            let reason = msg.lines().last().unwrap_or("").trim().to_string();
            return Err(MediaError::NotAudio {
                path: self.path.clone(),
                reason: format!("ffmpeg exited with {status}: {reason}"),
            });
        }
        Ok(())
    }

    fn stop_watchdog(&mut self) {
        self.stop.take();
        if let Some(w) = self.watchdog.take() {
            let _ = w.join();
        }
    }
}

impl Drop for FfmpegSource {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            if !self.done {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
        self.stop_watchdog();
    }
}
