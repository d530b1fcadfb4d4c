use super::*;
use crate::test_support::{Wire, header_map, owned, v3_wire};
use http::HeaderValue;
use time::macros::datetime;

const TS: &str = "2024-01-01T00:00:00Z";
const T0: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);

fn code(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    r.unwrap_err().code.as_string()
}

fn v3(query: &[(&str, &str)], body: &[(&str, &str)]) -> Wire {
    v3_wire(
        "ListFpShotDB",
        &owned(query),
        &owned(body),
        TS,
        "n3",
        "ak",
        "sk",
    )
}

#[test]
fn v3_round_trip_with_query_and_form_body() {
    let wire = v3(
        &[("FpDBIds", "a,b"), ("UserData", "a b*~+/测试")],
        &[("Extra", "x y")],
    );
    let req = wire.parse().unwrap();
    assert_eq!(
        (req.kind(), req.format(), req.access_key_id()),
        (SignatureKind::V3, ResponseFormat::Json, "ak")
    );
    let ok = req.verify("sk", T0).unwrap();
    assert_eq!(ok.action(), "ListFpShotDB");
    assert_eq!(ok.nonce(), "n3");
    assert_eq!(ok.timestamp(), T0);
    assert_eq!(ok.params().get("UserData"), Some("a b*~+/测试"));
    assert_eq!(
        ok.params().get("Extra"),
        Some("x y"),
        "body params are merged"
    );
    assert_eq!(ok.into_params().get("FpDBIds"), Some("a,b"));
}

#[test]
fn v3_mismatch_message_and_tampering() {
    let wire = v3(&[("FpDBIds", "a")], &[]);
    let e = wire.parse().unwrap().verify("bad", T0).unwrap_err();
    assert_eq!(e.code, Code::SignatureDoesNotMatch);
    let prefix = "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\n";
    assert!(
        e.message.starts_with(prefix) && e.message.ends_with(']'),
        "{}",
        e.message
    );
    assert_eq!(e.message.len(), prefix.len() + 64 + 1);

    // The raw Host header is signed, port included.
    let mut moved = wire.clone();
    moved
        .headers
        .insert("host", HeaderValue::from_static("127.0.0.1:8081"));
    assert_eq!(
        code(moved.parse().unwrap().verify("sk", T0)),
        "SignatureDoesNotMatch"
    );
    // Unsigned headers can change freely.
    let mut extra = wire.clone();
    extra
        .headers
        .insert("accept-encoding", HeaderValue::from_static("gzip"));
    extra
        .headers
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    assert!(extra.parse().unwrap().verify("sk", T0).is_ok());
    // An upper-case hex signature is the same signature.
    let mut upper = wire.clone();
    let auth = upper.headers["authorization"].to_str().unwrap().to_string();
    let (head, sig) = auth.rsplit_once("Signature=").unwrap();
    let auth = format!("{head}Signature={}", sig.to_uppercase());
    upper
        .headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert!(upper.parse().unwrap().verify("sk", T0).is_ok());
}

#[test]
fn v3_host_with_scheme_is_signed_verbatim() {
    let mut wire = v3(&[], &[]);
    let mut signed: Vec<(String, String)> = wire
        .headers
        .iter()
        .filter(|(k, _)| k.as_str() != "authorization" && k.as_str() != "accept-encoding")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    for (k, v) in signed.iter_mut() {
        if k == "host" {
            *v = "http://127.0.0.1:8080".into();
        }
    }
    let auth = crate::sign_v3("POST", &[], &signed, b"", "ak", "sk");
    signed.push(("authorization".into(), auth));
    wire.headers = header_map(&signed);
    assert!(wire.parse().unwrap().verify("sk", T0).is_ok());
}

#[test]
fn v3_body_hash_must_match() {
    let mut wire = v3(&[], &[("A", "1")]);
    wire.body = b"A=2".to_vec();
    let e = wire.parse().unwrap().verify("sk", T0).unwrap_err();
    assert_eq!(e.code, Code::SignatureDoesNotMatch);
    assert!(e.message.contains("x-acs-content-sha256"), "{}", e.message);
    // Without the header the body still counts through the computed hash.
    wire.headers.remove("x-acs-content-sha256");
    assert_eq!(
        code(wire.parse().unwrap().verify("sk", T0)),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn v3_parse_errors() {
    let with_auth = |auth: &str| {
        let mut wire = v3(&[], &[]);
        wire.headers
            .insert("authorization", HeaderValue::from_str(auth).unwrap());
        wire.parse()
    };
    let full = "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;x-acs-action;x-acs-date;x-acs-signature-nonce,Signature=00";
    assert!(with_auth(full).is_ok());
    assert_eq!(
        code(with_auth(
            "ACS3-HMAC-SM3 Credential=ak,SignedHeaders=host,Signature=00"
        )),
        "IncompleteSignature"
    );
    assert_eq!(
        code(with_auth(
            "ACS3-HMAC-SHA256 SignedHeaders=host,Signature=00"
        )),
        "IncompleteSignature"
    );
    assert_eq!(
        code(with_auth(&full.replace("Credential=ak", "Credential="))),
        "MissingAccessKeyId"
    );
    for needed in ["x-acs-date", "x-acs-signature-nonce", "x-acs-action"] {
        let e = with_auth(
            &full
                .replace(&format!("{needed};"), "")
                .replace(&format!(";{needed}"), ""),
        )
        .unwrap_err();
        assert_eq!(e.code, Code::IncompleteSignature, "{needed}");
        assert!(e.message.contains(needed), "{}", e.message);
    }
    // The action may come from a signed query parameter instead of the header.
    let mut wire = v3_wire("X", &owned(&[("Action", "X")]), &[], TS, "n", "ak", "sk");
    wire.headers.remove("x-acs-action");
    let auth = wire.headers["authorization"]
        .to_str()
        .unwrap()
        .replace("x-acs-action;", "");
    wire.headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert_eq!(wire.parse().unwrap().action(), Some("X"));

    let mut wire = v3(&[], &[]);
    wire.headers.remove("x-acs-date");
    assert_eq!(code(wire.parse()), "IllegalTimestamp");
    let mut wire = v3(&[], &[]);
    wire.headers.insert(
        "x-acs-date",
        HeaderValue::from_static("Mon, 01 Jan 2024 00:00:00 GMT"),
    );
    assert_eq!(code(wire.parse()), "IllegalTimestamp");
    let mut wire = v3(&[], &[]);
    wire.headers.remove("x-acs-signature-nonce");
    assert_eq!(code(wire.parse()), "MissingSignatureNonce");
    // A form body must have its Content-Type signed, or the body could be reinterpreted.
    let mut wire = v3(&[], &[("A", "1")]);
    let auth = wire.headers["authorization"]
        .to_str()
        .unwrap()
        .replace("content-type;", "");
    wire.headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert_eq!(code(wire.parse()), "IncompleteSignature");
}
