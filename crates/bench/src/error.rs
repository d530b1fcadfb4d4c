use thiserror::Error;

/// Everything that can stop a benchmark run.
#[derive(Debug, Error)]
pub enum BenchError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: {0}")]
    Store(#[from] fpshot_store::StoreError),
    #[error("engine: {0}")]
    Engine(#[from] fpshot_engine::EngineError),
    #[error("database probe: {0}")]
    Probe(#[from] rusqlite::Error),
    #[error("http client: {0}")]
    Http(String),
    #[error("{0}")]
    Setup(String),
}

pub type Result<T> = std::result::Result<T, BenchError>;
