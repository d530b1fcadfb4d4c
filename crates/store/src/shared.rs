//! Backend-independent steps of the store operations: building records, applying patches,
//! quota and nonce-purge decisions. Each backend keeps its own SQL and transactions and calls
//! these, so both answer the same way by construction.

use crate::{AccessKey, Account, Job, NewJob, Outcome, Pipeline, PipelinePatch, StoreError};
use fpshot_types::JobStatus;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// Expired nonces are forgotten at most this often (seconds), on the way of a `record_nonce`.
pub(crate) const NONCE_PURGE_EVERY_SECS: i64 = 60;

/// A new account record (not stored yet).
pub(crate) fn new_account(name: &str) -> Account {
    Account {
        id: fpshot_types::new_id(),
        name: name.to_string(),
        created: OffsetDateTime::now_utc(),
    }
}

/// A new, enabled access key record (not stored yet).
pub(crate) fn new_key(account_id: &str, key_id: &str, secret: &str) -> AccessKey {
    AccessKey {
        id: key_id.to_string(),
        secret: secret.to_string(),
        account_id: account_id.to_string(),
        enabled: true,
        created: OffsetDateTime::now_utc(),
    }
}

/// True when this caller should purge expired nonces now: at most one caller per interval wins
/// the compare-exchange on `purged_at` (Unix seconds of the last purge).
pub(crate) fn nonce_purge_due(purged_at: &AtomicI64, now: OffsetDateTime) -> bool {
    let last = purged_at.load(Ordering::Relaxed);
    now.unix_timestamp() - last >= NONCE_PURGE_EVERY_SECS
        && purged_at
            .compare_exchange(
                last,
                now.unix_timestamp(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
}

/// Fails with `QuotaExceeded` when an account already has `count` of at most `quota` things.
pub(crate) fn check_quota(
    count: i64,
    quota: u32,
    resource: &'static str,
) -> Result<(), StoreError> {
    if count >= i64::from(quota) {
        return Err(StoreError::QuotaExceeded {
            resource,
            limit: quota,
        });
    }
    Ok(())
}

/// The stored form of a job just enqueued.
pub(crate) fn queued(job: NewJob) -> Job {
    Job {
        id: job.id,
        account_id: job.account_id,
        kind: job.kind,
        pipeline_id: job.pipeline_id,
        fpdb_id: job.fpdb_id,
        user_data: job.user_data,
        payload: job.payload,
        status: JobStatus::Queuing,
        result: None,
        code: None,
        message: None,
        created: job.created,
        finished: None,
        attempt: 0,
    }
}

/// The columns a finished job stores: status, result JSON text, code, message.
pub(crate) type Finished = (JobStatus, Option<String>, Option<String>, Option<String>);

pub(crate) fn finished(outcome: Outcome) -> Finished {
    match outcome {
        Outcome::Success(v) => (JobStatus::Success, Some(v.to_string()), None, None),
        Outcome::Fail { code, message } => (JobStatus::Fail, None, Some(code), Some(message)),
    }
}

/// Applies an UpdatePipeline patch; true when the queue's copies of state or priority (on the
/// pipeline's unfinished jobs) must change too.
pub(crate) fn apply_patch(p: &mut Pipeline, patch: PipelinePatch) -> bool {
    let PipelinePatch {
        name,
        state,
        notify_config,
        role,
        extend_config,
        priority,
    } = patch;
    let queue_changes =
        state.is_some_and(|s| s != p.state) || priority.is_some_and(|v| v != p.priority);
    if let Some(v) = name {
        p.name = v;
    }
    if let Some(v) = state {
        p.state = v;
    }
    if let Some(v) = notify_config {
        p.notify_config = v;
    }
    if let Some(v) = role {
        p.role = v;
    }
    if let Some(v) = extend_config {
        p.extend_config = v;
    }
    if let Some(v) = priority {
        p.priority = v;
    }
    queue_changes
}

#[cfg(test)]
#[path = "shared_test.rs"]
mod tests;
