//! `fpshot-bench`: benchmark commands of fpshot (not timed tests). Each prints the command, the
//! commit, the machine and the load average with its figures, ready for BENCHMARKS.md.
//!
//! - `verify`: signature verification cost per request (V1, V3) next to the bare HMAC.
//! - `http`: signed request throughput and latency against the real server, next to a bare
//!   axum endpoint, in one run; then a fixed-rate latency run.
//! - `jobs`: the job runtime end to end (10,000 delete jobs submitted and finished).
//! - `store`: the store calls behind those figures, one by one.

mod cpu;
mod error;
mod fixture;
mod http;
mod jobs;
mod load;
mod report;
mod signing;
mod store;
mod verify;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "fpshot-bench", about = "Benchmark commands of fpshot")]
struct Cli {
    /// Format the server's per-request logs (info level) into a sink, as `fpshot serve` formats
    /// them for stderr; off measures the server without logging.
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set)]
    log: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signature verification cost per request.
    Verify(verify::VerifyArgs),
    /// HTTP throughput and latency, signed requests next to a bare endpoint.
    Http(http::HttpArgs),
    /// The job runtime end to end.
    Jobs(jobs::JobsArgs),
    /// Store calls on the request and job paths, one by one.
    Store(store::StoreArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.log {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(std::io::sink)
            .init();
    }
    println!(
        "server logging: {}",
        if cli.log {
            "info, formatted into a sink"
        } else {
            "off"
        }
    );
    let result = match cli.command {
        Command::Verify(a) => verify::run(a),
        Command::Http(a) => http::run(a),
        Command::Jobs(a) => jobs::run(a),
        Command::Store(a) => store::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fpshot-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
