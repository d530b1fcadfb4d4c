use super::*;
use crate::{JobKind, default_pipeline};
use fpshot_types::PipelineState;

#[test]
fn an_empty_patch_changes_nothing_and_leaves_the_queue_alone() {
    let mut p = default_pipeline("acc", OffsetDateTime::UNIX_EPOCH);
    let before = p.clone();
    assert!(!apply_patch(&mut p, PipelinePatch::default()));
    assert_eq!(p, before);
}

#[test]
fn a_patch_sets_given_fields_and_reports_queue_changes() {
    let mut p = default_pipeline("acc", OffsetDateTime::UNIX_EPOCH);
    let patch = PipelinePatch {
        name: Some("n".into()),
        role: Some("r".into()),
        ..Default::default()
    };
    assert!(
        !apply_patch(&mut p, patch),
        "name/role do not touch the queue"
    );
    assert_eq!((p.name.as_str(), p.role.as_str()), ("n", "r"));

    let same_priority = PipelinePatch {
        priority: Some(p.priority),
        ..Default::default()
    };
    assert!(!apply_patch(&mut p, same_priority));
    let pause = PipelinePatch {
        state: Some(PipelineState::Paused),
        ..Default::default()
    };
    assert!(apply_patch(&mut p, pause));
    assert_eq!(p.state, PipelineState::Paused);
    let reprioritize = PipelinePatch {
        priority: Some(p.priority + 1),
        ..Default::default()
    };
    assert!(apply_patch(&mut p, reprioritize));
}

#[test]
fn quota_allows_up_to_the_limit() {
    assert!(check_quota(2, 3, "FpDB").is_ok());
    assert!(matches!(
        check_quota(3, 3, "FpDB"),
        Err(StoreError::QuotaExceeded {
            resource: "FpDB",
            limit: 3
        })
    ));
}

#[test]
fn one_nonce_purge_per_interval() {
    let purged_at = AtomicI64::new(0);
    let now = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_000);
    assert!(nonce_purge_due(&purged_at, now));
    assert!(!nonce_purge_due(&purged_at, now));
    let soon = now + time::Duration::seconds(NONCE_PURGE_EVERY_SECS - 1);
    assert!(!nonce_purge_due(&purged_at, soon));
    let later = now + time::Duration::seconds(NONCE_PURGE_EVERY_SECS);
    assert!(nonce_purge_due(&purged_at, later));
}

#[test]
fn finished_columns_follow_the_outcome() {
    let ok = finished(Outcome::Success(serde_json::json!({"a": 1})));
    assert_eq!(
        ok,
        (JobStatus::Success, Some(r#"{"a":1}"#.into()), None, None)
    );
    let fail = finished(Outcome::Fail {
        code: "C".into(),
        message: "m".into(),
    });
    assert_eq!(
        fail,
        (JobStatus::Fail, None, Some("C".into()), Some("m".into()))
    );
}

#[test]
fn a_queued_job_keeps_the_submission() {
    let new = NewJob {
        id: "j".into(),
        account_id: "a".into(),
        kind: JobKind::FpShot,
        pipeline_id: "p".into(),
        fpdb_id: Some("d".into()),
        user_data: None,
        payload: serde_json::json!({"k": "v"}),
        created: OffsetDateTime::UNIX_EPOCH,
    };
    let job = queued(new.clone());
    assert_eq!(
        (job.id, job.kind, job.fpdb_id),
        (new.id, new.kind, new.fpdb_id)
    );
    assert_eq!(job.payload, new.payload);
    assert_eq!(
        (job.status, job.attempt, job.finished),
        (JobStatus::Queuing, 0, None)
    );
}
