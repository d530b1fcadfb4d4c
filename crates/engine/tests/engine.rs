//! The engine end to end on the embedded store: scheduling rules, library delete jobs and the
//! runtime's fault handling (panics, transient errors, restarts).

use async_trait::async_trait;
use fpshot_engine::{
    AddPipeline, CreateFpShotDb, Engine, EngineConfig, EngineError, JobHandler, JobRuntime,
    RunError, SubmitFpDbDeleteJob, UpdatePipeline,
};
use fpshot_store::{Job, JobKind, NewJob, SqliteStore, Store};
use fpshot_types::{FpDbStatus, JobStatus, new_id, now_utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
    account: String,
}

async fn fixture(handlers: Option<fpshot_engine::Handlers>) -> Fixture {
    fixture_with(handlers, 4).await
}

async fn fixture_with(handlers: Option<fpshot_engine::Handlers>, workers: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("fpshot.db")).expect("store"));
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.lease = Duration::from_secs(2);
    config.poll_interval = Duration::from_millis(50);
    config.workers = workers;
    let account = store.create_account("test").await.expect("account").id;
    let engine = match handlers {
        Some(h) => Engine::with_handlers(store, config, h),
        None => Engine::new(store, config),
    };
    Fixture {
        _dir: dir,
        engine,
        account,
    }
}

async fn library(f: &Fixture) -> String {
    let req = CreateFpShotDb {
        name: "lib".into(),
        model_id: Some(13),
        ..Default::default()
    };
    let db = f
        .engine
        .create_fpshot_db(&f.account, req)
        .await
        .expect("create");
    assert_eq!(
        db.status,
        FpDbStatus::Offline,
        "a new library is offline until its storage exists"
    );
    wait_for(|| async {
        let list = f
            .engine
            .list_fpshot_db(&f.account, std::slice::from_ref(&db.id))
            .await
            .expect("list");
        list.found[0].status == FpDbStatus::Active
    })
    .await;
    db.id
}

async fn wait_for<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 5 s");
}

async fn job(f: &Fixture, id: &str) -> Job {
    let jobs = f
        .engine
        .store()
        .get_jobs(&f.account, JobKind::FpDbDelete, &[id.to_string()])
        .await
        .expect("get");
    jobs.into_iter().next().expect("job exists")
}

async fn finished(f: &Fixture, id: &str) -> Job {
    wait_for(|| async { job(f, id).await.status.is_finished() }).await;
    job(f, id).await
}

fn submit(fpdb: &str, del_type: &str, pipeline: Option<&str>) -> SubmitFpDbDeleteJob {
    SubmitFpDbDeleteJob {
        fpdb_id: fpdb.into(),
        del_type: Some(del_type.into()),
        pipeline_id: pipeline.map(str::to_string),
        user_data: Some("数据 ✓".into()),
    }
}

#[tokio::test]
async fn a_paused_pipeline_keeps_jobs_queuing_until_resumed() {
    let f = fixture(None).await;
    let lib = library(&f).await;
    let p = f
        .engine
        .add_pipeline(
            &f.account,
            AddPipeline {
                name: "p".into(),
                ..Default::default()
            },
        )
        .await
        .expect("add");
    let pause = |state: &str| UpdatePipeline {
        pipeline_id: p.id.clone(),
        name: "p".into(),
        state: state.into(),
        ..Default::default()
    };
    f.engine
        .update_pipeline(&f.account, pause("Paused"))
        .await
        .expect("pause");
    let runtime = JobRuntime::start(f.engine.clone());
    let j = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Purge", Some(&p.id)))
        .await
        .expect("submit");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(job(&f, &j.id).await.status, JobStatus::Queuing);
    f.engine
        .update_pipeline(&f.account, pause("Active"))
        .await
        .expect("resume");
    let done = finished(&f, &j.id).await;
    assert_eq!(done.status, JobStatus::Success, "{done:?}");
    assert_eq!(done.user_data.as_deref(), Some("数据 ✓"));
    assert!(done.finished.is_some());
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn purge_empties_the_library_and_keeps_it() {
    let f = fixture(None).await;
    let lib = library(&f).await;
    let old = f.engine.files().epoch_dir(&lib, 0);
    std::fs::write(old.join("segment-0"), b"postings").expect("write");
    let runtime = JobRuntime::start(f.engine.clone());
    let j = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Purge", None))
        .await
        .expect("submit");
    assert_eq!(finished(&f, &j.id).await.status, JobStatus::Success);
    assert!(!old.exists(), "the old epoch's files are gone");
    assert!(
        f.engine.files().epoch_dir(&lib, 1).exists(),
        "a new, empty epoch exists"
    );
    let list = f
        .engine
        .list_fpshot_db(&f.account, std::slice::from_ref(&lib))
        .await
        .expect("list");
    assert_eq!(list.found[0].status, FpDbStatus::Active);
    assert_eq!(list.found[0].epoch, 1);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn delete_removes_the_library_and_refuses_later_work() {
    let f = fixture(None).await;
    let lib = library(&f).await;
    let runtime = JobRuntime::start(f.engine.clone());
    // Queued behind the delete: it fails with a clear code when it runs.
    let del = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Delete", None))
        .await
        .expect("submit");
    let purge = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Purge", None))
        .await
        .expect("submit");
    assert_eq!(finished(&f, &del.id).await.status, JobStatus::Success);
    let late = finished(&f, &purge.id).await;
    assert_eq!(late.status, JobStatus::Fail);
    assert_eq!(
        late.code.as_deref(),
        Some("InvalidParameter.ResourceNotFound")
    );
    assert!(!f.engine.files().library_dir(&lib).exists());
    let err = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Purge", None))
        .await
        .expect_err("refused");
    assert!(matches!(err, EngineError::NotFound { .. }), "{err:?}");
    let listed = f
        .engine
        .list_fpshot_db(&f.account, &[])
        .await
        .expect("list");
    assert!(
        listed.found.is_empty(),
        "deleted libraries are not listed without ids"
    );
    let by_id = f
        .engine
        .list_fpshot_db(&f.account, std::slice::from_ref(&lib))
        .await
        .expect("list");
    assert_eq!(by_id.found[0].status, FpDbStatus::Deleted);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_is_queued() {
    let f = fixture(None).await;
    let lib = library(&f).await;
    let bad_type = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Truncate", None))
        .await;
    assert!(matches!(
        bad_type,
        Err(EngineError::Invalid {
            param: "DelType",
            ..
        })
    ));
    let mut long = submit(&lib, "Purge", None);
    long.user_data = Some("x".repeat(129));
    assert!(matches!(
        f.engine.submit_fpdb_delete_job(&f.account, long).await,
        Err(EngineError::Invalid {
            param: "UserData",
            ..
        })
    ));
    let foreign = f
        .engine
        .submit_fpdb_delete_job("someone-else", submit(&lib, "Purge", None))
        .await;
    assert!(matches!(foreign, Err(EngineError::NotFound { .. })));
    let unknown_pipeline = f
        .engine
        .submit_fpdb_delete_job(&f.account, submit(&lib, "Purge", Some(&new_id())))
        .await;
    assert!(matches!(
        unknown_pipeline,
        Err(EngineError::NotFound {
            what: "Pipeline",
            ..
        })
    ));
    assert!(
        f.engine
            .query_fpdb_delete_job_list(&f.account, &[])
            .await
            .expect("list")
            .jobs
            .is_empty()
    );
}

/// Panics on its first call and succeeds afterwards; fails transiently while `flaky` > 0.
struct Faulty {
    calls: AtomicUsize,
    flaky: AtomicUsize,
}

#[async_trait]
impl JobHandler for Faulty {
    async fn run(&self, _engine: &Engine, job: &Job) -> Result<serde_json::Value, RunError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if job.payload.get("panic").is_some() {
            panic!("handler bug");
        }
        if self.flaky.load(Ordering::SeqCst) > 0 {
            self.flaky.fetch_sub(1, Ordering::SeqCst);
            return Err(RunError::Transient("disk busy".into()));
        }
        Ok(serde_json::json!({ "attempt": job.attempt }))
    }
}

async fn enqueue(f: &Fixture, payload: serde_json::Value) -> String {
    let pipeline = f
        .engine
        .store()
        .ensure_default_pipeline(&f.account)
        .await
        .expect("pipeline");
    let job = NewJob {
        id: new_id(),
        account_id: f.account.clone(),
        kind: JobKind::FpShot,
        pipeline_id: pipeline.id,
        fpdb_id: None,
        user_data: None,
        payload,
        created: now_utc(),
    };
    let id = f.engine.store().enqueue(job).await.expect("enqueue").id;
    f.engine.wake_workers();
    id
}

async fn fp_job(f: &Fixture, id: &str) -> Job {
    let wait = || async {
        let j = f
            .engine
            .store()
            .get_jobs(&f.account, JobKind::FpShot, &[id.to_string()])
            .await
            .expect("get");
        j.first().is_some_and(|j| j.status.is_finished())
    };
    wait_for(wait).await;
    f.engine
        .store()
        .get_jobs(&f.account, JobKind::FpShot, &[id.to_string()])
        .await
        .expect("get")
        .remove(0)
}

#[tokio::test]
async fn a_panicking_handler_fails_its_job_and_the_worker_lives_on() {
    let faulty = Arc::new(Faulty {
        calls: AtomicUsize::new(0),
        flaky: AtomicUsize::new(2),
    });
    let mut handlers = Engine::default_handlers();
    handlers.insert(JobKind::FpShot, faulty.clone());
    // One worker, so the job after the panic runs on the same worker.
    let f = fixture_with(Some(handlers), 1).await;
    let runtime = JobRuntime::start(f.engine.clone());

    let boom = enqueue(&f, serde_json::json!({ "panic": true })).await;
    let failed = fp_job(&f, &boom).await;
    assert_eq!(failed.status, JobStatus::Fail);
    assert_eq!(failed.code.as_deref(), Some("InternalError"));

    // Two transient failures, then success on the third attempt.
    let flaky = enqueue(&f, serde_json::json!({})).await;
    let done = fp_job(&f, &flaky).await;
    assert_eq!(done.status, JobStatus::Success, "{done:?}");
    assert_eq!(done.attempt, 3);
    assert_eq!(done.result, Some(serde_json::json!({ "attempt": 3 })));
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn jobs_of_a_crashed_process_run_again_after_a_restart() {
    let faulty = Arc::new(Faulty {
        calls: AtomicUsize::new(0),
        flaky: AtomicUsize::new(0),
    });
    let mut handlers = Engine::default_handlers();
    handlers.insert(JobKind::FpShot, faulty.clone());
    let f = fixture(Some(handlers)).await;
    let id = enqueue(&f, serde_json::json!({})).await;
    // A previous process claimed the job and died without finishing it.
    let leases = f
        .engine
        .store()
        .claim("dead-process/0", now_utc(), Duration::from_secs(600), 1)
        .await
        .expect("claim");
    assert_eq!(leases.len(), 1);
    let runtime = JobRuntime::start(f.engine.clone());
    let done = fp_job(&f, &id).await;
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.attempt, 2);
    assert_eq!(
        faulty.calls.load(Ordering::SeqCst),
        1,
        "ran exactly once in this process"
    );
    // The dead process's late completion is refused: the newer attempt owns the result.
    let stale = fpshot_store::Outcome::Fail {
        code: "X".into(),
        message: "late".into(),
    };
    assert!(
        !f.engine
            .store()
            .complete(&id, "dead-process/0", 1, stale, now_utc())
            .await
            .expect("complete")
    );
    runtime.shutdown(Duration::from_secs(5)).await;
}
