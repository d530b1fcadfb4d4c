//! The job queue: ordering, pipelines' state and priority, lookups, retention.

use super::{account_with_default, new_job, pipeline_record, t};
use crate::{Job, JobKind, Outcome, PipelinePatch, Store, StoreError};
use fpshot_types::{JobStatus, PipelineState};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

pub(super) const LEASE: Duration = Duration::from_secs(60);

pub(super) fn ok() -> Outcome {
    Outcome::Success(serde_json::json!({ "Deleted": true }))
}

pub(super) async fn claim_ids<S: Store + ?Sized>(
    s: &S,
    worker: &str,
    now: i64,
    max: usize,
) -> Vec<String> {
    s.claim(worker, t(now), LEASE, max)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.job.id)
        .collect()
}

pub(super) async fn job<S: Store + ?Sized>(s: &S, j: &Job) -> Job {
    let mut got = s
        .get_jobs(&j.account_id, j.kind, std::slice::from_ref(&j.id))
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "job {} is stored", j.id);
    got.remove(0)
}

pub async fn enqueue_persists_a_queuing_job<S: Store + 'static>(s: Arc<S>) {
    let (account, p) = account_with_default(&*s).await;
    let mut new = new_job(&account.id, &p.id, JobKind::FpShot, 7);
    new.fpdb_id = Some("d".repeat(32));
    new.user_data = Some("用户数据 ✓".into());
    new.payload = serde_json::json!({ "Input": { "Object": "a.mp4" }, "n": [1, 2.5, null] });
    let j = s.enqueue(new.clone()).await.unwrap();
    assert_eq!(j.status, JobStatus::Queuing);
    assert_eq!(j.attempt, 0);
    assert_eq!(
        (
            j.result.clone(),
            j.code.clone(),
            j.message.clone(),
            j.finished
        ),
        (None, None, None, None)
    );
    assert_eq!(
        (&j.id, &j.payload, &j.user_data, j.created),
        (&new.id, &new.payload, &new.user_data, t(7))
    );
    assert_eq!(
        job(&*s, &j).await,
        j,
        "what enqueue returns is what is stored"
    );
    assert!(matches!(s.enqueue(new).await, Err(StoreError::Conflict(_))));
    let stray = new_job(&account.id, &"0".repeat(32), JobKind::FpShot, 8);
    assert!(
        s.enqueue(stray).await.is_err(),
        "a job needs an existing pipeline"
    );
}

pub async fn claim_is_fifo_within_a_priority<S: Store + 'static>(s: Arc<S>) {
    let (a, pa) = account_with_default(&*s).await;
    let (b, pb) = account_with_default(&*s).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let (acc, p) = if i % 2 == 0 { (&a, &pa) } else { (&b, &pb) };
        // Creation times do not decide: the order of enqueueing does.
        let kind = JobKind::ALL[i % JobKind::ALL.len()];
        ids.push(
            s.enqueue(new_job(&acc.id, &p.id, kind, 100 - i as i64))
                .await
                .unwrap()
                .id,
        );
    }
    assert_eq!(claim_ids(&*s, "w1", 0, 1).await, ids[..1]);
    let leases = s.claim("w2", t(0), LEASE, 3).await.unwrap();
    let got: Vec<String> = leases.iter().map(|l| l.job.id.clone()).collect();
    assert_eq!(got, ids[1..4]);
    for l in &leases {
        assert_eq!(
            (l.worker.as_str(), l.attempt, l.expires),
            ("w2", 1, t(0) + LEASE)
        );
        assert_eq!((l.job.status, l.job.attempt), (JobStatus::Analyzing, 1));
    }
    assert_eq!(claim_ids(&*s, "w3", 0, 10).await, ids[4..]);
    assert!(claim_ids(&*s, "w3", 0, 10).await.is_empty());
    assert!(s.claim("w3", t(0), LEASE, 0).await.unwrap().is_empty());
}

pub async fn claim_prefers_higher_priority_pipelines<S: Store + 'static>(s: Arc<S>) {
    let (a, mid) = account_with_default(&*s).await;
    let high = s
        .create_pipeline(pipeline_record(&a.id, "high", 9, 1), 10)
        .await
        .unwrap();
    let low = s
        .create_pipeline(pipeline_record(&a.id, "low", 1, 2), 10)
        .await
        .unwrap();
    let e = |p: &str, i: i64| {
        let (s, acc, p) = (s.clone(), a.id.clone(), p.to_string());
        async move {
            s.enqueue(new_job(&acc, &p, JobKind::FpDbDelete, i))
                .await
                .unwrap()
                .id
        }
    };
    let m1 = e(&mid.id, 1).await;
    let l1 = e(&low.id, 2).await;
    let h1 = e(&high.id, 3).await;
    let m2 = e(&mid.id, 4).await;
    let h2 = e(&high.id, 5).await;
    assert_eq!(claim_ids(&*s, "w", 0, 2).await, vec![h1, h2]);
    assert_eq!(claim_ids(&*s, "w", 0, 10).await, vec![m1, m2, l1]);
}

pub async fn priority_changes_reach_queued_jobs<S: Store + 'static>(s: Arc<S>) {
    let (a, p1) = account_with_default(&*s).await;
    let p2 = s
        .create_pipeline(pipeline_record(&a.id, "p2", p1.priority, 1), 10)
        .await
        .unwrap();
    let j1 = s
        .enqueue(new_job(&a.id, &p1.id, JobKind::FpShot, 1))
        .await
        .unwrap();
    let j2 = s
        .enqueue(new_job(&a.id, &p2.id, JobKind::FpShot, 2))
        .await
        .unwrap();
    let raise = PipelinePatch {
        priority: Some(p1.priority + 1),
        ..Default::default()
    };
    s.update_pipeline(&a.id, &p2.id, raise)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 0, 1).await, vec![j2.id]);
    let j3 = s
        .enqueue(new_job(&a.id, &p2.id, JobKind::FpShot, 3))
        .await
        .unwrap();
    let lower = PipelinePatch {
        priority: Some(p1.priority - 1),
        ..Default::default()
    };
    s.update_pipeline(&a.id, &p2.id, lower)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 0, 5).await, vec![j1.id, j3.id]);
}

pub async fn paused_pipelines_keep_their_jobs_queuing<S: Store + 'static>(s: Arc<S>) {
    let (a, active) = account_with_default(&*s).await;
    let mut paused = pipeline_record(&a.id, "paused", 9, 1);
    paused.state = PipelineState::Paused;
    let paused = s.create_pipeline(paused, 10).await.unwrap();
    let jp = s
        .enqueue(new_job(&a.id, &paused.id, JobKind::FpDbDelete, 1))
        .await
        .unwrap();
    let ja = s
        .enqueue(new_job(&a.id, &active.id, JobKind::FpDbDelete, 2))
        .await
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 0, 10).await, vec![ja.id.clone()]);
    assert!(claim_ids(&*s, "w", 0, 10).await.is_empty());
    assert_eq!(job(&*s, &jp).await.status, JobStatus::Queuing);

    // Pausing a pipeline holds back its queued jobs; resuming releases them.
    let pause = PipelinePatch {
        state: Some(PipelineState::Paused),
        ..Default::default()
    };
    s.update_pipeline(&a.id, &active.id, pause)
        .await
        .unwrap()
        .unwrap();
    let jb = s
        .enqueue(new_job(&a.id, &active.id, JobKind::FpDbDelete, 3))
        .await
        .unwrap();
    assert!(claim_ids(&*s, "w", 0, 10).await.is_empty());
    let resume = PipelinePatch {
        state: Some(PipelineState::Active),
        ..Default::default()
    };
    s.update_pipeline(&a.id, &paused.id, resume.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 0, 10).await, vec![jp.id]);
    s.update_pipeline(&a.id, &active.id, resume)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claim_ids(&*s, "w", 0, 10).await, vec![jb.id]);
}

pub async fn concurrent_claims_never_share_a_job<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let mut enqueued = HashSet::new();
    for i in 0..60 {
        enqueued.insert(
            s.enqueue(new_job(&a.id, &p.id, JobKind::FpShot, i))
                .await
                .unwrap()
                .id,
        );
    }
    let mut tasks = Vec::new();
    for w in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = claim_ids(&*s, &format!("w{w}"), 0, 4).await;
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id), "a job was claimed twice");
        }
    }
    assert_eq!(seen, enqueued);
}

pub async fn job_lookups_keep_the_order_asked<S: Store + 'static>(s: Arc<S>) {
    let (a, pa) = account_with_default(&*s).await;
    let (b, pb) = account_with_default(&*s).await;
    let j1 = s
        .enqueue(new_job(&a.id, &pa.id, JobKind::FpDbDelete, 1))
        .await
        .unwrap();
    let j2 = s
        .enqueue(new_job(&a.id, &pa.id, JobKind::FpDbDelete, 2))
        .await
        .unwrap();
    let shot = s
        .enqueue(new_job(&a.id, &pa.id, JobKind::FpShot, 3))
        .await
        .unwrap();
    let foreign = s
        .enqueue(new_job(&b.id, &pb.id, JobKind::FpDbDelete, 4))
        .await
        .unwrap();
    let ids = vec![
        j2.id.clone(),
        foreign.id,
        "a".repeat(32),
        shot.id.clone(),
        j1.id.clone(),
    ];
    let got = s.get_jobs(&a.id, JobKind::FpDbDelete, &ids).await.unwrap();
    assert_eq!(
        got,
        vec![j2, j1],
        "other kinds, other accounts and unknown ids are skipped"
    );
    let got = s.get_jobs(&a.id, JobKind::FpShot, &ids).await.unwrap();
    assert_eq!(got, vec![shot]);
}

pub async fn recent_jobs_are_newest_first<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let (b, pb) = account_with_default(&*s).await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            s.enqueue(new_job(&a.id, &p.id, JobKind::FpDbDelete, i))
                .await
                .unwrap()
                .id,
        );
        s.enqueue(new_job(&a.id, &p.id, JobKind::FpShot, i))
            .await
            .unwrap();
        s.enqueue(new_job(&b.id, &pb.id, JobKind::FpDbDelete, i + 100))
            .await
            .unwrap();
    }
    let got: Vec<String> = s
        .recent_jobs(&a.id, JobKind::FpDbDelete, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    let expected: Vec<String> = ids[5..].iter().rev().cloned().collect();
    assert_eq!(got, expected);
    // Equal creation times: the later enqueued is the newer.
    let x = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpFileDelete, 50))
        .await
        .unwrap();
    let y = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpFileDelete, 50))
        .await
        .unwrap();
    let got = s
        .recent_jobs(&a.id, JobKind::FpFileDelete, 20)
        .await
        .unwrap();
    assert_eq!(got, vec![y, x]);
    assert!(
        s.recent_jobs(&a.id, JobKind::FpShotImport, 20)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn unfinished_jobs_of_a_library<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let lib = "1".repeat(32);
    let with_lib = |kind, i| {
        let mut j = new_job(&a.id, &p.id, kind, i);
        j.fpdb_id = Some(lib.clone());
        j
    };
    let done = s.enqueue(with_lib(JobKind::FpShot, 1)).await.unwrap();
    let running = s.enqueue(with_lib(JobKind::FpShot, 2)).await.unwrap();
    let queued = s.enqueue(with_lib(JobKind::FpDbDelete, 3)).await.unwrap();
    s.enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 4))
        .await
        .unwrap();
    assert_eq!(
        claim_ids(&*s, "w", 0, 2).await,
        vec![done.id.clone(), running.id.clone()]
    );
    assert!(s.complete(&done.id, "w", 1, ok(), t(5)).await.unwrap());
    let ids: Vec<String> = s
        .unfinished_jobs_of_fpdb(&lib)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&running.id) && ids.contains(&queued.id));
    assert!(
        s.unfinished_jobs_of_fpdb(&"2".repeat(32))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn retention_deletes_only_old_finished_jobs<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let mut jobs = Vec::new();
    for i in 0..4 {
        jobs.push(
            s.enqueue(new_job(&a.id, &p.id, JobKind::FpDbDelete, i))
                .await
                .unwrap(),
        );
    }
    assert_eq!(claim_ids(&*s, "w", 0, 3).await.len(), 3);
    assert!(s.complete(&jobs[0].id, "w", 1, ok(), t(10)).await.unwrap());
    let fail = Outcome::Fail {
        code: "X".into(),
        message: "y".into(),
    };
    assert!(s.complete(&jobs[1].id, "w", 1, fail, t(20)).await.unwrap());
    assert_eq!(
        s.delete_finished_before(t(10)).await.unwrap(),
        0,
        "strictly before"
    );
    assert_eq!(s.delete_finished_before(t(30)).await.unwrap(), 2);
    let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    let left: Vec<JobStatus> = s
        .get_jobs(&a.id, JobKind::FpDbDelete, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.status)
        .collect();
    assert_eq!(left, vec![JobStatus::Analyzing, JobStatus::Queuing]);
    assert_eq!(s.delete_finished_before(t(1_000_000)).await.unwrap(), 0);
}

/// While a job of a library is `Analyzing`, no other job of that library is claimed (jobs of one
/// library run one at a time, in order); other libraries' jobs are not held up.
pub async fn a_library_runs_one_claim_at_a_time<S: Store + 'static>(s: Arc<S>) {
    let (a, p) = account_with_default(&*s).await;
    let lib = "3".repeat(32);
    let with_lib = |i| {
        let mut j = new_job(&a.id, &p.id, JobKind::FpDbDelete, i);
        j.fpdb_id = Some(lib.clone());
        j
    };
    let first = s.enqueue(with_lib(1)).await.unwrap();
    let second = s.enqueue(with_lib(2)).await.unwrap();
    let other = s
        .enqueue(new_job(&a.id, &p.id, JobKind::FpShot, 3))
        .await
        .unwrap();
    assert_eq!(claim_ids(&*s, "w1", 0, 1).await, vec![first.id.clone()]);
    assert_eq!(
        claim_ids(&*s, "w2", 0, 8).await,
        vec![other.id.clone()],
        "the library's second job waits for its first"
    );
    assert!(s.complete(&first.id, "w1", 1, ok(), t(5)).await.unwrap());
    assert_eq!(claim_ids(&*s, "w2", 6, 8).await, vec![second.id.clone()]);
}
