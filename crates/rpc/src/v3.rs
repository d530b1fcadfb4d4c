//! Signature V3, ACS3-HMAC-SHA256, spec §2.4.

use crate::encode::push_encoded;
use fpshot_types::{ApiError, Code};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The only V3 algorithm fpshot verifies (the SDK default; SM3 and RSA variants are opt-in).
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Lower-case hex SHA-256 of a request body: the `x-acs-content-sha256` header value.
pub fn content_sha256(body: &[u8]) -> String {
    hex_lower(&Sha256::digest(body))
}

/// Lower-case hex of a SHA-256 digest through a stack buffer (the `hex` crate's iterator path
/// showed up in V3 profiles).
fn hex_lower(digest: &[u8]) -> String {
    let mut buf = [0u8; 64];
    if let Some(out) = buf.get_mut(..digest.len() * 2)
        && hex::encode_to_slice(digest, &mut *out).is_ok()
    {
        return String::from_utf8_lossy(out).into_owned();
    }
    hex::encode(digest)
}

/// `CanonicalQueryString`: the decoded query pairs (form body excluded) sorted by name then
/// value, each written `percentEncode(name)=percentEncode(value)`, joined with `&`. Duplicate
/// names are all kept, so every byte of the query is covered.
pub(crate) fn canonical_query(pairs: &[(String, String)]) -> String {
    build_canonical_query(pairs, true)
}

/// The same with names written as they are, which is what TEA's `get_canonical_query_string`
/// does (the V3 document encodes names). The two forms differ only when a name has a character
/// outside `A-Z a-z 0-9 - _ . ~`, which no API parameter has: then this form is returned too, so
/// a request from either kind of signer verifies.
pub(crate) fn canonical_query_raw_names(pairs: &[(String, String)]) -> Option<String> {
    let needs_encoding = |k: &String| k.bytes().any(|b| !crate::encode::is_unreserved(b));
    pairs
        .iter()
        .any(|(k, _)| needs_encoding(k))
        .then(|| build_canonical_query(pairs, false))
}

fn build_canonical_query(pairs: &[(String, String)], encode_names: bool) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let mut out = String::with_capacity(256);
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        if encode_names {
            push_encoded(&mut out, k);
        } else {
            out.push_str(k);
        }
        out.push('=');
        push_encoded(&mut out, v);
    }
    out
}

/// `METHOD \n / \n query \n headers(each ending \n) \n signed \n payload_hash`. Bytes, because
/// header values are signed as received and need not be UTF-8.
pub(crate) fn canonical_request(
    method: &str,
    canonical_query: &str,
    canonical_headers: &[u8],
    signed_headers: &str,
    payload_hash: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        method.len() + canonical_query.len() + canonical_headers.len() + signed_headers.len() + 72,
    );
    out.extend_from_slice(method.as_bytes());
    out.extend_from_slice(b"\n/\n");
    out.extend_from_slice(canonical_query.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

/// `ACS3-HMAC-SHA256 \n hex(SHA-256(CanonicalRequest))`.
pub(crate) fn string_to_sign(canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request))
    )
}

/// `HMAC-SHA256(secret, string_to_sign)` (no `&` appended to the key, unlike V1).
pub(crate) fn mac(secret: &str, string_to_sign: &str) -> [u8; 32] {
    // HMAC takes keys of any length, so this branch is never taken; see v1::mac.
    let Ok(mut m) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return [0; 32];
    };
    m.update(string_to_sign.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

/// The parts of `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub credential: String,
    pub signed_headers: String,
    pub signature: String,
}

pub(crate) fn incomplete(why: &str) -> ApiError {
    ApiError::new(
        Code::IncompleteSignature,
        format!("The request signature does not conform to Aliyun standards. {why}"),
    )
}

/// Parses the Authorization header value. Spaces after the commas are tolerated (TEA sends
/// none); an unknown algorithm or a missing part is `IncompleteSignature`.
pub(crate) fn parse_authorization(value: &str) -> Result<Authorization, ApiError> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(&format!(
            "Signature algorithm {algorithm} is not supported; use {ALGORITHM}."
        )));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed_headers = Some(v.trim()),
            Some(("Signature", v)) => signature = Some(v.trim()),
            _ => {}
        }
    }
    let need = |v: Option<&str>, name: &str| {
        v.map(str::to_string)
            .ok_or_else(|| incomplete(&format!("{name} is missing from the Authorization header.")))
    };
    Ok(Authorization {
        credential: need(credential, "Credential")?,
        signed_headers: need(signed_headers, "SignedHeaders")?,
        signature: need(signature, "Signature")?,
    })
}

/// Appends `name:value\n` for one signed header. Each value is trimmed of surrounding spaces
/// and tabs; repeated headers are sorted and joined with `,` (TEA `get_canonicalized_headers`).
pub(crate) fn push_canonical_header<'a>(
    out: &mut Vec<u8>,
    name: &str,
    values: impl Iterator<Item = &'a [u8]>,
) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    let mut values = values.map(<[u8]>::trim_ascii);
    match (values.next(), values.next()) {
        (None, _) => {}
        (Some(only), None) => out.extend_from_slice(only),
        (Some(a), Some(b)) => {
            let mut all: Vec<&[u8]> = [a, b].into_iter().chain(values).collect();
            all.sort_unstable();
            out.extend_from_slice(&all.join(&b","[..]));
        }
    }
    out.push(b'\n');
}

/// Client side: the `Authorization` header value for a V3 request.
///
/// `headers` are the headers to sign (lower-case names, e.g. `host`, `x-acs-action`,
/// `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`); they are
/// sorted here and must also be sent. `query` holds the decoded query pairs.
pub fn sign_v3(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    access_key_id: &str,
    secret: &str,
) -> String {
    let mut sorted: Vec<&(String, String)> = headers.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut names: Vec<&str> = sorted.iter().map(|(k, _)| k.as_str()).collect();
    names.dedup();
    let signed_headers = names.join(";");
    let mut canonical_headers = Vec::new();
    for name in &names {
        let values = sorted
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_bytes());
        push_canonical_header(&mut canonical_headers, name, values);
    }
    let creq = canonical_request(
        method,
        &canonical_query(query),
        &canonical_headers,
        &signed_headers,
        &content_sha256(body),
    );
    let signature = hex::encode(mac(secret, &string_to_sign(&creq)));
    format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

#[cfg(test)]
#[path = "v3_test.rs"]
mod tests;
