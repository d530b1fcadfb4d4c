//! Metadata store of fpshot: accounts and keys, nonces, pipelines, fingerprint libraries and the
//! durable job queue, behind traits so that the embedded SQLite store and a PostgreSQL store can
//! serve the same engine. Knows nothing of HTTP.
//!
//! - [`SqliteStore`] (default): one file in WAL mode; a single writer thread commits concurrent
//!   writes in groups (one transaction, a SAVEPOINT per write), read-only connections serve
//!   queries beside it. Acknowledged writes survive a process crash or `kill -9`.
//! - `PgStore` (feature `postgres`): the same contract on PostgreSQL, for several nodes.
//! - `conformance` (feature `conformance`, always in this crate's tests): the behaviours every
//!   implementation must show; `conformance::run_all(|| async { make_store() })` runs them.
//!
//! Jobs: one table for every kind. Claims take `Queuing`, due jobs of `Active` pipelines, higher
//! pipeline priority first and FIFO (enqueue order) within a priority; a claimed job is
//! `Analyzing` with `attempt + 1` and a lease, and every later step is fenced by
//! `(worker, attempt)`.

mod codec;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod model;
#[cfg(feature = "postgres")]
mod pg;
mod shared;
mod sqlite;
mod traits;

pub use error::StoreError;
pub use model::*;
#[cfg(feature = "postgres")]
pub use pg::{PgOptions, PgStore};
pub use sqlite::{
    DEFAULT_PIPELINE_NAME, DEFAULT_PIPELINE_PRIORITY, DEFAULT_PIPELINE_QUOTA_ALLOCATE,
    DEFAULT_PIPELINE_SPEED, DEFAULT_PIPELINE_SPEED_LEVEL, SqliteOptions, SqliteStore,
    default_pipeline,
};
pub use traits::*;

#[cfg(test)]
#[path = "job_model_test.rs"]
mod job_model_test;
