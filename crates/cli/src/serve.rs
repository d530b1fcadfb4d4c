//! `fpshot serve`: opens the data directory, starts the job runtime and the HTTP server, and
//! shuts both down gracefully on SIGINT/SIGTERM.

use crate::config::Settings;
use anyhow::Context;
use fpshot_engine::{Engine, JobRuntime};
use fpshot_store::{SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// Where the database and the index files live (default ./fpshot-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A TOML file with settings; FPSHOT_* variables and flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn open_store(data_dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let store = SqliteStore::open(&data_dir.join("fpshot.db"))
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    Ok(Arc::new(store))
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FPSHOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut settings = Settings::load(args.config.as_deref())?;
    if let Some(l) = args.listen {
        settings.listen = l;
    }
    if let Some(d) = args.data_dir {
        settings.data_dir = d;
    }
    init_logging(&settings.log_format);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(settings))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let store = open_store(&settings.data_dir)?;
    // One server per data directory: the lock lives as long as this process.
    let lock = std::fs::File::create(settings.data_dir.join("fpshot.lock"))?;
    lock.try_lock().map_err(|_| {
        anyhow::anyhow!(
            "another fpshot serve uses {} already",
            settings.data_dir.display()
        )
    })?;
    crate::keys::bootstrap_root(store.as_ref(), &settings.data_dir).await?;

    let engine = Engine::new(store.clone(), settings.engine_config());
    // Accounts are known through their keys (an account without keys cannot make requests).
    let accounts: std::collections::BTreeSet<String> = store
        .list_keys()
        .await?
        .into_iter()
        .map(|k| k.account_id)
        .collect();
    let accounts: Vec<String> = accounts.into_iter().collect();
    if let Err(e) = engine.provision_pending_fpdbs(&accounts).await {
        tracing::warn!(error = %e, "provisioning libraries left offline failed");
    }
    let runtime = JobRuntime::start(engine.clone());
    let app = fpshot_server::router(fpshot_server::AppState::new(
        engine,
        settings.server_config(),
    ));
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    tracing::info!(listen = %listener.local_addr()?, data_dir = %settings.data_dir.display(), "fpshot serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("HTTP server stopped; stopping the job runtime");
    runtime.shutdown(Duration::from_secs(10)).await;
    drop(lock);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
