//! SubmitFpDBDeleteJob and QueryFpDBDeleteJobList (spec §4.8, §4.9).

use super::{Fields, id_list, opt_string, required, string_list, time};
use fpshot_engine::{Engine, EngineError, SubmitFpDbDeleteJob, del_type_of};
use fpshot_rpc::Params;
use fpshot_store::Job;
use fpshot_types::JobStatus;
use serde_json::{Value, json};

pub(super) async fn submit(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let req = SubmitFpDbDeleteJob {
        fpdb_id: required(p, "FpDBId")?,
        del_type: opt_string(p, "DelType"),
        pipeline_id: opt_string(p, "PipelineId"),
        user_data: opt_string(p, "UserData"),
    };
    let job = engine.submit_fpdb_delete_job(account, req).await?;
    let mut f = Fields::new();
    f.insert("JobId".into(), json!(job.id));
    Ok(f)
}

fn job_json(job: &Job) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("Id".into(), json!(job.id));
    o.insert("FpDBId".into(), json!(job.fpdb_id.as_deref().unwrap_or("")));
    o.insert("DelType".into(), json!(del_type_of(job).as_str()));
    o.insert("PipelineId".into(), json!(job.pipeline_id));
    o.insert("Status".into(), json!(job.status.as_str()));
    if job.status == JobStatus::Fail {
        o.insert(
            "Code".into(),
            json!(job.code.as_deref().unwrap_or("InternalError")),
        );
        o.insert(
            "Message".into(),
            json!(job.message.as_deref().unwrap_or("")),
        );
    }
    if let Some(u) = &job.user_data {
        o.insert("UserData".into(), json!(u));
    }
    o.insert("CreationTime".into(), time(job.created));
    if let Some(t) = job.finished {
        o.insert("FinishTime".into(), time(t));
    }
    Value::Object(o)
}

pub(super) async fn query_list(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let ids = id_list(p, "JobIds");
    let answer = engine.query_fpdb_delete_job_list(account, &ids).await?;
    let mut f = Fields::new();
    if !answer.non_exist.is_empty() {
        f.insert("NonExistIds".into(), string_list(answer.non_exist));
    }
    let list: Vec<Value> = answer.jobs.iter().map(job_json).collect();
    f.insert("FpDBDeleteJobList".into(), json!({ "FpDBDeleteJob": list }));
    Ok(f)
}
