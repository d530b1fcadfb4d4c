//! SubmitFpDBDeleteJob and QueryFpDBDeleteJobList: purging (emptying) or deleting a library as
//! an asynchronous job.
//!
//! What happens to other work on the library (docs/compatibility.md repeats this):
//! - A purge runs in the job queue like any job. When it runs, the library turns `offline`, a
//!   new epoch starts (new entries go to new, empty index files), the old epoch's files are
//!   removed, and the library is `active` again. Everything stored before the purge started is
//!   gone; work that stores after it lands in the new epoch, and work that began before it and
//!   stores later is fenced by the epoch and stores nothing into the old one.
//! - A delete marks the library `deleted` first (from then on every request and job naming it
//!   is refused as not found) and then removes its files; a crash in between is finished by the
//!   job's next attempt.

use crate::runtime::RunError;
use crate::{Engine, EngineError};
use fpshot_store::{Job, JobKind, NewJob};
use fpshot_types::{ApiError, DelType, FpDbStatus, new_id, now_utc};

/// Most ids QueryFpDBDeleteJobList takes in one call.
pub const MAX_QUERY_IDS: usize = 100;
/// Jobs QueryFpDBDeleteJobList returns without ids.
pub const RECENT_JOBS: u32 = 20;
/// Longest `UserData`, in bytes.
pub const MAX_USER_DATA: usize = 128;

#[derive(Debug, Clone, Default)]
pub struct SubmitFpDbDeleteJob {
    pub fpdb_id: String,
    pub del_type: Option<String>,
    pub pipeline_id: Option<String>,
    pub user_data: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FpDbDeleteJobList {
    pub jobs: Vec<Job>,
    pub non_exist: Vec<String>,
}

pub(crate) fn check_user_data(user_data: Option<&str>) -> Result<(), EngineError> {
    match user_data {
        Some(u) if u.len() > MAX_USER_DATA => Err(EngineError::invalid(
            "UserData",
            format!(
                "It must be at most {MAX_USER_DATA} bytes long (it is {} bytes).",
                u.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// The `DelType` of a stored job (Purge when absent, as at submission).
pub fn del_type_of(job: &Job) -> DelType {
    job.payload
        .get("DelType")
        .and_then(|v| v.as_str())
        .and_then(|s| DelType::parse(s).ok())
        .unwrap_or(DelType::Purge)
}

impl Engine {
    pub async fn submit_fpdb_delete_job(
        &self,
        account_id: &str,
        req: SubmitFpDbDeleteJob,
    ) -> Result<Job, EngineError> {
        if req.fpdb_id.is_empty() {
            return Err(EngineError::Missing("FpDBId"));
        }
        let del_type = match req.del_type.as_deref().filter(|s| !s.is_empty()) {
            None => DelType::Purge,
            Some(s) => DelType::parse(s)
                .map_err(|_| EngineError::invalid("DelType", "Accepted values: Purge, Delete."))?,
        };
        check_user_data(req.user_data.as_deref())?;
        let db = self.live_fpdb(account_id, &req.fpdb_id).await?;
        let pipeline = self
            .job_pipeline(account_id, req.pipeline_id.as_deref())
            .await?;
        let job = NewJob {
            id: new_id(),
            account_id: account_id.to_string(),
            kind: JobKind::FpDbDelete,
            pipeline_id: pipeline,
            fpdb_id: Some(db.id),
            user_data: req.user_data.filter(|u| !u.is_empty()),
            payload: serde_json::json!({ "DelType": del_type.as_str() }),
            created: now_utc(),
        };
        let job = self.store().enqueue(job).await?;
        self.wake_workers();
        Ok(job)
    }

    /// By ids (in the order asked, repeats and spaces already removed by the caller; unknown
    /// and other accounts' ids in `non_exist`), or the 20 most recent jobs, newest first.
    pub async fn query_fpdb_delete_job_list(
        &self,
        account_id: &str,
        ids: &[String],
    ) -> Result<FpDbDeleteJobList, EngineError> {
        if ids.is_empty() {
            let jobs = self
                .store()
                .recent_jobs(account_id, JobKind::FpDbDelete, RECENT_JOBS)
                .await?;
            return Ok(FpDbDeleteJobList {
                jobs,
                non_exist: vec![],
            });
        }
        if ids.len() > MAX_QUERY_IDS {
            return Err(EngineError::invalid(
                "JobIds",
                format!("At most {MAX_QUERY_IDS} ids are accepted."),
            ));
        }
        let jobs = self
            .store()
            .get_jobs(account_id, JobKind::FpDbDelete, ids)
            .await?;
        let non_exist = crate::unknown_ids(ids, jobs.iter().map(|j| j.id.as_str()));
        Ok(FpDbDeleteJobList { jobs, non_exist })
    }

    pub(crate) async fn run_fpdb_delete_job(
        &self,
        job: &Job,
    ) -> Result<serde_json::Value, RunError> {
        let fpdb_id = job.fpdb_id.clone().unwrap_or_default();
        let db = self
            .store()
            .get_fpdbs(&job.account_id, std::slice::from_ref(&fpdb_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| RunError::Fail(ApiError::not_found("FpDB", &fpdb_id)))?;
        let del_type = del_type_of(job);
        if db.status == FpDbStatus::Deleted {
            // A later attempt of this very Delete finishes what a crash interrupted.
            if del_type == DelType::Delete && job.attempt > 1 {
                self.on_files(move |f| f.destroy(&fpdb_id)).await?;
                return Ok(serde_json::json!({}));
            }
            return Err(RunError::Fail(ApiError::not_found(
                "FpDB",
                &format!("{fpdb_id} (it has been deleted)"),
            )));
        }
        match del_type {
            DelType::Purge => {
                let store = self.store();
                store.set_fpdb_status(&fpdb_id, FpDbStatus::Offline).await?;
                let epoch = store.bump_fpdb_epoch(&fpdb_id).await?;
                let id = fpdb_id.clone();
                self.on_files(move |f| {
                    f.create_epoch(&id, epoch)?;
                    f.remove_epochs_before(&id, epoch)
                })
                .await?;
                store.set_fpdb_status(&fpdb_id, FpDbStatus::Active).await?;
            }
            DelType::Delete => {
                self.store()
                    .set_fpdb_status(&fpdb_id, FpDbStatus::Deleted)
                    .await?;
                self.on_files(move |f| f.destroy(&fpdb_id)).await?;
            }
        }
        Ok(serde_json::json!({}))
    }
}
