//! Rows to records and PostgreSQL errors to `StoreError`.

use crate::{AccessKey, Account, FpDb, Job, JobKind, Pipeline, StoreError};
use fpshot_types::{FpDbStatus, JobStatus, ModelId, PipelineState};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

pub(crate) use crate::sqlite::codec::{from_ns, to_i64, to_ns};

type Result<T> = std::result::Result<T, StoreError>;

pub(crate) fn map_err(e: tokio_postgres::Error) -> StoreError {
    match e.code() {
        // No SQLSTATE: the connection broke or timed out.
        None => StoreError::Unavailable(e.to_string()),
        Some(code)
            if code.code().starts_with("08")
                || code.code().starts_with("57")
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::LOCK_NOT_AVAILABLE
                || *code == SqlState::TOO_MANY_CONNECTIONS =>
        {
            StoreError::Unavailable(e.to_string())
        }
        Some(_) => StoreError::Database(e.to_string()),
    }
}

pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    row.try_get(idx)
        .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt("stored JSON", e))
}

pub(crate) use crate::sqlite::codec::{ACCOUNT_COLS, FPDB_COLS, JOB_COLS, KEY_COLS, PIPELINE_COLS};

pub(crate) fn account(row: &Row) -> Result<Account> {
    Ok(Account {
        id: col(row, 0)?,
        name: col(row, 1)?,
        created: from_ns(col(row, 2)?)?,
    })
}

pub(crate) fn access_key(row: &Row) -> Result<AccessKey> {
    Ok(AccessKey {
        id: col(row, 0)?,
        secret: col(row, 1)?,
        account_id: col(row, 2)?,
        enabled: col(row, 3)?,
        created: from_ns(col(row, 4)?)?,
    })
}

pub(crate) fn pipeline(row: &Row) -> Result<Pipeline> {
    let state: String = col(row, 3)?;
    Ok(Pipeline {
        id: col(row, 0)?,
        account_id: col(row, 1)?,
        name: col(row, 2)?,
        state: PipelineState::parse(&state).map_err(|e| corrupt("pipeline state", e))?,
        speed: col(row, 4)?,
        speed_level: col(row, 5)?,
        quota_allocate: col(row, 6)?,
        role: col(row, 7)?,
        notify_config: col(row, 8)?,
        extend_config: col(row, 9)?,
        priority: col(row, 10)?,
        is_default: col(row, 11)?,
        created: from_ns(col(row, 12)?)?,
    })
}

pub(crate) fn fpdb(row: &Row) -> Result<FpDb> {
    let model: i64 = col(row, 4)?;
    let status: String = col(row, 6)?;
    Ok(FpDb {
        id: col(row, 0)?,
        account_id: col(row, 1)?,
        name: col(row, 2)?,
        description: col(row, 3)?,
        model_id: ModelId::from_int(model).ok_or_else(|| corrupt("model id", model))?,
        config: col(row, 5)?,
        status: FpDbStatus::parse(&status).map_err(|e| corrupt("library status", e))?,
        epoch: col(row, 7)?,
        created: from_ns(col(row, 8)?)?,
    })
}

pub(crate) fn job(row: &Row) -> Result<Job> {
    let kind: String = col(row, 2)?;
    let payload: String = col(row, 6)?;
    let status: String = col(row, 7)?;
    let result: Option<String> = col(row, 8)?;
    let finished: Option<i64> = col(row, 12)?;
    Ok(Job {
        id: col(row, 0)?,
        account_id: col(row, 1)?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?,
        pipeline_id: col(row, 3)?,
        fpdb_id: col(row, 4)?,
        user_data: col(row, 5)?,
        payload: json(&payload)?,
        status: JobStatus::parse(&status).map_err(|e| corrupt("job status", e))?,
        result: result.as_deref().map(json).transpose()?,
        code: col(row, 9)?,
        message: col(row, 10)?,
        created: from_ns(col(row, 11)?)?,
        finished: finished.map(from_ns).transpose()?,
        attempt: col(row, 13)?,
    })
}

pub(crate) fn all<T>(rows: &[Row], map: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(map).collect()
}
