//! Throughput of the embedded store's job queue and nonce log.
//!
//! `cargo run --release -p fpshot-store --example queue_bench [-- --jobs N --workers W]`
//! `cargo run --release -p fpshot-store --features postgres --example queue_bench -- --pg URL`
//! (PostgreSQL, in a scratch schema `fpshot_bench` that is dropped afterwards)
//!
//! Phases, each on the same database (SQLite: a file in a temporary directory):
//! 1. enqueue N jobs from 32 concurrent callers;
//! 2. drain them: W workers each claim up to 16 jobs and complete them one by one;
//! 3. end to end: producers enqueue N more while the workers claim and complete, timed from the
//!    first enqueue to the last completion;
//! 4. nonces: 20,000 `record_nonce` from 64 concurrent callers, then 2,000 from one caller.

use fpshot_store::{JobKind, NewJob, Outcome, SqliteStore, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::task::JoinSet;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn job(account: &str, pipeline: &str) -> NewJob {
    NewJob {
        id: fpshot_types::new_id(),
        account_id: account.to_string(),
        kind: JobKind::FpDbDelete,
        pipeline_id: pipeline.to_string(),
        fpdb_id: Some(fpshot_types::new_id()),
        user_data: Some("bench".into()),
        payload: serde_json::json!({ "DelType": "Purge" }),
        created: OffsetDateTime::now_utc(),
    }
}

async fn enqueue_all<S: Store + 'static>(
    s: &Arc<S>,
    account: &str,
    pipeline: &str,
    n: usize,
) -> Res<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..32 {
        let (s, a, p, next) = (
            s.clone(),
            account.to_string(),
            pipeline.to_string(),
            next.clone(),
        );
        set.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                s.enqueue(job(&a, &p)).await?;
            }
            Res::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    Ok(())
}

/// Workers claim and complete until `n` jobs are done.
async fn drain<S: Store + 'static>(s: &Arc<S>, workers: usize, n: usize) -> Res<()> {
    let done = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for w in 0..workers {
        let (s, done) = (s.clone(), done.clone());
        set.spawn(async move {
            let name = format!("bench-{w}");
            while done.load(Ordering::Relaxed) < n {
                let now = OffsetDateTime::now_utc();
                let leases = s.claim(&name, now, Duration::from_secs(60), 16).await?;
                if leases.is_empty() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                for l in leases {
                    let out = Outcome::Success(serde_json::json!({}));
                    if s.complete(&l.job.id, &name, l.attempt, out, now).await? {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Res::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    Ok(())
}

fn rate(n: usize, d: Duration) -> String {
    format!(
        "{n} in {:.3} s = {:.0}/s",
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64()
    )
}

fn arg_str(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

#[tokio::main]
async fn main() -> Res<()> {
    let n = arg("--jobs", 10_000);
    let workers = arg("--workers", 8);
    match arg_str("--pg") {
        Some(url) => postgres(&url, n, workers).await,
        None => {
            let dir = tempfile::tempdir()?;
            let s = Arc::new(SqliteStore::open(&dir.path().join("bench.db"))?);
            let what = "file-backed SQLite (WAL, synchronous=NORMAL)";
            run(s, what, n, workers).await
        }
    }
}

#[cfg(feature = "postgres")]
async fn postgres(url: &str, n: usize, workers: usize) -> Res<()> {
    let opts = fpshot_store::PgOptions {
        schema: Some("fpshot_bench".into()),
        ..Default::default()
    };
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute("DROP SCHEMA IF EXISTS fpshot_bench CASCADE")
        .await?;
    let s = Arc::new(fpshot_store::PgStore::connect_with(url, opts).await?);
    let out = run(s, "PostgreSQL", n, workers).await;
    client
        .batch_execute("DROP SCHEMA IF EXISTS fpshot_bench CASCADE")
        .await?;
    out
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_: &str, _: usize, _: usize) -> Res<()> {
    Err("built without the `postgres` feature".into())
}

async fn run<S: Store + 'static>(s: Arc<S>, what: &str, n: usize, workers: usize) -> Res<()> {
    let account = s.create_account("bench").await?;
    let pipeline = s.ensure_default_pipeline(&account.id).await?;
    println!("queue_bench: {n} jobs, {workers} workers, {what}");

    let t0 = Instant::now();
    enqueue_all(&s, &account.id, &pipeline.id, n).await?;
    println!("enqueue (32 callers):            {}", rate(n, t0.elapsed()));

    let t0 = Instant::now();
    drain(&s, workers, n).await?;
    println!(
        "claim + complete ({workers} workers):   {}",
        rate(n, t0.elapsed())
    );

    let t0 = Instant::now();
    let producer = {
        let (s, a, p) = (s.clone(), account.id.clone(), pipeline.id.clone());
        tokio::spawn(async move { enqueue_all(&s, &a, &p, n).await })
    };
    drain(&s, workers, n).await?;
    producer.await??;
    println!(
        "end to end (enqueue+claim+complete, concurrent): {}",
        rate(n, t0.elapsed())
    );

    let expires = OffsetDateTime::now_utc() + time::Duration::minutes(15);
    let nonces = 20_000;
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..64 {
        let (s, next) = (s.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= nonces {
                    return Res::Ok(());
                }
                if !s
                    .record_nonce("bench-key", &format!("nonce-{i}"), expires)
                    .await?
                {
                    return Err("fresh nonce refused".into());
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    println!(
        "record_nonce (64 callers):       {}",
        rate(nonces, t0.elapsed())
    );
    let t0 = Instant::now();
    for i in 0..2_000 {
        s.record_nonce("bench-key", &format!("serial-{i}"), expires)
            .await?;
    }
    let d = t0.elapsed();
    println!(
        "record_nonce (1 caller):         {} ({:.1} µs each)",
        rate(2_000, d),
        d.as_secs_f64() * 1e6 / 2_000.0
    );
    Ok(())
}
