//! `fpshot-bench store`: what each store call on a request's or a job's path costs, one caller
//! at a time (latency) and, for writes, 32 callers at once (group commit), on the embedded
//! store of a real fixture. Explains the `http` and `jobs` figures call by call.
//!
//! Also compares, on a plain connection to the same file, the recent-jobs query with its
//! `LIMIT` as a bound parameter (what the store sends) and as a literal: SQLite marks a
//! statement whose plan looked at a bound LIMIT for re-preparation whenever its bindings are
//! cleared, and rusqlite's statement cache clears them on every return to the cache.

use crate::error::{BenchError, Result};
use crate::fixture::{Fixture, Sizing};
use crate::report::{header, load_line, median};
use fpshot_engine::SubmitFpDbDeleteJob;
use fpshot_store::JobKind;
use fpshot_types::FpDbStatus;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Calls per measurement.
    #[arg(long, default_value_t = 3_000)]
    calls: u32,
    /// Rounds; the median round is reported.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Parent of the temporary data directory (default: the system temp dir).
    #[arg(long)]
    data_parent: Option<PathBuf>,
}

/// (wall, process CPU) µs per call of `f`, one call at a time. CPU counts every thread of the
/// process (runtime, blocking pool, store writer), so other processes' load barely moves it.
async fn serial<F, Fut, T>(calls: u32, mut f: F) -> Result<(f64, f64)>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = std::result::Result<T, fpshot_store::StoreError>>,
{
    let before = crate::cpu::snapshot();
    let start = Instant::now();
    for i in 0..calls {
        f(i).await?;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = crate::cpu::total(&before, &crate::cpu::snapshot());
    let n = f64::from(calls.max(1));
    Ok((wall * 1e6 / n, cpu * 1e6 / n))
}

/// µs of wall time per call with `tasks` callers at once (the inverse of throughput).
async fn concurrent<F, Fut, T>(calls: u32, tasks: u32, f: F) -> Result<f64>
where
    F: Fn(u32) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<T, fpshot_store::StoreError>> + Send,
    T: Send + 'static,
{
    let f = Arc::new(f);
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let f = f.clone();
        set.spawn(async move {
            let mut i = t;
            while i < calls {
                f(i).await?;
                i += tasks;
            }
            Ok::<(), BenchError>(())
        });
    }
    while let Some(r) = set.join_next().await {
        r.map_err(|e| BenchError::Setup(format!("store task: {e}")))??;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls.max(1)))
}

pub fn run(args: StoreArgs) -> Result<()> {
    header("store");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(crate::cpu::SERVER)
        .enable_all()
        .build()?;
    rt.block_on(measure(args))
}

async fn measure(args: StoreArgs) -> Result<()> {
    let fx = Fixture::start(
        args.data_parent.as_deref(),
        Sizing {
            workers: 4,
            fpdb_quota: 5,
        },
    )
    .await?;
    let libs = fx.libraries(1).await?;
    let mut job_ids = Vec::new();
    for _ in 0..25 {
        let job = fx
            .engine
            .submit_fpdb_delete_job(
                &fx.account,
                SubmitFpDbDeleteJob {
                    fpdb_id: libs[0].clone(),
                    ..Default::default()
                },
            )
            .await?;
        job_ids.push(job.id);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let job_ids: Arc<Vec<String>> = Arc::new(job_ids[5..].to_vec());
    let store = fx.engine.store().clone();
    let account = fx.account.clone();
    let key = fx.cred.key_id.clone();
    let pipeline = store.ensure_default_pipeline(&account).await?.id;
    let lib = libs[0].clone();
    println!(
        "one library, 25 finished delete jobs; {} calls x {} rounds, median round; µs per call",
        args.calls, args.rounds
    );
    println!();
    println!(
        "| store call (path) | one caller: process CPU µs/call | one caller: wall µs/call | 32 callers: wall µs/call |"
    );
    println!("|---|---:|---:|---:|");
    let n = args.calls;
    let rounds = args.rounds.max(1);

    macro_rules! row {
        ($label:expr, $serial:expr, $conc:expr) => {{
            let (mut s, mut cpu, mut c) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (wall, on_cpu) = $serial.await?;
                s.push(wall);
                cpu.push(on_cpu);
                if let Some(fut) = $conc {
                    c.push(fut.await?);
                }
            }
            let conc = if c.is_empty() {
                "—".to_string()
            } else {
                format!("{:.1}", median(&c))
            };
            println!(
                "| {} | {:.1} | {:.1} | {} |",
                $label,
                median(&cpu),
                median(&s),
                conc
            );
        }};
    }

    {
        let (st, k) = (store.clone(), key.clone());
        let (st2, k2) = (store.clone(), key.clone());
        row!(
            "get_key (read; every request)",
            serial(n, |_| {
                let (st, k) = (st.clone(), k.clone());
                async move { st.get_key(&k).await }
            }),
            Some({
                let (st2, k2) = (st2.clone(), k2.clone());
                concurrent(n, 32, move |_| {
                    let (st, k) = (st2.clone(), k2.clone());
                    async move { st.get_key(&k).await }
                })
            })
        );
    }
    {
        let (st, k) = (store.clone(), key.clone());
        let (st2, k2) = (store.clone(), key.clone());
        let exp = fpshot_types::now_utc() + Duration::from_secs(900);
        row!(
            "record_nonce (write; every request)",
            serial(n, |_| {
                let (st, k) = (st.clone(), k.clone());
                async move { st.record_nonce(&k, &crate::signing::nonce(), exp).await }
            }),
            Some({
                let (st2, k2) = (st2.clone(), k2.clone());
                concurrent(n, 32, move |_| {
                    let (st, k) = (st2.clone(), k2.clone());
                    async move { st.record_nonce(&k, &crate::signing::nonce(), exp).await }
                })
            })
        );
    }
    {
        let (st, a) = (store.clone(), account.clone());
        row!(
            "ensure_default_pipeline (read; QueryPipelineList, submit)",
            serial(n, |_| {
                let (st, a) = (st.clone(), a.clone());
                async move { st.ensure_default_pipeline(&a).await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    {
        let (st, a, p) = (store.clone(), account.clone(), vec![pipeline.clone()]);
        row!(
            "get_pipelines, 1 id (read; QueryPipelineList)",
            serial(n, |_| {
                let (st, a, p) = (st.clone(), a.clone(), p.clone());
                async move { st.get_pipelines(&a, &p).await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    {
        let (st, a) = (store.clone(), account.clone());
        row!(
            "recent_jobs, 20 (read; QueryFpDBDeleteJobList without ids)",
            serial(n, |_| {
                let (st, a) = (st.clone(), a.clone());
                async move { st.recent_jobs(&a, JobKind::FpDbDelete, 20).await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    {
        let (st, a, ids) = (store.clone(), account.clone(), job_ids.clone());
        row!(
            "get_jobs, 20 ids (read; QueryFpDBDeleteJobList with ids)",
            serial(n, |_| {
                let (st, a, ids) = (st.clone(), a.clone(), ids.clone());
                async move { st.get_jobs(&a, JobKind::FpDbDelete, &ids).await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    {
        let (st, a, l) = (store.clone(), account.clone(), vec![lib.clone()]);
        row!(
            "get_fpdbs, 1 id (read; submit and each delete job)",
            serial(n, |_| {
                let (st, a, l) = (st.clone(), a.clone(), l.clone());
                async move { st.get_fpdbs(&a, &l).await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    {
        let (st, l) = (store.clone(), lib.clone());
        let (st2, l2) = (store.clone(), lib.clone());
        row!(
            "set_fpdb_status (write; twice per purge)",
            serial(n, |_| {
                let (st, l) = (st.clone(), l.clone());
                async move { st.set_fpdb_status(&l, FpDbStatus::Active).await }
            }),
            Some({
                let (st2, l2) = (st2.clone(), l2.clone());
                concurrent(n, 32, move |_| {
                    let (st, l) = (st2.clone(), l2.clone());
                    async move { st.set_fpdb_status(&l, FpDbStatus::Active).await }
                })
            })
        );
    }
    {
        let st = store.clone();
        row!(
            "ping (read; the cost of one reader round trip)",
            serial(n, |_| {
                let st = st.clone();
                async move { st.ping().await }
            }),
            None::<std::future::Ready<Result<f64>>>
        );
    }
    println!();
    limit_ab(&fx, &account, n, rounds)?;
    reprepare_probe()?;
    println!("{}", load_line());
    fx.stop().await;
    Ok(())
}

/// The recent-jobs query on a plain connection to the same file, through rusqlite's statement
/// cache as the store uses it, with its values bound (as the store sends it) or written into the
/// SQL; with the statement's re-preparation count (SQLITE_STMTSTATUS_REPREPARE).
fn limit_ab(fx: &Fixture, account: &str, n: u32, rounds: u32) -> Result<()> {
    let conn = rusqlite::Connection::open_with_flags(
        fx.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let stat_tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'",
        [],
        |r| r.get(0),
    )?;
    let kind = JobKind::FpDbDelete.as_str();
    let base = "SELECT * FROM jobs WHERE account_id = ?1 AND kind = ?2 \
                ORDER BY created DESC, seq DESC";
    let variants = [
        (
            "all bound: `account_id = ?1 AND kind = ?2 ... LIMIT ?3` (as the store sends it)",
            format!("{base} LIMIT ?3"),
            3,
        ),
        (
            "LIMIT literal: `... LIMIT 20`",
            format!("{base} LIMIT 20"),
            2,
        ),
        (
            "account bound, kind and LIMIT literal",
            format!(
                "SELECT * FROM jobs WHERE account_id = ?1 AND kind = '{kind}' \
                 ORDER BY created DESC, seq DESC LIMIT 20"
            ),
            1,
        ),
        (
            "all literal",
            format!(
                "SELECT * FROM jobs WHERE account_id = '{account}' AND kind = '{kind}' \
                 ORDER BY created DESC, seq DESC LIMIT 20"
            ),
            0,
        ),
    ];
    println!(
        "recent-jobs SQL on a plain connection, cached statement; sqlite_stat tables present: {stat_tables}"
    );
    println!();
    println!("| variant | µs/call | re-preparations per call |");
    println!("|---|---:|---:|");
    for (label, sql, nparams) in &variants {
        let mut times = Vec::new();
        let mut reprepares = 0i64;
        for _ in 0..rounds {
            let start = Instant::now();
            for _ in 0..n {
                let mut stmt = conn.prepare_cached(sql)?;
                let rows = match nparams {
                    3 => stmt
                        .query_map(rusqlite::params![account, kind, 20], |_| Ok(()))?
                        .count(),
                    2 => stmt
                        .query_map(rusqlite::params![account, kind], |_| Ok(()))?
                        .count(),
                    1 => stmt
                        .query_map(rusqlite::params![account], |_| Ok(()))?
                        .count(),
                    _ => stmt.query_map([], |_| Ok(()))?.count(),
                };
                if rows != 20 {
                    return Err(BenchError::Setup(format!("expected 20 rows, got {rows}")));
                }
                reprepares = i64::from(stmt.get_status(rusqlite::StatementStatus::RePrepare));
            }
            times.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1)));
        }
        println!(
            "| {label} | {:.1} | {:.2} |",
            median(&times),
            reprepares as f64 / f64::from((n * rounds).max(1))
        );
    }
    Ok(())
}

/// Which statements SQLite re-prepares on every use through rusqlite's statement cache: simple
/// queries on an in-memory copy of the `jobs` table (plain indexes only), each run 100 times.
fn reprepare_probe() -> Result<()> {
    const TABLE: &str = "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, \
        id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, kind TEXT NOT NULL, \
        created INTEGER NOT NULL); \
        CREATE INDEX jobs_account_kind ON jobs (account_id, kind, created DESC, seq DESC);";
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.execute_batch(TABLE)?;
    for i in 0..25 {
        conn.execute(
            "INSERT INTO jobs (id, account_id, kind, created) VALUES (?1, 'a', 'k', ?2)",
            rusqlite::params![format!("j{i}"), i],
        )?;
    }
    let queries: [(&str, &[&dyn rusqlite::ToSql]); 12] = [
        ("SELECT * FROM jobs WHERE id = ?1", &[&"j3"]),
        ("SELECT * FROM jobs WHERE seq = ?1", &[&3]),
        ("SELECT * FROM jobs WHERE account_id = ?1", &[&"a"]),
        (
            "SELECT * FROM jobs WHERE account_id = ?1 AND kind = ?2",
            &[&"a", &"k"],
        ),
        ("SELECT * FROM jobs WHERE account_id = 'a' LIMIT ?1", &[&20]),
        ("SELECT * FROM jobs WHERE created > ?1", &[&-1]),
        (
            "SELECT * FROM jobs WHERE account_id = ?1 AND kind = ?2 ORDER BY created DESC, seq DESC",
            &[&"a", &"k"],
        ),
        (
            "SELECT * FROM jobs WHERE account_id = ?1 AND kind = ?2 ORDER BY created DESC, seq DESC LIMIT 20",
            &[&"a", &"k"],
        ),
        (
            "SELECT * FROM jobs WHERE account_id = ?1 ORDER BY created DESC LIMIT 20",
            &[&"a"],
        ),
        (
            "SELECT * FROM jobs WHERE account_id = ?1 AND kind = ?2 ORDER BY created, seq",
            &[&"a", &"k"],
        ),
        (
            "SELECT * FROM jobs INDEXED BY jobs_account_kind WHERE account_id = ?1 AND kind = ?2 \
             ORDER BY created DESC, seq DESC LIMIT 20",
            &[&"a", &"k"],
        ),
        (
            "SELECT * FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE account_id = ?1 \
             AND kind = ?2) ORDER BY created DESC, seq DESC LIMIT 20",
            &[&"a", &"k"],
        ),
    ];
    println!();
    println!("| in-memory `jobs` table, plain indexes: query | re-preparations per call |");
    println!("|---|---:|");
    for (sql, params) in queries {
        let calls = 100;
        let mut reprepares = 0;
        for _ in 0..calls {
            let mut stmt = conn.prepare_cached(sql)?;
            let _ = stmt.query_map(params, |_| Ok(()))?.count();
            reprepares = stmt.get_status(rusqlite::StatementStatus::RePrepare);
        }
        println!(
            "| `{sql}` | {:.2} |",
            f64::from(reprepares) / f64::from(calls)
        );
    }
    Ok(())
}
