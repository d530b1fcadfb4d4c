use super::*;
use crate::{sign_v3, signed_v1_query};
use http::{HeaderMap, HeaderName, HeaderValue};
use time::macros::datetime;

pub(crate) fn headers(list: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

/// Spec §2.6: the V1 request TEA sent (`signature_algorithm='v2'`), as captured.
#[test]
fn captured_tea_v1_request_verifies() {
    let query = "Action=SubmitFpDBDeleteJob&Format=json&Version=2014-06-18&Timestamp=2026-12-04T15%3A04%3A42Z&SignatureNonce=8ebfed0c7be69ca962b3d349c07eb26f&DelType=Purge&FpDBId=88c6ca184c0e47098a5b665e2a12%2A%2A%2A%2A&UserData=a+b%2A~%2B%2F%E6%B5%8B%E8%AF%95&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=testid&Signature=WmFuD2MhXVKmkql523tJNfOAIIQ%3D";
    let h = headers(&[
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2014-06-18"),
        ("x-acs-action", "SubmitFpDBDeleteJob"),
        ("x-acs-credentials-provider", "static_ak"),
        ("content-length", "0"),
    ]);
    let req = UnverifiedRequest::parse(&Method::POST, Some(query), &h, b"").unwrap();
    assert_eq!(req.kind(), SignatureKind::V1);
    assert_eq!(req.access_key_id(), "testid");
    assert_eq!(req.action(), Some("SubmitFpDBDeleteJob"));
    assert_eq!(req.format(), ResponseFormat::Json);
    let now = datetime!(2026-12-04 15:05:00 UTC);
    let ok = req.verify("testsecret", now).unwrap();
    assert_eq!(ok.nonce(), "8ebfed0c7be69ca962b3d349c07eb26f");
    assert_eq!(ok.timestamp(), datetime!(2026-12-04 15:04:42 UTC));
    assert_eq!(ok.params().get("UserData"), Some("a b*~+/测试"));
    assert_eq!(ok.params().get("Signature"), None);
}

#[test]
fn v1_round_trip_get_and_wrong_secret_message() {
    let params: Vec<(String, String)> = [
        ("Action", "ListFpShotDB"),
        ("Version", "2014-06-18"),
        ("AccessKeyId", "ak"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureNonce", "n1"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureType", ""),
        ("FpDBIds", "a,b"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let q = signed_v1_query("GET", &params, "sk");
    let now = datetime!(2024-01-01 00:10:00 UTC);
    let req = UnverifiedRequest::parse(&Method::GET, Some(&q), &HeaderMap::new(), b"").unwrap();
    assert_eq!(
        req.format(),
        ResponseFormat::Xml,
        "V1 without Format or Accept json: XML"
    );
    assert!(req.clone().verify("sk", now).is_ok());
    let err = req.verify("other", now).unwrap_err();
    assert_eq!(err.code, Code::SignatureDoesNotMatch);
    let (head, sts) = err.message.split_once(':').unwrap();
    assert_eq!(
        head,
        "Specified signature is not matched with our calculation. server string to sign is"
    );
    assert_eq!(sts, crate::v1_string_to_sign("GET", &params));
}

#[test]
fn v3_round_trip_and_mismatch_message() {
    let query = vec![("FpDBIds".to_string(), "a,b".to_string())];
    let mut signed: Vec<(String, String)> = [
        ("host", "127.0.0.1:8080"),
        ("x-acs-action", "ListFpShotDB"),
        ("x-acs-version", "2014-06-18"),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "n3"),
        ("x-acs-content-sha256", &crate::content_sha256(b"")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let auth = sign_v3("POST", &query, &signed, b"", "ak", "sk");
    signed.push(("authorization".into(), auth));
    let list: Vec<(&str, &str)> = signed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let h = headers(&list);
    let q = crate::encode_query(&query);
    let req = UnverifiedRequest::parse(&Method::POST, Some(&q), &h, b"").unwrap();
    assert_eq!(req.kind(), SignatureKind::V3);
    assert_eq!(req.format(), ResponseFormat::Json);
    let now = datetime!(2024-01-01 00:00:00 UTC);
    let ok = req.clone().verify("sk", now).unwrap();
    assert_eq!(ok.action(), "ListFpShotDB");
    assert_eq!(ok.nonce(), "n3");
    let err = req.verify("bad", now).unwrap_err();
    assert_eq!(err.code, Code::SignatureDoesNotMatch);
    assert!(err.message.starts_with(
        "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256\n"
    ));
}
