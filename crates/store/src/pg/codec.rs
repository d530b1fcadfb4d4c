//! PostgreSQL rows as [`Columns`] (the decoders are shared, in `crate::codec`), and PostgreSQL
//! errors to `StoreError`.

use crate::StoreError;
use crate::codec::impl_columns;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

pub(crate) use crate::codec::{
    ACCOUNT_COLS, FPDB_COLS, JOB_COLS, KEY_COLS, PIPELINE_COLS, access_key, account, fpdb, job,
    pipeline, to_i64, to_ns,
};

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

/// An INSERT's outcome: a UNIQUE violation is a `Conflict` on `what()`, other errors map as usual.
pub(crate) fn or_conflict<T>(
    r: std::result::Result<T, tokio_postgres::Error>,
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

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    row.try_get(idx)
        .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

impl_columns!(Row, col);

pub(crate) fn all<T>(rows: &[Row], map: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(map).collect()
}
