//! The durable job queue: one table for every kind, leases fenced by (worker, attempt).

use super::SqliteStore;
use super::codec::{self, JOB_COLS, first, map_err, or_conflict, to_ns};
use crate::shared::{finished, queued};
use crate::{Job, JobKind, JobQueue, Lease, NewJob, Outcome, StoreError};
use async_trait::async_trait;
use fpshot_types::PipelineState;
use rusqlite::{OptionalExtension, params};
use std::time::Duration;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
impl JobQueue for SqliteStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job> {
        // Serialized here, not on the writer thread, which every write waits for.
        let payload = job.payload.to_string();
        self.write_one(move |c| {
            let pipeline: Option<(i64, String)> = c
                .prepare_cached("SELECT priority, state FROM pipelines WHERE id = ?1")
                .and_then(|mut s| {
                    s.query_row([&job.pipeline_id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(map_err)?;
            let Some((priority, state)) = pipeline else {
                return Err(StoreError::Database(format!(
                    "job {} names pipeline {}, which does not exist",
                    job.id, job.pipeline_id
                )));
            };
            let paused = state == PipelineState::Paused.as_str();
            let inserted = c
                .prepare_cached(
                    "INSERT INTO jobs (id, account_id, kind, pipeline_id, fpdb_id, user_data, \
                     payload, status, created, attempt, priority, paused, not_before) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Queuing', ?8, 0, ?9, ?10, ?11)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        job.id,
                        job.account_id,
                        job.kind.as_str(),
                        job.pipeline_id,
                        job.fpdb_id,
                        job.user_data,
                        payload,
                        to_ns(job.created),
                        priority,
                        paused,
                        i64::MIN,
                    ])
                });
            or_conflict(inserted, || format!("job {}", job.id))?;
            Ok(queued(job))
        })
        .await
    }

    async fn claim(
        &self,
        worker: &str,
        now: OffsetDateTime,
        lease: Duration,
        max: usize,
    ) -> Result<Vec<Lease>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let worker = worker.to_string();
        let expires = time::Duration::try_from(lease)
            .ok()
            .and_then(|d| now.checked_add(d))
            .ok_or_else(|| StoreError::Database(format!("lease of {lease:?} is out of range")))?;
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.write(move |c| {
            // Walks `jobs_claim` in claim order (priority, then FIFO); paused pipelines' jobs
            // are skipped by the index prefix, not-yet-due retries by the filter.
            let seqs: Vec<i64> = c
                .prepare_cached(
                    "SELECT seq FROM jobs WHERE status = 'Queuing' AND paused = 0 \
                     AND not_before <= ?1 AND (fpdb_id IS NULL OR NOT EXISTS (SELECT 1 FROM \
                     jobs a WHERE a.fpdb_id = jobs.fpdb_id AND a.status = 'Analyzing')) \
                     ORDER BY priority DESC, seq LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![to_ns(now), max], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<i64>>>()
                })
                .map_err(map_err)?;
            let sql = format!(
                "UPDATE jobs SET status = 'Analyzing', attempt = attempt + 1, worker = ?2, \
                 lease_expires = ?3 WHERE seq = ?1 RETURNING {JOB_COLS}"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut out = Vec::with_capacity(seqs.len());
            for seq in seqs {
                if let Some(job) =
                    first(&mut stmt, params![seq, worker, to_ns(expires)], codec::job)?
                {
                    out.push(Lease {
                        attempt: job.attempt,
                        job,
                        worker: worker.clone(),
                        expires,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn heartbeat(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        expires: OffsetDateTime,
    ) -> Result<bool> {
        let (id, worker) = (job_id.to_string(), worker.to_string());
        self.write_one(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET lease_expires = ?4 WHERE id = ?1 AND status = 'Analyzing' \
                     AND worker = ?2 AND attempt = ?3",
                )
                .and_then(|mut s| s.execute(params![id, worker, attempt, to_ns(expires)]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn complete(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        outcome: Outcome,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let (id, worker) = (job_id.to_string(), worker.to_string());
        let (status, result, code, message) = finished(outcome);
        self.write_one(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET status = ?4, result = ?5, code = ?6, message = ?7, \
                     finished = ?8, worker = NULL, lease_expires = NULL \
                     WHERE id = ?1 AND status = 'Analyzing' AND worker = ?2 AND attempt = ?3",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        id,
                        worker,
                        attempt,
                        status.as_str(),
                        result,
                        code,
                        message,
                        to_ns(now)
                    ])
                })
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn retry_later(
        &self,
        job_id: &str,
        worker: &str,
        attempt: i64,
        not_before: OffsetDateTime,
    ) -> Result<bool> {
        let (id, worker) = (job_id.to_string(), worker.to_string());
        self.write_one(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET status = 'Queuing', not_before = ?4, worker = NULL, \
                     lease_expires = NULL \
                     WHERE id = ?1 AND status = 'Analyzing' AND worker = ?2 AND attempt = ?3",
                )
                .and_then(|mut s| s.execute(params![id, worker, attempt, to_ns(not_before)]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn reap_expired(&self, now: OffsetDateTime) -> Result<u64> {
        self.write_one(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET status = 'Queuing', worker = NULL, lease_expires = NULL \
                     WHERE status = 'Analyzing' AND lease_expires < ?1",
                )
                .and_then(|mut s| s.execute([to_ns(now)]))
                .map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }

    async fn get_jobs(&self, account_id: &str, kind: JobKind, ids: &[String]) -> Result<Vec<Job>> {
        let account = account_id.to_string();
        let ids = ids.to_vec();
        self.read(move |c| {
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs WHERE id = ?1 AND account_id = ?2 AND kind = ?3"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(job) =
                    first(&mut stmt, params![id, account, kind.as_str()], codec::job)?
                {
                    out.push(job);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn recent_jobs(&self, account_id: &str, kind: JobKind, limit: u32) -> Result<Vec<Job>> {
        let account = account_id.to_string();
        self.read(move |c| {
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs WHERE account_id = ?1 AND kind = ?2 \
                 ORDER BY created DESC, seq DESC LIMIT ?3"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            codec::collect(
                &mut stmt,
                params![account, kind.as_str(), limit],
                codec::job,
            )
        })
        .await
    }

    async fn unfinished_jobs_of_fpdb(&self, fpdb_id: &str) -> Result<Vec<Job>> {
        let fpdb = fpdb_id.to_string();
        self.read(move |c| {
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs WHERE fpdb_id = ?1 \
                 AND status IN ('Queuing', 'Analyzing') ORDER BY seq"
            );
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            codec::collect(&mut stmt, [fpdb], codec::job)
        })
        .await
    }

    /// Deletes in chunks, one writer transaction each, so that cleaning a large backlog never
    /// holds the writer (and every request behind it) for long.
    async fn delete_finished_before(&self, before: OffsetDateTime) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let n = self
                .write_one(move |c| {
                    let n = c
                        .prepare_cached(
                            "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs \
                             WHERE finished < ?1 AND status IN ('Success', 'Fail') LIMIT ?2)",
                        )
                        .and_then(|mut s| s.execute(params![to_ns(before), RETENTION_CHUNK]))
                        .map_err(map_err)?;
                    Ok(n as u64)
                })
                .await?;
            total += n;
            if n < RETENTION_CHUNK as u64 {
                return Ok(total);
            }
        }
    }
}

/// Finished jobs deleted per writer transaction by retention.
pub(crate) const RETENTION_CHUNK: i64 = 2_000;
