use super::*;
use crate::test_support::{header_map, owned, v1_common, v1_wire};
use crate::{sign_v1, v1_string_to_sign};
use http::HeaderValue;
use time::macros::datetime;

const TS: &str = "2024-01-01T00:00:00Z";
const T0: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);

fn code(r: Result<impl std::fmt::Debug, ApiError>) -> String {
    r.unwrap_err().code.as_string()
}

/// Spec §2.6: the V1 request TEA sent (`signature_algorithm='v2'`), byte for byte.
#[test]
fn captured_tea_v1_request_verifies() {
    let query = "Action=SubmitFpDBDeleteJob&Format=json&Version=2014-06-18&Timestamp=2026-12-04T15%3A04%3A42Z&SignatureNonce=8ebfed0c7be69ca962b3d349c07eb26f&DelType=Purge&FpDBId=88c6ca184c0e47098a5b665e2a12%2A%2A%2A%2A&UserData=a+b%2A~%2B%2F%E6%B5%8B%E8%AF%95&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=testid&Signature=WmFuD2MhXVKmkql523tJNfOAIIQ%3D";
    let h = header_map(&owned(&[
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2014-06-18"),
        ("x-acs-action", "SubmitFpDBDeleteJob"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-credentials-provider", "static_ak"),
        ("content-length", "0"),
    ]));
    let req = UnverifiedRequest::parse(&Method::POST, Some(query), &h, b"").unwrap();
    assert_eq!(req.kind(), SignatureKind::V1);
    assert_eq!(req.access_key_id(), "testid");
    assert_eq!(req.action(), Some("SubmitFpDBDeleteJob"));
    assert_eq!(
        req.format(),
        ResponseFormat::Json,
        "Format=json, lower case"
    );
    let ok = req
        .clone()
        .verify("testsecret", datetime!(2026-12-04 15:05:00 UTC))
        .unwrap();
    assert_eq!(ok.kind(), SignatureKind::V1);
    assert_eq!(ok.action(), "SubmitFpDBDeleteJob");
    assert_eq!(ok.nonce(), "8ebfed0c7be69ca962b3d349c07eb26f");
    assert_eq!(ok.timestamp(), datetime!(2026-12-04 15:04:42 UTC));
    assert_eq!(ok.nonce_expires_at(), datetime!(2026-12-04 15:19:42 UTC));
    assert_eq!(
        ok.params().get("UserData"),
        Some("a b*~+/测试"),
        "+ is a space in the query"
    );
    assert_eq!(
        ok.params().get("FpDBId"),
        Some("88c6ca184c0e47098a5b665e2a12****")
    );
    assert_eq!(ok.params().get("Signature"), None);
    // The same bytes with GET instead of POST do not verify: the method is signed.
    let get = UnverifiedRequest::parse(&Method::GET, Some(query), &h, b"").unwrap();
    assert_eq!(
        code(get.verify("testsecret", datetime!(2026-12-04 15:05:00 UTC))),
        "SignatureDoesNotMatch"
    );
}

/// Spec §2.6, third capture: CORE `CommonRequest` with business params in a form body, the
/// signature over query ∪ body, `+` in the body meaning a space.
#[test]
fn v1_form_body_is_merged_and_signed() {
    let mut query = v1_common("SubmitFpShotJob", "testid", TS, "n-form");
    query.push(("RegionId".into(), "cn-shanghai".into()));
    let body = owned(&[
        (
            "Input",
            r#"{"Bucket":"b","Location":"oss-cn-shanghai","Object":"a b.mp4"}"#,
        ),
        ("FpShotConfig", r#"{"PrimaryKey":"k"}"#),
    ]);
    let mut wire = v1_wire(Method::POST, &query, &body, "testsecret");
    let all: Vec<(String, String)> = query.iter().chain(&body).cloned().collect();
    let mut with_plus = String::from_utf8(wire.body.clone())
        .unwrap()
        .replace("%20", "+");
    wire.body = with_plus.clone().into_bytes();
    let ok = wire.parse().unwrap().verify("testsecret", T0).unwrap();
    assert_eq!(ok.params().get("Input"), Some(body[0].1.as_str()));
    assert_eq!(ok.params().get("RegionId"), Some("cn-shanghai"));
    assert!(
        v1_string_to_sign("POST", &all).contains("Input%3D"),
        "body params are in the string to sign"
    );

    // A charset parameter on the Content-Type is fine.
    wire.headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
    );
    assert!(wire.parse().unwrap().verify("testsecret", T0).is_ok());
    // Without the form Content-Type the body is not read: the signed body params are missing.
    wire.headers.remove("content-type");
    let req = wire.parse().unwrap();
    assert_eq!(code(req.verify("testsecret", T0)), "SignatureDoesNotMatch");
    // A body param changed after signing fails.
    with_plus = with_plus.replace("k%22", "j%22");
    wire.body = with_plus.into_bytes();
    wire.headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    assert_eq!(
        code(wire.parse().unwrap().verify("testsecret", T0)),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn body_values_override_query_values() {
    let mut query = v1_common("X", "ak", TS, "n");
    query.push(("Name".into(), "from-query".into()));
    let body = owned(&[("Name", "from-body")]);
    let wire = v1_wire(Method::POST, &query, &body, "sk");
    let ok = wire.parse().unwrap().verify("sk", T0).unwrap();
    assert_eq!(ok.params().get("Name"), Some("from-body"));
}

#[test]
fn v1_get_round_trip_and_mismatch_message_for_the_older_sdk() {
    let mut query = v1_common("ListFpShotDB", "ak", TS, "n1");
    query.push(("FpDBIds".into(), "a,b".into()));
    query.retain(|(k, _)| k != "Format");
    let wire = v1_wire(Method::GET, &query, &[], "sk");
    let req = wire.parse().unwrap();
    assert_eq!(
        req.format(),
        ResponseFormat::Xml,
        "V1 without Format or Accept json: XML"
    );
    assert!(req.clone().verify("sk", T0).is_ok());
    let err = req.verify("other", T0).unwrap_err();
    assert_eq!(err.code, Code::SignatureDoesNotMatch);
    assert_eq!(err.code.http_status(), 400);
    // CORE does `message.split(':')[1]` and compares it with its own string to sign: exactly
    // one colon, with the whole server string to sign after it.
    let parts: Vec<&str> = err.message.split(':').collect();
    assert_eq!(parts.len(), 2, "{}", err.message);
    assert_eq!(
        parts[0],
        "Specified signature is not matched with our calculation. server string to sign is"
    );
    assert_eq!(parts[1], v1_string_to_sign("GET", &query));
}

#[test]
fn v1_leniencies() {
    let mut query = v1_common("X", "ak", TS, "n");
    for (k, v) in query.iter_mut() {
        if k == "SignatureMethod" {
            *v = "Hmac-SHA1".into();
        }
        if k == "Format" {
            *v = "xMl".into();
        }
    }
    let wire = v1_wire(Method::POST, &query, &[], "sk");
    let req = wire.parse().unwrap();
    assert_eq!(
        req.format(),
        ResponseFormat::Xml,
        "Format is case-insensitive"
    );
    assert!(
        req.verify("sk", T0).is_ok(),
        "SignatureMethod is case-insensitive"
    );

    // A Signature whose `+` was sent unencoded arrives as a space and still matches.
    for n in 0..64 {
        let nonce = format!("plus-{n}");
        let query = v1_common("X", "ak", TS, &nonce);
        let sig = sign_v1("POST", &query, "sk");
        if !sig.contains('+') {
            continue;
        }
        let raw = format!(
            "{}&Signature={}",
            crate::encode_query(&query),
            sig.replace('=', "%3D")
        );
        let req =
            UnverifiedRequest::parse(&Method::POST, Some(&raw), &HeaderMap::new(), b"").unwrap();
        assert!(req.verify("sk", T0).is_ok());
        return;
    }
    panic!("no signature with a + in 64 tries");
}

#[test]
fn v1_parse_errors() {
    let parse = |q: &[(String, String)]| {
        let raw = crate::encode_query(q);
        UnverifiedRequest::parse(&Method::GET, Some(&raw), &HeaderMap::new(), b"")
    };
    let base = v1_common("X", "ak", TS, "n");
    let with = |k: &str, v: Option<&str>| {
        let mut q: Vec<(String, String)> = base.iter().filter(|(n, _)| n != k).cloned().collect();
        if let Some(v) = v {
            q.push((k.into(), v.into()));
        }
        q.push(("Signature".into(), "c2ln".into()));
        q
    };
    assert_eq!(
        code(parse(&with("AccessKeyId", None))),
        "MissingAccessKeyId"
    );
    assert_eq!(
        code(parse(&with("AccessKeyId", Some("")))),
        "MissingAccessKeyId"
    );
    assert_eq!(code(parse(&base)), "IncompleteSignature", "no Signature");
    assert_eq!(
        code(parse(&with("SignatureMethod", Some("HMAC-SHA256")))),
        "IncompleteSignature"
    );
    assert_eq!(
        code(parse(&with("SignatureVersion", Some("2.0")))),
        "IncompleteSignature"
    );
    let e = parse(&with("Timestamp", None)).unwrap_err();
    assert_eq!(e.code, Code::IllegalTimestamp);
    assert_eq!(
        e.message,
        "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied."
    );
    assert_eq!(
        code(parse(&with("Timestamp", Some("2024-13-01T00:00:00Z")))),
        "IllegalTimestamp"
    );
    assert_eq!(
        code(parse(&with("Timestamp", Some("yesterday")))),
        "IllegalTimestamp"
    );
    assert_eq!(
        code(parse(&with("SignatureNonce", None))),
        "MissingSignatureNonce"
    );
    assert!(
        parse(&with("SignatureMethod", None)).is_ok(),
        "absent SignatureMethod means HMAC-SHA1"
    );
}

#[test]
fn action_and_version_checks() {
    let signed = |q: Vec<(String, String)>, headers: &[(&str, &str)]| {
        let mut wire = v1_wire(Method::POST, &q, &[], "sk");
        wire.headers = header_map(&owned(headers));
        wire.parse().unwrap().verify("sk", T0)
    };
    let drop = |k: &str| -> Vec<(String, String)> {
        v1_common("X", "ak", TS, "n")
            .into_iter()
            .filter(|(n, _)| n != k)
            .collect()
    };
    assert_eq!(code(signed(drop("Action"), &[])), "MissingAction");
    // V1 signs only parameters: an action named only in the header is not covered.
    assert_eq!(
        code(signed(drop("Action"), &[("x-acs-action", "X")])),
        "MissingAction"
    );
    assert_eq!(code(signed(drop("Version"), &[])), "MissingVersion");
    // The version has one valid value, so the unsigned header is enough to name it.
    assert!(signed(drop("Version"), &[("x-acs-version", "2014-06-18")]).is_ok());
    let mut q = drop("Version");
    q.push(("Version".into(), "2017-03-21".into()));
    let e = signed(q, &[]).unwrap_err();
    assert_eq!(
        (e.code.as_string().as_str(), e.message.as_str()),
        ("NoSuchVersion", "The specified version does not exist.")
    );
}

#[test]
fn timestamp_window_edges() {
    let wire = v1_wire(Method::POST, &v1_common("X", "ak", TS, "n"), &[], "sk");
    let at = |now: OffsetDateTime| wire.parse().unwrap().verify("sk", now);
    let w = TIMESTAMP_WINDOW;
    let s = time::Duration::seconds(1);
    assert!(at(T0 + w).is_ok());
    assert!(
        at(T0 - w).is_ok(),
        "a timestamp ahead of the server clock is accepted too"
    );
    let late = at(T0 + w + s).unwrap_err();
    assert_eq!(late.code.as_string(), "InvalidTimeStamp.Expired");
    assert_eq!(
        late.message,
        "Specified time stamp or date value is expired."
    );
    assert_eq!(code(at(T0 - w - s)), "InvalidTimeStamp.Expired");
    // The window is checked after the signature: a wrong secret says so even when late.
    assert_eq!(
        code(wire.parse().unwrap().verify("bad", T0 + w + s)),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn response_format_rule() {
    let h = |list: &[(&str, &str)]| header_map(&owned(list));
    let detect = |q: &str, headers: &HeaderMap| ResponseFormat::detect(Some(q), headers, b"");
    assert_eq!(detect("", &h(&[])), ResponseFormat::Xml);
    assert_eq!(detect("Format=JSON", &h(&[])), ResponseFormat::Json);
    assert_eq!(
        detect("Format=xml", &h(&[("accept", "application/json")])),
        ResponseFormat::Xml
    );
    assert_eq!(
        detect("", &h(&[("accept", "text/html, Application/JSON;q=0.9")])),
        ResponseFormat::Json
    );
    assert_eq!(
        detect("", &h(&[("authorization", "ACS3-HMAC-SHA256 broken")])),
        ResponseFormat::Json
    );
    assert_eq!(
        detect("Format=yaml", &h(&[])),
        ResponseFormat::Json,
        "unknown values mean JSON"
    );
    let form = h(&[("content-type", "application/x-www-form-urlencoded")]);
    assert_eq!(
        ResponseFormat::detect(None, &form, b"Format=XML"),
        ResponseFormat::Xml
    );
}
