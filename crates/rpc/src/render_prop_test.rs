//! Property tests of the envelopes: any field tree renders to JSON that reads back the same and
//! to well-formed XML whose elements carry the same text.

use super::*;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[A-Z][A-Za-z]{0,10}", 1 => any::<String>()]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[<>&'\"\r\n\t a-z测]{0,10}".prop_map(Value::String),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((name(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((name(), tree()), 0..5).prop_map(|kv| kv.into_iter().collect())
}

/// What XML can carry of a string: the characters XML 1.0 forbids become U+FFFD.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

proptest! {
    #[test]
    fn json_reads_back_with_request_id_first(f in fields()) {
        let r = render_success("Act", f.clone(), "RID", ResponseFormat::Json);
        let back: Map<String, Value> = serde_json::from_slice(&r.body).unwrap();
        let mut want = Map::new();
        want.insert("RequestId".into(), Value::String("RID".into()));
        want.extend(f.into_iter().filter(|(k, _)| k != "RequestId"));
        prop_assert_eq!(back.keys().next().map(String::as_str), Some("RequestId"));
        prop_assert_eq!(back, want);
    }

    #[test]
    fn xml_is_well_formed_for_any_tree(f in fields()) {
        let r = render_success("Act", f, "RID", ResponseFormat::Xml);
        let text = String::from_utf8(r.body).unwrap();
        let doc = roxmltree::Document::parse(&text);
        prop_assert!(doc.is_ok(), "{:?}\n{}", doc.err(), text);
        let doc = doc.unwrap();
        prop_assert_eq!(doc.root_element().tag_name().name(), "ActResponse");
    }

    /// Flat string fields come back as the same text, element by element and in order.
    #[test]
    fn xml_text_round_trips(values in prop::collection::vec(any::<String>(), 0..6)) {
        let f: Map<String, Value> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("F{i}"), Value::String(v.clone())))
            .collect();
        let r = render_error(
            &ApiError::new(fpshot_types::Code::InvalidParameter, values.concat()),
            "RID",
            "h<&>",
            ResponseFormat::Xml,
        );
        let text = String::from_utf8(r.body).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let message = doc.descendants().find(|n| n.has_tag_name("Message")).unwrap();
        prop_assert_eq!(message.text().unwrap_or_default(), xml_text(&values.concat()));
        let host = doc.descendants().find(|n| n.has_tag_name("HostId")).unwrap();
        prop_assert_eq!(host.text(), Some("h<&>"));

        let r = render_success("Act", f, "RID", ResponseFormat::Xml);
        let text = String::from_utf8(r.body).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let got: Vec<(String, String)> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .map(|n| (n.tag_name().name().to_string(), n.text().unwrap_or_default().to_string()))
            .collect();
        let mut want = vec![("RequestId".to_string(), "RID".to_string())];
        want.extend(values.iter().enumerate().map(|(i, v)| (format!("F{i}"), xml_text(v))));
        prop_assert_eq!(got, want);
    }
}
