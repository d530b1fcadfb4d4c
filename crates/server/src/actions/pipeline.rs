//! AddPipeline, QueryPipelineList, SearchPipeline, UpdatePipeline, DeletePipeline (spec §5).

use super::{Fields, id_list, opt_int, opt_string, required, string_list, time};
use fpshot_engine::{AddPipeline, Engine, EngineError, UpdatePipeline};
use fpshot_rpc::Params;
use fpshot_store::Pipeline;
use fpshot_types::PipelineState;
use serde_json::{Value, json};

const MAX_QUERY_IDS: usize = 10;
const MAX_PAGE_SIZE: i64 = 100;

/// The pipeline fields each action's SDK model declares.
enum Shape {
    Add,
    Query,
    Search,
    Update,
}

fn notify_config(raw: &str) -> Value {
    let parsed: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let field = |name: &str| {
        parsed
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    json!({
        "Topic": field("Topic"),
        "QueueName": field("QueueName"),
        "MqTopic": field("MqTopic"),
        "MqTag": field("MqTag"),
    })
}

fn extend_config(raw: &str) -> Value {
    let parsed: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    json!({
        "IsBoostNew": parsed.get("IsBoostNew").and_then(Value::as_bool).unwrap_or(false),
        "MaxMultiSpeed": parsed.get("MaxMultiSpeed").and_then(Value::as_i64).unwrap_or(1),
        "MultiSpeedDowngradePolicy": parsed.get("MultiSpeedDowngradePolicy").and_then(Value::as_str).unwrap_or("NormalSpeed"),
    })
}

fn pipeline_json(p: &Pipeline, shape: Shape) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("Id".into(), json!(p.id));
    o.insert("Name".into(), json!(p.name));
    o.insert("State".into(), json!(p.state.as_str()));
    o.insert("Speed".into(), json!(p.speed));
    if !matches!(shape, Shape::Update) {
        o.insert("SpeedLevel".into(), json!(p.speed_level));
    }
    o.insert("QuotaAllocate".into(), json!(p.quota_allocate));
    o.insert("Role".into(), json!(p.role));
    o.insert("NotifyConfig".into(), notify_config(&p.notify_config));
    match shape {
        Shape::Query => {
            o.insert("ExtendConfig".into(), extend_config(&p.extend_config));
        }
        Shape::Search => {
            o.insert("CreationTime".into(), time(p.created));
        }
        Shape::Add | Shape::Update => {}
    }
    // fpshot extension: the scheduling priority (1–10) that UpdatePipeline can change.
    o.insert("Priority".into(), json!(p.priority));
    Value::Object(o)
}

pub(super) async fn add(engine: &Engine, account: &str, p: &Params) -> Result<Fields, EngineError> {
    let req = AddPipeline {
        name: required(p, "Name")?,
        speed: opt_string(p, "Speed"),
        speed_level: opt_int(p, "SpeedLevel")?,
        notify_config: opt_string(p, "NotifyConfig"),
        role: opt_string(p, "Role"),
        priority: opt_int(p, "Priority")?,
    };
    let pipeline = engine.add_pipeline(account, req).await?;
    let mut f = Fields::new();
    f.insert("Pipeline".into(), pipeline_json(&pipeline, Shape::Add));
    Ok(f)
}

pub(super) async fn query_list(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let ids = id_list(p, "PipelineIds");
    if ids.is_empty() {
        return Err(EngineError::Missing("PipelineIds"));
    }
    if ids.len() > MAX_QUERY_IDS {
        return Err(EngineError::invalid(
            "PipelineIds",
            format!("At most {MAX_QUERY_IDS} ids are accepted."),
        ));
    }
    let (found, missing) = engine.query_pipeline_list(account, &ids).await?;
    let mut f = Fields::new();
    if !missing.is_empty() {
        f.insert("NonExistPids".into(), string_list(missing));
    }
    let list: Vec<Value> = found
        .iter()
        .map(|p| pipeline_json(p, Shape::Query))
        .collect();
    f.insert("PipelineList".into(), json!({ "Pipeline": list }));
    Ok(f)
}

pub(super) async fn search(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let state =
        match p.get_nonempty("State") {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("All") => None,
            Some(s) => Some(PipelineState::parse(s).map_err(|_| {
                EngineError::invalid("State", "Accepted values: All, Active, Paused.")
            })?),
        };
    let page_number = opt_int(p, "PageNumber")?.unwrap_or(1);
    let page_size = opt_int(p, "PageSize")?.unwrap_or(10);
    if page_number < 1 {
        return Err(EngineError::invalid("PageNumber", "It must be 1 or more."));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(EngineError::invalid(
            "PageSize",
            format!("It must be from 1 to {MAX_PAGE_SIZE}."),
        ));
    }
    let (total, page) = engine
        .search_pipeline(account, state, page_number as u64, page_size as u64)
        .await?;
    let mut f = Fields::new();
    f.insert("TotalCount".into(), json!(total));
    f.insert("PageNumber".into(), json!(page_number));
    f.insert("PageSize".into(), json!(page_size));
    let list: Vec<Value> = page
        .iter()
        .map(|p| pipeline_json(p, Shape::Search))
        .collect();
    f.insert("PipelineList".into(), json!({ "Pipeline": list }));
    Ok(f)
}

pub(super) async fn update(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let req = UpdatePipeline {
        pipeline_id: required(p, "PipelineId")?,
        name: required(p, "Name")?,
        state: required(p, "State")?,
        notify_config: opt_string(p, "NotifyConfig"),
        role: opt_string(p, "Role"),
        extend_config: opt_string(p, "ExtendConfig"),
        priority: opt_int(p, "Priority")?,
    };
    let pipeline = engine.update_pipeline(account, req).await?;
    let mut f = Fields::new();
    f.insert("Pipeline".into(), pipeline_json(&pipeline, Shape::Update));
    Ok(f)
}

pub(super) async fn delete(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let id = required(p, "PipelineId")?;
    engine.delete_pipeline(account, &id).await?;
    let mut f = Fields::new();
    f.insert("PipelineId".into(), json!(id));
    Ok(f)
}
