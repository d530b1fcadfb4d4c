//! `fpshot`: the service binary (`serve`), the operator's key commands (`key`) and the
//! local fingerprint command line (`local`).

mod local;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fpshot", version, about = "Self-hosted media fingerprint service speaking the Alibaba Cloud MPS FpShot API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fingerprint libraries on the local disk, without the server.
    Local(local::LocalArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Local(args) => local::run(args),
    }
}
