//! Fixed-iteration companion of `benches/verify.rs` for shared machines. It times many small
//! batches and reports the fastest batch (the cost when nothing preempted it) next to the
//! median; run it under `perf stat -e task-clock` for CPU time as well.
//!
//! `cargo run --release -p fpshot-rpc --example verify_cost -- v1 1000000` (or `v3`).

#[path = "../benches/common/requests.rs"]
mod requests;

use fpshot_rpc::UnverifiedRequest;
use http::{HeaderMap, Method};
use requests::{SECRET, v1_request, v3_request};
use std::hint::black_box;
use std::time::Instant;
use time::macros::datetime;

/// The same requests as the criterion bench.
fn request(kind: &str) -> (String, HeaderMap) {
    if kind == "v1" {
        v1_request()
    } else {
        v3_request()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "v1".into());
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let (query, headers) = request(&kind);
    let now = datetime!(2024-01-01 00:01:00 UTC);
    // Batches of 100 requests last well under a scheduler time slice.
    let per_batch = 100u32;
    let batches = (n / per_batch).max(1);
    let mut ok = 0u32;
    let mut times: Vec<f64> = Vec::with_capacity(batches as usize);
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..per_batch {
            let req =
                UnverifiedRequest::parse(&Method::POST, Some(black_box(&query)), &headers, b"");
            if req.and_then(|r| r.verify(black_box(SECRET), now)).is_ok() {
                ok += 1;
            }
        }
        times.push(start.elapsed().as_nanos() as f64 / f64::from(per_batch));
    }
    times.sort_by(f64::total_cmp);
    let total = batches * per_batch;
    println!(
        "{kind}: parse+verify {:.0} ns/request fastest batch, {:.0} ns median ({ok}/{total} verified)",
        times[0],
        times[times.len() / 2]
    );
}
