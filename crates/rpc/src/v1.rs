//! Signature V1, "RPC signature" (HMAC-SHA1), spec §2.3.

use crate::encode::{percent_encode, push_encoded_twice};
use crate::params::Params;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// The only `SignatureMethod` of V1 (compared case-insensitively: the docs show `Hmac-SHA1`).
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The only `SignatureVersion` of V1.
pub const SIGNATURE_VERSION: &str = "1.0";

/// `HTTPMethod & %2F & percentEncode(CanonicalizedQueryString)` over every parameter except
/// `Signature`, empty values included, sorted by name.
///
/// Names are sorted as decoded strings (byte order), the way TEA `get_rpcsignature` and CORE's
/// composer sort raw keys; for the ASCII names of the API this equals sorting encoded names.
pub(crate) fn string_to_sign<'a>(
    method: &str,
    sorted_params: impl Iterator<Item = (&'a str, &'a str)>,
) -> String {
    // Written straight in its doubly encoded form: `=` is `%3D`, `&` is `%26`.
    let mut sts = String::with_capacity(method.len() + 1024);
    sts.push_str(method);
    sts.push_str("&%2F&");
    for (i, (k, v)) in sorted_params.filter(|(k, _)| *k != "Signature").enumerate() {
        if i > 0 {
            sts.push_str("%26");
        }
        push_encoded_twice(&mut sts, k);
        sts.push_str("%3D");
        push_encoded_twice(&mut sts, v);
    }
    sts
}

/// `Base64(HMAC-SHA1(secret + "&", string_to_sign))` as raw MAC bytes.
pub(crate) fn mac(secret: &str, string_to_sign: &str) -> [u8; 20] {
    let mut key = Vec::with_capacity(secret.len() + 1);
    key.extend_from_slice(secret.as_bytes());
    key.push(b'&');
    // HMAC takes keys of any length (long keys are hashed), so this cannot fail whatever the
    // secret is; the branch exists only because the trait is shared with fixed-key MACs.
    let Ok(mut m) = <Hmac<Sha1> as KeyInit>::new_from_slice(&key) else {
        return [0; 20];
    };
    m.update(string_to_sign.as_bytes());
    let mut out = [0u8; 20];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

/// The V1 `StringToSign` a client computes for `params` (`Signature` ignored; a name given twice
/// keeps its last value, as the server merges them).
pub fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let merged = Params::from_pairs(params.iter().cloned());
    string_to_sign(method, merged.iter())
}

/// Client side: the `Signature` value for `params` (every parameter of the request except
/// `Signature`, query and form body together), not yet URL-encoded.
pub fn sign_v1(method: &str, params: &[(String, String)], secret: &str) -> String {
    BASE64.encode(mac(secret, &v1_string_to_sign(method, params)))
}

/// Client side: the full query string of a V1 request, `Signature` appended last, RFC 3986
/// encoded (what CORE sends after `/?`). `params` must not contain `Signature`.
pub fn signed_v1_query(method: &str, params: &[(String, String)], secret: &str) -> String {
    let signature = sign_v1(method, params, secret);
    let mut query = crate::encode::encode_query(params);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str("Signature=");
    query.push_str(&percent_encode(&signature));
    query
}

/// Base64 of a MAC, for the server's comparison.
pub(crate) fn encode_mac(mac: &[u8; 20]) -> String {
    BASE64.encode(mac)
}

#[cfg(test)]
#[path = "v1_test.rs"]
mod tests;
