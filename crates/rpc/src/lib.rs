//! fpshot-rpc: the Alibaba Cloud RPC protocol as the official MPS SDKs speak it (spec §2).
//!
//! Parsing (query ∪ form body), signature V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256)
//! verification and client-side signing, the timestamp window, and the JSON/XML response and
//! error envelopes. No IO: the server hands in the raw request parts and sends what comes back.
//!
//! Server flow: [`UnverifiedRequest::parse`] → look the key up by
//! [`UnverifiedRequest::access_key_id`] → [`UnverifiedRequest::verify`] with its secret →
//! check the nonce (key it by access key id and nonce, keep it until
//! [`VerifiedRequest::nonce_expires_at`]) → handler gets the [`VerifiedRequest`] →
//! [`render_success`] / [`render_error`]. The format to render in: [`VerifiedRequest::format`];
//! [`UnverifiedRequest::format`] for errors before or from `verify` (take it before calling
//! `verify`, which consumes the request); [`ResponseFormat::detect`] when `parse` failed.
//! The `Host` header must be the one received (for HTTP/2, the `:authority`).
//!
//! Choices where the spec is silent (listed for docs/compatibility.md):
//! - A parameter given twice keeps its last value; a form-body value replaces a query value.
//!   V1 signs exactly that merged set; V3 signs every query pair (duplicates included) and the
//!   body through its hash.
//! - V1 sorts parameters by decoded name (what TEA and CORE do). `SignatureMethod` and
//!   `SignatureVersion` may be absent (then HMAC-SHA1 / 1.0); other values are
//!   `IncompleteSignature`. A space in `Signature` is read as `+` (an unencoded `+`).
//! - V1 takes `Action` only from its signed parameters; V3 from the query or a signed
//!   `x-acs-action` header. V3 also requires `x-acs-date`, `x-acs-signature-nonce` and, with a
//!   form body, `content-type` among SignedHeaders. `Version` may come from `x-acs-version`
//!   unsigned (it has one valid value).
//! - V3: only ACS3-HMAC-SHA256; the canonical URI is always `/`; a signed header that is absent
//!   is signed as empty; repeated headers are sorted and joined with `,` (as TEA does); query
//!   names are percent-encoded as the V3 document says, and when a name needs encoding TEA's
//!   unencoded form is accepted as well; the signature hex is compared case-insensitively; `x-acs-content-sha256`, when sent, must equal the body
//!   hash (`SignatureDoesNotMatch` otherwise), and the computed hash is signed either way.
//! - The timestamp window is 15 minutes either way for V1 and V3, checked after the signature;
//!   the nonce must be remembered until [`VerifiedRequest::nonce_expires_at`].
//! - XML: `<?xml version="1.0" encoding="UTF-8"?>`, root `<{Action}Response>` or `<Error>`,
//!   an array under key K is one `<K>` per item, no `list="true"` attribute, nulls and empty
//!   arrays omitted, characters XML 1.0 cannot carry replaced by U+FFFD.

mod encode;
pub mod errors;
mod params;
mod render;
mod request;
mod v1;
mod v3;
mod verified;
mod xml;

#[cfg(test)]
mod test_support;

pub use encode::{encode_query, percent_encode};
pub use params::Params;
pub use render::{
    JSON_CONTENT_TYPE, Rendered, XML_CONTENT_TYPE, new_request_id, recommend_url, render_error,
    render_success,
};
pub use request::{ResponseFormat, SignatureKind, UnverifiedRequest};
pub use v1::{sign_v1, signed_v1_query, v1_string_to_sign};
pub use v3::{ALGORITHM as V3_ALGORITHM, content_sha256, sign_v3};
pub use verified::VerifiedRequest;

/// The one API version fpshot speaks.
pub const API_VERSION: &str = "2014-06-18";

/// How far a request's timestamp may be from the server clock, either way (POP: 15 minutes).
pub const TIMESTAMP_WINDOW: time::Duration = time::Duration::minutes(15);
