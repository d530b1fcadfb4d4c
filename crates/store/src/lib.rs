//! Metadata store of fpshot: accounts and keys, nonces, pipelines, fingerprint libraries and the
//! durable job queue, behind traits so that the embedded SQLite store and a PostgreSQL store can
//! serve the same engine. Knows nothing of HTTP.

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod model;
#[cfg(feature = "postgres")]
mod pg;
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
