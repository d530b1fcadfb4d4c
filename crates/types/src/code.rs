//! The Alibaba error-code table: every error fpshot answers with, its `Code` string and its HTTP
//! status, in one place (spec §2.8). Each crate's own error enum maps into [`ApiError`] once.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// `Missing<Param>` (current POP form), e.g. `MissingFpDBId`.
    Missing(String),
    InvalidParameter,
    InvalidParameterOutOfRange,
    /// `InvalidParameter.ResourceNotFound`: an id that does not exist for this account.
    ResourceNotFound,
    /// `InvalidParameter.InvalidState`: the resource exists but cannot take this request now.
    InvalidState,
    /// `QuotaExceeded.<Resource>`: e.g. `QuotaExceeded.FpDB`.
    QuotaExceeded(&'static str),
    InvalidActionNotFound,
    /// An action of the MPS API that this server does not serve (yet).
    UnsupportedOperation,
    NoSuchVersion,
    MissingAccessKeyId,
    InvalidAccessKeyIdNotFound,
    /// `InvalidAccessKeyId.Inactive`: the key exists but was disabled by the operator.
    InvalidAccessKeyIdInactive,
    SignatureDoesNotMatch,
    IncompleteSignature,
    InvalidTimeStampExpired,
    IllegalTimestamp,
    SignatureNonceUsed,
    Throttling,
    ThrottlingUser,
    ForbiddenRam,
    Forbidden,
    /// The request body was larger than the configured limit.
    RequestEntityTooLarge,
    /// The request did not finish within the configured per-request timeout.
    RequestTimeout,
    InternalError,
    ServiceUnavailable,
}

impl Code {
    /// The `Code` string of the error envelope.
    pub fn as_string(&self) -> String {
        match self {
            Code::Missing(p) => format!("Missing{p}"),
            Code::QuotaExceeded(r) => format!("QuotaExceeded.{r}"),
            other => other.fixed_str().to_string(),
        }
    }

    fn fixed_str(&self) -> &'static str {
        match self {
            Code::Missing(_) => "MissingParameter",
            Code::QuotaExceeded(_) => "QuotaExceeded",
            Code::InvalidParameter => "InvalidParameter",
            Code::InvalidParameterOutOfRange => "InvalidParameter.OutOfRange",
            Code::ResourceNotFound => "InvalidParameter.ResourceNotFound",
            Code::InvalidState => "InvalidParameter.InvalidState",
            Code::InvalidActionNotFound => "InvalidAction.NotFound",
            Code::UnsupportedOperation => "UnsupportedOperation",
            Code::NoSuchVersion => "NoSuchVersion",
            Code::MissingAccessKeyId => "MissingAccessKeyId",
            Code::InvalidAccessKeyIdNotFound => "InvalidAccessKeyId.NotFound",
            Code::InvalidAccessKeyIdInactive => "InvalidAccessKeyId.Inactive",
            Code::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Code::IncompleteSignature => "IncompleteSignature",
            Code::InvalidTimeStampExpired => "InvalidTimeStamp.Expired",
            Code::IllegalTimestamp => "IllegalTimestamp",
            Code::SignatureNonceUsed => "SignatureNonceUsed",
            Code::Throttling => "Throttling",
            Code::ThrottlingUser => "Throttling.User",
            Code::ForbiddenRam => "Forbidden.RAM",
            Code::Forbidden => "Forbidden",
            Code::RequestEntityTooLarge => "RequestEntityTooLarge",
            Code::RequestTimeout => "RequestTimeout",
            Code::InternalError => "InternalError",
            Code::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// HTTP status of the error. Where the spec leaves a status UNCONFIRMED the choice is written
    /// down in docs/compatibility.md.
    pub fn http_status(&self) -> u16 {
        match self {
            Code::InvalidActionNotFound | Code::InvalidAccessKeyIdNotFound => 404,
            Code::ResourceNotFound => 404,
            Code::ForbiddenRam | Code::Forbidden | Code::InvalidAccessKeyIdInactive => 403,
            Code::RequestEntityTooLarge => 413,
            Code::RequestTimeout => 408,
            Code::InternalError => 500,
            Code::ServiceUnavailable => 503,
            _ => 400,
        }
    }

    /// True for errors the caller caused (4xx): a job failing this way is not retried.
    pub fn is_client_error(&self) -> bool {
        self.http_status() < 500
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// An error as the API reports it: a code from the table and a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `Missing<Name>` with POP's current wording.
    pub fn missing(param: &str) -> Self {
        Self::new(
            Code::Missing(param.to_string()),
            format!("{param} is mandatory for this action."),
        )
    }

    /// `InvalidParameter` naming the parameter and why.
    pub fn invalid(param: &str, why: impl fmt::Display) -> Self {
        Self::new(
            Code::InvalidParameter,
            format!("The specified parameter \"{param}\" is not valid. {why}"),
        )
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            Code::ResourceNotFound,
            format!("The resource operated \"{what}\" cannot be found: {id}."),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            Code::InternalError,
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            Code::ServiceUnavailable,
            "The request has failed due to a temporary failure of the server.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_table() {
        assert_eq!(
            ApiError::missing("FpDBId").code.as_string(),
            "MissingFpDBId"
        );
        assert_eq!(Code::InvalidActionNotFound.http_status(), 404);
        assert_eq!(
            Code::InvalidAccessKeyIdNotFound.as_string(),
            "InvalidAccessKeyId.NotFound"
        );
        assert_eq!(Code::SignatureDoesNotMatch.http_status(), 400);
        assert_eq!(Code::InternalError.http_status(), 500);
        assert_eq!(
            Code::QuotaExceeded("FpDB").as_string(),
            "QuotaExceeded.FpDB"
        );
        assert!(!Code::ServiceUnavailable.is_client_error());
    }
}
