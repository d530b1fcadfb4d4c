//! Conversions between rows and records, and from SQLite errors to `StoreError`.

use crate::{AccessKey, Account, FpDb, Job, JobKind, Pipeline, StoreError};
use fpshot_types::{FpDbStatus, JobStatus, ModelId, PipelineState};
use rusqlite::{ErrorCode, Row};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// Times are stored as Unix nanoseconds (exact round trip; sortable; fits until year 2262).
pub(crate) fn to_ns(t: OffsetDateTime) -> i64 {
    let ns = t.unix_timestamp_nanos();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

pub(crate) fn from_ns(ns: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .map_err(|e| StoreError::Corrupt(format!("time {ns}: {e}")))
}

pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    map_err_ref(&e)
}

pub(crate) fn map_err_ref(e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::OperationInterrupted
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// True for a UNIQUE / PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Reads a column; a type mismatch is corrupt data, not a query error.
fn col<T: rusqlite::types::FromSql>(row: &Row<'_>, idx: usize) -> Result<T> {
    row.get(idx).map_err(|e| corrupt("column", e))
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt("stored JSON", e))
}

pub(crate) const ACCOUNT_COLS: &str = "id, name, created";

pub(crate) fn account(row: &Row<'_>) -> Result<Account> {
    Ok(Account {
        id: col(row, 0)?,
        name: col(row, 1)?,
        created: from_ns(col(row, 2)?)?,
    })
}

pub(crate) const KEY_COLS: &str = "id, secret, account_id, enabled, created";

pub(crate) fn access_key(row: &Row<'_>) -> Result<AccessKey> {
    Ok(AccessKey {
        id: col(row, 0)?,
        secret: col(row, 1)?,
        account_id: col(row, 2)?,
        enabled: col(row, 3)?,
        created: from_ns(col(row, 4)?)?,
    })
}

pub(crate) const PIPELINE_COLS: &str = "id, account_id, name, state, speed, speed_level, \
     quota_allocate, role, notify_config, extend_config, priority, is_default, created";

pub(crate) fn pipeline(row: &Row<'_>) -> Result<Pipeline> {
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

pub(crate) const FPDB_COLS: &str =
    "id, account_id, name, description, model_id, config, status, epoch, created";

pub(crate) fn fpdb(row: &Row<'_>) -> Result<FpDb> {
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

pub(crate) const JOB_COLS: &str = "id, account_id, kind, pipeline_id, fpdb_id, user_data, \
     payload, status, result, code, message, created, finished, attempt";

pub(crate) fn job(row: &Row<'_>) -> Result<Job> {
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

/// Collects mapped rows of a prepared query.
pub(crate) fn collect<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    map: fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut rows = stmt.query(params).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first mapped row of a prepared query, if any.
pub(crate) fn first<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    map: fn(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut rows = stmt.query(params).map_err(map_err)?;
    match rows.next().map_err(map_err)? {
        Some(row) => Ok(Some(map(row)?)),
        None => Ok(None),
    }
}

/// Clamps an API count (u64/usize) into SQLite's signed integers.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
