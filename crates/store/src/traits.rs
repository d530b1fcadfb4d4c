//! The store contract. Every implementation passes the same conformance suite.

use crate::{
    AccessKey, Account, DeletePipelineOutcome, FpDb, Job, JobKind, Lease, NewJob, Outcome,
    Pipeline, PipelinePatch, StoreError,
};
use async_trait::async_trait;
use fpshot_types::{FpDbStatus, PipelineState};
use std::time::Duration;
use time::OffsetDateTime;

pub type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(&self, name: &str) -> Result<Account>;
    async fn get_account(&self, id: &str) -> Result<Option<Account>>;
    /// Stores a key pair for an account (`Conflict` if the id exists).
    async fn create_key(&self, account_id: &str, key_id: &str, secret: &str) -> Result<AccessKey>;
    async fn get_key(&self, key_id: &str) -> Result<Option<AccessKey>>;
    async fn list_keys(&self) -> Result<Vec<AccessKey>>;
    /// Returns false when no such key exists.
    async fn set_key_enabled(&self, key_id: &str, enabled: bool) -> Result<bool>;
    async fn delete_key(&self, key_id: &str) -> Result<bool>;
    async fn count_accounts(&self) -> Result<u64>;
}

#[async_trait]
pub trait NonceStore: Send + Sync {
    /// Records a nonce of a key until `expires`; false when it was recorded already (a replay).
    /// Durable before it returns true: a restart must not reopen the replay window.
    async fn record_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        expires: OffsetDateTime,
    ) -> Result<bool>;
    /// Forgets nonces that expired before `now`; returns how many.
    async fn purge_expired_nonces(&self, now: OffsetDateTime) -> Result<u64>;
}

#[async_trait]
pub trait PipelineStore: Send + Sync {
    /// The account's default pipeline, created on first use (idempotent, race-free).
    async fn ensure_default_pipeline(&self, account_id: &str) -> Result<Pipeline>;
    /// `QuotaExceeded { resource: "Pipeline" }` when the account has `quota` pipelines already.
    async fn create_pipeline(&self, pipeline: Pipeline, quota: u32) -> Result<Pipeline>;
    /// The account's pipelines among `ids`, in the order of `ids`; unknown ids are skipped.
    async fn get_pipelines(&self, account_id: &str, ids: &[String]) -> Result<Vec<Pipeline>>;
    /// Total count and one page (oldest first), optionally filtered by state.
    async fn search_pipelines(
        &self,
        account_id: &str,
        state: Option<PipelineState>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Pipeline>)>;
    /// None when the account has no such pipeline.
    async fn update_pipeline(
        &self,
        account_id: &str,
        id: &str,
        patch: PipelinePatch,
    ) -> Result<Option<Pipeline>>;
    async fn delete_pipeline(&self, account_id: &str, id: &str) -> Result<DeletePipelineOutcome>;
}

#[async_trait]
pub trait FpDbStore: Send + Sync {
    /// `QuotaExceeded { resource: "FpDB" }` when the account has `quota` libraries (not counting
    /// deleted ones) already; the check and the insert are one transaction.
    async fn create_fpdb(&self, db: FpDb, quota: u32) -> Result<FpDb>;
    /// The account's libraries among `ids`, in the order of `ids`, deleted ones included.
    async fn get_fpdbs(&self, account_id: &str, ids: &[String]) -> Result<Vec<FpDb>>;
    /// The account's libraries, oldest first; deleted ones only when `include_deleted`.
    async fn list_fpdbs(&self, account_id: &str, include_deleted: bool) -> Result<Vec<FpDb>>;
    async fn set_fpdb_status(&self, id: &str, status: FpDbStatus) -> Result<bool>;
    /// Starts a new epoch of the library (a purge); returns the new epoch.
    async fn bump_fpdb_epoch(&self, id: &str) -> Result<i64>;
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Persists a `Queuing` job. Durable before it returns.
    async fn enqueue(&self, job: NewJob) -> Result<Job>;
    /// Claims up to `max` runnable jobs for `worker`: `Queuing`, due (`not_before` passed), in an
    /// `Active` pipeline; higher pipeline priority first, FIFO within a priority. Claimed jobs
    /// become `Analyzing` with `attempt + 1` and a lease until `now + lease`.
    async fn claim(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        max: usize,
    ) -> Result<Vec<Lease>>;
    /// Extends a lease; false when the lease is no longer this worker's (fenced).
    async fn heartbeat(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        expires: OffsetDateTime,
    ) -> Result<bool>;
    /// Finishes a job; false (and nothing written) when the lease is no longer this attempt's.
    async fn complete(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        outcome: Outcome,
        now: OffsetDateTime,
    ) -> Result<bool>;
    /// Puts a claimed job back to `Queuing`, runnable again at `not_before` (a transient error).
    async fn retry_later(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        not_before: OffsetDateTime,
    ) -> Result<bool>;
    /// Puts `Analyzing` jobs whose lease expired before `now` back to `Queuing`.
    async fn reap_expired(&self, now: OffsetDateTime) -> Result<u64>;
    /// The account's jobs of `kind` among `ids`, in the order of `ids`; unknown ids are skipped.
    async fn get_jobs(&self, account_id: &str, kind: JobKind, ids: &[String]) -> Result<Vec<Job>>;
    /// The account's `limit` most recent jobs of `kind`, newest first.
    async fn recent_jobs(&self, account_id: &str, kind: JobKind, limit: u32) -> Result<Vec<Job>>;
    /// Unfinished (`Queuing`/`Analyzing`) jobs of any kind that work on library `fpdb_id`.
    async fn unfinished_jobs_of_fpdb(&self, fpdb_id: &str) -> Result<Vec<Job>>;
    /// Deletes finished jobs that finished before `before`; returns how many.
    async fn delete_finished_before(&self, before: OffsetDateTime) -> Result<u64>;
}

/// Everything the engine needs from a store.
#[async_trait]
pub trait Store: AccountStore + NonceStore + PipelineStore + FpDbStore + JobQueue {
    /// Cheap round trip for `/healthz`.
    async fn ping(&self) -> Result<()>;
}
