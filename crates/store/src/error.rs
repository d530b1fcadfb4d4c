use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A per-account quota would be exceeded (`resource` is e.g. "FpDB", "Pipeline").
    #[error("the {resource} quota of {limit} has been used up")]
    QuotaExceeded { resource: &'static str, limit: u32 },
    /// A unique value (id, key id) is taken already.
    #[error("{0} exists already")]
    Conflict(String),
    /// The database answered with an error; the message keeps its cause for the log.
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be reached or a call took longer than its timeout: worth a retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that does not parse (a bug or a hand-edited database).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}
