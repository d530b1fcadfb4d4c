//! Rows to records, shared by both backends: each backend only says how to read one column of
//! its row type ([`Columns`]); the field-by-field decoding and the column lists live here once.

use crate::{AccessKey, Account, FpDb, Job, JobKind, Pipeline, StoreError};
use fpshot_types::{FpDbStatus, JobStatus, ModelId, PipelineState};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// Reads typed columns of one result row by position; a type mismatch is corrupt data, not a
/// query error. Only the column types the records use.
pub(crate) trait Columns {
    fn text(&self, idx: usize) -> Result<String>;
    fn opt_text(&self, idx: usize) -> Result<Option<String>>;
    fn int(&self, idx: usize) -> Result<i64>;
    fn opt_int(&self, idx: usize) -> Result<Option<i64>>;
    fn flag(&self, idx: usize) -> Result<bool>;
}

/// Implements [`Columns`] for a backend's row type through its one generic column reader
/// `$col(row, idx)` (each driver has its own `FromSql` trait, so the reader stays per backend).
macro_rules! impl_columns {
    ($row:ty, $col:path) => {
        impl $crate::codec::Columns for $row {
            fn text(&self, idx: usize) -> std::result::Result<String, $crate::StoreError> {
                $col(self, idx)
            }
            fn opt_text(
                &self,
                idx: usize,
            ) -> std::result::Result<Option<String>, $crate::StoreError> {
                $col(self, idx)
            }
            fn int(&self, idx: usize) -> std::result::Result<i64, $crate::StoreError> {
                $col(self, idx)
            }
            fn opt_int(&self, idx: usize) -> std::result::Result<Option<i64>, $crate::StoreError> {
                $col(self, idx)
            }
            fn flag(&self, idx: usize) -> std::result::Result<bool, $crate::StoreError> {
                $col(self, idx)
            }
        }
    };
}
pub(crate) use impl_columns;

/// Times are stored as Unix nanoseconds (exact round trip; sortable; fits until year 2262).
pub(crate) fn to_ns(t: OffsetDateTime) -> i64 {
    let ns = t.unix_timestamp_nanos();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

pub(crate) fn from_ns(ns: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .map_err(|e| StoreError::Corrupt(format!("time {ns}: {e}")))
}

/// Clamps an API count (u64/usize) into the databases' signed integers.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt("stored JSON", e))
}

pub(crate) const ACCOUNT_COLS: &str = "id, name, created";

pub(crate) fn account<R: Columns + ?Sized>(row: &R) -> Result<Account> {
    Ok(Account {
        id: row.text(0)?,
        name: row.text(1)?,
        created: from_ns(row.int(2)?)?,
    })
}

pub(crate) const KEY_COLS: &str = "id, secret, account_id, enabled, created";

pub(crate) fn access_key<R: Columns + ?Sized>(row: &R) -> Result<AccessKey> {
    Ok(AccessKey {
        id: row.text(0)?,
        secret: row.text(1)?,
        account_id: row.text(2)?,
        enabled: row.flag(3)?,
        created: from_ns(row.int(4)?)?,
    })
}

pub(crate) const PIPELINE_COLS: &str = "id, account_id, name, state, speed, speed_level, \
     quota_allocate, role, notify_config, extend_config, priority, is_default, created";

pub(crate) fn pipeline<R: Columns + ?Sized>(row: &R) -> Result<Pipeline> {
    let state = row.text(3)?;
    Ok(Pipeline {
        id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        state: PipelineState::parse(&state).map_err(|e| corrupt("pipeline state", e))?,
        speed: row.text(4)?,
        speed_level: row.int(5)?,
        quota_allocate: row.int(6)?,
        role: row.text(7)?,
        notify_config: row.text(8)?,
        extend_config: row.text(9)?,
        priority: row.int(10)?,
        is_default: row.flag(11)?,
        created: from_ns(row.int(12)?)?,
    })
}

pub(crate) const FPDB_COLS: &str =
    "id, account_id, name, description, model_id, config, status, epoch, created";

pub(crate) fn fpdb<R: Columns + ?Sized>(row: &R) -> Result<FpDb> {
    let model = row.int(4)?;
    let status = row.text(6)?;
    Ok(FpDb {
        id: row.text(0)?,
        account_id: row.text(1)?,
        name: row.text(2)?,
        description: row.text(3)?,
        model_id: ModelId::from_int(model).ok_or_else(|| corrupt("model id", model))?,
        config: row.text(5)?,
        status: FpDbStatus::parse(&status).map_err(|e| corrupt("library status", e))?,
        epoch: row.int(7)?,
        created: from_ns(row.int(8)?)?,
    })
}

pub(crate) const JOB_COLS: &str = "id, account_id, kind, pipeline_id, fpdb_id, user_data, \
     payload, status, result, code, message, created, finished, attempt";

pub(crate) fn job<R: Columns + ?Sized>(row: &R) -> Result<Job> {
    let kind = row.text(2)?;
    let payload = row.text(6)?;
    let status = row.text(7)?;
    let result = row.opt_text(8)?;
    let finished = row.opt_int(12)?;
    Ok(Job {
        id: row.text(0)?,
        account_id: row.text(1)?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?,
        pipeline_id: row.text(3)?,
        fpdb_id: row.opt_text(4)?,
        user_data: row.opt_text(5)?,
        payload: json(&payload)?,
        status: JobStatus::parse(&status).map_err(|e| corrupt("job status", e))?,
        result: result.as_deref().map(json).transpose()?,
        code: row.opt_text(9)?,
        message: row.opt_text(10)?,
        created: from_ns(row.int(11)?)?,
        finished: finished.map(from_ns).transpose()?,
        attempt: row.int(13)?,
    })
}

#[cfg(test)]
#[path = "codec_test.rs"]
mod tests;
