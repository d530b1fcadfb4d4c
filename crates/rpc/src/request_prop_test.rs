//! Property tests: sign → verify round trips, single-byte tampering, and arbitrary input.

use super::*;
use crate::test_support::{Wire, v1_common, v1_wire, v3_wire};
use http::{HeaderName, HeaderValue};
use proptest::prelude::*;
use std::collections::BTreeMap;
use time::macros::datetime;

const TS: &str = "2024-01-01T00:00:00Z";
const T0: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);

/// Values with unicode, reserved characters, spaces, `+`, `%`, `&`, `=` and empty strings.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,12}",
        "[a-z +%&=*~/测试é😀]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(10).collect()),
    ]
}

/// Business parameter names: distinct from the common ones by their `P` prefix.
fn business() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("P[A-Za-z0-9]{0,8}", value(), 0..6)
}

/// The server's key lookup: only `ak` exists.
fn verify(wire: &Wire, now: OffsetDateTime) -> Result<VerifiedRequest, ApiError> {
    let req = wire.parse()?;
    if req.access_key_id() != "ak" {
        return Err(ApiError::new(
            Code::InvalidAccessKeyIdNotFound,
            "Specified access key is not found.",
        ));
    }
    req.verify("sk", now)
}

fn v1(method: Method, params: &BTreeMap<String, String>, in_body: bool) -> Wire {
    let biz: Vec<(String, String)> = params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut query = v1_common("ListFpShotDB", "ak", TS, "nonce");
    if in_body {
        v1_wire(method, &query, &biz, "sk")
    } else {
        query.extend(biz);
        v1_wire(method, &query, &[], "sk")
    }
}

fn v3(query: &BTreeMap<String, String>, body: &BTreeMap<String, String>) -> Wire {
    let q: Vec<(String, String)> = query.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let b: Vec<(String, String)> = body.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v3_wire("ListFpShotDB", &q, &b, TS, "nonce", "ak", "sk")
}

fn assert_params(ok: &VerifiedRequest, want: &BTreeMap<String, String>) {
    for (k, v) in want {
        assert_eq!(ok.params().get(k), Some(v.as_str()), "{k}");
    }
}

/// Replaces byte `at` of an ASCII string by another printable ASCII byte.
fn mutate(s: &str, at: usize, by: u8) -> Option<String> {
    let mut bytes = s.as_bytes().to_vec();
    let i = at % bytes.len().max(1);
    let by = b' ' + by % 95;
    if bytes.is_empty() || bytes[i] == by {
        return None;
    }
    bytes[i] = by;
    String::from_utf8(bytes).ok()
}

fn decoded(q: &str) -> Vec<(String, String)> {
    crate::encode::decode_form(q.as_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn v1_round_trip(params in business(), get in any::<bool>(), in_body in any::<bool>()) {
        let method = if get { Method::GET } else { Method::POST };
        let wire = v1(method, &params, in_body && !get);
        let ok = verify(&wire, T0).unwrap();
        assert_params(&ok, &params);
    }

    #[test]
    fn v3_round_trip(query in business(), body in business()) {
        let ok = verify(&v3(&query, &body), T0).unwrap();
        let mut merged = query.clone();
        merged.extend(body.clone()); // a body value replaces a query value of the same name
        assert_params(&ok, &merged);
    }

    /// Any single-byte change of the query fails, unless it decodes to the very same parameters
    /// (e.g. `%2a` for `%2A`: the signature covers decoded values, as in every SDK).
    #[test]
    fn v1_query_tampering_fails(params in business(), in_body in any::<bool>(), at in any::<usize>(), by in any::<u8>()) {
        let wire = v1(Method::POST, &params, in_body);
        let Some(query) = mutate(&wire.query, at, by) else { return Ok(()) };
        prop_assume!(decoded(&query) != decoded(&wire.query));
        let tampered = Wire { query, ..wire };
        prop_assert!(verify(&tampered, T0).is_err());
    }

    #[test]
    fn v1_body_tampering_fails(params in business(), at in any::<usize>(), by in any::<u8>()) {
        prop_assume!(!params.is_empty());
        let wire = v1(Method::POST, &params, true);
        let body = String::from_utf8(wire.body.clone()).unwrap();
        let Some(body) = mutate(&body, at, by) else { return Ok(()) };
        prop_assume!(decoded(&body) != decoded(std::str::from_utf8(&wire.body).unwrap()));
        let tampered = Wire { body: body.into_bytes(), ..wire };
        prop_assert!(verify(&tampered, T0).is_err());
    }

    #[test]
    fn v3_query_and_body_tampering_fails(
        query in business(), body in business(), in_body in any::<bool>(), at in any::<usize>(), by in any::<u8>()
    ) {
        let wire = v3(&query, &body);
        let tampered = if in_body {
            let text = String::from_utf8(wire.body.clone()).unwrap();
            let Some(b) = mutate(&text, at, by) else { return Ok(()) };
            Wire { body: b.into_bytes(), ..wire }
        } else {
            let Some(q) = mutate(&wire.query, at, by) else { return Ok(()) };
            let mut a = decoded(&q);
            let mut b = decoded(&wire.query);
            a.sort();
            b.sort();
            prop_assume!(a != b);
            Wire { query: q, ..wire }
        };
        prop_assert!(verify(&tampered, T0).is_err());
    }

    /// Any single-byte change of a signed header value, of the Authorization header (signature
    /// included) or of a signed header's name fails.
    #[test]
    fn v3_header_tampering_fails(query in business(), which in any::<usize>(), at in any::<usize>(), by in any::<u8>(), name in any::<bool>()) {
        let wire = v3(&query, &BTreeMap::new());
        let auth = wire.headers["authorization"].to_str().unwrap().to_string();
        let signed: Vec<String> = auth.split("SignedHeaders=").nth(1).unwrap()
            .split(',').next().unwrap().split(';').map(str::to_string).collect();
        let mut targets = signed.clone();
        targets.push("authorization".into());
        let target = &targets[which % targets.len()];
        let old = wire.headers[target.as_str()].to_str().unwrap().to_string();
        let mut headers = wire.headers.clone();
        if name {
            let Some(new_name) = mutate(target, at, by) else { return Ok(()) };
            let Ok(new_name) = HeaderName::from_bytes(new_name.as_bytes()) else { return Ok(()) };
            prop_assume!(new_name.as_str() != target.as_str());
            let v = headers.remove(target.as_str()).unwrap();
            headers.insert(new_name, v);
        } else {
            let Some(new) = mutate(&old, at, by) else { return Ok(()) };
            prop_assume!(new.trim() != old.trim());
            if target == "authorization" {
                // Hex case is not a change; the key id is bound by the key lookup, not signed.
                prop_assume!(!new.eq_ignore_ascii_case(&old));
            }
            headers.insert(HeaderName::from_bytes(target.as_bytes()).unwrap(), HeaderValue::from_str(&new).unwrap());
        }
        let tampered = Wire { headers, ..wire };
        prop_assert!(verify(&tampered, T0).is_err());
    }

    #[test]
    fn timestamp_window_holds_for_any_offset(secs in -3600i64..3600) {
        let wire = v1(Method::GET, &BTreeMap::new(), false);
        let r = verify(&wire, T0 + time::Duration::seconds(secs));
        prop_assert_eq!(r.is_ok(), secs.abs() <= 900);
    }
}

/// Fragments that reach the deeper paths of the parser more often than random bytes would.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,10}",
        prop::sample::select(vec![
            "&",
            "=",
            "%",
            "%2",
            "%zz",
            "%E6%B5",
            "+",
            ";",
            ",",
            " ",
            "Signature=",
            "AccessKeyId=ak",
            "Action=X",
            "Version=2014-06-18",
            "Timestamp=2024-01-01T00:00:00Z",
            "SignatureNonce=n",
            "Format=XML",
            "SignatureMethod=",
            "ACS3-HMAC-SHA256 ",
            "Credential=",
            "SignedHeaders=",
            "host;x-acs-date;x-acs-signature-nonce;x-acs-action;content-type",
            "x-acs-date",
            "9999-12-31T23:59:59Z",
            "-9999-01-01T00:00:00Z",
            "+9999-12-31T23:59:59+23:59",
        ])
        .prop_map(str::to_string),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..8).prop_map(|v| v.concat())
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let names = prop::sample::select(vec![
        "authorization",
        "content-type",
        "accept",
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    ]);
    let value = prop_oneof![
        text().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..40)
    ];
    (names.prop_map(str::to_string), value)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever arrives, parse, detect and verify answer without panicking.
    #[test]
    fn arbitrary_input_never_panics(
        query in prop::option::of(text()),
        headers in prop::collection::vec(header(), 0..8),
        body in prop_oneof![text().prop_map(String::into_bytes), prop::collection::vec(any::<u8>(), 0..64)],
        get in any::<bool>(),
        now in prop_oneof![Just(OffsetDateTime::UNIX_EPOCH), Just(T0), any::<i64>().prop_map(|s| {
            OffsetDateTime::from_unix_timestamp(s % 253_402_300_799).unwrap_or(T0)
        })],
    ) {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_bytes(&v)) {
                map.append(k, v);
            }
        }
        let method = if get { Method::GET } else { Method::POST };
        let _ = ResponseFormat::detect(query.as_deref(), &map, &body);
        if let Ok(req) = UnverifiedRequest::parse(&method, query.as_deref(), &map, &body) {
            let _ = (req.action(), req.access_key_id(), req.format(), req.kind());
            if let Ok(ok) = req.verify("sk", now) {
                let _ = ok.nonce_expires_at();
            }
        }
    }
}
