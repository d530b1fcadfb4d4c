//! The RPC route end to end in process: signed requests through the router, answers snapshotted
//! (JSON and XML) with ids, times and request ids redacted.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fpshot_engine::{Engine, EngineConfig, JobRuntime};
use fpshot_server::{AppState, ServerConfig, router};
use fpshot_store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const KEY: &str = "LTAItestkey";
const SECRET: &str = "testsecret";

struct Harness {
    _dir: tempfile::TempDir,
    app: axum::Router,
    engine: Engine,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).expect("store"));
    let account = store.create_account("root").await.expect("account");
    store
        .create_key(&account.id, KEY, SECRET)
        .await
        .expect("key");
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.poll_interval = Duration::from_millis(20);
    let engine = Engine::new(store, config);
    let app = router(AppState::new(engine.clone(), ServerConfig::default()));
    Harness {
        _dir: dir,
        app,
        engine,
    }
}

fn signed_query(action: &str, params: &[(&str, &str)], format: &str) -> String {
    let mut all: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2014-06-18".into()),
        ("Format".into(), format.into()),
        ("AccessKeyId".into(), KEY.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), fpshot_types::new_id()),
        (
            "Timestamp".into(),
            fpshot_types::format_utc(fpshot_types::now_utc()),
        ),
    ];
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    fpshot_rpc::signed_v1_query("POST", &all, SECRET)
}

async fn call(
    h: &Harness,
    action: &str,
    params: &[(&str, &str)],
    format: &str,
) -> (StatusCode, String, String) {
    let uri = format!("/?{}", signed_query(action, params, format));
    let req = Request::post(uri).body(Body::empty()).expect("request");
    let resp = h.app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let header_id = resp
        .headers()
        .get("x-acs-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(
        body.contains(&header_id) && !header_id.is_empty(),
        "x-acs-request-id is the body's RequestId"
    );
    (status, body, header_id)
}

/// Ids, times and request ids vary from run to run.
fn redact(body: &str) -> String {
    let ids = regex::Regex::new(r"\b[0-9a-f]{32}\b").expect("regex");
    let times = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").expect("regex");
    let rid = regex::Regex::new(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
        .expect("regex");
    let s = ids.replace_all(body, "[id]");
    let s = times.replace_all(&s, "[time]");
    rid.replace_all(&s, "[request-id]").into_owned()
}

fn pretty(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("json body");
    redact(&serde_json::to_string_pretty(&v).expect("json"))
}

fn field(body: &str, pointer: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("json body");
    v.pointer(pointer)
        .and_then(|x| x.as_str())
        .expect("field")
        .to_string()
}

#[tokio::test]
async fn pipeline_actions_answer_in_the_sdk_shapes() {
    let h = harness().await;
    let (s, body, _) = call(
        &h,
        "AddPipeline",
        &[("Name", "p1"), ("NotifyConfig", r#"{"Topic":"t"}"#)],
        "JSON",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    insta::assert_snapshot!("add_pipeline", pretty(&body));
    let id = field(&body, "/Pipeline/Id");
    let unknown = fpshot_types::new_id();
    let (_, body, _) = call(
        &h,
        "QueryPipelineList",
        &[("PipelineIds", &format!("{id},{unknown}"))],
        "JSON",
    )
    .await;
    insta::assert_snapshot!("query_pipeline_list", pretty(&body));
    let (_, body, _) = call(
        &h,
        "SearchPipeline",
        &[("State", "Active"), ("PageSize", "1")],
        "JSON",
    )
    .await;
    insta::assert_snapshot!("search_pipeline", pretty(&body));
    let (_, body, _) = call(
        &h,
        "UpdatePipeline",
        &[("PipelineId", &id), ("Name", "p2"), ("State", "Paused")],
        "XML",
    )
    .await;
    insta::assert_snapshot!("update_pipeline_xml", redact(&body));
    let (_, body, _) = call(&h, "DeletePipeline", &[("PipelineId", &id)], "JSON").await;
    insta::assert_snapshot!("delete_pipeline", pretty(&body));
}

#[tokio::test]
async fn library_and_delete_job_actions_answer_in_the_sdk_shapes() {
    let h = harness().await;
    let runtime = JobRuntime::start(h.engine.clone());
    let (_, body, _) = call(
        &h,
        "CreateFpShotDB",
        &[("Name", "lib"), ("ModelId", "13"), ("Config", "{}")],
        "JSON",
    )
    .await;
    insta::assert_snapshot!("create_fp_shot_db", pretty(&body));
    let db = field(&body, "/FpShotDB/FpDBId");
    let (_, body, _) = call(
        &h,
        "SubmitFpDBDeleteJob",
        &[("FpDBId", &db), ("UserData", "a b*~+/测试")],
        "JSON",
    )
    .await;
    let job = field(&body, "/JobId");
    insta::assert_snapshot!("submit_fp_db_delete_job", pretty(&body));
    let ids = format!("{job}, {}", fpshot_types::new_id());
    let mut answer = String::new();
    for _ in 0..100 {
        answer = call(&h, "QueryFpDBDeleteJobList", &[("JobIds", &ids)], "JSON")
            .await
            .1;
        if field(&answer, "/FpDBDeleteJobList/FpDBDeleteJob/0/Status") == "Success" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    insta::assert_snapshot!("query_fp_db_delete_job_list", pretty(&answer));
    let (_, body, _) = call(&h, "QueryFpDBDeleteJobList", &[("JobIds", &job)], "XML").await;
    insta::assert_snapshot!("query_fp_db_delete_job_list_xml", redact(&body));
    let (_, body, _) = call(
        &h,
        "ListFpShotDB",
        &[("FpDBIds", &format!("{db},{}", fpshot_types::new_id()))],
        "JSON",
    )
    .await;
    insta::assert_snapshot!("list_fp_shot_db", pretty(&body));
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn errors_use_the_alibaba_envelope() {
    let h = harness().await;
    let (s, body, _) = call(&h, "SubmitFpDBDeleteJob", &[], "JSON").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    insta::assert_snapshot!("missing_parameter", pretty(&body));
    let (s, body, _) = call(
        &h,
        "SubmitFpDBDeleteJob",
        &[("FpDBId", &fpshot_types::new_id())],
        "XML",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    insta::assert_snapshot!("unknown_library_xml", redact(&body));
    let (s, body, _) = call(&h, "NoSuchAction", &[], "JSON").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    insta::assert_snapshot!("unknown_action", pretty(&body));
    let (s, body, _) = call(&h, "SubmitFpShotJob", &[], "JSON").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    insta::assert_snapshot!("unsupported_action", pretty(&body));
}

#[tokio::test]
async fn oversized_bodies_and_healthz() {
    let h = harness().await;
    let big = vec![b'a'; (1 << 20) + 1];
    let req = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .expect("request");
    let resp = h.app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let req = Request::get("/healthz")
        .body(Body::empty())
        .expect("request");
    let resp = h.app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
}
