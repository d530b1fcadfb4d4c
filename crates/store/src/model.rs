//! Records the store keeps. Field names follow the API where the API has a name for them.

use fpshot_types::{FpDbStatus, JobStatus, ModelId, PipelineState};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccessKey {
    /// The AccessKeyId the SDKs send.
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub enabled: bool,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub state: PipelineState,
    /// `Speed` (pipeline type), e.g. `Standard`, `AIVideoFPShot`.
    pub speed: String,
    pub speed_level: i64,
    pub quota_allocate: i64,
    pub role: String,
    /// `NotifyConfig` as the raw JSON object text the caller gave ("" when none).
    pub notify_config: String,
    /// `ExtendConfig` as raw JSON text ("" when none).
    pub extend_config: String,
    /// Scheduling priority: higher runs first; FIFO within a priority.
    pub priority: i64,
    /// Every account has exactly one default pipeline; it cannot be deleted.
    pub is_default: bool,
    pub created: OffsetDateTime,
}

/// Fields UpdatePipeline may change; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelinePatch {
    pub name: Option<String>,
    pub state: Option<PipelineState>,
    pub notify_config: Option<String>,
    pub role: Option<String>,
    pub extend_config: Option<String>,
    pub priority: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletePipelineOutcome {
    Deleted,
    NotFound,
    /// The account's default pipeline is never deleted.
    IsDefault,
    /// Jobs of the pipeline are still `Queuing` or `Analyzing`.
    HasUnfinishedJobs,
}

/// A fingerprint library (FpDB).
#[derive(Debug, Clone, PartialEq)]
pub struct FpDb {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub description: String,
    pub model_id: ModelId,
    /// `Config` as the raw JSON text the caller gave ("" when none).
    pub config: String,
    pub status: FpDbStatus,
    /// Incremented by every purge: entries and index files belong to one epoch, so work that
    /// started before a purge can be fenced off after it.
    pub epoch: i64,
    pub created: OffsetDateTime,
}

/// The kinds of asynchronous job; every kind shares one queue and one runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    FpDbDelete,
    FpShot,
    FpFileDelete,
    FpShotImport,
}

impl JobKind {
    pub const ALL: &'static [JobKind] = &[
        JobKind::FpDbDelete,
        JobKind::FpShot,
        JobKind::FpFileDelete,
        JobKind::FpShotImport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::FpDbDelete => "FpDBDelete",
            JobKind::FpShot => "FpShot",
            JobKind::FpFileDelete => "FpFileDelete",
            JobKind::FpShotImport => "FpShotImport",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// A job as submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub account_id: String,
    pub kind: JobKind,
    pub pipeline_id: String,
    /// The library the job works on, when it has one.
    pub fpdb_id: Option<String>,
    pub user_data: Option<String>,
    /// The kind-specific request (e.g. `{"DelType":"Purge"}`), kept as JSON.
    pub payload: serde_json::Value,
    pub created: OffsetDateTime,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub account_id: String,
    pub kind: JobKind,
    pub pipeline_id: String,
    pub fpdb_id: Option<String>,
    pub user_data: Option<String>,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    /// The kind-specific result of a successful job.
    pub result: Option<serde_json::Value>,
    /// `Code` / `Message` of a failed job.
    pub code: Option<String>,
    pub message: Option<String>,
    pub created: OffsetDateTime,
    pub finished: Option<OffsetDateTime>,
    /// How many times a worker has claimed the job (1 on the first run).
    pub attempt: i64,
}

/// A claimed job: the worker owns it until `expires` unless it heartbeats. Completion is fenced
/// by `(worker, attempt)`, so a stale worker can never overwrite a newer attempt's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job: Job,
    pub worker: String,
    pub attempt: i64,
    pub expires: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Success(serde_json::Value),
    Fail { code: String, message: String },
}
