//! `fpshot-bench verify`: what checking a request's signature costs the server, per request.
//!
//! Each iteration does what the server does with a request it has read: parse the raw parts
//! (query, headers, body) into an `UnverifiedRequest`, then verify its signature and timestamp.
//! Next to it, the physical floor: one HMAC of the same string to sign, nothing else.

use crate::error::{BenchError, Result};
use crate::report::{header, median};
use crate::signing::{Credentials, Prepared, v1_post_query, v3_post};
use fpshot_rpc::UnverifiedRequest;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use std::hint::black_box;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Iterations per round.
    #[arg(long, default_value_t = 200_000)]
    iterations: u32,
    /// Rounds; the median round is reported.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
}

/// The SubmitFpDBDeleteJob parameters of the spec's captured requests (§2.6), unicode included.
const PARAMS: &[(&str, &str)] = &[
    ("FpDBId", "88c6ca184c0e47098a5b665e2a12b3c4"),
    ("DelType", "Purge"),
    ("UserData", "a b*~+/测试"),
];
const HOST: &str = "127.0.0.1:8080";

struct Case {
    name: &'static str,
    req: Prepared,
    headers: HeaderMap,
    query: Option<String>,
    /// The server's string to sign, and the HMAC key that goes with it.
    string_to_sign: String,
    floor: Floor,
}

enum Floor {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

fn case(name: &'static str, req: Prepared, cred: &Credentials) -> Result<Case> {
    let mut headers = HeaderMap::new();
    for (k, v) in &req.headers {
        headers.append(k.clone(), v.clone());
    }
    let query = req.target.split_once('?').map(|(_, q)| q.to_string());
    // The server's string to sign is in the message of a wrong-secret refusal (the SDKs rely on
    // that message): the floor then hashes exactly the bytes the server hashes.
    let parsed = UnverifiedRequest::parse(&req.method, query.as_deref(), &headers, &req.body)
        .map_err(|e| BenchError::Setup(format!("{name}: parse failed: {}", e.message)))?;
    let refusal = parsed
        .verify("not-the-secret", fpshot_types::now_utc())
        .err()
        .ok_or_else(|| BenchError::Setup(format!("{name}: a wrong secret verified")))?;
    let (string_to_sign, floor) =
        if let Some((_, sts)) = refusal.message.split_once("server string to sign is:") {
            (
                sts.to_string(),
                Floor::Sha1(format!("{}&", cred.secret).into_bytes()),
            )
        } else if let Some((_, rest)) = refusal.message.split_once("server StringToSign is [") {
            (
                rest.trim_end_matches(']').to_string(),
                Floor::Sha256(cred.secret.clone().into_bytes()),
            )
        } else {
            return Err(BenchError::Setup(format!(
                "{name}: unexpected refusal {}",
                refusal.message
            )));
        };
    Ok(Case {
        name,
        req,
        headers,
        query,
        string_to_sign,
        floor,
    })
}

/// Nanoseconds this thread has run on a CPU (/proc/thread-self/schedstat, first field): unlike
/// wall time, it does not count the time other processes held the shared cores.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// (wall, CPU) ns per iteration of `f`, over `iterations`.
fn time_ns(iterations: u32, mut f: impl FnMut() -> bool) -> Result<(f64, f64)> {
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut ok = 0u32;
    for _ in 0..iterations {
        if f() {
            ok += 1;
        }
    }
    let elapsed = start.elapsed();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64,
        _ => f64::NAN,
    };
    if ok != iterations {
        return Err(BenchError::Setup(format!(
            "{} of {iterations} iterations failed",
            iterations - ok
        )));
    }
    let n = f64::from(iterations.max(1));
    Ok((elapsed.as_nanos() as f64 / n, cpu / n))
}

fn parse(c: &Case) -> Option<UnverifiedRequest> {
    UnverifiedRequest::parse(
        black_box(&c.req.method),
        black_box(c.query.as_deref()),
        black_box(&c.headers),
        black_box(&c.req.body),
    )
    .ok()
}

fn hmac_once(c: &Case) -> bool {
    let data = black_box(c.string_to_sign.as_bytes());
    match &c.floor {
        Floor::Sha1(key) => <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key)
            .map(|mut m| {
                m.update(data);
                black_box(m.finalize().into_bytes()).len() == 20
            })
            .unwrap_or(false),
        Floor::Sha256(key) => <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
            .map(|mut m| {
                m.update(data);
                black_box(m.finalize().into_bytes()).len() == 32
            })
            .unwrap_or(false),
    }
}

pub fn run(args: VerifyArgs) -> Result<()> {
    header("verify");
    let cred = Credentials {
        key_id: "LTAI5tBenchKey0000000000".to_string(),
        secret: "bEnChSeCrEt0123456789abcdefABCDEF".to_string(),
    };
    let cases = [
        case(
            "V1 (HMAC-SHA1)",
            v1_post_query(HOST, "SubmitFpDBDeleteJob", PARAMS, &cred),
            &cred,
        )?,
        case(
            "V3 (ACS3-HMAC-SHA256)",
            v3_post(HOST, "SubmitFpDBDeleteJob", PARAMS, &cred),
            &cred,
        )?,
    ];
    println!(
        "SubmitFpDBDeleteJob as the SDKs send it (POST, params in the query, empty body); \
         {} iterations x {} rounds, median round; ns per request",
        args.iterations, args.rounds
    );
    println!();
    println!(
        "CPU = on-CPU time of the measuring thread (/proc/thread-self/schedstat), which other \
         processes' load inflates far less than wall time"
    );
    println!();
    println!(
        "| signature | parse, CPU ns | parse + verify, CPU ns | parse + verify, wall ns | HMAC of the string to sign (floor), CPU ns | string to sign |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for c in &cases {
        let now = fpshot_types::now_utc();
        let (mut p, mut pv, mut pv_wall, mut h) = (vec![], vec![], vec![], vec![]);
        for _ in 0..args.rounds.max(1) {
            p.push(time_ns(args.iterations, || black_box(parse(c)).is_some())?.1);
            let (wall, cpu) = time_ns(args.iterations, || {
                parse(c)
                    .map(|u| black_box(u.verify(black_box(&cred.secret), now)).is_ok())
                    .unwrap_or(false)
            })?;
            pv.push(cpu);
            pv_wall.push(wall);
            h.push(time_ns(args.iterations, || hmac_once(c))?.1);
        }
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {} bytes |",
            c.name,
            median(&p),
            median(&pv),
            median(&pv_wall),
            median(&h),
            c.string_to_sign.len()
        );
    }
    Ok(())
}
