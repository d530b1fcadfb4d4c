//! A request as received (`UnverifiedRequest`) and after its signature held (`VerifiedRequest`).

use crate::encode::{decode_form, is_form_content_type};
use crate::params::Params;
use crate::v3::{self, incomplete};
use crate::verified::VerifiedRequest;
use crate::{API_VERSION, TIMESTAMP_WINDOW, v1};
use fpshot_types::{ApiError, Code, parse_utc};
use http::{HeaderMap, HeaderName, Method};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// Which signature a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// `Signature` parameter, HMAC-SHA1 (spec §2.3).
    V1,
    /// `Authorization: ACS3-HMAC-SHA256 ...` (spec §2.4).
    V3,
}

/// The body format of the answer, successes and errors alike (spec §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    Json,
    Xml,
}

impl ResponseFormat {
    /// The §2.7 rule: a `Format` parameter decides (`XML` in any case means XML, any other value
    /// JSON); without one, V3 requests and requests whose `Accept` names `application/json` get
    /// JSON, everything else XML (the documented V1 default).
    fn choose(format_param: Option<&str>, is_v3: bool, headers: &HeaderMap) -> Self {
        match format_param.map(str::trim) {
            Some(f) if f.eq_ignore_ascii_case("xml") => ResponseFormat::Xml,
            Some(f) if !f.is_empty() => ResponseFormat::Json,
            _ if is_v3 || accepts_json(headers) => ResponseFormat::Json,
            _ => ResponseFormat::Xml,
        }
    }

    /// The format to answer a request with when [`UnverifiedRequest::parse`] refused it (the
    /// same rule, worked out from the raw parts).
    pub fn detect(raw_query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Self {
        let params = merged_params(raw_query, headers, body, false).0;
        Self::choose(
            params.get("Format"),
            v3_authorization(headers).is_some(),
            headers,
        )
    }
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers.get_all(http::header::ACCEPT).iter().any(|v| {
        v.as_bytes()
            .windows(16)
            .any(|w| w.eq_ignore_ascii_case(b"application/json"))
    })
}

/// The Authorization header when it claims an ACS3 signature.
fn v3_authorization(headers: &HeaderMap) -> Option<&[u8]> {
    let v = headers
        .get(http::header::AUTHORIZATION)?
        .as_bytes()
        .trim_ascii_start();
    (v.len() >= 5 && v[..5].eq_ignore_ascii_case(b"ACS3-")).then_some(v)
}

/// The merged query ∪ form-body parameters, the V3 canonical query (and TEA's variant when it
/// differs) when `v3` (it covers the query alone), and whether a form body was read.
fn merged_params(
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    v3: bool,
) -> (Params, Option<(String, Option<String>)>, bool) {
    let query = decode_form(raw_query.unwrap_or_default().as_bytes());
    let canonical_query = v3.then(|| {
        (
            v3::canonical_query(&query),
            v3::canonical_query_raw_names(&query),
        )
    });
    let form = !body.is_empty()
        && headers
            .get(http::header::CONTENT_TYPE)
            .is_some_and(|v| is_form_content_type(v.as_bytes()));
    let body_pairs = if form { decode_form(body) } else { Vec::new() };
    (
        Params::from_pairs(query.into_iter().chain(body_pairs)),
        canonical_query,
        form,
    )
}

// Pre-parsed names: looking a header up by `&str` parses the name on every call.
static X_ACS_ACTION: HeaderName = HeaderName::from_static("x-acs-action");
static X_ACS_VERSION: HeaderName = HeaderName::from_static("x-acs-version");
static X_ACS_DATE: HeaderName = HeaderName::from_static("x-acs-date");
static X_ACS_SIGNATURE_NONCE: HeaderName = HeaderName::from_static("x-acs-signature-nonce");
static X_ACS_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-acs-content-sha256");

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// What each signature kind needs kept from the raw request until `verify`.
#[derive(Debug, Clone)]
enum Proof {
    V1 {
        signature: String,
    },
    V3 {
        signature: String,
        /// Everything of the canonical request except the payload hash, which is checked first.
        canonical_query: String,
        /// TEA's variant of the canonical query, when it differs (see `v3::canonical_query_raw_names`).
        canonical_query_raw_names: Option<String>,
        canonical_headers: Vec<u8>,
        signed_headers: String,
        payload_hash: String,
        payload_hash_header: Option<String>,
    },
}

/// Parsed but not yet verified. Built from the raw request; nothing here is trusted yet.
#[derive(Debug, Clone)]
pub struct UnverifiedRequest {
    method: String,
    params: Params,
    proof: Proof,
    access_key_id: String,
    action: Option<String>,
    /// False when the action came from an unsigned place (the `x-acs-action` header of a V1
    /// request): such a request cannot be verified, since the action would not be covered.
    action_signed: bool,
    version: Option<String>,
    timestamp: OffsetDateTime,
    nonce: String,
    format: ResponseFormat,
}

impl UnverifiedRequest {
    /// Decodes the request: parameters from the query and, when `Content-Type` is
    /// `application/x-www-form-urlencoded`, from the body; the signature kind (V3 when the
    /// `Authorization` header starts with `ACS3-`, else V1); key id, timestamp and nonce.
    ///
    /// Errors, in this order: `MissingAccessKeyId`; `IncompleteSignature` (malformed
    /// Authorization, unsupported algorithm or SignatureMethod/SignatureVersion, missing
    /// Signature, a V3 header that is used here but not signed); `IllegalTimestamp` (missing or
    /// malformed `Timestamp` / `x-acs-date`); `MissingSignatureNonce`. Unknown actions are the
    /// server's to refuse.
    pub fn parse(
        method: &Method,
        raw_query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Self, ApiError> {
        let is_v3 = v3_authorization(headers).is_some();
        let (mut params, canonical_query, form_body) =
            merged_params(raw_query, headers, body, is_v3);
        let format = ResponseFormat::choose(params.get("Format"), is_v3, headers);

        let header_action = header_str(headers, &X_ACS_ACTION);
        let (action, action_from_header) = match params.get_nonempty("Action") {
            Some(a) => (Some(a.to_string()), false),
            None => (header_action.map(str::to_string), header_action.is_some()),
        };
        let version = params
            .get_nonempty("Version")
            .or_else(|| header_str(headers, &X_ACS_VERSION))
            .map(str::to_string);

        let found = match v3_authorization(headers) {
            Some(auth) => {
                let query = canonical_query.unwrap_or_default();
                v3_parts(auth, headers, query, body, action_from_header, form_body)?
            }
            None => v1_parts(&mut params)?,
        };
        let Parts {
            proof,
            access_key_id,
            timestamp: timestamp_raw,
            nonce,
        } = found;
        let timestamp = match timestamp_raw {
            None => return Err(illegal_timestamp(None)),
            Some((raw, name)) => parse_utc(&raw).ok_or_else(|| illegal_timestamp(Some(name)))?,
        };
        let nonce = nonce.ok_or_else(|| ApiError::missing("SignatureNonce"))?;
        let action_signed = !(action_from_header && matches!(proof, Proof::V1 { .. }));
        Ok(UnverifiedRequest {
            method: method.as_str().to_string(),
            params,
            proof,
            access_key_id,
            action,
            action_signed,
            version,
            timestamp,
            nonce,
            format,
        })
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `Action` from the query or body, else the `x-acs-action` header.
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }

    pub fn format(&self) -> ResponseFormat {
        self.format
    }

    /// The claimed timestamp (for logs; checked by `verify`).
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }

    /// The claimed nonce (for logs; replay is checked after `verify`).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    pub fn kind(&self) -> SignatureKind {
        match self.proof {
            Proof::V1 { .. } => SignatureKind::V1,
            Proof::V3 { .. } => SignatureKind::V3,
        }
    }

    /// Checks, in this order: an action is present and signed (`MissingAction`); `Version` is
    /// `2014-06-18` (`MissingVersion`, `NoSuchVersion`); for V3 the `x-acs-content-sha256`
    /// header, when sent, matches the body; the signature, compared in constant time
    /// (`SignatureDoesNotMatch`, HTTP 400, with the server's StringToSign in the message); the
    /// timestamp is within [`TIMESTAMP_WINDOW`] of `now`, either way (`InvalidTimeStamp.Expired`).
    /// Nonce replay is the caller's to check, after this succeeded.
    pub fn verify(self, secret: &str, now: OffsetDateTime) -> Result<VerifiedRequest, ApiError> {
        let action = match self.action {
            Some(a) if self.action_signed => a,
            Some(_) => {
                return Err(ApiError::new(
                    Code::Missing("Action".into()),
                    "Action is mandatory for this action: a V1-signed request must carry Action \
                     as a signed parameter, not only in the x-acs-action header.",
                ));
            }
            None => return Err(ApiError::missing("Action")),
        };
        match self.version.as_deref() {
            None => return Err(ApiError::missing("Version")),
            Some(API_VERSION) => {}
            Some(_) => {
                return Err(ApiError::new(
                    Code::NoSuchVersion,
                    "The specified version does not exist.",
                ));
            }
        }
        let kind = match &self.proof {
            Proof::V1 { signature } => {
                let sts = v1::string_to_sign(&self.method, self.params.iter());
                let expected = v1::encode_mac(&v1::mac(secret, &sts));
                // Base64 has no spaces: a space is a `+` sent unencoded and form-decoded.
                let given = signature.replace(' ', "+");
                if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                    return Err(ApiError::new(
                        Code::SignatureDoesNotMatch,
                        format!(
                            "Specified signature is not matched with our calculation. server string to sign is:{sts}"
                        ),
                    ));
                }
                SignatureKind::V1
            }
            Proof::V3 {
                signature,
                canonical_query,
                canonical_query_raw_names,
                canonical_headers,
                signed_headers,
                payload_hash,
                payload_hash_header,
            } => {
                if let Some(h) = payload_hash_header
                    && !h.eq_ignore_ascii_case(payload_hash)
                {
                    return Err(ApiError::new(
                        Code::SignatureDoesNotMatch,
                        "The x-acs-content-sha256 header does not match the SHA-256 of the request body.",
                    ));
                }
                let mut given = [0u8; 32];
                let decoded = hex::decode_to_slice(signature, &mut given).is_ok();
                let string_to_sign = |query: &str| {
                    let creq = v3::canonical_request(
                        &self.method,
                        query,
                        canonical_headers,
                        signed_headers,
                        payload_hash,
                    );
                    v3::string_to_sign(&creq)
                };
                let matches = |sts: &str| decoded && bool::from(v3::mac(secret, sts).ct_eq(&given));
                let sts = string_to_sign(canonical_query);
                let matched = matches(&sts)
                    || canonical_query_raw_names
                        .as_deref()
                        .is_some_and(|q| matches(&string_to_sign(q)));
                if !matched {
                    return Err(ApiError::new(
                        Code::SignatureDoesNotMatch,
                        format!(
                            "Specified signature does not match our calculation. server StringToSign is [{sts}]"
                        ),
                    ));
                }
                SignatureKind::V3
            }
        };
        if (now - self.timestamp).abs() > TIMESTAMP_WINDOW {
            return Err(ApiError::new(
                Code::InvalidTimeStampExpired,
                "Specified time stamp or date value is expired.",
            ));
        }
        Ok(VerifiedRequest {
            access_key_id: self.access_key_id,
            action,
            nonce: self.nonce,
            timestamp: self.timestamp,
            kind,
            format: self.format,
            params: self.params,
        })
    }
}

/// What the two signature kinds contribute to an [`UnverifiedRequest`].
struct Parts {
    proof: Proof,
    access_key_id: String,
    /// The raw timestamp and the name it came under, for the error message.
    timestamp: Option<(String, &'static str)>,
    nonce: Option<String>,
}

/// V3: key id and signature from the Authorization header, timestamp and nonce from signed
/// headers, and the canonical headers as received.
fn v3_parts(
    auth: &[u8],
    headers: &HeaderMap,
    (canonical_query, canonical_query_raw_names): (String, Option<String>),
    body: &[u8],
    action_from_header: bool,
    form_body: bool,
) -> Result<Parts, ApiError> {
    let auth = std::str::from_utf8(auth)
        .map_err(|_| incomplete("The Authorization header is not valid text."))?;
    let auth = v3::parse_authorization(auth)?;
    if auth.credential.is_empty() {
        return Err(missing_access_key_id());
    }
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    let is_signed = |h: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(h));
    // Headers whose values this request relies on must be covered by the signature.
    let mut must_sign = vec!["x-acs-date", "x-acs-signature-nonce"];
    if action_from_header {
        must_sign.push("x-acs-action");
    }
    if form_body {
        must_sign.push("content-type");
    }
    if let Some(h) = must_sign.into_iter().find(|h| !is_signed(h)) {
        return Err(incomplete(&format!(
            "The {h} header must be listed in SignedHeaders."
        )));
    }
    let mut canonical_headers = Vec::with_capacity(512);
    for name in signed.iter().filter(|n| !n.is_empty()) {
        // `&str` lookups are case-insensitive; a name that is not a valid header name matches
        // nothing and is signed with the empty value.
        let values = headers.get_all(*name).iter().map(|v| v.as_bytes());
        v3::push_canonical_header(&mut canonical_headers, name, values);
    }
    let proof = Proof::V3 {
        signature: auth.signature,
        canonical_query,
        canonical_query_raw_names,
        canonical_headers,
        signed_headers: auth.signed_headers,
        payload_hash: v3::content_sha256(body),
        payload_hash_header: header_str(headers, &X_ACS_CONTENT_SHA256).map(str::to_string),
    };
    Ok(Parts {
        proof,
        access_key_id: auth.credential,
        timestamp: header_str(headers, &X_ACS_DATE).map(|t| (t.to_string(), "x-acs-date")),
        nonce: header_str(headers, &X_ACS_SIGNATURE_NONCE).map(str::to_string),
    })
}

/// V1: everything from the (signed) parameters; `Signature` is taken out of them.
fn v1_parts(params: &mut Params) -> Result<Parts, ApiError> {
    let access_key_id = params
        .get_nonempty("AccessKeyId")
        .ok_or_else(missing_access_key_id)?
        .to_string();
    let signature = params
        .remove("Signature")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            incomplete("The Signature parameter (or an ACS3 Authorization header) is missing.")
        })?;
    if let Some(m) = params.get_nonempty("SignatureMethod")
        && !m.eq_ignore_ascii_case(v1::SIGNATURE_METHOD)
    {
        return Err(incomplete(&format!(
            "SignatureMethod {m} is not supported; use HMAC-SHA1."
        )));
    }
    if let Some(v) = params.get_nonempty("SignatureVersion")
        && v != v1::SIGNATURE_VERSION
    {
        return Err(incomplete(&format!(
            "SignatureVersion {v} is not supported; use 1.0."
        )));
    }
    Ok(Parts {
        proof: Proof::V1 { signature },
        access_key_id,
        timestamp: params
            .get_nonempty("Timestamp")
            .map(|t| (t.to_string(), "Timestamp")),
        nonce: params.get_nonempty("SignatureNonce").map(str::to_string),
    })
}

fn missing_access_key_id() -> ApiError {
    ApiError::new(
        Code::MissingAccessKeyId,
        "AccessKeyId is mandatory for this action.",
    )
}

fn illegal_timestamp(malformed: Option<&str>) -> ApiError {
    let message = match malformed {
        None => "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.".to_string(),
        Some(name) => format!(
            "The specified parameter \"{name}\" is not valid: use UTC in the form YYYY-MM-DDThh:mm:ssZ."
        ),
    };
    ApiError::new(Code::IllegalTimestamp, message)
}

#[cfg(test)]
#[path = "request_test.rs"]
mod tests;

#[cfg(test)]
#[path = "request_prop_test.rs"]
mod prop_tests;

#[cfg(test)]
#[path = "request_v3_test.rs"]
mod v3_tests;

#[cfg(test)]
#[path = "sdk_vectors_test.rs"]
mod sdk_vectors;
