//! fpshot-rpc: the Alibaba Cloud RPC protocol as the official MPS SDKs speak it (spec §2).
//!
//! Parsing (query ∪ form body), signature V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256)
//! verification and client-side signing, the timestamp window, and the JSON/XML response and
//! error envelopes. No IO: the server hands in the raw request parts and sends what comes back.
//!
//! Server flow: [`UnverifiedRequest::parse`] → look the key up by
//! [`UnverifiedRequest::access_key_id`] → [`UnverifiedRequest::verify`] with its secret →
//! check the nonce → handler gets the [`VerifiedRequest`] → [`render_success`] /
//! [`render_error`] in [`VerifiedRequest::format`] (or [`ResponseFormat::detect`] when parsing
//! itself failed).

mod encode;
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
