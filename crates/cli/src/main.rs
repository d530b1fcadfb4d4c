//! `fpshot`: the service binary (`serve`), the operator's key commands (`key`) and the
//! local fingerprint command line (`local`).

mod config;
mod keys;
mod local;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "fpshot",
    version,
    about = "Self-hosted media fingerprint service speaking the Alibaba Cloud MPS FpShot API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the service.
    Serve(serve::ServeArgs),
    /// Manages AccessKey pairs in a data directory (works while the service runs).
    Key {
        #[arg(
            long,
            global = true,
            default_value = "./fpshot-data",
            env = "FPSHOT_DATA_DIR"
        )]
        data_dir: PathBuf,
        #[command(subcommand)]
        command: keys::KeyCommand,
    },
    /// Fingerprint libraries on the local disk, without the server.
    Local(local::LocalArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Key { data_dir, command } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let store = serve::open_store(&data_dir)?;
                keys::run(store.as_ref(), command).await
            })
        }
        Command::Local(args) => local::run(args),
    }
}
