//! Client side of the protocol: requests signed the way the official SDKs sign them, ready to be
//! sent over HTTP/1.1 (V1 as aliyun-python-sdk-core and TEA `v2` send it, V3 as TEA sends it).

use bytes::Bytes;
use fpshot_rpc::{API_VERSION, content_sha256, encode_query, sign_v3, signed_v1_query};
use fpshot_types::format_utc;
use http::{HeaderName, HeaderValue, Method};

/// A signed request, complete except for the connection it goes over.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    /// Path and query, e.g. `/?FpDBId=…`.
    pub target: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// The key a request is signed with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key_id: String,
    pub secret: String,
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn header(name: &'static str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    HeaderValue::from_str(value)
        .ok()
        .map(|v| (HeaderName::from_static(name), v))
}

/// A fresh nonce, as the SDKs make them (32 hex digits).
pub fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// V1 `POST /` with every parameter (signature included) in a form body, the way
/// aliyun-python-sdk-core sends POST requests, plus the headers it adds.
pub fn v1_post(host: &str, action: &str, params: &[(&str, &str)], cred: &Credentials) -> Prepared {
    let timestamp = format_utc(fpshot_types::now_utc());
    let nonce = nonce();
    let mut all = pairs(&[
        ("Action", action),
        ("Version", API_VERSION),
        ("Format", "JSON"),
        ("AccessKeyId", &cred.key_id),
        ("Timestamp", &timestamp),
        ("SignatureNonce", &nonce),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureType", ""),
    ]);
    all.extend(pairs(params));
    let body = signed_v1_query("POST", &all, &cred.secret);
    let headers = [
        header("host", host),
        header("content-type", "application/x-www-form-urlencoded"),
        header("x-acs-action", action),
        header("x-acs-version", API_VERSION),
        header("x-sdk-invoke-type", "normal"),
        header("x-sdk-client", "python/2.0.0"),
        header("accept-encoding", "identity"),
    ];
    Prepared {
        method: Method::POST,
        target: "/".to_string(),
        headers: headers.into_iter().flatten().collect(),
        body: Bytes::from(body),
    }
}

/// V1 `POST /?<signed query>` with an empty body: the request TEA sends with
/// `signature_algorithm='v2'` (spec §2.6 capture).
pub fn v1_post_query(
    host: &str,
    action: &str,
    params: &[(&str, &str)],
    cred: &Credentials,
) -> Prepared {
    let mut p = v1_post(host, action, params, cred);
    let query = String::from_utf8_lossy(&p.body).into_owned();
    p.target = format!("/?{query}");
    p.body = Bytes::new();
    p.headers.retain(|(k, _)| k != "content-type");
    p
}

/// V3 (ACS3-HMAC-SHA256) `POST /?<params>` with an empty body and the headers TEA signs.
pub fn v3_post(host: &str, action: &str, params: &[(&str, &str)], cred: &Credentials) -> Prepared {
    let query = pairs(params);
    let date = format_utc(fpshot_types::now_utc());
    let nonce = nonce();
    let mut signed = pairs(&[
        ("accept", "application/json"),
        ("host", host),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", action),
        ("x-acs-content-sha256", &content_sha256(b"")),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", &date),
        ("x-acs-signature-nonce", &nonce),
        ("x-acs-version", API_VERSION),
    ]);
    let auth = sign_v3("POST", &query, &signed, b"", &cred.key_id, &cred.secret);
    signed.push(("authorization".to_string(), auth));
    let headers = signed
        .iter()
        .filter_map(|(k, v)| {
            Some((
                HeaderName::from_bytes(k.as_bytes()).ok()?,
                HeaderValue::from_str(v).ok()?,
            ))
        })
        .collect();
    Prepared {
        method: Method::POST,
        target: format!("/?{}", encode_query(&query)),
        headers,
        body: Bytes::new(),
    }
}
