//! Leases: fencing by (worker, attempt), heartbeats, reaping, retries.

use super::jobs::{LEASE, claim_ids, job, ok};
use super::{account_with_default, new_job, t};
use crate::{JobKind, Outcome, Store};
use fpshot_types::JobStatus;
use std::sync::Arc;

pub async fn retry_later_waits_for_not_before<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let j = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 1))
        .await
        .unwrap();
    let k = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 2))
        .await
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 10, 1).await, vec![j.id.clone()]);
    assert!(
        !s.retry_later(&j.id, "other", 1, t(100)).await.unwrap(),
        "fenced"
    );
    assert!(s.retry_later(&j.id, "w", 1, t(100)).await.unwrap());
    let stored = job(&*s, &j).await;
    assert_eq!((stored.status, stored.attempt), (JobStatus::Queuing, 1));
    assert!(
        !s.retry_later(&j.id, "w", 1, t(100)).await.unwrap(),
        "no longer claimed"
    );
    // Not due yet: the later job goes first, and the retried one waits.
    assert_eq!(claim_ids(&*s, "w", 99, 5).await, vec![k.id]);
    assert!(claim_ids(&*s, "w", 99, 5).await.is_empty());
    let leases = s.claim("w2", t(100), LEASE, 5).await.unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(
        (leases[0].job.id.as_str(), leases[0].attempt),
        (j.id.as_str(), 2)
    );
}

pub async fn completion_is_fenced_by_worker_and_attempt<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let j = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpDbDelete, 1))
        .await
        .unwrap();
    assert!(
        !s.complete(&j.id, "w1", 0, ok(), t(1)).await.unwrap(),
        "not claimed yet"
    );
    assert_eq!(claim_ids(&*s, "w1", 0, 1).await, vec![j.id.clone()]);
    assert!(
        !s.complete(&j.id, "w2", 1, ok(), t(1)).await.unwrap(),
        "another worker"
    );
    assert!(
        !s.complete(&j.id, "w1", 2, ok(), t(1)).await.unwrap(),
        "another attempt"
    );
    assert!(
        !s.complete(&"0".repeat(32), "w1", 1, ok(), t(1))
            .await
            .unwrap()
    );
    assert_eq!(job(&*s, &j).await.status, JobStatus::Analyzing);
    // The lease lapses, the job is reaped and claimed again: the first worker is stale now.
    assert_eq!(s.reap_expired(t(61)).await.unwrap(), 1);
    assert!(
        !s.complete(&j.id, "w1", 1, ok(), t(62)).await.unwrap(),
        "reaped"
    );
    assert_eq!(claim_ids(&*s, "w1", 62, 1).await, vec![j.id.clone()]);
    assert!(
        !s.complete(&j.id, "w1", 1, ok(), t(63)).await.unwrap(),
        "stale attempt"
    );
    assert!(
        !s.heartbeat(&j.id, "w1", 1, t(200)).await.unwrap(),
        "stale attempt"
    );
    let fail = Outcome::Fail {
        code: "InvalidParameter".into(),
        message: "bad ü".into(),
    };
    assert!(s.complete(&j.id, "w1", 2, fail, t(64)).await.unwrap());
    let done = job(&*s, &j).await;
    assert_eq!(done.status, JobStatus::Fail);
    assert_eq!(
        (done.code.as_deref(), done.message.as_deref()),
        (Some("InvalidParameter"), Some("bad ü"))
    );
    assert_eq!(
        (done.result, done.finished, done.attempt),
        (None, Some(t(64)), 2)
    );
    assert!(
        !s.complete(&j.id, "w1", 2, ok(), t(65)).await.unwrap(),
        "finished once"
    );
    assert!(!s.retry_later(&j.id, "w1", 2, t(65)).await.unwrap());
    assert_eq!(job(&*s, &j).await.status, JobStatus::Fail);

    let k = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpDbDelete, 2))
        .await
        .unwrap();
    assert_eq!(claim_ids(&*s, "w3", 70, 1).await, vec![k.id.clone()]);
    let value = serde_json::json!({ "FpDBId": "x", "Count": 3 });
    assert!(
        s.complete(&k.id, "w3", 1, Outcome::Success(value.clone()), t(71))
            .await
            .unwrap()
    );
    let done = job(&*s, &k).await;
    assert_eq!(
        (done.status, done.result, done.code, done.message),
        (JobStatus::Success, Some(value), None, None)
    );
}

pub async fn reaping_returns_expired_leases<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let j1 = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 1))
        .await
        .unwrap();
    let j2 = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 2))
        .await
        .unwrap();
    s.claim("w", t(0), LEASE, 1).await.unwrap();
    s.claim("w", t(30), LEASE, 1).await.unwrap();
    assert_eq!(
        s.reap_expired(t(60)).await.unwrap(),
        0,
        "a lease ending now has not expired"
    );
    assert_eq!(s.reap_expired(t(61)).await.unwrap(), 1);
    assert_eq!(job(&*s, &j1).await.status, JobStatus::Queuing);
    assert_eq!(job(&*s, &j2).await.status, JobStatus::Analyzing);
    assert_eq!(s.reap_expired(t(61)).await.unwrap(), 0);
    assert_eq!(s.reap_expired(t(91)).await.unwrap(), 1);
    // Reaped jobs keep their place in the queue (FIFO by enqueue order).
    assert_eq!(
        claim_ids(&*s, "w", 100, 5).await,
        vec![j1.id.clone(), j2.id]
    );
    assert_eq!(job(&*s, &j1).await.attempt, 2);
}

pub async fn heartbeats_extend_leases<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let j = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 1))
        .await
        .unwrap();
    s.claim("w", t(0), LEASE, 1).await.unwrap();
    assert!(
        !s.heartbeat(&j.id, "x", 1, t(120)).await.unwrap(),
        "another worker"
    );
    assert!(
        !s.heartbeat(&j.id, "w", 2, t(120)).await.unwrap(),
        "another attempt"
    );
    assert!(s.heartbeat(&j.id, "w", 1, t(120)).await.unwrap());
    assert_eq!(s.reap_expired(t(100)).await.unwrap(), 0, "extended");
    assert_eq!(s.reap_expired(t(121)).await.unwrap(), 1);
    assert!(!s.heartbeat(&j.id, "w", 1, t(300)).await.unwrap(), "reaped");
}
