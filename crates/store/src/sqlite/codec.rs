//! SQLite rows as [`Columns`] (the decoders are shared, in `crate::codec`), and SQLite errors
//! to `StoreError`.

use crate::StoreError;
use crate::codec::{corrupt, impl_columns};
use rusqlite::{ErrorCode, Row};

pub(crate) use crate::codec::{
    ACCOUNT_COLS, FPDB_COLS, JOB_COLS, KEY_COLS, PIPELINE_COLS, access_key, account, fpdb, job,
    pipeline, to_i64, to_ns,
};

type Result<T> = std::result::Result<T, StoreError>;

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

/// An INSERT's outcome: a UNIQUE violation is a `Conflict` on `what()`, other errors map as usual.
pub(crate) fn or_conflict<T>(
    r: std::result::Result<T, rusqlite::Error>,
    what: impl FnOnce() -> String,
) -> Result<T> {
    r.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(what())
        } else {
            map_err(e)
        }
    })
}

/// Reads a column; a type mismatch is corrupt data, not a query error.
fn col<T: rusqlite::types::FromSql>(row: &Row<'_>, idx: usize) -> Result<T> {
    row.get(idx).map_err(|e| corrupt("column", e))
}

impl_columns!(Row<'_>, col);

/// Collects mapped rows of a prepared query.
pub(crate) fn collect<'s, T>(
    stmt: &'s mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    map: fn(&Row<'s>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut rows = stmt.query(params).map_err(map_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// The first mapped row of a prepared query, if any.
pub(crate) fn first<'s, T>(
    stmt: &'s mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    map: fn(&Row<'s>) -> Result<T>,
) -> Result<Option<T>> {
    let mut rows = stmt.query(params).map_err(map_err)?;
    match rows.next().map_err(map_err)? {
        Some(row) => Ok(Some(map(row)?)),
        None => Ok(None),
    }
}
