use super::*;
use crate::conformance;
use crate::{AccountStore, JobQueue, PipelineStore};
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_in_memory() {
    conformance::run_all(|| async { SqliteStore::open_in_memory().unwrap() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_file_backed() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    conformance::run_all(|| {
        let path = dir
            .path()
            .join(format!("{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move { SqliteStore::open(&path).unwrap() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    conformance::durability_across_reopen(|| {
        let path = path.clone();
        async move { SqliteStore::open(&path).unwrap() }
    })
    .await;
}

#[tokio::test]
async fn migrations_run_once_and_newer_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let s = SqliteStore::open(&path).unwrap();
    let latest = migrate::MIGRATIONS.len() as i64;
    assert_eq!(s.schema_version().await.unwrap(), latest);
    let account = s.create_account("a").await.unwrap();
    s.close().await;
    // Reopening keeps the data: no migration runs twice.
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.get_account(&account.id).await.unwrap().unwrap(), account);
    s.close().await;

    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", latest + 1).unwrap();
    drop(raw);
    match SqliteStore::open(&path) {
        Err(StoreError::Database(msg)) => assert!(msg.contains("newer"), "{msg}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a database from a newer fpshot must be refused"),
    }
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let s = SqliteStore::open(&path).unwrap();
    let (mode, fk, sync) = s
        .write(|c| {
            let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0));
            Ok((
                q("PRAGMA journal_mode").unwrap(),
                q("PRAGMA foreign_keys").unwrap(),
                q("PRAGMA synchronous").unwrap(),
            ))
        })
        .await
        .unwrap();
    use rusqlite::types::Value;
    assert_eq!(mode, Value::Text("wal".into()));
    assert_eq!(fk, Value::Integer(1));
    assert_eq!(sync, Value::Integer(1), "NORMAL");
}

/// Another process holding the write lock: calls fail `Unavailable` within their timeout
/// (or the busy timeout), and the store works again once the lock is gone; reads go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_lock_makes_writes_unavailable_not_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let opts = SqliteOptions {
        call_timeout: Duration::from_millis(300),
        busy_timeout: Duration::from_secs(5),
        ..SqliteOptions::default()
    };
    let s = SqliteStore::open_with(&path, opts).unwrap();
    let account = s.create_account("a").await.unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let started = std::time::Instant::now();
    let err = s.create_account("b").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the call timeout holds"
    );
    assert_eq!(s.get_account(&account.id).await.unwrap().unwrap(), account);
    other.execute_batch("COMMIT").unwrap();
    // The writer comes back after its busy wait ends.
    let mut recovered = false;
    for _ in 0..100 {
        if s.create_account("c").await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered);
    assert_eq!(
        s.count_accounts().await.unwrap(),
        2,
        "the timed-out write was not applied"
    );
    // With a short busy timeout the writer gives up by itself, also as `Unavailable`.
    drop(s);
    let opts = SqliteOptions {
        busy_timeout: Duration::from_millis(50),
        ..SqliteOptions::default()
    };
    let s = SqliteStore::open_with(&path, opts).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = s.create_account("d").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    other.execute_batch("COMMIT").unwrap();
    s.create_account("e").await.unwrap();
}

#[tokio::test]
async fn absurd_leases_are_errors_not_panics() {
    let s = SqliteStore::open_in_memory().unwrap();
    let (a, p) = conformance::account_with_default(&s).await;
    s.enqueue(conformance::new_job(
        &a.id,
        &p.id,
        crate::JobKind::FpShot,
        1,
    ))
    .await
    .unwrap();
    let r = s.claim("w", conformance::t(0), Duration::MAX, 1).await;
    assert!(r.is_err());
    assert_eq!(
        s.claim("w", conformance::t(0), Duration::from_secs(1), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Writes that share a group transaction are isolated: a failing or panicking write leaves no
/// trace, its neighbours commit, and the writer thread lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_does_not_spoil_its_batch() {
    let s = std::sync::Arc::new(SqliteStore::open_in_memory().unwrap());
    let mut tasks = Vec::new();
    for i in 0..60 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.write(move |c| {
                c.execute(
                    "INSERT INTO accounts (id, name, created) VALUES (?1, 'x', 0)",
                    [format!("acc-{i}")],
                )
                .map_err(codec::map_err)?;
                match i % 3 {
                    0 => Ok(()),
                    1 => Err(StoreError::Conflict("on purpose".into())),
                    _ => panic!("on purpose"),
                }
            })
            .await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let r = task.await.unwrap();
        match i % 3 {
            0 => assert!(r.is_ok()),
            1 => assert!(matches!(r, Err(StoreError::Conflict(_)))),
            _ => assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}"),
        }
    }
    assert_eq!(s.count_accounts().await.unwrap(), 20);
    let ids: Vec<String> = s
        .read(|c| {
            let mut st = c.prepare("SELECT id FROM accounts").unwrap();
            let rows = st.query_map([], |r| r.get(0)).unwrap();
            Ok(rows.map(|r| r.unwrap()).collect())
        })
        .await
        .unwrap();
    assert!(
        ids.iter()
            .all(|id: &String| id[4..].parse::<usize>().unwrap() % 3 == 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_a_backlog_larger_than_one_chunk() {
    let s = std::sync::Arc::new(SqliteStore::open_in_memory().unwrap());
    let (a, p) = conformance::account_with_default(&*s).await;
    let total = RETENTION_CHUNK as usize * 2 + 17;
    let mut tasks = Vec::new();
    for i in 0..total {
        let (s, a, p) = (s.clone(), a.id.clone(), p.id.clone());
        tasks.push(tokio::spawn(async move {
            let job = conformance::new_job(&a, &p, crate::JobKind::FpShot, i as i64);
            s.enqueue(job).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let leases = s
        .claim("w", conformance::t(0), Duration::from_secs(60), total + 1)
        .await
        .unwrap();
    assert_eq!(leases.len(), total);
    for l in &leases {
        let ok = crate::Outcome::Success(serde_json::json!({}));
        assert!(
            s.complete(&l.job.id, "w", 1, ok, conformance::t(5))
                .await
                .unwrap()
        );
    }
    let kept = s
        .enqueue(conformance::new_job(
            &a.id,
            &p.id,
            crate::JobKind::FpShot,
            9,
        ))
        .await
        .unwrap();
    let deleted = s.delete_finished_before(conformance::t(6)).await.unwrap();
    assert_eq!(deleted, total as u64);
    let left = s
        .recent_jobs(&a.id, crate::JobKind::FpShot, 10)
        .await
        .unwrap();
    assert_eq!(left, vec![kept]);
}

/// Two stores on one file (as with `fpshot key ...` next to a running server): writes from both
/// serialize on SQLite's lock, and concurrent claims never hand out a job twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_share_the_queue_safely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let one = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let two = std::sync::Arc::new(SqliteStore::open(&path).unwrap());
    let (a, p) = conformance::account_with_default(&*one).await;
    assert_eq!(two.ensure_default_pipeline(&a.id).await.unwrap(), p);
    let mut ids = std::collections::HashSet::new();
    for i in 0..200 {
        let s = if i % 2 == 0 { &one } else { &two };
        let job = conformance::new_job(&a.id, &p.id, crate::JobKind::FpShot, i);
        ids.insert(s.enqueue(job).await.unwrap().id);
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = if w % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim(
                        &format!("w{w}"),
                        conformance::t(0),
                        Duration::from_secs(60),
                        3,
                    )
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|l| l.job.id));
            }
        }));
    }
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(seen.insert(id), "claimed twice");
        }
    }
    assert_eq!(seen, ids);
}

/// A single-statement write has no savepoint: if it panics, its whole batch is rolled back and
/// answered with `Unavailable` (nothing half-done commits), and the writer lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_single_statement_write_aborts_only_its_batch() {
    let s = std::sync::Arc::new(SqliteStore::open_in_memory().unwrap());
    let mut tasks = Vec::new();
    for i in 0..40 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.write_one(move |c| {
                c.execute(
                    "INSERT INTO accounts (id, name, created) VALUES (?1, 'x', 0)",
                    [format!("acc-{i}")],
                )
                .map_err(codec::map_err)?;
                if i == 20 {
                    panic!("on purpose");
                }
                Ok(())
            })
            .await
            .is_ok()
        }));
    }
    let mut acked = 0;
    for t in tasks {
        if t.await.unwrap() {
            acked += 1;
        }
    }
    assert!(acked < 40);
    assert_eq!(
        s.count_accounts().await.unwrap(),
        acked,
        "exactly the acknowledged writes are stored"
    );
    s.create_account("after").await.unwrap();
}

/// A read that runs past the call timeout answers `Unavailable` in time, and the reader pool
/// keeps serving afterwards. (That the runaway query is also interrupted is not observable
/// here: the pool would replace a lost connection either way.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_read_times_out_and_is_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SqliteOptions {
        call_timeout: Duration::from_millis(200),
        readers: 1,
        ..SqliteOptions::default()
    };
    let s = SqliteStore::open_with(&dir.path().join("meta.db"), opts).unwrap();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let r = s
            .read(|c| {
                c.query_row(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) \
                     SELECT count(*) FROM n",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(codec::map_err)
            })
            .await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    let a = s.create_account("a").await.unwrap();
    assert_eq!(s.get_account(&a.id).await.unwrap(), Some(a));
}
