//! The only way to a handler: a request whose signature and timestamp were checked.

use crate::params::Params;
use crate::{ResponseFormat, SignatureKind, TIMESTAMP_WINDOW};
use time::OffsetDateTime;

/// A request whose signature and timestamp held. Only obtainable through
/// [`crate::UnverifiedRequest::verify`], so an unverified request cannot reach a handler.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    pub(crate) access_key_id: String,
    pub(crate) action: String,
    pub(crate) nonce: String,
    pub(crate) timestamp: OffsetDateTime,
    pub(crate) kind: SignatureKind,
    pub(crate) format: ResponseFormat,
    pub(crate) params: Params,
}

impl VerifiedRequest {
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn action(&self) -> &str {
        &self.action
    }

    /// `SignatureNonce` (V1) or `x-acs-signature-nonce` (V3).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `Timestamp` (V1) or `x-acs-date` (V3).
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// Until when the nonce must be remembered: after this instant the timestamp check alone
    /// refuses a replay (timestamp + window; the window applies both ways).
    pub fn nonce_expires_at(&self) -> OffsetDateTime {
        self.timestamp
            .checked_add(TIMESTAMP_WINDOW)
            .unwrap_or(self.timestamp)
    }

    pub fn kind(&self) -> SignatureKind {
        self.kind
    }

    pub fn format(&self) -> ResponseFormat {
        self.format
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn into_params(self) -> Params {
        self.params
    }
}
