//! `fpshot-bench jobs`: the job runtime end to end on the embedded store. N SubmitFpDBDeleteJob
//! (Purge) jobs spread over several libraries are submitted and run to the end; reported are the
//! submit rate, the completion rate (N / time from the first submit to the last job finished)
//! and the drain rate after the last submit.
//!
//! Modes: `engine` submits through `Engine::submit_fpdb_delete_job` from concurrent tasks while
//! the workers run; `drain` submits into a paused pipeline, then resumes it and times the
//! workers alone; `http` submits signed V1 requests over keep-alive connections to the real
//! router (requests signed before the clock starts).

use crate::cpu;
use crate::error::{BenchError, Result};
use crate::fixture::{Fixture, JobProbe, Sizing, Tally};
use crate::load::{self, Source};
use crate::report::{header, load_line, median};
use crate::signing::v1_post;
use fpshot_engine::{SubmitFpDbDeleteJob, UpdatePipeline};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct JobsArgs {
    /// Jobs per run.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Libraries the jobs are spread over (the library quota is raised to match).
    #[arg(long, default_value_t = 10)]
    libraries: usize,
    /// Worker counts to run with (4 is the default of `fpshot serve`).
    #[arg(long, value_delimiter = ',', default_value = "4,1,16")]
    workers: Vec<usize>,
    /// Modes: engine, drain, http.
    #[arg(long, value_delimiter = ',', default_value = "engine,drain,http")]
    modes: Vec<String>,
    /// Concurrent submitters (tasks, or HTTP connections in `http` mode).
    #[arg(long, default_value_t = 32)]
    submitters: usize,
    /// Times each (mode, workers) pair runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Worker threads of the tokio runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Parent of the temporary data directories (default: the system temp dir).
    #[arg(long)]
    data_parent: Option<PathBuf>,
}

struct Outcome {
    submit_secs: f64,
    total_secs: f64,
    tally: Tally,
    cpu_us_per_job: f64,
}

pub fn run(args: JobsArgs) -> Result<()> {
    header("jobs");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .thread_name(cpu::SERVER)
        .enable_all()
        .build()?;
    println!(
        "{} Purge jobs over {} libraries, {} concurrent submitters, tokio runtime with {} threads, \
         SQLite in a temp dir, throttling off (http mode); {} repeats, median",
        args.jobs, args.libraries, args.submitters, args.threads, args.repeats
    );
    let mut table = Vec::new();
    for mode in &args.modes {
        for &workers in &args.workers {
            let mut runs = Vec::new();
            for rep in 1..=args.repeats.max(1) {
                let o = rt.block_on(one_run(&args, mode, workers))?;
                println!(
                    "run {rep} mode {mode:<6} workers {workers:>2}: submit {:.2} s ({:.0}/s), all finished after {:.2} s ({:.0} jobs/s), \
                     success {} fail {} retried {}, process CPU {:.0} µs/job  {}",
                    o.submit_secs,
                    args.jobs as f64 / o.submit_secs,
                    o.total_secs,
                    args.jobs as f64 / o.total_secs,
                    o.tally.success,
                    o.tally.fail,
                    o.tally.retried,
                    o.cpu_us_per_job,
                    load_line()
                );
                runs.push(o);
            }
            table.push((mode.clone(), workers, runs));
        }
    }
    println!();
    println!(
        "| mode | workers | submit jobs/s | completion jobs/s (first submit → last finish) | total s | drain after last submit, jobs/s | CPU µs/job |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let n = args.jobs as f64;
    for (mode, workers, runs) in &table {
        let submit: Vec<f64> = runs.iter().map(|o| n / o.submit_secs).collect();
        // In drain mode the clock restarts at the resume: the whole run is submit + drain.
        let whole = |o: &Outcome| {
            if mode == "drain" {
                o.submit_secs + o.total_secs
            } else {
                o.total_secs
            }
        };
        let done: Vec<f64> = runs.iter().map(|o| n / whole(o)).collect();
        let total: Vec<f64> = runs.iter().map(whole).collect();
        let cpu: Vec<f64> = runs.iter().map(|o| o.cpu_us_per_job).collect();
        let drain: Vec<f64> = runs
            .iter()
            .map(|o| {
                if mode == "drain" {
                    n / o.total_secs
                } else {
                    f64::NAN
                }
            })
            .collect();
        let drain = if mode == "drain" {
            format!("{:.0}", median(&drain))
        } else {
            "—".to_string()
        };
        println!(
            "| {mode} | {workers} | {:.0} | {:.0} | {:.2} | {drain} | {:.0} |",
            median(&submit),
            median(&done),
            median(&total),
            median(&cpu)
        );
    }
    Ok(())
}

async fn one_run(args: &JobsArgs, mode: &str, workers: usize) -> Result<Outcome> {
    let fixture = Fixture::start(
        args.data_parent.as_deref(),
        Sizing {
            workers,
            fpdb_quota: u32::try_from(args.libraries).unwrap_or(u32::MAX).max(5),
        },
    )
    .await?;
    let libs = fixture.libraries(args.libraries.max(1)).await?;
    let probe = JobProbe::open(&fixture.db_path())?;
    let pipeline = fixture
        .engine
        .store()
        .ensure_default_pipeline(&fixture.account)
        .await?;
    let set_state = |state: &str| UpdatePipeline {
        pipeline_id: pipeline.id.clone(),
        name: pipeline.name.clone(),
        state: state.to_string(),
        ..Default::default()
    };
    // The http mode signs everything before the clock starts.
    let http = if mode == "http" {
        let addr = fixture.serve().await?;
        let host = format!("127.0.0.1:{}", addr.port());
        let requests = (0..args.jobs)
            .map(|i| {
                v1_post(
                    &host,
                    "SubmitFpDBDeleteJob",
                    &[("FpDBId", &libs[i % libs.len()]), ("DelType", "Purge")],
                    &fixture.cred,
                )
            })
            .collect();
        Some((addr, requests))
    } else {
        None
    };
    if mode == "drain" {
        fixture
            .engine
            .update_pipeline(&fixture.account, set_state("Paused"))
            .await?;
    }
    let before = cpu::snapshot();
    let start = Instant::now();
    match (mode, http) {
        ("http", Some((addr, requests))) => {
            let sum = load::closed_loop(
                addr,
                args.submitters,
                Duration::from_secs(3600),
                Source::pool(requests),
            )
            .await?;
            if sum.errors > 0 || sum.ok != args.jobs as u64 {
                return Err(BenchError::Http(format!(
                    "http submit: {} ok, {} errors, first: {}",
                    sum.ok,
                    sum.errors,
                    sum.first_error.unwrap_or_default()
                )));
            }
        }
        ("engine" | "drain", _) => submit_direct(&fixture, &libs, args).await?,
        (other, _) => return Err(BenchError::Setup(format!("unknown mode {other}"))),
    }
    let mut submit_secs = start.elapsed().as_secs_f64();
    let mut clock = start;
    if mode == "drain" {
        // Only the workers are timed: from the resume to the last job finished.
        clock = Instant::now();
        fixture
            .engine
            .update_pipeline(&fixture.account, set_state("Active"))
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while probe.unfinished()? > 0 {
        if Instant::now() > deadline {
            return Err(BenchError::Setup(
                "jobs did not finish within 10 minutes".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let total_secs = clock.elapsed().as_secs_f64();
    if mode == "drain" {
        submit_secs = submit_secs.max(1e-9);
    }
    let used = cpu::used(&before, &cpu::snapshot());
    let tally = probe.tally()?;
    if tally.fail > 0 {
        println!(
            "  {} jobs failed; first: {}",
            tally.fail,
            probe.first_failure()?.unwrap_or_default()
        );
    }
    fixture.stop().await;
    Ok(Outcome {
        submit_secs,
        total_secs,
        tally,
        cpu_us_per_job: (used.server + used.writer + used.other) * 1e6 / args.jobs as f64,
    })
}

async fn submit_direct(fixture: &Fixture, libs: &[String], args: &JobsArgs) -> Result<()> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.submitters.max(1) {
        let (engine, account, libs, next) = (
            fixture.engine.clone(),
            fixture.account.clone(),
            libs.to_vec(),
            next.clone(),
        );
        let total = args.jobs;
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), BenchError>(());
                }
                engine
                    .submit_fpdb_delete_job(
                        &account,
                        SubmitFpDbDeleteJob {
                            fpdb_id: libs[i % libs.len()].clone(),
                            del_type: Some("Purge".into()),
                            ..Default::default()
                        },
                    )
                    .await?;
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| BenchError::Setup(format!("submit task: {e}")))??;
    }
    Ok(())
}
