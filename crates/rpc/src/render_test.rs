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

fn xml(r: Rendered) -> String {
    assert_eq!(r.content_type, "text/xml;charset=utf-8");
    String::from_utf8(r.body).unwrap()
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[test]
fn json_lists_keep_their_style() {
    let body = obj(json!({
        "FpShotJobList": {"FpShotJob": [{"Id": "j1"}, {"Id": "j2"}]},
        "NonExistIds": {"String": ["x"]},
    }));
    let r = render_success("QueryFpShotJobList", body, "RID", ResponseFormat::Json);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"RequestId":"RID","FpShotJobList":{"FpShotJob":[{"Id":"j1"},{"Id":"j2"}]},"NonExistIds":{"String":["x"]}}"#
    );
    let flat = obj(json!({"NonExistIds": ["a", "b"], "FpShotImportJobList": [{"Id": "i"}]}));
    let r = render_success("ListFpShotImportJob", flat, "RID", ResponseFormat::Json);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"RequestId":"RID","NonExistIds":["a","b"],"FpShotImportJobList":[{"Id":"i"}]}"#
    );
}

#[test]
fn json_request_id_is_ours_and_first() {
    let r = render_success(
        "X",
        obj(json!({"A": 1, "RequestId": "theirs"})),
        "RID",
        ResponseFormat::Json,
    );
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"RequestId":"RID","A":1}"#
    );
}

#[test]
fn xml_wrapped_list_repeats_the_item_element() {
    let body = obj(json!({
        "FpShotJobList": {"FpShotJob": [
            {"Id": "j1", "Duration": 12, "ExtendConfig": {"IsBoostNew": true}},
            {"Id": "j2", "Duration": 3, "ExtendConfig": {"IsBoostNew": false}}
        ]},
        "NonExistIds": {"String": ["x", "y"]},
    }));
    let r = render_success("QueryFpShotJobList", body, "RID", ResponseFormat::Xml);
    assert_eq!(r.status, 200);
    assert_eq!(
        xml(r),
        format!(
            "{HEAD}<QueryFpShotJobListResponse><RequestId>RID</RequestId><FpShotJobList>\
             <FpShotJob><Id>j1</Id><Duration>12</Duration><ExtendConfig><IsBoostNew>true</IsBoostNew></ExtendConfig></FpShotJob>\
             <FpShotJob><Id>j2</Id><Duration>3</Duration><ExtendConfig><IsBoostNew>false</IsBoostNew></ExtendConfig></FpShotJob>\
             </FpShotJobList><NonExistIds><String>x</String><String>y</String></NonExistIds></QueryFpShotJobListResponse>"
        )
    );
}

#[test]
fn xml_flat_list_repeats_the_key_and_empty_values_stay() {
    let body = obj(json!({"NonExistIds": ["a", "b"], "Empty": [], "Obj": {}, "S": "", "N": null}));
    let r = render_success("ListFpShotImportJob", body, "RID", ResponseFormat::Xml);
    assert_eq!(
        xml(r),
        format!(
            "{HEAD}<ListFpShotImportJobResponse><RequestId>RID</RequestId>\
             <NonExistIds>a</NonExistIds><NonExistIds>b</NonExistIds><Obj></Obj><S></S>\
             </ListFpShotImportJobResponse>"
        )
    );
}

#[test]
fn xml_escapes_text_and_replaces_what_xml_cannot_carry() {
    let body = obj(
        json!({"UserData": "<a href=\"x\">&'测\r\n\t\u{1}\u{FFFF}</a>", "bad name": 1, "1st": 2}),
    );
    let r = render_success("X", body, "RID", ResponseFormat::Xml);
    assert_eq!(
        xml(r),
        format!(
            "{HEAD}<XResponse><RequestId>RID</RequestId>\
             <UserData>&lt;a href=&quot;x&quot;&gt;&amp;&apos;测&#xD;\n\t\u{FFFD}\u{FFFD}&lt;/a&gt;</UserData>\
             <bad_name>1</bad_name><_st>2</_st></XResponse>"
        )
    );
}

#[test]
fn xml_error_envelope() {
    let err = ApiError::new(
        Code::SignatureDoesNotMatch,
        "server string to sign is:GET&%2F&A%3D1<",
    );
    let r = render_error(&err, "RID", "mts.local", ResponseFormat::Xml);
    assert_eq!(r.status, 400);
    assert_eq!(
        xml(r),
        format!(
            "{HEAD}<Error><RequestId>RID</RequestId><HostId>mts.local</HostId>\
             <Code>SignatureDoesNotMatch</Code><Message>server string to sign is:GET&amp;%2F&amp;A%3D1&lt;</Message>\
             <Recommend>https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&amp;product=Mts&amp;requestId=RID</Recommend></Error>"
        )
    );
    assert_eq!(
        render_error(&ApiError::internal(), "R", "h", ResponseFormat::Xml).status,
        500
    );
}
