//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Migration `n` (1-based) brings the schema from version `n - 1` to `n`; each runs in its own
//! transaction together with the version bump, so a crash leaves the schema at a whole version.
//! A database written by a newer binary (higher version than we know) is refused.

use crate::StoreError;
use crate::sqlite::codec::map_err;
use rusqlite::Connection;

/// Append only: never edit a released migration, add a new one.
pub(crate) const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_init.sql")];

pub(crate) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(map_err)
}

/// Applies the migrations this database lacks; returns the resulting version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let current = schema_version(conn)?;
    if current > known {
        return Err(StoreError::Database(format!(
            "the database has schema version {current}, newer than this fpshot knows ({known}); \
             use a newer fpshot binary"
        )));
    }
    for (idx, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let version = i64::try_from(idx + 1).unwrap_or(i64::MAX);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(map_err)?;
        // Another process may have migrated while we waited for the write lock.
        let now = schema_version(&tx)?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Database(format!("schema migration {version} failed: {e}")))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        tracing::info!(version, "store schema migrated");
    }
    schema_version(conn)
}
