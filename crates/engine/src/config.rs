use std::path::PathBuf;
use std::time::Duration;

/// Engine settings; the binary fills them from its TOML file and `FPSHOT_*` variables.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    /// Libraries one account may have (not counting deleted ones). MPS documents 5.
    pub fpdb_quota: u32,
    /// Pipelines one account may have, its default pipeline included.
    pub pipeline_quota: u32,
    /// Concurrent job workers in this process.
    pub workers: usize,
    /// How long a claimed job stays a worker's without a heartbeat.
    pub lease: Duration,
    /// How often idle workers look for runnable jobs when nobody woke them.
    pub poll_interval: Duration,
    /// Attempts before a job that keeps failing transiently is failed for good.
    pub max_attempts: i64,
    /// Finished jobs stay queryable this long, then are deleted.
    pub job_retention: Duration,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        EngineConfig {
            data_dir,
            fpdb_quota: 5,
            pipeline_quota: 20,
            workers: 4,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            max_attempts: 5,
            // Six months and a week: MPS keeps six months of jobs queryable.
            job_retention: Duration::from_secs(190 * 24 * 3600),
        }
    }
}
