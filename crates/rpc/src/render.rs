//! Response bodies: the JSON / XML success envelope and the error envelope (spec §2.7, §2.8).

use crate::ResponseFormat;
use crate::xml;
use fpshot_types::ApiError;
use serde_json::{Map, Value};

pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// TEA parses an error body as XML only with exactly this Content-Type.
pub const XML_CONTENT_TYPE: &str = "text/xml;charset=utf-8";

/// A response ready to send: the server adds `x-acs-request-id` and the like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A new `RequestId`: an upper-case UUID with dashes, e.g. `25818875-5F78-4A13-BEF6-D7393642CA58`.
pub fn new_request_id() -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_upper(&mut buf)
        .to_string()
}

/// `RequestId` first, then `fields` in their order (a `RequestId` among them is dropped).
fn with_request_id(request_id: &str, fields: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::with_capacity(fields.len() + 1);
    out.insert("RequestId".into(), Value::String(request_id.to_string()));
    out.extend(fields.into_iter().filter(|(k, _)| k != "RequestId"));
    out
}

fn render(status: u16, root: &str, fields: Map<String, Value>, format: ResponseFormat) -> Rendered {
    match format {
        ResponseFormat::Json => Rendered {
            status,
            content_type: JSON_CONTENT_TYPE,
            // Serializing a Map of Values cannot fail (string keys, no foreign Serialize impls).
            body: serde_json::to_vec(&fields).unwrap_or_default(),
        },
        ResponseFormat::Xml => Rendered {
            status,
            content_type: XML_CONTENT_TYPE,
            body: xml::document(root, &fields).into_bytes(),
        },
    }
}

/// A success (HTTP 200): JSON `{"RequestId":..,<fields>}` or XML `<{Action}Response>`.
pub fn render_success(
    action: &str,
    body: Map<String, Value>,
    request_id: &str,
    format: ResponseFormat,
) -> Rendered {
    let root = format!("{action}Response");
    render(200, &root, with_request_id(request_id, body), format)
}

/// The `Recommend` link of the error envelope, in the form POP uses today.
pub fn recommend_url(code: &str, request_id: &str) -> String {
    format!("https://api.aliyun.com/troubleshoot?q={code}&product=Mts&requestId={request_id}")
}

/// An error: `{RequestId, HostId, Code, Message, Recommend}` with the code's HTTP status; XML root
/// `<Error>`.
pub fn render_error(
    err: &ApiError,
    request_id: &str,
    host_id: &str,
    format: ResponseFormat,
) -> Rendered {
    let code = err.code.as_string();
    let recommend = recommend_url(&code, request_id);
    // The order of real POP bodies: RequestId, HostId, Code, Message, Recommend.
    let mut fields = Map::with_capacity(5);
    fields.insert("RequestId".into(), Value::String(request_id.to_string()));
    fields.insert("HostId".into(), Value::String(host_id.to_string()));
    fields.insert("Code".into(), Value::String(code));
    fields.insert("Message".into(), Value::String(err.message.clone()));
    fields.insert("Recommend".into(), Value::String(recommend));
    render(err.code.http_status(), "Error", fields, format)
}

#[cfg(test)]
#[path = "render_test.rs"]
mod tests;

#[cfg(test)]
#[path = "render_prop_test.rs"]
mod prop_tests;
