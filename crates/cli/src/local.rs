//! `fpshot local ...`: add, query, delete and inspect a fingerprint library in a directory.

#[derive(clap::Args)]
pub struct LocalArgs {}

pub fn run(_args: LocalArgs) -> anyhow::Result<()> {
    anyhow::bail!("fpshot local is not built yet")
}
