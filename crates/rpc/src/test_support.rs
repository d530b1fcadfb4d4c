//! Builders of signed requests for the tests: what an SDK puts on the wire.

use crate::{content_sha256, encode_query, sign_v1, sign_v3};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

pub fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn header_map(list: &[(String, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

/// A request as the server receives it.
#[derive(Debug, Clone)]
pub struct Wire {
    pub method: Method,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Wire {
    pub fn parse(&self) -> Result<crate::UnverifiedRequest, fpshot_types::ApiError> {
        crate::UnverifiedRequest::parse(&self.method, Some(&self.query), &self.headers, &self.body)
    }
}

/// The common V1 parameters CORE sends.
pub fn v1_common(action: &str, ak: &str, timestamp: &str, nonce: &str) -> Vec<(String, String)> {
    owned(&[
        ("Action", action),
        ("Version", "2014-06-18"),
        ("Format", "JSON"),
        ("AccessKeyId", ak),
        ("Timestamp", timestamp),
        ("SignatureNonce", nonce),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
    ])
}

/// A V1 request: `query` params in the URL (Signature appended), `body` params as a form body.
pub fn v1_wire(
    method: Method,
    query: &[(String, String)],
    body: &[(String, String)],
    secret: &str,
) -> Wire {
    let all: Vec<(String, String)> = query.iter().chain(body).cloned().collect();
    let signature = sign_v1(method.as_str(), &all, secret);
    let mut q = query.to_vec();
    q.push(("Signature".into(), signature));
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    if !body.is_empty() {
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    Wire {
        method,
        query: encode_query(&q),
        headers,
        body: encode_query(body).into_bytes(),
    }
}

/// A V3 request as TEA builds it: business params in the query, an optional form body.
pub fn v3_wire(
    action: &str,
    query: &[(String, String)],
    body: &[(String, String)],
    timestamp: &str,
    nonce: &str,
    ak: &str,
    secret: &str,
) -> Wire {
    let body_bytes = encode_query(body).into_bytes();
    let mut signed = owned(&[
        ("accept", "application/json"),
        ("host", "127.0.0.1:8080"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", action),
        ("x-acs-content-sha256", &content_sha256(&body_bytes)),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", timestamp),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-version", "2014-06-18"),
    ]);
    if !body.is_empty() {
        signed.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let auth = sign_v3("POST", query, &signed, &body_bytes, ak, secret);
    signed.push(("authorization".into(), auth));
    signed.push(("accept-encoding".into(), "identity".into()));
    Wire {
        method: Method::POST,
        query: encode_query(query),
        headers: header_map(&signed),
        body: body_bytes,
    }
}
