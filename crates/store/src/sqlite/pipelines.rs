//! Pipelines (MPS queues): the default pipeline, quotas, search, updates that reach the queue.

use super::SqliteStore;
use super::codec::{self, PIPELINE_COLS, first, map_err, or_conflict, to_i64, to_ns};
use crate::shared::{apply_patch, check_quota};
use crate::{DeletePipelineOutcome, Pipeline, PipelinePatch, PipelineStore, StoreError};
use async_trait::async_trait;
use fpshot_types::PipelineState;
use rusqlite::{Connection, params};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// Values of the pipeline every account gets on first use.
pub const DEFAULT_PIPELINE_NAME: &str = "mts-service-pipeline";
pub const DEFAULT_PIPELINE_SPEED: &str = "Standard";
pub const DEFAULT_PIPELINE_SPEED_LEVEL: i64 = 1;
pub const DEFAULT_PIPELINE_QUOTA_ALLOCATE: i64 = 10;
pub const DEFAULT_PIPELINE_PRIORITY: i64 = 5;

/// The default pipeline record for `account_id` (not stored yet).
pub fn default_pipeline(account_id: &str, created: OffsetDateTime) -> Pipeline {
    Pipeline {
        id: fpshot_types::new_id(),
        account_id: account_id.to_string(),
        name: DEFAULT_PIPELINE_NAME.to_string(),
        state: PipelineState::Active,
        speed: DEFAULT_PIPELINE_SPEED.to_string(),
        speed_level: DEFAULT_PIPELINE_SPEED_LEVEL,
        quota_allocate: DEFAULT_PIPELINE_QUOTA_ALLOCATE,
        role: String::new(),
        notify_config: String::new(),
        extend_config: String::new(),
        priority: DEFAULT_PIPELINE_PRIORITY,
        is_default: true,
        created,
    }
}

fn select_one(
    c: &Connection,
    where_clause: &str,
    p: impl rusqlite::Params,
) -> Result<Option<Pipeline>> {
    let sql = format!("SELECT {PIPELINE_COLS} FROM pipelines WHERE {where_clause}");
    let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
    first(&mut stmt, p, codec::pipeline)
}

fn insert(c: &Connection, p: &Pipeline) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "INSERT INTO pipelines (id, account_id, name, state, speed, speed_level, quota_allocate, \
         role, notify_config, extend_config, priority, is_default, created) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        p.id,
        p.account_id,
        p.name,
        p.state.as_str(),
        p.speed,
        p.speed_level,
        p.quota_allocate,
        p.role,
        p.notify_config,
        p.extend_config,
        p.priority,
        p.is_default,
        to_ns(p.created),
    ])
}

#[async_trait]
impl PipelineStore for SqliteStore {
    async fn ensure_default_pipeline(&self, account_id: &str) -> Result<Pipeline> {
        let account = account_id.to_string();
        // Read first: after the first call this is the only path, and it needs no writer.
        let acc = account.clone();
        let found = self
            .read(move |c| select_one(c, "account_id = ?1 AND is_default = 1", [acc]))
            .await?;
        if let Some(p) = found {
            return Ok(p);
        }
        self.write_one(move |c| {
            if let Some(p) = select_one(c, "account_id = ?1 AND is_default = 1", [&account])? {
                return Ok(p);
            }
            let p = default_pipeline(&account, OffsetDateTime::now_utc());
            insert(c, &p).map_err(map_err)?;
            Ok(p)
        })
        .await
    }

    async fn create_pipeline(&self, pipeline: Pipeline, quota: u32) -> Result<Pipeline> {
        self.write_one(move |c| {
            let count: i64 = c
                .prepare_cached("SELECT count(*) FROM pipelines WHERE account_id = ?1")
                .and_then(|mut s| s.query_row([&pipeline.account_id], |r| r.get(0)))
                .map_err(map_err)?;
            check_quota(count, quota, "Pipeline")?;
            or_conflict(insert(c, &pipeline), || format!("pipeline {}", pipeline.id))?;
            Ok(pipeline)
        })
        .await
    }

    async fn get_pipelines(&self, account_id: &str, ids: &[String]) -> Result<Vec<Pipeline>> {
        let account = account_id.to_string();
        let ids = ids.to_vec();
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(p) = select_one(c, "id = ?1 AND account_id = ?2", [id, &account])? {
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
        let account = account_id.to_string();
        // `?2 IS NULL` keeps one statement (and one cached plan) for both cases.
        let state = state.map(|s| s.as_str());
        self.read(move |c| {
            let total: i64 = c
                .prepare_cached(
                    "SELECT count(*) FROM pipelines \
                     WHERE account_id = ?1 AND (?2 IS NULL OR state = ?2)",
                )
                .and_then(|mut s| s.query_row(params![account, state], |r| r.get(0)))
                .map_err(map_err)?;
            let sql = format!(
                "SELECT {PIPELINE_COLS} FROM pipelines \
                 WHERE account_id = ?1 AND (?2 IS NULL OR state = ?2) \
                 ORDER BY created, seq LIMIT ?3 OFFSET ?4"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let page = codec::collect(
                &mut stmt,
                params![account, state, to_i64(limit), to_i64(offset)],
                codec::pipeline,
            )?;
            Ok((u64::try_from(total).unwrap_or(0), page))
        })
        .await
    }

    async fn update_pipeline(
        &self,
        account_id: &str,
        id: &str,
        patch: PipelinePatch,
    ) -> Result<Option<Pipeline>> {
        let (account, id) = (account_id.to_string(), id.to_string());
        self.write(move |c| {
            let Some(mut p) = select_one(c, "id = ?1 AND account_id = ?2", [&id, &account])? else {
                return Ok(None);
            };
            let queue_changes = apply_patch(&mut p, patch);
            c.prepare_cached(
                "UPDATE pipelines SET name = ?2, state = ?3, notify_config = ?4, role = ?5, \
                 extend_config = ?6, priority = ?7 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    p.id,
                    p.name,
                    p.state.as_str(),
                    p.notify_config,
                    p.role,
                    p.extend_config,
                    p.priority
                ])
            })
            .map_err(map_err)?;
            if queue_changes {
                // The queue's copies, in the same transaction: claims see the new values at once.
                c.prepare_cached(
                    "UPDATE jobs SET priority = ?2, paused = ?3 \
                     WHERE pipeline_id = ?1 AND status IN ('Queuing', 'Analyzing')",
                )
                .and_then(|mut s| {
                    s.execute(params![p.id, p.priority, p.state == PipelineState::Paused])
                })
                .map_err(map_err)?;
            }
            Ok(Some(p))
        })
        .await
    }

    async fn delete_pipeline(&self, account_id: &str, id: &str) -> Result<DeletePipelineOutcome> {
        let (account, id) = (account_id.to_string(), id.to_string());
        self.write_one(move |c| {
            let Some(p) = select_one(c, "id = ?1 AND account_id = ?2", [&id, &account])? else {
                return Ok(DeletePipelineOutcome::NotFound);
            };
            if p.is_default {
                return Ok(DeletePipelineOutcome::IsDefault);
            }
            let busy: bool = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM jobs WHERE pipeline_id = ?1 \
                     AND status IN ('Queuing', 'Analyzing'))",
                )
                .and_then(|mut s| s.query_row([&id], |r| r.get(0)))
                .map_err(map_err)?;
            if busy {
                return Ok(DeletePipelineOutcome::HasUnfinishedJobs);
            }
            c.prepare_cached("DELETE FROM pipelines WHERE id = ?1")
                .and_then(|mut s| s.execute([&id]))
                .map_err(map_err)?;
            Ok(DeletePipelineOutcome::Deleted)
        })
        .await
    }
}
