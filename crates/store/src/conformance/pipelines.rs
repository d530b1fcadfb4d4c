//! Pipelines.

use super::{account_with_default, new_job, pipeline_record, t};
use crate::{DeletePipelineOutcome, JobKind, Outcome, PipelinePatch, Store, StoreError};
use fpshot_types::PipelineState;
use std::sync::Arc;
use std::time::Duration;

pub async fn default_pipeline_is_idempotent_and_race_free<S: Store + 'static>(s: Arc<S>) {
    let account = s.create_account("a").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (s, id) = (s.clone(), account.id.clone());
        tasks.push(tokio::spawn(
            async move { s.ensure_default_pipeline(&id).await },
        ));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one default pipeline per account");
    let p = s.ensure_default_pipeline(&account.id).await.unwrap();
    assert_eq!(p.id, ids[0]);
    assert!(p.is_default);
    assert!(fpshot_types::is_valid_id(&p.id));
    assert_eq!(p.account_id, account.id);
    assert_eq!(p.name, crate::DEFAULT_PIPELINE_NAME);
    assert_eq!(p.state, PipelineState::Active);
    assert_eq!(p.speed, "Standard");
    assert_eq!(p.speed_level, 1);
    assert_eq!(p.quota_allocate, 10);
    assert_eq!(p.role, "");
    assert_eq!(p.priority, crate::DEFAULT_PIPELINE_PRIORITY);
    let (total, all) = s.search_pipelines(&account.id, None, 0, 100).await.unwrap();
    assert_eq!((total, all), (1, vec![p.clone()]));

    let other = s.create_account("b").await.unwrap();
    let q = s.ensure_default_pipeline(&other.id).await.unwrap();
    assert_ne!(q.id, p.id, "each account has its own default pipeline");
}

pub async fn pipeline_quota_counts_every_pipeline<S: Store + 'static>(s: Arc<S>) {
    let (account, _default) = account_with_default(&*s).await;
    let p1 = pipeline_record(&account.id, "one", 5, 1);
    s.create_pipeline(p1.clone(), 3).await.unwrap();
    assert!(matches!(
        s.create_pipeline(p1.clone(), 10).await,
        Err(StoreError::Conflict(_))
    ));
    s.create_pipeline(pipeline_record(&account.id, "two", 5, 2), 3)
        .await
        .unwrap();
    let over = s
        .create_pipeline(pipeline_record(&account.id, "three", 5, 3), 3)
        .await;
    assert!(
        matches!(
            over,
            Err(StoreError::QuotaExceeded {
                resource: "Pipeline",
                limit: 3
            })
        ),
        "{over:?}"
    );
    // Quotas are per account.
    let (other, _) = account_with_default(&*s).await;
    s.create_pipeline(pipeline_record(&other.id, "x", 5, 1), 3)
        .await
        .unwrap();
    let (total, _) = s.search_pipelines(&account.id, None, 0, 10).await.unwrap();
    assert_eq!(total, 3);
}

pub async fn pipelines_are_found_in_the_order_asked<S: Store + 'static>(s: Arc<S>) {
    let (a, da) = account_with_default(&*s).await;
    let (b, db) = account_with_default(&*s).await;
    let p1 = s
        .create_pipeline(pipeline_record(&a.id, "p1", 5, 1), 10)
        .await
        .unwrap();
    let p2 = s
        .create_pipeline(pipeline_record(&a.id, "p2", 5, 2), 10)
        .await
        .unwrap();
    let ids = vec![
        p2.id.clone(),
        "f".repeat(32),
        db.id.clone(),
        da.id.clone(),
        p1.id.clone(),
    ];
    let got = s.get_pipelines(&a.id, &ids).await.unwrap();
    assert_eq!(got, vec![p2, da, p1], "unknown and foreign ids are skipped");
    assert!(s.get_pipelines(&b.id, &[]).await.unwrap().is_empty());
}

pub async fn pipeline_search_is_oldest_first_with_filter_and_paging<S: Store + 'static>(s: Arc<S>) {
    let account = s.create_account("a").await.unwrap();
    // Inserted out of creation order: the search must sort by creation time.
    let mut made = Vec::new();
    for (name, created, paused) in [
        ("c", 30, false),
        ("a", 10, true),
        ("d", 40, true),
        ("b", 20, false),
    ] {
        let mut p = pipeline_record(&account.id, name, 5, created);
        if paused {
            p.state = PipelineState::Paused;
        }
        made.push(s.create_pipeline(p, 10).await.unwrap());
    }
    made.sort_by_key(|p| p.created);
    let (total, page) = s.search_pipelines(&account.id, None, 0, 10).await.unwrap();
    assert_eq!((total, page), (4, made.clone()));
    let (total, page) = s.search_pipelines(&account.id, None, 1, 2).await.unwrap();
    assert_eq!((total, page), (4, made[1..3].to_vec()));
    let (total, page) = s.search_pipelines(&account.id, None, 4, 2).await.unwrap();
    assert_eq!((total, page), (4, vec![]));
    let (total, page) = s
        .search_pipelines(&account.id, Some(PipelineState::Paused), 0, 10)
        .await
        .unwrap();
    let names: Vec<&str> = page.iter().map(|p| p.name.as_str()).collect();
    assert_eq!((total, names), (2, vec!["a", "d"]));
    let (total, page) = s
        .search_pipelines(&account.id, Some(PipelineState::Active), 1, 10)
        .await
        .unwrap();
    let names: Vec<&str> = page.iter().map(|p| p.name.as_str()).collect();
    assert_eq!((total, names), (2, vec!["c"]));
    let (other, _) = account_with_default(&*s).await;
    let (total, _) = s.search_pipelines(&other.id, None, 0, 10).await.unwrap();
    assert_eq!(total, 1, "another account sees only its own pipelines");
}

pub async fn pipeline_update_applies_the_patch<S: Store + 'static>(s: Arc<S>) {
    let (account, _) = account_with_default(&*s).await;
    let p = s
        .create_pipeline(pipeline_record(&account.id, "before", 5, 1), 10)
        .await
        .unwrap();
    let patch = PipelinePatch {
        name: Some("after".into()),
        state: Some(PipelineState::Paused),
        notify_config: Some(r#"{"Topic":"t"}"#.into()),
        role: None,
        extend_config: None,
        priority: Some(8),
    };
    let updated = s
        .update_pipeline(&account.id, &p.id, patch)
        .await
        .unwrap()
        .expect("found");
    let mut expected = p.clone();
    expected.name = "after".into();
    expected.state = PipelineState::Paused;
    expected.notify_config = r#"{"Topic":"t"}"#.into();
    expected.priority = 8;
    assert_eq!(updated, expected);
    assert_eq!(
        s.get_pipelines(&account.id, std::slice::from_ref(&p.id))
            .await
            .unwrap(),
        vec![expected.clone()]
    );
    let same = s
        .update_pipeline(&account.id, &p.id, PipelinePatch::default())
        .await
        .unwrap();
    assert_eq!(same, Some(expected));
    let (other, _) = account_with_default(&*s).await;
    let foreign = s
        .update_pipeline(
            &other.id,
            &p.id,
            PipelinePatch {
                name: Some("x".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(foreign, None, "another account's pipeline is not found");
    assert_eq!(
        s.update_pipeline(&account.id, &"0".repeat(32), PipelinePatch::default())
            .await
            .unwrap(),
        None
    );
}

pub async fn pipeline_delete_outcomes<S: Store + 'static>(s: Arc<S>) {
    let (account, default) = account_with_default(&*s).await;
    let (other, _) = account_with_default(&*s).await;
    let p = s
        .create_pipeline(pipeline_record(&account.id, "p", 5, 1), 10)
        .await
        .unwrap();
    let d = |acc: &str, id: &str| {
        let (s, acc, id) = (s.clone(), acc.to_string(), id.to_string());
        async move { s.delete_pipeline(&acc, &id).await.unwrap() }
    };
    assert_eq!(
        d(&account.id, &default.id).await,
        DeletePipelineOutcome::IsDefault
    );
    assert_eq!(d(&other.id, &p.id).await, DeletePipelineOutcome::NotFound);
    assert_eq!(
        d(&account.id, &"0".repeat(32)).await,
        DeletePipelineOutcome::NotFound
    );

    let job = s
        .enqueue(new_job(&account.id, &p.id, JobKind::FpDbDelete, 1))
        .await
        .unwrap();
    assert_eq!(
        d(&account.id, &p.id).await,
        DeletePipelineOutcome::HasUnfinishedJobs
    );
    let lease = s
        .claim("w", t(2), Duration::from_secs(60), 1)
        .await
        .unwrap();
    assert_eq!(lease.len(), 1);
    assert_eq!(
        d(&account.id, &p.id).await,
        DeletePipelineOutcome::HasUnfinishedJobs
    );
    let done = s
        .complete(
            &job.id,
            "w",
            1,
            Outcome::Success(serde_json::json!({})),
            t(3),
        )
        .await
        .unwrap();
    assert!(done);
    assert_eq!(d(&account.id, &p.id).await, DeletePipelineOutcome::Deleted);
    assert_eq!(d(&account.id, &p.id).await, DeletePipelineOutcome::NotFound);
    assert!(
        s.get_pipelines(&account.id, &[p.id])
            .await
            .unwrap()
            .is_empty()
    );
    // The finished job of a deleted pipeline stays queryable.
    let jobs = s
        .get_jobs(&account.id, JobKind::FpDbDelete, &[job.id])
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
}
