//! Percent-encoding and form decoding as the Alibaba signers use them (spec §2.1, §2.3, §2.4).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt::Write as _;

/// RFC 3986 unreserved characters stay as they are; every other UTF-8 byte becomes `%XX` with
/// upper-case hex (space → `%20`, `*` → `%2A`, `~` kept), exactly like Python's
/// `quote(s, safe='-_.~')` used by both SDK families.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Appends the RFC 3986 encoding of `s` to `out`.
pub(crate) fn push_encoded(out: &mut String, s: &str) {
    // `Display` of the encoder writes chunks without intermediate allocation.
    let _ = write!(out, "{}", utf8_percent_encode(s, RFC3986));
}

/// The RFC 3986 encoding of `s` (the `percentEncode` of the Alibaba signature documents).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    push_encoded(&mut out, s);
    out
}

/// Builds a query string (`k=v&k=v`, RFC 3986 encoded) from pairs in the given order. This is
/// what a client puts after `/?`; the server decodes it with [`decode_form`].
pub fn encode_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, k);
        out.push('=');
        push_encoded(&mut out, v);
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` bytes (`+` is a space, `%XX` escapes, a name
/// without `=` has the empty value, empty segments are skipped). Invalid UTF-8 is replaced by
/// U+FFFD, the same as Python's `parse_qsl`, so nothing here can fail.
pub(crate) fn decode_form(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// True when a `Content-Type` value names a form body (`application/x-www-form-urlencoded`,
/// parameters such as `; charset=UTF-8` allowed, media type compared case-insensitively).
pub(crate) fn is_form_content_type(value: &[u8]) -> bool {
    let media = value.split(|&b| b == b';').next().unwrap_or_default();
    media
        .trim_ascii()
        .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_encoding_matches_the_signers() {
        assert_eq!(
            percent_encode("a b*~+/测试"),
            "a%20b%2A~%2B%2F%E6%B5%8B%E8%AF%95"
        );
        assert_eq!(percent_encode("-_.~AZaz09"), "-_.~AZaz09");
        assert_eq!(
            percent_encode("2024-01-01T00:00:00Z"),
            "2024-01-01T00%3A00%3A00Z"
        );
        assert_eq!(percent_encode("=&%"), "%3D%26%25");
    }

    #[test]
    fn form_decoding_turns_plus_into_space_and_keeps_empty_values() {
        let pairs = decode_form(b"a=x+y&b=&c&&d=%2B%2a&e=%E6%B5%8B");
        let want = [("a", "x y"), ("b", ""), ("c", ""), ("d", "+*"), ("e", "测")];
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn encode_query_round_trips_through_form_decoding() {
        let pairs = vec![
            ("A b".to_string(), "x+y z/~*".to_string()),
            ("E".into(), String::new()),
        ];
        assert_eq!(decode_form(encode_query(&pairs).as_bytes()), pairs);
    }

    #[test]
    fn form_content_type_detection() {
        assert!(is_form_content_type(b"application/x-www-form-urlencoded"));
        assert!(is_form_content_type(
            b" Application/X-WWW-Form-Urlencoded ; charset=UTF-8"
        ));
        assert!(!is_form_content_type(b"application/json"));
        assert!(!is_form_content_type(b""));
    }
}
