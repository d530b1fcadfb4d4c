use super::*;
use fpshot_types::Code;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

#[test]
fn json_success_puts_request_id_first_and_keeps_order() {
    let r = render_success(
        "X",
        obj(json!({"Zed": 1, "Alpha": "a"})),
        "RID",
        ResponseFormat::Json,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json;charset=utf-8");
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"RequestId":"RID","Zed":1,"Alpha":"a"}"#
    );
}

#[test]
fn error_envelope_json() {
    let err = ApiError::missing("FpDBId");
    let r = render_error(&err, "RID", "mts.local", ResponseFormat::Json);
    assert_eq!(r.status, 400);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"RequestId":"RID","HostId":"mts.local","Code":"MissingFpDBId","Message":"FpDBId is mandatory for this action.","Recommend":"https://api.aliyun.com/troubleshoot?q=MissingFpDBId&product=Mts&requestId=RID"}"#
    );
    let nf = ApiError::new(Code::InvalidActionNotFound, "x");
    assert_eq!(
        render_error(&nf, "R", "h", ResponseFormat::Json).status,
        404
    );
}

#[test]
fn request_ids_are_upper_case_uuids() {
    let id = new_request_id();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_uppercase());
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_ne!(id, new_request_id());
}
