//! The job queue on PostgreSQL: `FOR UPDATE SKIP LOCKED` claims, fenced completion.

use super::PgStore;
use super::codec::{self, JOB_COLS, map_err, or_conflict, to_ns};
use crate::shared::{finished, queued};
use crate::sqlite::RETENTION_CHUNK;
use crate::{Job, JobKind, JobQueue, Lease, NewJob, Outcome, StoreError};
use async_trait::async_trait;
use std::time::Duration;
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// The fence of every lease-holder operation.
/// Names the advisory lock that serializes claims across nodes ("fpclaim").
const CLAIM_LOCK: i64 = 0x0066_7063_6c61_696d;
const HELD: &str = "id = $1 AND status = 'Analyzing' AND worker = $2 AND attempt = $3";

#[async_trait]
impl JobQueue for PgStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job> {
        self.timed(async {
            let c = self.client().await?;
            // FOR SHARE: a concurrent UpdatePipeline (FOR UPDATE) cannot slip between reading
            // the pipeline's priority/state and this job becoming visible to its job update.
            let st = c
                .prepare_cached(
                    "INSERT INTO jobs (id, account_id, kind, pipeline_id, fpdb_id, user_data, \
                     payload, status, created, attempt, priority, paused, not_before) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, 'Queuing', $8, 0, p.priority, \
                     p.state = 'Paused', $9 FROM pipelines p WHERE p.id = $4 FOR SHARE",
                )
                .await
                .map_err(map_err)?;
            let payload = job.payload.to_string();
            let inserted = c
                .execute(
                    &st,
                    &[
                        &job.id,
                        &job.account_id,
                        &job.kind.as_str(),
                        &job.pipeline_id,
                        &job.fpdb_id,
                        &job.user_data,
                        &payload,
                        &to_ns(job.created),
                        &i64::MIN,
                    ],
                )
                .await;
            if or_conflict(inserted, || format!("job {}", job.id))? != 1 {
                return Err(StoreError::Database(format!(
                    "job {} names pipeline {}, which does not exist",
                    job.id, job.pipeline_id
                )));
            }
            Ok(())
        })
        .await?;
        Ok(queued(job))
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
        let expires = time::Duration::try_from(lease)
            .ok()
            .and_then(|d| now.checked_add(d))
            .ok_or_else(|| StoreError::Database(format!("lease of {lease:?} is out of range")))?;
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.timed(async {
            let mut c = self.client().await?;
            // Claims are serialized cluster-wide (a transaction-scoped advisory lock) so that the
            // one-running-job-per-library rule below cannot be raced by two nodes.
            let tx = c.transaction().await.map_err(map_err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CLAIM_LOCK])
                .await
                .map_err(map_err)?;
            let sql = format!(
                "WITH picked AS (SELECT seq FROM jobs WHERE status = 'Queuing' AND NOT paused \
                 AND not_before <= $1 AND (fpdb_id IS NULL OR NOT EXISTS (SELECT 1 FROM jobs a \
                 WHERE a.fpdb_id = jobs.fpdb_id AND a.status = 'Analyzing')) \
                 ORDER BY priority DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET status = 'Analyzing', attempt = attempt + 1, worker = $3, \
                 lease_expires = $4 FROM picked WHERE jobs.seq = picked.seq \
                 RETURNING {cols}, jobs.priority, jobs.seq",
                cols = JOB_COLS
                    .split(", ")
                    .map(|col| format!("jobs.{col}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let st = tx.prepare_cached(&sql).await.map_err(map_err)?;
            let rows = tx
                .query(&st, &[&to_ns(now), &max, &worker, &to_ns(expires)])
                .await
                .map_err(map_err)?;
            let mut claimed = Vec::with_capacity(rows.len());
            for row in &rows {
                let priority: i64 = row.try_get(14).map_err(map_err)?;
                let seq: i64 = row.try_get(15).map_err(map_err)?;
                claimed.push((priority, seq, codec::job(row)?));
            }
            tx.commit().await.map_err(map_err)?;
            // RETURNING has no order: restore the claim order.
            claimed.sort_by_key(|(priority, seq, _)| (-priority, *seq));
            Ok(claimed
                .into_iter()
                .map(|(_, _, job)| Lease {
                    attempt: job.attempt,
                    job,
                    worker: worker.to_string(),
                    expires,
                })
                .collect())
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
        self.timed(async {
            let c = self.client().await?;
            let sql = format!("UPDATE jobs SET lease_expires = $4 WHERE {HELD}");
            let n = c
                .execute(&sql, &[&job_id, &worker, &attempt, &to_ns(expires)])
                .await
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
        let (status, result, code, message) = finished(outcome);
        self.timed(async {
            let c = self.client().await?;
            let sql = format!(
                "UPDATE jobs SET status = $4, result = $5, code = $6, message = $7, finished = $8, \
                 worker = NULL, lease_expires = NULL WHERE {HELD}"
            );
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let n = c
                .execute(
                    &st,
                    &[
                        &job_id,
                        &worker,
                        &attempt,
                        &status.as_str(),
                        &result,
                        &code,
                        &message,
                        &to_ns(now),
                    ],
                )
                .await
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
        self.timed(async {
            let c = self.client().await?;
            let sql = format!(
                "UPDATE jobs SET status = 'Queuing', not_before = $4, worker = NULL, \
                 lease_expires = NULL WHERE {HELD}"
            );
            let n = c
                .execute(&sql, &[&job_id, &worker, &attempt, &to_ns(not_before)])
                .await
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn reap_expired(&self, now: OffsetDateTime) -> Result<u64> {
        self.timed(async {
            let c = self.client().await?;
            c.execute(
                "UPDATE jobs SET status = 'Queuing', worker = NULL, lease_expires = NULL \
                 WHERE status = 'Analyzing' AND lease_expires < $1",
                &[&to_ns(now)],
            )
            .await
            .map_err(map_err)
        })
        .await
    }

    async fn get_jobs(&self, account_id: &str, kind: JobKind, ids: &[String]) -> Result<Vec<Job>> {
        self.timed(async {
            let c = self.client().await?;
            // One round trip; `ord` keeps the order asked for.
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs JOIN unnest($1::TEXT[]) WITH ORDINALITY AS asked(id, ord) \
                 USING (id) WHERE account_id = $2 AND kind = $3 ORDER BY asked.ord"
            );
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let rows = c
                .query(&st, &[&ids, &account_id, &kind.as_str()])
                .await
                .map_err(map_err)?;
            codec::all(&rows, codec::job)
        })
        .await
    }

    async fn recent_jobs(&self, account_id: &str, kind: JobKind, limit: u32) -> Result<Vec<Job>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs WHERE account_id = $1 AND kind = $2 \
                 ORDER BY created DESC, seq DESC LIMIT $3"
            );
            let st = c.prepare_cached(&sql).await.map_err(map_err)?;
            let rows = c
                .query(&st, &[&account_id, &kind.as_str(), &i64::from(limit)])
                .await
                .map_err(map_err)?;
            codec::all(&rows, codec::job)
        })
        .await
    }

    async fn unfinished_jobs_of_fpdb(&self, fpdb_id: &str) -> Result<Vec<Job>> {
        self.timed(async {
            let c = self.client().await?;
            let sql = format!(
                "SELECT {JOB_COLS} FROM jobs WHERE fpdb_id = $1 \
                 AND status IN ('Queuing', 'Analyzing') ORDER BY seq"
            );
            let rows = c.query(&sql, &[&fpdb_id]).await.map_err(map_err)?;
            codec::all(&rows, codec::job)
        })
        .await
    }

    /// Deletes in chunks (short transactions, short locks), like the SQLite store.
    async fn delete_finished_before(&self, before: OffsetDateTime) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let n = self
                .timed(async {
                    let c = self.client().await?;
                    c.execute(
                        "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs \
                         WHERE finished < $1 AND status IN ('Success', 'Fail') LIMIT $2)",
                        &[&to_ns(before), &RETENTION_CHUNK],
                    )
                    .await
                    .map_err(map_err)
                })
                .await?;
            total += n;
            if n < RETENTION_CHUNK as u64 {
                return Ok(total);
            }
        }
    }
}
