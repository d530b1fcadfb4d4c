//! The load generator: N keep-alive HTTP/1.1 connections (one hyper connection per task, so the
//! connection count is exact), driven either closed-loop (each connection sends its next request
//! as soon as the answer is in: throughput) or open-loop at a fixed rate (latency measured from
//! the moment each request was due, so a stalled server is not hidden: no coordinated omission).

use crate::error::{BenchError, Result};
use crate::signing::Prepared;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Where a connection takes its next request from.
#[derive(Clone)]
pub enum Source {
    /// The same bytes every time (the bare endpoint checks nothing).
    Fixed(Arc<Prepared>),
    /// Requests signed before the run, each with its own nonce, used once each.
    Pool(Arc<Vec<Prepared>>, Arc<AtomicUsize>),
}

impl Source {
    pub fn pool(requests: Vec<Prepared>) -> Self {
        Source::Pool(Arc::new(requests), Arc::new(AtomicUsize::new(0)))
    }

    fn next(&self) -> Option<&Prepared> {
        match self {
            Source::Fixed(p) => Some(p),
            Source::Pool(v, i) => v.get(i.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Summary {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
    /// A sample answer body (the first one), to check the scenario returns what it should.
    pub sample: Option<Bytes>,
    pub first_error: Option<String>,
    /// The pool ran out before the run's time was up.
    pub exhausted: bool,
}

impl Summary {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn p(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 60 s at 3 significant digits: constant, valid bounds.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant histogram bounds are valid")
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| BenchError::Http(format!("handshake with {addr}: {e}")))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer; Ok(body) only for HTTP 200.
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    p: &Prepared,
) -> std::result::Result<Bytes, String> {
    let mut builder = hyper::Request::builder()
        .method(p.method.clone())
        .uri(p.target.as_str());
    for (k, v) in &p.headers {
        builder = builder.header(k, v);
    }
    let req = builder
        .body(Full::new(p.body.clone()))
        .map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
    }
}

struct Partial {
    ok: u64,
    errors: u64,
    latency: Histogram<u64>,
    sample: Option<Bytes>,
    first_error: Option<String>,
}

impl Partial {
    fn new() -> Self {
        Partial {
            ok: 0,
            errors: 0,
            latency: histogram(),
            sample: None,
            first_error: None,
        }
    }

    fn record(&mut self, result: std::result::Result<Bytes, String>, took: Duration) {
        match result {
            Ok(body) => {
                self.ok += 1;
                let _ = self.latency.record((took.as_micros() as u64).max(1));
                if self.sample.is_none() {
                    self.sample = Some(body);
                }
            }
            Err(e) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e);
                }
            }
        }
    }
}

fn merge(parts: Vec<Partial>, elapsed: Duration, exhausted: bool) -> Summary {
    let mut s = Summary {
        ok: 0,
        errors: 0,
        elapsed,
        latency: histogram(),
        sample: None,
        first_error: None,
        exhausted,
    };
    for p in parts {
        s.ok += p.ok;
        s.errors += p.errors;
        let _ = s.latency.add(&p.latency);
        s.sample = s.sample.or(p.sample);
        s.first_error = s.first_error.or(p.first_error);
    }
    s
}

/// Closed loop: `conns` connections, each sending back to back, for `duration` (or until the
/// source runs dry). Connections are opened before the clock starts.
pub async fn closed_loop(
    addr: SocketAddr,
    conns: usize,
    duration: Duration,
    source: Source,
) -> Result<Summary> {
    let mut senders = Vec::with_capacity(conns);
    for _ in 0..conns.max(1) {
        senders.push(connect(addr).await?);
    }
    let exhausted = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for mut sender in senders {
        let source = source.clone();
        let exhausted = exhausted.clone();
        tasks.spawn(async move {
            let mut part = Partial::new();
            while Instant::now() < deadline {
                let Some(p) = source.next() else {
                    exhausted.store(true, Ordering::Relaxed);
                    break;
                };
                let t = Instant::now();
                let r = send(&mut sender, p).await;
                let failed = r.is_err();
                part.record(r, t.elapsed());
                if failed && sender.is_closed() {
                    break;
                }
            }
            part
        });
    }
    let mut parts = Vec::new();
    while let Some(p) = tasks.join_next().await {
        parts.push(p.map_err(|e| BenchError::Http(format!("load task: {e}")))?);
    }
    Ok(merge(
        parts,
        start.elapsed(),
        exhausted.load(Ordering::Relaxed),
    ))
}

/// Open loop: request `i` is due at `start + i / rate`, sent on connection `i % conns` (as soon
/// as that connection is free), latency counted from the due time.
pub async fn fixed_rate(
    addr: SocketAddr,
    conns: usize,
    rate: f64,
    duration: Duration,
    requests: Vec<Prepared>,
) -> Result<Summary> {
    let conns = conns.max(1);
    let total = ((rate * duration.as_secs_f64()) as usize).min(requests.len());
    let interval = Duration::from_secs_f64(1.0 / rate.max(1e-3));
    let requests = Arc::new(requests);
    let mut senders = Vec::with_capacity(conns);
    for _ in 0..conns {
        senders.push(connect(addr).await?);
    }
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for (k, mut sender) in senders.into_iter().enumerate() {
        let requests = requests.clone();
        tasks.spawn(async move {
            let mut part = Partial::new();
            for i in (k..total).step_by(conns) {
                let due = start + interval.mul_f64(i as f64);
                tokio::time::sleep_until(due).await;
                let r = send(&mut sender, &requests[i]).await;
                part.record(r, due.elapsed());
            }
            part
        });
    }
    let mut parts = Vec::new();
    while let Some(p) = tasks.join_next().await {
        parts.push(p.map_err(|e| BenchError::Http(format!("load task: {e}")))?);
    }
    Ok(merge(
        parts,
        start.elapsed(),
        total < (rate * duration.as_secs_f64()) as usize,
    ))
}
