//! XML rendering of a JSON object tree, the shape POP documents for `Format=XML`.
//!
//! Written by hand because the mapping is ours (arrays become repeated elements) and because
//! XML 1.0 cannot carry most control characters even as references, which generic escapers
//! pass through; a single pass here escapes markup and replaces those characters.

use serde_json::{Map, Value};

/// `<?xml ...?><root>fields</root>`.
pub(crate) fn document(root: &str, fields: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    element(&mut out, root, &Value::Object(fields.clone()));
    out
}

/// One key/value: an array under key K is one `<K>` per item (so a wrapped list
/// `"L":{"I":[..]}` is `<L><I>..</I><I>..</I></L>` and a flat list `"L":[..]` is repeated `<L>`);
/// null is omitted; an empty object or string is `<K></K>`.
fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                element(out, name, item);
            }
        }
        other => {
            open(out, name, '<');
            match other {
                Value::Object(map) => {
                    for (k, v) in map {
                        element(out, k, v);
                    }
                }
                Value::String(s) => push_text(out, s),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Null | Value::Array(_) => {}
            }
            open(out, name, '/');
        }
    }
}

/// Writes `<name>` or `</name>`; characters not allowed in an XML name become `_` so that any
/// key still yields well-formed XML (API field names are plain ASCII words and pass unchanged).
fn open(out: &mut String, name: &str, kind: char) {
    out.push('<');
    if kind == '/' {
        out.push('/');
    }
    if name.is_empty() {
        out.push('_');
    }
    for (i, c) in name.chars().enumerate() {
        let ok = if i == 0 {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        out.push(if ok { c } else { '_' });
    }
    out.push('>');
}

/// XML 1.0 (fifth edition) `NameStartChar`, without `:` (namespaces would read it as a prefix).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Escapes `& < > " '`, keeps `\r` as a character reference (a parser would fold a raw one into
/// `\n`), and replaces characters XML 1.0 forbids with U+FFFD.
fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}
