//! `fpshot-bench http`: throughput and latency of signed requests against the real server,
//! next to a bare axum endpoint, in one run.
//!
//! One process, two tokio runtimes: the servers (bare endpoint and fpshot, each on its own
//! 127.0.0.1 port) run on the `bench-server` runtime, the load generator on the `bench-client`
//! runtime. Both share the machine's cores, as a load generator on the same machine must.

use crate::cpu;
use crate::error::{BenchError, Result};
use crate::fixture::{Fixture, JobProbe, Sizing, serve_router};
use crate::load::{self, Source, Summary};
use crate::report::{header, load_line, median};
use crate::signing::{Credentials, Prepared, v1_post};
use axum::body::Bytes;
use fpshot_engine::SubmitFpDbDeleteJob;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[derive(Debug, clap::Args)]
pub struct HttpArgs {
    /// Concurrent keep-alive connections of the closed-loop runs.
    #[arg(long, default_value_t = 32)]
    conns: usize,
    /// Seconds of each closed-loop run.
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Seconds of warm-up before each closed-loop run (not measured).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Times each scenario runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Requests signed ahead of each closed-loop run (each is used once).
    #[arg(long, default_value_t = 100_000)]
    pool: usize,
    /// Rate of the fixed-rate QueryFpDBDeleteJobList run (requests/s); 0 skips it.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of the fixed-rate run.
    #[arg(long, default_value_t = 10.0)]
    rate_secs: f64,
    /// Connections of the fixed-rate run.
    #[arg(long, default_value_t = 16)]
    rate_conns: usize,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Parent of the temporary data directory (default: the system temp dir).
    #[arg(long)]
    data_parent: Option<PathBuf>,
}

const HOST: &str = "127.0.0.1";
/// What the bare endpoint answers: a QueryPipelineList-sized JSON body.
const BARE_BODY: &str = r#"{"RequestId":"0B7C2A1E-3F5D-4A8B-9C6E-1D2F3A4B5C6D","PipelineList":{"Pipeline":[{"Id":"0190a1b2c3d4e5f60718293a4b5c6d7e","Name":"mts-service-pipeline","State":"Active","Speed":"Standard","SpeedLevel":1,"QuotaAllocate":10,"Role":"","NotifyConfig":{"Topic":"","QueueName":"","MqTopic":"","MqTag":""},"ExtendConfig":{"IsBoostNew":false,"MaxMultiSpeed":1,"MultiSpeedDowngradePolicy":"NormalSpeed"},"Priority":5}]},"NonExistPids":{"String":[]}}"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    Bare,
    Pipelines,
    DeleteJobs,
}

impl Scenario {
    fn label(self) -> &'static str {
        match self {
            Scenario::Bare => "bare axum endpoint (fixed JSON)",
            Scenario::Pipelines => "signed QueryPipelineList (V1, POST form)",
            Scenario::DeleteJobs => "signed QueryFpDBDeleteJobList, 20 jobs (V1, POST form)",
        }
    }
}

struct Targets {
    bare: SocketAddr,
    fpshot: SocketAddr,
    pipeline_id: String,
    cred: Credentials,
}

fn runtime(name: &str, threads: usize) -> Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(name)
        .enable_all()
        .build()?)
}

fn sign(t: &Targets, s: Scenario, host: &str) -> Prepared {
    match s {
        Scenario::Bare | Scenario::Pipelines => v1_post(
            host,
            "QueryPipelineList",
            &[("PipelineIds", &t.pipeline_id)],
            &t.cred,
        ),
        Scenario::DeleteJobs => v1_post(host, "QueryFpDBDeleteJobList", &[], &t.cred),
    }
}

fn presign(t: &Targets, s: Scenario, n: usize) -> Vec<Prepared> {
    let host = format!("{HOST}:{}", t.fpshot.port());
    (0..n).map(|_| sign(t, s, &host)).collect()
}

fn source(t: &Targets, s: Scenario, n: usize) -> Source {
    match s {
        // Same bytes on the wire as the signed runs, nothing checked.
        Scenario::Bare => Source::Fixed(std::sync::Arc::new(sign(
            t,
            s,
            &format!("{HOST}:{}", t.bare.port()),
        ))),
        _ => Source::pool(presign(t, s, n)),
    }
}

/// Checks that a scenario's answer is what it claims to measure.
fn check_answer(s: Scenario, sum: &Summary) -> Result<()> {
    if sum.errors > 0 {
        return Err(BenchError::Http(format!(
            "{}: {} errors, first: {}",
            s.label(),
            sum.errors,
            sum.first_error.clone().unwrap_or_default()
        )));
    }
    let body: serde_json::Value = sum
        .sample
        .as_ref()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let ok = match s {
        Scenario::Bare => true,
        Scenario::Pipelines => body["PipelineList"]["Pipeline"].as_array().map(Vec::len) == Some(1),
        Scenario::DeleteJobs => {
            body["FpDBDeleteJobList"]["FpDBDeleteJob"]
                .as_array()
                .map(Vec::len)
                == Some(20)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(BenchError::Setup(format!(
            "{}: unexpected answer {body}",
            s.label()
        )))
    }
}

struct Row {
    rate: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    server_us: Vec<f64>,
    client_us: Vec<f64>,
}

pub fn run(args: HttpArgs) -> Result<()> {
    header("http");
    let server_rt = runtime(cpu::SERVER, args.server_threads)?;
    let client_rt = runtime(cpu::CLIENT, args.client_threads)?;
    let (fixture, targets) = server_rt.block_on(setup(&args))?;
    println!(
        "servers on runtime `{}` ({} threads), load generator on `{}` ({} threads), one process; \
         throttling off; requests signed before each timed run (one nonce each); {} connections, \
         {} s per run after {} s warm-up, {} repeats",
        cpu::SERVER,
        args.server_threads,
        cpu::CLIENT,
        args.client_threads,
        args.conns,
        args.secs,
        args.warmup,
        args.repeats
    );
    let scenarios = [Scenario::Bare, Scenario::Pipelines, Scenario::DeleteJobs];
    let mut rows: Vec<Row> = scenarios
        .iter()
        .map(|_| Row {
            rate: vec![],
            p50: vec![],
            p99: vec![],
            server_us: vec![],
            client_us: vec![],
        })
        .collect();
    let mut ratios: [Vec<f64>; 3] = Default::default();
    for rep in 1..=args.repeats.max(1) {
        let mut bare_rate = 0.0;
        for (i, s) in scenarios.iter().enumerate() {
            let addr = if *s == Scenario::Bare {
                targets.bare
            } else {
                targets.fpshot
            };
            let warm = source(&targets, *s, 4_000);
            client_rt.block_on(load::closed_loop(
                addr,
                args.conns,
                Duration::from_secs_f64(args.warmup),
                warm,
            ))?;
            let src = source(&targets, *s, args.pool);
            let before = cpu::snapshot();
            let sum = client_rt.block_on(load::closed_loop(
                addr,
                args.conns,
                Duration::from_secs_f64(args.secs),
                src,
            ))?;
            let used = cpu::used(&before, &cpu::snapshot());
            check_answer(*s, &sum)?;
            if *s == Scenario::Bare {
                bare_rate = sum.rate();
            }
            let ratio = sum.rate() / bare_rate.max(1e-9);
            println!(
                "run {rep} {:<55} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>5.1}% of bare  \
                 cpu/req server {:>5.1} µs client {:>5.1} µs  {}{}",
                s.label(),
                sum.rate(),
                sum.p(0.5),
                sum.p(0.99),
                ratio * 100.0,
                used.server_us_per(sum.ok),
                used.client_us_per(sum.ok),
                load_line(),
                if sum.exhausted {
                    "  (pool ran out early)"
                } else {
                    ""
                }
            );
            let r = &mut rows[i];
            r.rate.push(sum.rate());
            r.p50.push(sum.p(0.5));
            r.p99.push(sum.p(0.99));
            r.server_us.push(used.server_us_per(sum.ok));
            r.client_us.push(used.client_us_per(sum.ok));
            ratios[i].push(ratio);
        }
    }
    println!();
    println!(
        "| scenario | req/s | p50 ms | p99 ms | share of bare (per-run ratio) | server CPU µs/req | load-gen CPU µs/req |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (i, s) in scenarios.iter().enumerate() {
        let r = &rows[i];
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} % | {:.1} | {:.1} |",
            s.label(),
            median(&r.rate),
            median(&r.p50),
            median(&r.p99),
            median(&ratios[i]) * 100.0,
            median(&r.server_us),
            median(&r.client_us)
        );
    }
    if args.rate > 0.0 {
        fixed_rate(&args, &client_rt, &targets)?;
    }
    server_rt.block_on(fixture.stop());
    Ok(())
}

fn fixed_rate(args: &HttpArgs, client_rt: &Runtime, targets: &Targets) -> Result<()> {
    println!();
    println!(
        "fixed rate: signed QueryFpDBDeleteJobList (20 jobs) at {} requests/s for {} s over {} \
         connections; latency from each request's due time (open loop)",
        args.rate, args.rate_secs, args.rate_conns
    );
    let n = (args.rate * args.rate_secs) as usize;
    let (mut p50, mut p99, mut p999, mut max) = (vec![], vec![], vec![], vec![]);
    for rep in 1..=args.repeats.max(1) {
        let requests = presign(targets, Scenario::DeleteJobs, n);
        let before = cpu::snapshot();
        let sum = client_rt.block_on(load::fixed_rate(
            targets.fpshot,
            args.rate_conns,
            args.rate,
            Duration::from_secs_f64(args.rate_secs),
            requests,
        ))?;
        let used = cpu::used(&before, &cpu::snapshot());
        check_answer(Scenario::DeleteJobs, &sum)?;
        println!(
            "run {rep} sent {} in {:.2} s ({:.0}/s)  p50 {:.2} ms  p99 {:.2} ms  p99.9 {:.2} ms  max {:.2} ms  \
             server CPU {:.0} % of one core  {}",
            sum.ok,
            sum.elapsed.as_secs_f64(),
            sum.rate(),
            sum.p(0.5),
            sum.p(0.99),
            sum.p(0.999),
            sum.latency.max() as f64 / 1000.0,
            (used.server + used.writer) * 100.0 / sum.elapsed.as_secs_f64(),
            load_line()
        );
        p50.push(sum.p(0.5));
        p99.push(sum.p(0.99));
        p999.push(sum.p(0.999));
        max.push(sum.latency.max() as f64 / 1000.0);
    }
    println!();
    println!("| fixed rate | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| QueryFpDBDeleteJobList (20 jobs) at {} req/s, {} s | {:.2} | {:.2} | {:.2} | {:.2} |",
        args.rate,
        args.rate_secs,
        median(&p50),
        median(&p99),
        median(&p999),
        median(&max)
    );
    Ok(())
}

/// Starts both servers; creates one library and 25 delete jobs and waits until they finished,
/// so QueryFpDBDeleteJobList without ids answers 20 finished jobs.
async fn setup(args: &HttpArgs) -> Result<(Fixture, Targets)> {
    let fixture = Fixture::start(
        args.data_parent.as_deref(),
        Sizing {
            workers: 4,
            fpdb_quota: 5,
        },
    )
    .await?;
    let libs = fixture.libraries(1).await?;
    for i in 0..25 {
        fixture
            .engine
            .submit_fpdb_delete_job(
                &fixture.account,
                SubmitFpDbDeleteJob {
                    fpdb_id: libs[0].clone(),
                    user_data: Some(format!("bench job {i}")),
                    ..Default::default()
                },
            )
            .await?;
    }
    let probe = JobProbe::open(&fixture.db_path())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while probe.unfinished()? > 0 {
        if Instant::now() > deadline {
            return Err(BenchError::Setup(
                "the 25 delete jobs did not finish".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pipeline = fixture
        .engine
        .store()
        .ensure_default_pipeline(&fixture.account)
        .await?;
    let bare = serve_router(axum::Router::new().route(
        "/",
        axum::routing::any(|_body: Bytes| async {
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/json;charset=utf-8",
                )],
                BARE_BODY,
            )
        }),
    ))
    .await?;
    let fpshot = fixture.serve().await?;
    let targets = Targets {
        bare,
        fpshot,
        pipeline_id: pipeline.id,
        cred: fixture.cred.clone(),
    };
    Ok((fixture, targets))
}
