//! One variant per protocol action, named exactly as the protocol names it. Each resource
//! module turns parameters into an engine request and the engine's answer into the action's
//! response fields.

mod fpdb;
mod fpdb_delete_job;
mod pipeline;

use fpshot_engine::{Engine, EngineError};
use fpshot_rpc::Params;
use fpshot_types::{ApiError, Code, format_utc, parse_id_list};
use serde_json::{Map, Value};

pub(crate) type Fields = Map<String, Value>;

macro_rules! actions {
    (served: $($served:ident),+ ; known: $($known:ident),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)]
        pub(crate) enum Action { $($served,)+ $($known,)+ }

        impl Action {
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($served) => Some(Action::$served),)+
                    $(stringify!($known) => Some(Action::$known),)+
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$served => stringify!($served),)+
                    $(Action::$known => stringify!($known),)+
                }
            }
        }
    };
}

actions! {
    served: AddPipeline, QueryPipelineList, SearchPipeline, UpdatePipeline, DeletePipeline,
        CreateFpShotDB, ListFpShotDB, SubmitFpDBDeleteJob, QueryFpDBDeleteJobList;
    // Part of the MPS fingerprint API, not served by this version yet.
    known: SubmitFpShotJob, QueryFpShotJobList, ListFpShotFiles, SubmitFpFileDeleteJob,
        QueryFpFileDeleteJobList, ImportFpShotJob, ListFpShotImportJob,
}

impl Action {
    pub async fn run(self, engine: &Engine, account: &str, p: &Params) -> Result<Fields, ApiError> {
        let result = match self {
            Action::AddPipeline => pipeline::add(engine, account, p).await,
            Action::QueryPipelineList => pipeline::query_list(engine, account, p).await,
            Action::SearchPipeline => pipeline::search(engine, account, p).await,
            Action::UpdatePipeline => pipeline::update(engine, account, p).await,
            Action::DeletePipeline => pipeline::delete(engine, account, p).await,
            Action::CreateFpShotDB => fpdb::create(engine, account, p).await,
            Action::ListFpShotDB => fpdb::list(engine, account, p).await,
            Action::SubmitFpDBDeleteJob => fpdb_delete_job::submit(engine, account, p).await,
            Action::QueryFpDBDeleteJobList => fpdb_delete_job::query_list(engine, account, p).await,
            _ => {
                return Err(ApiError::new(
                    Code::UnsupportedOperation,
                    format!(
                        "The specified action is not supported: {} is not served by this fpshot version yet.",
                        self.name()
                    ),
                ));
            }
        };
        result.map_err(|e| {
            if matches!(e, EngineError::Store(_) | EngineError::Files(_)) {
                tracing::error!(error = %e, "engine failure");
            }
            e.to_api()
        })
    }
}

pub(crate) fn required(p: &Params, name: &'static str) -> Result<String, EngineError> {
    p.get_nonempty(name)
        .map(str::to_string)
        .ok_or(EngineError::Missing(name))
}

pub(crate) fn opt_string(p: &Params, name: &str) -> Option<String> {
    p.get_nonempty(name).map(str::to_string)
}

pub(crate) fn opt_int(p: &Params, name: &'static str) -> Result<Option<i64>, EngineError> {
    p.get_nonempty(name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| EngineError::invalid(name, "It must be an integer."))
        })
        .transpose()
}

pub(crate) fn id_list(p: &Params, name: &str) -> Vec<String> {
    p.get_nonempty(name).map(parse_id_list).unwrap_or_default()
}

/// `{"String": [...]}`, the wrapped list of unknown ids.
pub(crate) fn string_list(ids: Vec<String>) -> Value {
    serde_json::json!({ "String": ids })
}

pub(crate) fn time(t: time::OffsetDateTime) -> Value {
    Value::String(format_utc(t))
}
