use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Spec §2.3, first vector (TEA `Utils.get_rpcsignature`).
#[test]
fn known_answer_tea() {
    let params = pairs(&[
        ("Action", "SubmitFpDBDeleteJob"),
        ("Format", "json"),
        ("Version", "2014-06-18"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
        ("FpDBId", "88c6ca184c0e47098a5b665e2a12****"),
        ("DelType", "Purge"),
        ("UserData", "a b*~+/测试"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", "testid"),
    ]);
    assert_eq!(
        v1_string_to_sign("POST", &params),
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSubmitFpDBDeleteJob%26DelType%3DPurge%26Format%3Djson%26FpDBId%3D88c6ca184c0e47098a5b665e2a12%252A%252A%252A%252A%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0123456789abcdef0123456789abcdef%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-01T00%253A00%253A00Z%26UserData%3Da%2520b%252A~%252B%252F%25E6%25B5%258B%25E8%25AF%2595%26Version%3D2014-06-18"
    );
    assert_eq!(
        sign_v1("POST", &params, "testsecret"),
        "dNBuN1azfrMIdYCKLzY1nhxrM6k="
    );
}

/// Spec §2.3, second vector (CORE: empty `SignatureType` is signed).
#[test]
fn known_answer_core_with_empty_value() {
    let params = pairs(&[
        ("Action", "ListFpShotDB"),
        ("Format", "JSON"),
        ("Version", "2014-06-18"),
        ("RegionId", "cn-shanghai"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureType", ""),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
        ("AccessKeyId", "testid"),
        ("FpDBIds", "a,b"),
    ]);
    assert_eq!(
        v1_string_to_sign("POST", &params),
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DListFpShotDB%26Format%3DJSON%26FpDBIds%3Da%252Cb%26RegionId%3Dcn-shanghai%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D0123456789abcdef0123456789abcdef%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2014-06-18"
    );
    assert_eq!(
        sign_v1("POST", &params, "testsecret"),
        "rL2KYPMDtX+9ZpgRGFo9U9IGsiU="
    );
}

#[test]
fn signature_parameter_and_method_matter_as_specified() {
    let base = pairs(&[("A", "1"), ("B", "")]);
    let mut with_sig = base.clone();
    with_sig.push(("Signature".into(), "ignored".into()));
    assert_eq!(
        sign_v1("GET", &base, "s"),
        sign_v1("GET", &with_sig, "s"),
        "Signature is not signed"
    );
    assert_ne!(sign_v1("GET", &base, "s"), sign_v1("POST", &base, "s"));
    assert_ne!(
        sign_v1("GET", &base, "s"),
        sign_v1("GET", &base[..1], "s"),
        "empty values are signed"
    );
    assert_ne!(sign_v1("GET", &base, "s"), sign_v1("GET", &base, "t"));
}

#[test]
fn signed_query_carries_the_encoded_signature_last() {
    let params = pairs(&[("A", "x y")]);
    let q = signed_v1_query("GET", &params, "s");
    let sig = sign_v1("GET", &params, "s");
    assert_eq!(
        q,
        format!("A=x%20y&Signature={}", crate::percent_encode(&sig))
    );
}
