use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn kat_headers() -> Vec<(String, String)> {
    pairs(&[
        ("accept", "application/json"),
        ("host", "127.0.0.1:8080"),
        ("x-acs-action", "SubmitFpDBDeleteJob"),
        ("x-acs-content-sha256", EMPTY_SHA256),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
        ("x-acs-version", "2014-06-18"),
    ])
}

fn kat_query() -> Vec<(String, String)> {
    pairs(&[
        ("FpDBId", "88c6ca184c0e47098a5b665e2a12****"),
        ("DelType", "Purge"),
        ("UserData", "a b*~+/测试"),
    ])
}

/// Spec §2.4 vector: canonical request, string to sign and Authorization, exactly.
#[test]
fn known_answer() {
    assert_eq!(content_sha256(b""), EMPTY_SHA256);
    let query = canonical_query(&kat_query());
    assert_eq!(
        query,
        "DelType=Purge&FpDBId=88c6ca184c0e47098a5b665e2a12%2A%2A%2A%2A&UserData=a%20b%2A~%2B%2F%E6%B5%8B%E8%AF%95"
    );
    let mut headers = Vec::new();
    for (k, v) in kat_headers() {
        push_canonical_header(&mut headers, &k, std::iter::once(v.as_bytes()));
    }
    let signed = "accept;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";
    let creq = canonical_request("POST", &query, &headers, signed, EMPTY_SHA256);
    let want_creq = "POST\n/\nDelType=Purge&FpDBId=88c6ca184c0e47098a5b665e2a12%2A%2A%2A%2A&UserData=a%20b%2A~%2B%2F%E6%B5%8B%E8%AF%95\naccept:application/json\nhost:127.0.0.1:8080\nx-acs-action:SubmitFpDBDeleteJob\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:0123456789abcdef0123456789abcdef\nx-acs-version:2014-06-18\n\naccept;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(String::from_utf8(creq.clone()).unwrap(), want_creq);
    assert_eq!(
        string_to_sign(&creq),
        "ACS3-HMAC-SHA256\n18d388cf8eaef936e0b6ec84c4b59049106eff5ca79fce3e075d92af8608ad97"
    );
    let auth = sign_v3(
        "POST",
        &kat_query(),
        &kat_headers(),
        b"",
        "testid",
        "testsecret",
    );
    assert_eq!(
        auth,
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=accept;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=c735cfb16f72d18280ea4bcbe04b31c358613f6171f4fa09c77483dbf688d025"
    );
}

#[test]
fn sign_v3_sorts_headers_given_in_any_order() {
    let mut reversed = kat_headers();
    reversed.reverse();
    assert_eq!(
        sign_v3("POST", &kat_query(), &reversed, b"", "testid", "testsecret"),
        sign_v3(
            "POST",
            &kat_query(),
            &kat_headers(),
            b"",
            "testid",
            "testsecret"
        )
    );
}

#[test]
fn empty_query_and_empty_values() {
    assert_eq!(canonical_query(&[]), "");
    assert_eq!(
        canonical_query(&pairs(&[("b", ""), ("a", "2"), ("a", "1")])),
        "a=1&a=2&b="
    );
}

#[test]
fn authorization_parsing() {
    let a = parse_authorization(
        "ACS3-HMAC-SHA256 Credential=ak, SignedHeaders=host;x-acs-date ,Signature=ab12",
    )
    .unwrap();
    assert_eq!(a.credential, "ak");
    assert_eq!(a.signed_headers, "host;x-acs-date");
    assert_eq!(a.signature, "ab12");
    for bad in [
        "ACS3-HMAC-SM3 Credential=ak,SignedHeaders=host,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=ak,Signature=ab",
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host",
        "ACS3-HMAC-SHA256",
        "",
    ] {
        let err = parse_authorization(bad).unwrap_err();
        assert_eq!(err.code, Code::IncompleteSignature, "{bad}");
        assert!(
            err.message
                .starts_with("The request signature does not conform to Aliyun standards.")
        );
    }
}

#[test]
fn repeated_headers_are_trimmed_sorted_and_joined() {
    let mut out = Vec::new();
    push_canonical_header(&mut out, "x-a", [&b" b "[..], b"\ta", b"c"].into_iter());
    assert_eq!(out, b"x-a:a,b,c\n");
}
