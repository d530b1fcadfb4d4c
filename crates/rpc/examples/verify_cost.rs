//! Fixed-iteration companion of `benches/verify.rs` for shared machines. It times many small
//! batches and reports the fastest batch (the cost when nothing preempted it) next to the
//! median; run it under `perf stat -e task-clock` for CPU time as well.
//!
//! `cargo run --release -p fpshot-rpc --example verify_cost -- v1 1000000` (or `v3`).

use fpshot_rpc::{UnverifiedRequest, content_sha256, encode_query, sign_v3, signed_v1_query};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use std::hint::black_box;
use std::time::Instant;
use time::macros::datetime;

const SECRET: &str = "ExampleSecret0123456789abcdefgh";

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn header_map(list: &[(String, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    h
}

/// The same requests as the criterion bench: QueryPipelineList with two ids.
fn request(kind: &str) -> (String, HeaderMap) {
    let ids = "88c6ca184c0e47098a5b665e2a126797,0190b1d3c4e57a8b9c0d1e2f3a4b5c6d";
    if kind == "v1" {
        let params = owned(&[
            ("PipelineIds", ids),
            ("Version", "2014-06-18"),
            ("Action", "QueryPipelineList"),
            ("Format", "JSON"),
            ("RegionId", "cn-shanghai"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", "13014d8c30a110ade9dfde59eb849373"),
            ("AccessKeyId", "LTAI5tExampleKeyId00"),
        ]);
        let headers = owned(&[
            ("host", "127.0.0.1:8080"),
            ("x-acs-action", "QueryPipelineList"),
            ("x-acs-version", "2014-06-18"),
            ("accept-encoding", "identity"),
        ]);
        return (
            signed_v1_query("POST", &params, SECRET),
            header_map(&headers),
        );
    }
    let query = owned(&[("PipelineIds", ids)]);
    let mut headers = owned(&[
        ("accept", "application/json"),
        ("host", "127.0.0.1:8080"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", "QueryPipelineList"),
        ("x-acs-content-sha256", &content_sha256(b"")),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "0112d652dc7ec1c743e7553c669c6eb4"),
        ("x-acs-version", "2014-06-18"),
    ]);
    let auth = sign_v3(
        "POST",
        &query,
        &headers,
        b"",
        "LTAI5tExampleKeyId00",
        SECRET,
    );
    headers.push(("authorization".into(), auth));
    (encode_query(&query), header_map(&headers))
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
