//! Accounts, keys and nonces.

use crate::{Store, StoreError};
use std::sync::Arc;
use time::OffsetDateTime;

pub async fn accounts_and_keys<S: Store + 'static>(s: Arc<S>) {
    assert_eq!(s.count_accounts().await.unwrap(), 0);
    let a = s.create_account("alice").await.unwrap();
    let b = s.create_account("bob").await.unwrap();
    assert_ne!(a.id, b.id);
    assert!(
        fpshot_types::is_valid_id(&a.id),
        "account ids have the id shape"
    );
    assert_eq!(s.count_accounts().await.unwrap(), 2);
    assert_eq!(s.get_account(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.get_account("nobody").await.unwrap(), None);

    let k1 = s.create_key(&a.id, "LTAIkey1", "secret-1").await.unwrap();
    assert!(k1.enabled);
    assert_eq!(k1.account_id, a.id);
    let k2 = s.create_key(&b.id, "LTAIkey2", "secret-2").await.unwrap();
    assert!(matches!(
        s.create_key(&b.id, "LTAIkey1", "other").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        s.create_key("no-such-account", "LTAIkey3", "x")
            .await
            .is_err(),
        "a key belongs to an existing account"
    );
    assert_eq!(s.get_key("LTAIkey1").await.unwrap(), Some(k1.clone()));
    assert_eq!(s.get_key("LTAIunknown").await.unwrap(), None);
    let ids: Vec<String> = s
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(
        ids,
        vec![k1.id.clone(), k2.id.clone()],
        "keys listed in creation order"
    );

    assert!(s.set_key_enabled("LTAIkey1", false).await.unwrap());
    assert!(!s.get_key("LTAIkey1").await.unwrap().unwrap().enabled);
    assert!(s.set_key_enabled("LTAIkey1", true).await.unwrap());
    assert!(s.get_key("LTAIkey1").await.unwrap().unwrap().enabled);
    assert!(!s.set_key_enabled("LTAIunknown", true).await.unwrap());

    assert!(s.delete_key("LTAIkey2").await.unwrap());
    assert!(!s.delete_key("LTAIkey2").await.unwrap());
    assert_eq!(s.get_key("LTAIkey2").await.unwrap(), None);
    assert_eq!(s.list_keys().await.unwrap(), vec![k1]);
}

fn soon() -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::minutes(15)
}

pub async fn nonces_refuse_replays<S: Store + 'static>(s: Arc<S>) {
    let exp = soon();
    assert!(s.record_nonce("k1", "n1", exp).await.unwrap());
    assert!(!s.record_nonce("k1", "n1", exp).await.unwrap(), "a replay");
    assert!(
        !s.record_nonce("k1", "n1", exp + time::Duration::hours(1))
            .await
            .unwrap()
    );
    assert!(
        s.record_nonce("k2", "n1", exp).await.unwrap(),
        "nonces are per key"
    );
    assert!(s.record_nonce("k1", "n2", exp).await.unwrap());
    // Nonces are opaque text: case and unicode matter.
    assert!(s.record_nonce("k1", "N1", exp).await.unwrap());
    assert!(s.record_nonce("k1", "n1-ü", exp).await.unwrap());
    assert!(!s.record_nonce("k1", "n1-ü", exp).await.unwrap());
}

pub async fn nonces_are_exclusive_under_concurrency<S: Store + 'static>(s: Arc<S>) {
    let exp = soon();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = s.clone();
        // 8 distinct nonces, each raced by 8 callers: exactly one caller per nonce wins.
        tasks.push(tokio::spawn(async move {
            s.record_nonce("k", &format!("n{}", i % 8), exp).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        if t.await.unwrap().unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 8);
}

pub async fn nonces_are_purged_when_expired<S: Store + 'static>(s: Arc<S>) {
    let now = OffsetDateTime::now_utc();
    let early = now + time::Duration::minutes(5);
    let late = now + time::Duration::minutes(15);
    assert!(s.record_nonce("k", "early", early).await.unwrap());
    assert!(s.record_nonce("k", "late", late).await.unwrap());
    assert_eq!(s.purge_expired_nonces(now).await.unwrap(), 0);
    assert_eq!(
        s.purge_expired_nonces(early + time::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    // The late one is still remembered; the early one's record is gone.
    assert!(!s.record_nonce("k", "late", late).await.unwrap());
    assert!(s.record_nonce("k", "early", late).await.unwrap());
    assert_eq!(
        s.purge_expired_nonces(late + time::Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
}
