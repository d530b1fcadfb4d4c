//! The signed requests both verification benchmarks measure: QueryPipelineList with two ids, as
//! CORE (V1) and TEA (V3) send it. Included with `#[path]` by benches/verify.rs and
//! examples/verify_cost.rs.

use fpshot_rpc::{content_sha256, encode_query, sign_v3, signed_v1_query};
use http::{HeaderMap, HeaderName, HeaderValue};

pub const SECRET: &str = "ExampleSecret0123456789abcdefgh";

pub fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn header_map(list: &[(String, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            continue;
        };
        h.append(k, v);
    }
    h
}

/// A CORE-style V1 request (QueryPipelineList with two ids).
pub fn v1_request() -> (String, HeaderMap) {
    let params = owned(&[
        (
            "PipelineIds",
            "88c6ca184c0e47098a5b665e2a126797,0190b1d3c4e57a8b9c0d1e2f3a4b5c6d",
        ),
        ("Version", "2014-06-18"),
        ("Action", "QueryPipelineList"),
        ("Format", "JSON"),
        ("RegionId", "cn-shanghai"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "13014d8c30a110ade9dfde59eb849373"),
        ("AccessKeyId", "LTAI5tExampleKeyId00"),
    ]);
    let query = signed_v1_query("POST", &params, SECRET);
    let headers = header_map(&owned(&[
        ("host", "127.0.0.1:8080"),
        ("x-acs-action", "QueryPipelineList"),
        ("x-acs-version", "2014-06-18"),
        ("x-sdk-invoke-type", "normal"),
        ("accept-encoding", "identity"),
        ("content-length", "0"),
    ]));
    (query, headers)
}

/// A TEA-style V3 request (QueryPipelineList with two ids).
pub fn v3_request() -> (String, HeaderMap) {
    let query = owned(&[(
        "PipelineIds",
        "88c6ca184c0e47098a5b665e2a126797,0190b1d3c4e57a8b9c0d1e2f3a4b5c6d",
    )]);
    let mut headers = owned(&[
        ("accept", "application/json"),
        ("host", "127.0.0.1:8080"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", "QueryPipelineList"),
        ("x-acs-content-sha256", &content_sha256(b"")),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "0112d652dc7ec1c743e7553c669c6eb4"),
        ("x-acs-version", "2014-06-18"),
    ]);
    let auth = sign_v3(
        "POST",
        &query,
        &headers,
        b"",
        "LTAI5tExampleKeyId00",
        SECRET,
    );
    headers.push(("authorization".into(), auth));
    headers.push(("accept-encoding".into(), "identity".into()));
    headers.push(("content-length".into(), "0".into()));
    (encode_query(&query), header_map(&headers))
}
