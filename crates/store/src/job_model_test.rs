//! Model-based test of the job state machine: random sequences of enqueue, claim, heartbeat,
//! worker crash, clock advance, reap, complete (by current or stale workers), retry and pipeline
//! pause/resume/priority changes run against a store and against a trivial in-memory model;
//! every answer and every job's (status, attempt) must agree after each step.

use crate::conformance::{account_with_default, new_job, pipeline_record, t};
use crate::{JobKind, Outcome, PipelinePatch, SqliteStore, Store};
use fpshot_types::{JobStatus, PipelineState};
use proptest::prelude::*;
use std::time::Duration;

const WORKERS: usize = 3;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Enqueue {
        pipeline: usize,
    },
    Claim {
        worker: usize,
        max: usize,
        lease: i64,
    },
    /// `from` names whose lease list to pick from: another worker's lease is an impostor's.
    Heartbeat {
        worker: usize,
        from: usize,
        pick: usize,
        extend: i64,
    },
    /// The worker dies silently: it forgets its leases, the store still holds them.
    Crash {
        worker: usize,
    },
    Advance {
        secs: i64,
    },
    Reap,
    Complete {
        worker: usize,
        from: usize,
        pick: usize,
        success: bool,
    },
    Retry {
        worker: usize,
        pick: usize,
        delay: i64,
    },
    SetPipeline {
        pipeline: usize,
        paused: bool,
        priority: i64,
    },
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    let w = 0..WORKERS;
    prop_oneof![
        3 => (0..2usize).prop_map(|pipeline| Op::Enqueue { pipeline }),
        3 => (w.clone(), 1..4usize, 1..20i64)
            .prop_map(|(worker, max, lease)| Op::Claim { worker, max, lease }),
        1 => (w.clone(), mostly_self(), 0..4usize, 1..30i64).prop_map(|(worker, other, pick, extend)| {
            Op::Heartbeat { worker, from: other.map_or(worker, |o| o), pick, extend }
        }),
        1 => w.clone().prop_map(|worker| Op::Crash { worker }),
        2 => (0..25i64).prop_map(|secs| Op::Advance { secs }),
        1 => Just(Op::Reap),
        3 => (w.clone(), mostly_self(), 0..4usize, any::<bool>()).prop_map(
            |(worker, other, pick, success)| {
                Op::Complete { worker, from: other.map_or(worker, |o| o), pick, success }
            }
        ),
        1 => (w, 0..4usize, 0..20i64)
            .prop_map(|(worker, pick, delay)| Op::Retry { worker, pick, delay }),
        1 => (0..2usize, any::<bool>(), 0..10i64)
            .prop_map(|(pipeline, paused, priority)| Op::SetPipeline { pipeline, paused, priority }),
    ]
}

/// None (the worker's own leases) four times in five, else some worker's.
fn mostly_self() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![4 => Just(None), 1 => (0..WORKERS).prop_map(Some)]
}

#[derive(Debug, Clone)]
struct ModelJob {
    id: String,
    pipeline: usize,
    status: JobStatus,
    attempt: i64,
    worker: Option<usize>,
    lease: i64,
    not_before: i64,
}

#[derive(Debug, Default)]
struct Model {
    jobs: Vec<ModelJob>,
    /// (paused, priority) per pipeline.
    pipelines: Vec<(bool, i64)>,
}

impl Model {
    fn claim(&mut self, worker: usize, now: i64, lease: i64, max: usize) -> Vec<String> {
        let mut due: Vec<usize> = (0..self.jobs.len())
            .filter(|&i| {
                let j = &self.jobs[i];
                j.status == JobStatus::Queuing
                    && !self.pipelines[j.pipeline].0
                    && j.not_before <= now
            })
            .collect();
        // Higher priority first; the index is the enqueue order (FIFO).
        due.sort_by_key(|&i| (-self.pipelines[self.jobs[i].pipeline].1, i));
        due.truncate(max);
        due.into_iter()
            .map(|i| {
                let j = &mut self.jobs[i];
                j.status = JobStatus::Analyzing;
                j.attempt += 1;
                j.worker = Some(worker);
                j.lease = now + lease;
                j.id.clone()
            })
            .collect()
    }

    fn holder(&mut self, id: &str, worker: usize, attempt: i64) -> Option<&mut ModelJob> {
        self.jobs.iter_mut().find(|j| {
            j.id == id
                && j.status == JobStatus::Analyzing
                && j.worker == Some(worker)
                && j.attempt == attempt
        })
    }
}

pub(crate) async fn run_case<S: Store>(s: &S, ops: &[Op]) {
    let (account, default) = account_with_default(s).await;
    let other = s
        .create_pipeline(
            pipeline_record(&account.id, "other", default.priority, 1),
            10,
        )
        .await
        .unwrap();
    let pipelines = [default.clone(), other];
    let mut model = Model {
        jobs: Vec::new(),
        pipelines: vec![(false, default.priority); 2],
    };
    // What each worker believes it holds: (job id, attempt); stale entries are kept on purpose.
    let mut held: Vec<Vec<(String, i64)>> = vec![Vec::new(); WORKERS];
    let mut now = 0i64;
    let name = |w: usize| format!("worker-{w}");

    for (step, op) in ops.iter().enumerate() {
        match op.clone() {
            Op::Enqueue { pipeline } => {
                let job = new_job(
                    &account.id,
                    &pipelines[pipeline].id,
                    JobKind::FpDbDelete,
                    now,
                );
                let stored = s.enqueue(job).await.unwrap();
                model.jobs.push(ModelJob {
                    id: stored.id,
                    pipeline,
                    status: JobStatus::Queuing,
                    attempt: 0,
                    worker: None,
                    lease: 0,
                    not_before: i64::MIN,
                });
            }
            Op::Claim { worker, max, lease } => {
                let leases = s
                    .claim(
                        &name(worker),
                        t(now),
                        Duration::from_secs(lease as u64),
                        max,
                    )
                    .await
                    .unwrap();
                let got: Vec<String> = leases.iter().map(|l| l.job.id.clone()).collect();
                let want = model.claim(worker, now, lease, max);
                assert_eq!(got, want, "step {step}: {op:?}");
                held[worker].extend(leases.into_iter().map(|l| (l.job.id, l.attempt)));
            }
            Op::Heartbeat {
                worker,
                from,
                pick,
                extend,
            } => {
                let Some((id, attempt)) = pick_lease(&held[from], pick) else {
                    continue;
                };
                let got = s
                    .heartbeat(&id, &name(worker), attempt, t(now + extend))
                    .await
                    .unwrap();
                let want = model
                    .holder(&id, worker, attempt)
                    .map(|j| j.lease = now + extend)
                    .is_some();
                assert_eq!(got, want, "step {step}: {op:?}");
            }
            Op::Crash { worker } => held[worker].clear(),
            Op::Advance { secs } => now += secs,
            Op::Reap => {
                let got = s.reap_expired(t(now)).await.unwrap();
                let mut want = 0;
                for j in &mut model.jobs {
                    if j.status == JobStatus::Analyzing && j.lease < now {
                        j.status = JobStatus::Queuing;
                        j.worker = None;
                        want += 1;
                    }
                }
                assert_eq!(got, want, "step {step}: {op:?}");
            }
            Op::Complete {
                worker,
                from,
                pick,
                success,
            } => {
                let Some((id, attempt)) = pick_lease(&held[from], pick) else {
                    continue;
                };
                let outcome = if success {
                    Outcome::Success(serde_json::json!({ "step": step }))
                } else {
                    Outcome::Fail {
                        code: "X".into(),
                        message: format!("step {step}"),
                    }
                };
                let got = s
                    .complete(&id, &name(worker), attempt, outcome, t(now))
                    .await
                    .unwrap();
                let want = match model.holder(&id, worker, attempt) {
                    Some(j) => {
                        j.status = if success {
                            JobStatus::Success
                        } else {
                            JobStatus::Fail
                        };
                        j.worker = None;
                        true
                    }
                    None => false,
                };
                assert_eq!(got, want, "step {step}: {op:?}");
                if from == worker {
                    held[worker].retain(|(h, a)| !(h == &id && *a == attempt));
                }
            }
            Op::Retry {
                worker,
                pick,
                delay,
            } => {
                let Some((id, attempt)) = pick_lease(&held[worker], pick) else {
                    continue;
                };
                let got = s
                    .retry_later(&id, &name(worker), attempt, t(now + delay))
                    .await
                    .unwrap();
                let want = match model.holder(&id, worker, attempt) {
                    Some(j) => {
                        j.status = JobStatus::Queuing;
                        j.worker = None;
                        j.not_before = now + delay;
                        true
                    }
                    None => false,
                };
                assert_eq!(got, want, "step {step}: {op:?}");
                held[worker].retain(|(h, a)| !(h == &id && *a == attempt));
            }
            Op::SetPipeline {
                pipeline,
                paused,
                priority,
            } => {
                let state = if paused {
                    PipelineState::Paused
                } else {
                    PipelineState::Active
                };
                let patch = PipelinePatch {
                    state: Some(state),
                    priority: Some(priority),
                    ..Default::default()
                };
                s.update_pipeline(&account.id, &pipelines[pipeline].id, patch)
                    .await
                    .unwrap()
                    .unwrap();
                model.pipelines[pipeline] = (paused, priority);
            }
        }
        let ids: Vec<String> = model.jobs.iter().map(|j| j.id.clone()).collect();
        let stored: Vec<(JobStatus, i64)> = s
            .get_jobs(&account.id, JobKind::FpDbDelete, &ids)
            .await
            .unwrap()
            .into_iter()
            .map(|j| (j.status, j.attempt))
            .collect();
        let modelled: Vec<(JobStatus, i64)> =
            model.jobs.iter().map(|j| (j.status, j.attempt)).collect();
        assert_eq!(stored, modelled, "state after step {step}: {op:?}");
    }
}

fn pick_lease(held: &[(String, i64)], pick: usize) -> Option<(String, i64)> {
    if held.is_empty() {
        None
    } else {
        Some(held[pick % held.len()].clone())
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_in_memory_follows_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        block_on(async {
            let s = SqliteStore::open_in_memory().unwrap();
            run_case(&s, &ops).await;
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_file_follows_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let s = SqliteStore::open(&dir.path().join("m.db")).unwrap();
            run_case(&s, &ops).await;
        });
    }
}
