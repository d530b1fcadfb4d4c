//! CreateFpShotDB and ListFpShotDB (spec §4.1, §4.2).

use super::{Fields, id_list, opt_int, opt_string, required, string_list};
use fpshot_engine::{CreateFpShotDb, Engine, EngineError};
use fpshot_rpc::Params;
use serde_json::{Value, json};

pub(super) async fn create(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let req = CreateFpShotDb {
        name: required(p, "Name")?,
        model_id: opt_int(p, "ModelId")?,
        config: opt_string(p, "Config"),
        description: opt_string(p, "Description"),
    };
    let db = engine.create_fpshot_db(account, req).await?;
    let mut f = Fields::new();
    f.insert(
        "FpShotDB".into(),
        json!({
            "FpDBId": db.id,
            "Name": db.name,
            "Description": db.description,
            "ModelId": db.model_id.as_int(),
            "Config": db.config,
            "State": db.status.as_str(),
        }),
    );
    Ok(f)
}

pub(super) async fn list(
    engine: &Engine,
    account: &str,
    p: &Params,
) -> Result<Fields, EngineError> {
    let ids = id_list(p, "FpDBIds");
    let answer = engine.list_fpshot_db(account, &ids).await?;
    let mut f = Fields::new();
    let list: Vec<Value> = answer
        .found
        .iter()
        .map(|db| {
            json!({
                "FpDBId": db.id,
                "Name": db.name,
                "Description": db.description,
                "ModelId": db.model_id.as_int(),
                "Status": db.status.as_str(),
            })
        })
        .collect();
    f.insert("FpShotDBList".into(), json!({ "FpShotDB": list }));
    if !answer.non_exist.is_empty() {
        f.insert("NonExistIds".into(), string_list(answer.non_exist));
    }
    Ok(f)
}
