//! The conformance suite and the job model on PostgreSQL, when a server is reachable
//! (`FPSHOT_TEST_PG`, default `host=127.0.0.1 user=postgres dbname=test`). Each store gets its
//! own schema, dropped afterwards.

use super::*;
use crate::conformance;
use crate::job_model_test::{op, run_case};
use proptest::prelude::*;

const DEFAULT_URL: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

fn url() -> String {
    std::env::var("FPSHOT_TEST_PG").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A store in a fresh schema; None (test skipped) when no server answers and none was named.
async fn fresh(schema: &str) -> Option<PgStore> {
    let opts = PgOptions {
        schema: Some(schema.to_string()),
        pool_size: 8,
        ..PgOptions::default()
    };
    match PgStore::connect_with(&url(), opts).await {
        Ok(s) => Some(s),
        Err(StoreError::Unavailable(e)) if std::env::var("FPSHOT_TEST_PG").is_err() => {
            eprintln!("PostgreSQL not reachable, skipped: {e}");
            None
        }
        Err(e) => panic!("cannot open the PostgreSQL store: {e}"),
    }
}

async fn drop_schemas(prefix: &str) {
    let Ok((client, conn)) = tokio_postgres::connect(&url(), NoTls).await else {
        return;
    };
    tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
            &[&format!("{prefix}%")],
        )
        .await
        .unwrap();
    for row in rows {
        let name: String = row.get(0);
        client
            .batch_execute(&format!("DROP SCHEMA {name} CASCADE"))
            .await
            .unwrap();
    }
}

fn prefix(test: &str) -> String {
    format!("fpshot_t_{test}_{}", &fpshot_types::new_id()[20..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_postgres() {
    let prefix = prefix("conf");
    if fresh(&format!("{prefix}_probe")).await.is_none() {
        return;
    }
    let n = std::sync::atomic::AtomicUsize::new(0);
    conformance::run_all(|| {
        let schema = format!(
            "{prefix}_{}",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        async move { fresh(&schema).await.unwrap() }
    })
    .await;
    drop_schemas(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_survive_reconnect_and_migrations_run_once() {
    let schema = prefix("reopen");
    let Some(first) = fresh(&schema).await else {
        return;
    };
    assert_eq!(
        first.schema_version().await.unwrap(),
        MIGRATIONS.len() as i64
    );
    drop(first);
    conformance::durability_across_reopen(|| {
        let schema = schema.clone();
        async move { fresh(&schema).await.unwrap() }
    })
    .await;
    // A database migrated by a newer fpshot is refused.
    let s = fresh(&schema).await.unwrap();
    let c = s.client().await.unwrap();
    c.execute(
        "INSERT INTO schema_migrations (version, applied) VALUES (999, 0)",
        &[],
    )
    .await
    .unwrap();
    drop(c);
    let opts = PgOptions {
        schema: Some(schema.clone()),
        ..PgOptions::default()
    };
    match PgStore::connect_with(&url(), opts).await {
        Err(StoreError::Database(msg)) => assert!(msg.contains("newer"), "{msg}"),
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
    drop_schemas(&schema).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn postgres_follows_the_job_model(ops in proptest::collection::vec(op(), 1..60)) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let schema = prefix("model");
            let Some(s) = fresh(&schema).await else { return };
            run_case(&s, &ops).await;
            drop(s);
            drop_schemas(&schema).await;
        });
    }
}
