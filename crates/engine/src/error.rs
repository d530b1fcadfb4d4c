use fpshot_store::StoreError;
use fpshot_types::{ApiError, Code};
use thiserror::Error;

/// What can go wrong in the domain layer. Mapped to the Alibaba code table once, in
/// [`EngineError::to_api`].
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{0} is mandatory for this action")]
    Missing(&'static str),
    #[error("parameter {param} is not valid: {why}")]
    Invalid { param: &'static str, why: String },
    #[error("{what} {id} cannot be found")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    InvalidState(String),
    #[error("the {resource} quota of {limit} has been used up")]
    Quota { resource: &'static str, limit: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("storage of library files: {0}")]
    Files(#[from] std::io::Error),
}

impl EngineError {
    pub fn invalid(param: &'static str, why: impl Into<String>) -> Self {
        EngineError::Invalid {
            param,
            why: why.into(),
        }
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        EngineError::NotFound {
            what,
            id: id.into(),
        }
    }

    /// True when a retry may succeed (the database or the disk was briefly unavailable).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EngineError::Store(StoreError::Unavailable(_)) | EngineError::Files(_)
        )
    }

    pub fn to_api(&self) -> ApiError {
        match self {
            EngineError::Missing(p) => ApiError::missing(p),
            EngineError::Invalid { param, why } => ApiError::invalid(param, why),
            EngineError::NotFound { what, id } => ApiError::not_found(what, id),
            EngineError::InvalidState(msg) => ApiError::new(Code::InvalidState, msg.clone()),
            EngineError::Quota { resource, limit } => ApiError::new(
                Code::QuotaExceeded(resource),
                format!("The resource \"{resource}\" quota has been used up (limit {limit})."),
            ),
            EngineError::Store(StoreError::QuotaExceeded { resource, limit }) => {
                EngineError::Quota {
                    resource,
                    limit: *limit,
                }
                .to_api()
            }
            EngineError::Store(StoreError::Unavailable(_)) => ApiError::unavailable(),
            EngineError::Store(_) | EngineError::Files(_) => ApiError::internal(),
        }
    }
}
