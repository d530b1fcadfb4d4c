//! Fingerprint libraries.

use super::t;
use crate::{FpDb, Store, StoreError};
use fpshot_types::{FpDbStatus, ModelId};
use std::sync::Arc;

fn library(account_id: &str, name: &str, created: i64) -> FpDb {
    FpDb {
        id: fpshot_types::new_id(),
        account_id: account_id.to_string(),
        name: name.to_string(),
        description: format!("{name} — description"),
        model_id: ModelId::Video,
        config: r#"{"k":1}"#.into(),
        status: FpDbStatus::Active,
        epoch: 0,
        created: t(created),
    }
}

pub async fn fpdb_quota_ignores_deleted_libraries<S: Store + 'static>(s: Arc<S>) {
    let account = s.create_account("a").await.unwrap();
    let a = s
        .create_fpdb(library(&account.id, "a", 1), 2)
        .await
        .unwrap();
    s.create_fpdb(library(&account.id, "b", 2), 2)
        .await
        .unwrap();
    let over = s.create_fpdb(library(&account.id, "c", 3), 2).await;
    assert!(
        matches!(
            over,
            Err(StoreError::QuotaExceeded {
                resource: "FpDB",
                limit: 2
            })
        ),
        "{over:?}"
    );
    assert!(matches!(
        s.create_fpdb(a.clone(), 10).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.set_fpdb_status(&a.id, FpDbStatus::Deleted).await.unwrap());
    s.create_fpdb(library(&account.id, "c", 3), 2)
        .await
        .unwrap();
    // Quotas are per account.
    let other = s.create_account("b").await.unwrap();
    s.create_fpdb(library(&other.id, "x", 1), 1).await.unwrap();

    // Concurrent creations cannot overshoot the quota together.
    let racer = s.create_account("r").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (s, db) = (s.clone(), library(&racer.id, &format!("r{i}"), i));
        tasks.push(tokio::spawn(async move { s.create_fpdb(db, 5).await }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::QuotaExceeded { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 5);
}

pub async fn fpdb_lookups_and_listing<S: Store + 'static>(s: Arc<S>) {
    let account = s.create_account("a").await.unwrap();
    let other = s.create_account("b").await.unwrap();
    // Inserted out of creation order: listing sorts by creation time.
    let c = s
        .create_fpdb(library(&account.id, "c", 30), 10)
        .await
        .unwrap();
    let a = s
        .create_fpdb(library(&account.id, "a", 10), 10)
        .await
        .unwrap();
    let b = s
        .create_fpdb(library(&account.id, "b", 20), 10)
        .await
        .unwrap();
    let foreign = s.create_fpdb(library(&other.id, "f", 5), 10).await.unwrap();
    assert!(s.set_fpdb_status(&a.id, FpDbStatus::Deleted).await.unwrap());
    let a = FpDb {
        status: FpDbStatus::Deleted,
        ..a
    };

    let ids = vec![
        c.id.clone(),
        foreign.id.clone(),
        "e".repeat(32),
        a.id.clone(),
    ];
    assert_eq!(
        s.get_fpdbs(&account.id, &ids).await.unwrap(),
        vec![c.clone(), a.clone()],
        "order of the ids, deleted included, unknown and foreign skipped"
    );
    assert_eq!(
        s.list_fpdbs(&account.id, false).await.unwrap(),
        vec![b.clone(), c.clone()]
    );
    assert_eq!(
        s.list_fpdbs(&account.id, true).await.unwrap(),
        vec![a, b, c]
    );
    assert_eq!(s.list_fpdbs(&other.id, true).await.unwrap(), vec![foreign]);
}

pub async fn fpdb_status_and_epochs<S: Store + 'static>(s: Arc<S>) {
    let account = s.create_account("a").await.unwrap();
    let mut db = library(&account.id, "a", 1);
    db.status = FpDbStatus::Offline;
    db.model_id = ModelId::Audio;
    db.config = String::new();
    let db = s.create_fpdb(db, 10).await.unwrap();
    let get = |id: String| {
        let (s, acc) = (s.clone(), account.id.clone());
        async move { s.get_fpdbs(&acc, &[id]).await.unwrap().remove(0) }
    };
    assert_eq!(get(db.id.clone()).await, db, "round trip of every field");
    for status in [FpDbStatus::Active, FpDbStatus::Paused, FpDbStatus::Offline] {
        assert!(s.set_fpdb_status(&db.id, status).await.unwrap());
        assert_eq!(get(db.id.clone()).await.status, status);
    }
    assert!(
        !s.set_fpdb_status(&"0".repeat(32), FpDbStatus::Active)
            .await
            .unwrap()
    );
    assert_eq!(s.bump_fpdb_epoch(&db.id).await.unwrap(), 1);
    assert_eq!(s.bump_fpdb_epoch(&db.id).await.unwrap(), 2);
    assert_eq!(get(db.id.clone()).await.epoch, 2);
    assert!(s.bump_fpdb_epoch(&"0".repeat(32)).await.is_err());
}
