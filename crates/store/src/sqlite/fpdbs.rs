//! Fingerprint libraries (FpDB): quota-checked creation, lookups, status and purge epochs.

use super::SqliteStore;
use super::codec::{self, FPDB_COLS, first, map_err, or_conflict, to_ns};
use crate::shared::check_quota;
use crate::{FpDb, FpDbStore, StoreError};
use async_trait::async_trait;
use fpshot_types::FpDbStatus;
use rusqlite::params;

type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
impl FpDbStore for SqliteStore {
    async fn create_fpdb(&self, db: FpDb, quota: u32) -> Result<FpDb> {
        self.write_one(move |c| {
            // Check and insert share the writer's transaction: no two creations can both pass.
            let count: i64 = c
                .prepare_cached(
                    "SELECT count(*) FROM fpdbs WHERE account_id = ?1 AND status <> 'deleted'",
                )
                .and_then(|mut s| s.query_row([&db.account_id], |r| r.get(0)))
                .map_err(map_err)?;
            check_quota(count, quota, "FpDB")?;
            let inserted = c
                .prepare_cached(
                    "INSERT INTO fpdbs (id, account_id, name, description, model_id, config, \
                     status, epoch, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        db.id,
                        db.account_id,
                        db.name,
                        db.description,
                        db.model_id.as_int(),
                        db.config,
                        db.status.as_str(),
                        db.epoch,
                        to_ns(db.created),
                    ])
                });
            or_conflict(inserted, || format!("FpDB {}", db.id))?;
            Ok(db)
        })
        .await
    }

    async fn get_fpdbs(&self, account_id: &str, ids: &[String]) -> Result<Vec<FpDb>> {
        let account = account_id.to_string();
        let ids = ids.to_vec();
        self.read(move |c| {
            let sql = format!("SELECT {FPDB_COLS} FROM fpdbs WHERE id = ?1 AND account_id = ?2");
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(db) = first(&mut stmt, [id, &account], codec::fpdb)? {
                    out.push(db);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list_fpdbs(&self, account_id: &str, include_deleted: bool) -> Result<Vec<FpDb>> {
        let account = account_id.to_string();
        self.read(move |c| {
            let sql = format!(
                "SELECT {FPDB_COLS} FROM fpdbs WHERE account_id = ?1 \
                 AND (?2 OR status <> 'deleted') ORDER BY created, seq"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            codec::collect(&mut stmt, params![account, include_deleted], codec::fpdb)
        })
        .await
    }

    async fn set_fpdb_status(&self, id: &str, status: FpDbStatus) -> Result<bool> {
        let id = id.to_string();
        self.write_one(move |c| {
            let n = c
                .prepare_cached("UPDATE fpdbs SET status = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![id, status.as_str()]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn bump_fpdb_epoch(&self, id: &str) -> Result<i64> {
        let id = id.to_string();
        self.write_one(move |c| {
            let epoch: Option<i64> = c
                .prepare_cached("UPDATE fpdbs SET epoch = epoch + 1 WHERE id = ?1 RETURNING epoch")
                .and_then(|mut s| {
                    let mut rows = s.query([&id])?;
                    rows.next()?.map(|r| r.get(0)).transpose()
                })
                .map_err(map_err)?;
            epoch.ok_or_else(|| StoreError::Database(format!("no FpDB {id} to purge")))
        })
        .await
    }
}
