//! Cost of parsing and verifying one signed request, V1 and V3, as the official SDKs send them.
//! Run: `cargo bench -p fpshot-rpc --bench verify`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
#[path = "common/requests.rs"]
mod requests;

use fpshot_rpc::UnverifiedRequest;
use http::Method;
use requests::{SECRET, v1_request, v3_request};
use std::hint::black_box;
use time::macros::datetime;

fn bench(c: &mut Criterion) {
    let now = datetime!(2024-01-01 00:01:00 UTC);
    for (name, (query, headers)) in [("v1", v1_request()), ("v3", v3_request())] {
        let parse = || UnverifiedRequest::parse(&Method::POST, Some(&query), &headers, b"");
        assert!(parse().and_then(|r| r.verify(SECRET, now)).is_ok());
        c.bench_function(&format!("{name}/parse+verify"), |b| {
            b.iter(|| {
                let req = parse().ok()?;
                req.verify(black_box(SECRET), now).ok()
            })
        });
        c.bench_function(&format!("{name}/parse"), |b| {
            b.iter(|| black_box(parse()).is_ok())
        });
        let parsed = parse().ok();
        c.bench_function(&format!("{name}/verify"), |b| {
            b.iter_batched(
                || parsed.clone(),
                |req| req?.verify(black_box(SECRET), now).ok(),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
