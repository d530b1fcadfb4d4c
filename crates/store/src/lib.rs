//! Metadata store of fpshot: accounts and keys, nonces, pipelines, fingerprint libraries and the
//! durable job queue, behind traits so that the embedded SQLite store and a PostgreSQL store can
//! serve the same engine. Knows nothing of HTTP.

mod error;
mod model;
mod traits;

pub use error::StoreError;
pub use model::*;
pub use traits::*;
