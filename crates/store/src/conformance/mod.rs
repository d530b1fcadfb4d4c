//! The store conformance suite: every behaviour the engine relies on, written against the
//! `Store` traits only, so that each implementation (SQLite file, SQLite in memory, PostgreSQL)
//! proves the same contract. Compiled for this crate's tests and, for other crates, with the
//! `conformance` feature.
//!
//! Each behaviour is a `pub async fn` that gets a fresh, empty store; `run_all` runs them all.
//! Failures panic with a message naming the behaviour (this is test code).

mod accounts;
mod fpdbs;
mod jobs;
mod leases;
mod pipelines;

pub use accounts::*;
pub use fpdbs::*;
pub use jobs::*;
pub use leases::*;
pub use pipelines::*;

use crate::{Account, JobKind, NewJob, Pipeline, Store};
use fpshot_types::PipelineState;
use std::future::Future;
use std::sync::Arc;
use time::OffsetDateTime;

/// A fixed base time (2026-01-01T00:00:00Z) plus `secs`: jobs' clocks are the caller's.
pub fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600 + secs).expect("valid time")
}

/// A new account with its default pipeline.
pub async fn account_with_default<S: Store + ?Sized>(s: &S) -> (Account, Pipeline) {
    let account = s
        .create_account("conformance")
        .await
        .expect("create_account");
    let pipeline = s
        .ensure_default_pipeline(&account.id)
        .await
        .expect("ensure_default_pipeline");
    (account, pipeline)
}

/// A non-default pipeline record (not stored).
pub fn pipeline_record(account_id: &str, name: &str, priority: i64, created: i64) -> Pipeline {
    Pipeline {
        id: fpshot_types::new_id(),
        account_id: account_id.to_string(),
        name: name.to_string(),
        state: PipelineState::Active,
        speed: "Standard".into(),
        speed_level: 1,
        quota_allocate: 10,
        role: String::new(),
        notify_config: String::new(),
        extend_config: String::new(),
        priority,
        is_default: false,
        created: t(created),
    }
}

/// A job record (not stored) created at `t(created)`.
pub fn new_job(account_id: &str, pipeline_id: &str, kind: JobKind, created: i64) -> NewJob {
    NewJob {
        id: fpshot_types::new_id(),
        account_id: account_id.to_string(),
        kind,
        pipeline_id: pipeline_id.to_string(),
        fpdb_id: None,
        user_data: None,
        payload: serde_json::json!({ "DelType": "Purge" }),
        created: t(created),
    }
}

macro_rules! behaviours {
    ($make:ident; $($f:ident),+ $(,)?) => {
        $(
            eprintln!("conformance: {}", stringify!($f));
            $f(Arc::new($make().await)).await;
        )+
    };
}

/// Runs every behaviour, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    behaviours!(make;
        accounts_and_keys,
        nonces_refuse_replays,
        nonces_are_exclusive_under_concurrency,
        nonces_are_purged_when_expired,
        default_pipeline_is_idempotent_and_race_free,
        pipeline_quota_counts_every_pipeline,
        pipelines_are_found_in_the_order_asked,
        pipeline_search_is_oldest_first_with_filter_and_paging,
        pipeline_update_applies_the_patch,
        pipeline_delete_outcomes,
        fpdb_quota_ignores_deleted_libraries,
        fpdb_lookups_and_listing,
        fpdb_status_and_epochs,
        enqueue_persists_a_queuing_job,
        claim_is_fifo_within_a_priority,
        claim_prefers_higher_priority_pipelines,
        priority_changes_reach_queued_jobs,
        paused_pipelines_keep_their_jobs_queuing,
        retry_later_waits_for_not_before,
        completion_is_fenced_by_worker_and_attempt,
        reaping_returns_expired_leases,
        heartbeats_extend_leases,
        concurrent_claims_never_share_a_job,
        job_lookups_keep_the_order_asked,
        recent_jobs_are_newest_first,
        unfinished_jobs_of_a_library,
        a_library_runs_one_claim_at_a_time,
        retention_deletes_only_old_finished_jobs,
    );
}

/// Acknowledged writes survive closing and reopening the same database: `open` must open the
/// same underlying database every time it is called.
pub async fn durability_across_reopen<S, F, Fut>(open: F)
where
    S: Store + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let expires = OffsetDateTime::now_utc() + time::Duration::minutes(15);
    let s = open().await;
    let (account, pipeline) = account_with_default(&s).await;
    assert!(s.record_nonce("key", "n-1", expires).await.expect("nonce"));
    let job = s
        .enqueue(new_job(&account.id, &pipeline.id, JobKind::FpDbDelete, 1))
        .await
        .expect("enqueue");
    drop(s);

    let s = open().await;
    assert!(
        !s.record_nonce("key", "n-1", expires).await.expect("nonce"),
        "a reopen must not reopen the replay window"
    );
    let again = s
        .ensure_default_pipeline(&account.id)
        .await
        .expect("default");
    assert_eq!(again.id, pipeline.id);
    let jobs = s
        .get_jobs(
            &account.id,
            JobKind::FpDbDelete,
            std::slice::from_ref(&job.id),
        )
        .await
        .expect("get_jobs");
    assert_eq!(jobs, vec![job]);
}
