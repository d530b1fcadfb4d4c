use super::*;
use crate::{AccountStore, JobKind, JobQueue, NewJob, Outcome, PipelineStore};
use fpshot_types::JobStatus;
use time::OffsetDateTime;

#[tokio::test]
async fn a_job_runs_through_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("meta.db")).unwrap();
    let account = store.create_account("root").await.unwrap();
    let pipeline = store.ensure_default_pipeline(&account.id).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let job = store
        .enqueue(NewJob {
            id: fpshot_types::new_id(),
            account_id: account.id.clone(),
            kind: JobKind::FpDbDelete,
            pipeline_id: pipeline.id.clone(),
            fpdb_id: None,
            user_data: Some("ü".into()),
            payload: serde_json::json!({"DelType": "Purge"}),
            created: now,
        })
        .await
        .unwrap();
    let leases = store
        .claim("w", now, Duration::from_secs(30), 4)
        .await
        .unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(leases[0].job.id, job.id);
    assert!(
        store
            .complete(
                &job.id,
                "w",
                1,
                Outcome::Success(serde_json::json!({})),
                now
            )
            .await
            .unwrap()
    );
    let got = store
        .get_jobs(
            &account.id,
            JobKind::FpDbDelete,
            std::slice::from_ref(&job.id),
        )
        .await
        .unwrap();
    assert_eq!(got[0].status, JobStatus::Success);
    assert_eq!(store.schema_version().await.unwrap(), 1);
    store.close().await;
}
