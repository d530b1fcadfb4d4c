//! Pipelines and fingerprint libraries on PostgreSQL.

use super::PgStore;
use super::codec::{self, FPDB_COLS, PIPELINE_COLS, map_err, or_conflict, to_i64, to_ns};
use crate::shared::{apply_patch, check_quota};
use crate::{
    DeletePipelineOutcome, FpDb, FpDbStore, Pipeline, PipelinePatch, PipelineStore, StoreError,
    default_pipeline,
};
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use fpshot_types::{FpDbStatus, PipelineState};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// Serializes quota checks of one account (a transaction-scoped advisory lock).
async fn lock_quota<C: GenericClient>(c: &C, what: &str, account: &str) -> Result<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&format!("{what}:{account}")],
    )
    .await
    .map_err(map_err)?;
    Ok(())
}

async fn one_pipeline<C: GenericClient>(
    c: &C,
    clause: &str,
    id: &str,
    account: &str,
) -> Result<Option<Pipeline>> {
    let sql =
        format!("SELECT {PIPELINE_COLS} FROM pipelines WHERE id = $1 AND account_id = $2 {clause}");
    let row = c.query_opt(&sql, &[&id, &account]).await.map_err(map_err)?;
    row.as_ref().map(codec::pipeline).transpose()
}

async fn insert_pipeline<C: GenericClient>(
    c: &C,
    p: &Pipeline,
    on_conflict: &str,
) -> std::result::Result<u64, tokio_postgres::Error> {
    let sql = format!(
        "INSERT INTO pipelines (id, account_id, name, state, speed, speed_level, quota_allocate, \
         role, notify_config, extend_config, priority, is_default, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) {on_conflict}"
    );
    c.execute(
        &sql,
        &[
            &p.id,
            &p.account_id,
            &p.name,
            &p.state.as_str(),
            &p.speed,
            &p.speed_level,
            &p.quota_allocate,
            &p.role,
            &p.notify_config,
            &p.extend_config,
            &p.priority,
            &p.is_default,
            &to_ns(p.created),
        ],
    )
    .await
}

#[async_trait]
impl PipelineStore for PgStore {
    async fn ensure_default_pipeline(&self, account_id: &str) -> Result<Pipeline> {
        self.timed(async {
            let c = self.client().await?;
            let find = format!(
                "SELECT {PIPELINE_COLS} FROM pipelines WHERE account_id = $1 AND is_default"
            );
            if let Some(row) = c.query_opt(&find, &[&account_id]).await.map_err(map_err)? {
                return codec::pipeline(&row);
            }
            // The unique partial index decides races between nodes: the loser reads the winner's.
            let p = default_pipeline(account_id, OffsetDateTime::now_utc());
            insert_pipeline(
                &c,
                &p,
                "ON CONFLICT (account_id) WHERE is_default DO NOTHING",
            )
            .await
            .map_err(map_err)?;
            let row = c.query_one(&find, &[&account_id]).await.map_err(map_err)?;
            codec::pipeline(&row)
        })
        .await
    }

    async fn create_pipeline(&self, pipeline: Pipeline, quota: u32) -> Result<Pipeline> {
        self.timed(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(map_err)?;
            lock_quota(&tx, "pipeline", &pipeline.account_id).await?;
            let row = tx
                .query_one(
                    "SELECT count(*) FROM pipelines WHERE account_id = $1",
                    &[&pipeline.account_id],
                )
                .await
                .map_err(map_err)?;
            let count: i64 = row.try_get(0).map_err(map_err)?;
            check_quota(count, quota, "Pipeline")?;
            let inserted = insert_pipeline(&tx, &pipeline, "").await;
            or_conflict(inserted, || format!("pipeline {}", pipeline.id))?;
            tx.commit().await.map_err(map_err)?;
            Ok(pipeline)
        })
        .await
    }

    async fn get_pipelines(&self, account_id: &str, ids: &[String]) -> Result<Vec<Pipeline>> {
        self.timed(async {
            let c = self.client().await?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(p) = one_pipeline(&c, "", id, account_id).await? {
                    out.push(p);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn search_pipelines(
        &self,
        account_id: &str,
        state: Option<PipelineState>,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Pipeline>)> {
        let state = state.map(|s| s.as_str());
        self.timed(async {
            let c = self.client().await?;
            let filter = "account_id = $1 AND ($2::TEXT IS NULL OR state = $2)";
            let row = c
                .query_one(&format!("SELECT count(*) FROM pipelines WHERE {filter}"), &[&account_id, &state])
                .await
                .map_err(map_err)?;
            let total: i64 = row.try_get(0).map_err(map_err)?;
            let sql = format!(
                "SELECT {PIPELINE_COLS} FROM pipelines WHERE {filter} ORDER BY created, seq LIMIT $3 OFFSET $4"
            );
            let rows = c
                .query(&sql, &[&account_id, &state, &to_i64(limit), &to_i64(offset)])
                .await
                .map_err(map_err)?;
            Ok((u64::try_from(total).unwrap_or(0), codec::all(&rows, codec::pipeline)?))
        })
        .await
    }

    async fn update_pipeline(
        &self,
        account_id: &str,
        id: &str,
        patch: PipelinePatch,
    ) -> Result<Option<Pipeline>> {
        self.timed(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(map_err)?;
            let Some(mut p) = one_pipeline(&tx, "FOR UPDATE", id, account_id).await? else {
                return Ok(None);
            };
            let queue_changes = apply_patch(&mut p, patch);
            tx.execute(
                "UPDATE pipelines SET name = $2, state = $3, notify_config = $4, role = $5, \
                 extend_config = $6, priority = $7 WHERE id = $1",
                &[
                    &p.id,
                    &p.name,
                    &p.state.as_str(),
                    &p.notify_config,
                    &p.role,
                    &p.extend_config,
                    &p.priority,
                ],
            )
            .await
            .map_err(map_err)?;
            if queue_changes {
                tx.execute(
                    "UPDATE jobs SET priority = $2, paused = $3 \
                     WHERE pipeline_id = $1 AND status IN ('Queuing', 'Analyzing')",
                    &[&p.id, &p.priority, &(p.state == PipelineState::Paused)],
                )
                .await
                .map_err(map_err)?;
            }
            tx.commit().await.map_err(map_err)?;
            Ok(Some(p))
        })
        .await
    }

    async fn delete_pipeline(&self, account_id: &str, id: &str) -> Result<DeletePipelineOutcome> {
        self.timed(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(map_err)?;
            // FOR UPDATE: an enqueue into this pipeline (FOR SHARE) waits or is waited for.
            let Some(p) = one_pipeline(&tx, "FOR UPDATE", id, account_id).await? else {
                return Ok(DeletePipelineOutcome::NotFound);
            };
            if p.is_default {
                return Ok(DeletePipelineOutcome::IsDefault);
            }
            let row = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM jobs WHERE pipeline_id = $1 \
                     AND status IN ('Queuing', 'Analyzing'))",
                    &[&id],
                )
                .await
                .map_err(map_err)?;
            if row.try_get::<_, bool>(0).map_err(map_err)? {
                return Ok(DeletePipelineOutcome::HasUnfinishedJobs);
            }
            tx.execute("DELETE FROM pipelines WHERE id = $1", &[&id])
                .await
                .map_err(map_err)?;
            tx.commit().await.map_err(map_err)?;
            Ok(DeletePipelineOutcome::Deleted)
        })
        .await
    }
}

#[async_trait]
impl FpDbStore for PgStore {
    async fn create_fpdb(&self, db: FpDb, quota: u32) -> Result<FpDb> {
        self.timed(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await.map_err(map_err)?;
            lock_quota(&tx, "fpdb", &db.account_id).await?;
            let row = tx
                .query_one(
                    "SELECT count(*) FROM fpdbs WHERE account_id = $1 AND status <> 'deleted'",
                    &[&db.account_id],
                )
                .await
                .map_err(map_err)?;
            let count: i64 = row.try_get(0).map_err(map_err)?;
            check_quota(count, quota, "FpDB")?;
            let inserted = tx
                .execute(
                    "INSERT INTO fpdbs (id, account_id, name, description, model_id, config, status, \
                     epoch, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &db.id, &db.account_id, &db.name, &db.description, &db.model_id.as_int(),
                        &db.config, &db.status.as_str(), &db.epoch, &to_ns(db.created),
                    ],
                )
                .await;
            or_conflict(inserted, || format!("FpDB {}", db.id))?;
            tx.commit().await.map_err(map_err)?;
            Ok(db)
        })
        .await
    }

    async fn get_fpdbs(&self, account_id: &str, ids: &[String]) -> Result<Vec<FpDb>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!("SELECT {FPDB_COLS} FROM fpdbs WHERE id = $1 AND account_id = $2");
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(row) = c
                    .query_opt(&st, &[id, &account_id])
                    .await
                    .map_err(map_err)?
                {
                    out.push(codec::fpdb(&row)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list_fpdbs(&self, account_id: &str, include_deleted: bool) -> Result<Vec<FpDb>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {FPDB_COLS} FROM fpdbs WHERE account_id = $1 \
                 AND ($2 OR status <> 'deleted') ORDER BY created, seq"
            );
            let rows = c
                .query(&sql, &[&account_id, &include_deleted])
                .await
                .map_err(map_err)?;
            codec::all(&rows, codec::fpdb)
        })
        .await
    }

    async fn set_fpdb_status(&self, id: &str, status: FpDbStatus) -> Result<bool> {
        self.timed(async {
            let c = self.client().await?;
            let n = c
                .execute(
                    "UPDATE fpdbs SET status = $2 WHERE id = $1",
                    &[&id, &status.as_str()],
                )
                .await
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn bump_fpdb_epoch(&self, id: &str) -> Result<i64> {
        self.timed(async {
            let c = self.client().await?;
            let row = c
                .query_opt(
                    "UPDATE fpdbs SET epoch = epoch + 1 WHERE id = $1 RETURNING epoch",
                    &[&id],
                )
                .await
                .map_err(map_err)?;
            match row {
                Some(row) => row.try_get(0).map_err(map_err),
                None => Err(StoreError::Database(format!("no FpDB {id} to purge"))),
            }
        })
        .await
    }
}
