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

/// CPU time (user + system, in clock ticks of 10 ms) of the whole process and of the store's
/// writer thread, from /proc: the machine is shared, so wall-clock rates depend on the load, but
/// CPU per job does not, and the writer thread's CPU bounds what one SQLite store can do.
fn cpu_ticks() -> (u64, u64) {
    fn ticks(stat: &str) -> Option<u64> {
        // Fields after the parenthesised command: state is the 1st, utime the 12th, stime the 13th.
        let rest = stat.rsplit_once(") ")?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    }
    let process = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s));
    let mut writer = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            if stat.contains("(fpshot-store-wr)") {
                writer += ticks(&stat).unwrap_or(0);
            }
        }
    }
    (process.unwrap_or(0), writer)
}

struct Phase {
    wall: Instant,
    cpu: (u64, u64),
}

fn start() -> Phase {
    Phase {
        wall: Instant::now(),
        cpu: cpu_ticks(),
    }
}

impl Phase {
    fn report(self, name: &str, n: usize) {
        let d = self.wall.elapsed();
        let (p, w) = cpu_ticks();
        let (p_ms, w_ms) = ((p - self.cpu.0) * 10, (w - self.cpu.1) * 10);
        let per = |ms: u64| ms as f64 * 1000.0 / n as f64;
        let writer = if w > 0 {
            let bound = n as f64 * 1000.0 / w_ms.max(1) as f64;
            format!(
                " (writer thread {:>5.1} µs/op, writer-bound {bound:.0}/s)",
                per(w_ms)
            )
        } else {
            // PostgreSQL: the server's own CPU is not counted.
            " (this process only)".to_string()
        };
        println!(
            "{name:<34} {:>8.0}/s wall | CPU {:>6.1} µs/op{writer}",
            n as f64 / d.as_secs_f64(),
            per(p_ms),
        );
    }
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

    let phase = start();
    enqueue_all(&s, &account.id, &pipeline.id, n).await?;
    phase.report("enqueue (32 callers)", n);

    let phase = start();
    drain(&s, workers, n).await?;
    phase.report(&format!("claim + complete ({workers} workers)"), n);

    let phase = start();
    let producer = {
        let (s, a, p) = (s.clone(), account.id.clone(), pipeline.id.clone());
        tokio::spawn(async move { enqueue_all(&s, &a, &p, n).await })
    };
    drain(&s, workers, n).await?;
    producer.await??;
    phase.report("end to end (all three, concurrent)", n);

    let expires = OffsetDateTime::now_utc() + time::Duration::minutes(15);
    let nonces = 20_000;
    let next = Arc::new(AtomicUsize::new(0));
    let phase = start();
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
    phase.report("record_nonce (64 callers)", nonces);
    let phase = start();
    for i in 0..2_000 {
        s.record_nonce("bench-key", &format!("serial-{i}"), expires)
            .await?;
    }
    phase.report("record_nonce (1 caller)", 2_000);
    Ok(())
}
