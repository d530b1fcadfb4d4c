//! Pipelines (MPS queues): AddPipeline, QueryPipelineList, SearchPipeline, UpdatePipeline and
//! DeletePipeline. A pipeline's `State` and `Priority` drive job scheduling.

use crate::{Engine, EngineError};
use fpshot_store::{DeletePipelineOutcome, Pipeline, PipelinePatch};
use fpshot_types::{PipelineState, new_id, now_utc};

/// Pipeline types MPS documents for `Speed`.
const SPEEDS: &[&str] = &[
    "Boost",
    "Standard",
    "NarrowBandHDV2",
    "AIVideoCover",
    "AIVideoTag",
    "AIVideoFPShot",
    "AIVideoCensor",
    "AIVideoMCU",
    "AIVideoSummary",
    "AIVideoPorn",
    "AIAudioKWS",
    "AIAudioASR",
];

/// fpshot's scheduling priority range (an extension: MPS has no such parameter).
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = 1..=10;
pub const DEFAULT_PRIORITY: i64 = 5;

#[derive(Debug, Clone, Default)]
pub struct AddPipeline {
    pub name: String,
    pub speed: Option<String>,
    pub speed_level: Option<i64>,
    pub notify_config: Option<String>,
    pub role: Option<String>,
    pub priority: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdatePipeline {
    pub pipeline_id: String,
    pub name: String,
    pub state: String,
    pub notify_config: Option<String>,
    pub role: Option<String>,
    pub extend_config: Option<String>,
    pub priority: Option<i64>,
}

/// `Name`: at most 128 bytes and not starting with a special character (MPS rule).
fn check_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty() {
        return Err(EngineError::Missing("Name"));
    }
    if name.len() > 128 {
        return Err(EngineError::invalid(
            "Name",
            "It must be at most 128 bytes long.",
        ));
    }
    let first = name.chars().next().unwrap_or(' ');
    if !(first.is_alphanumeric()) {
        return Err(EngineError::invalid(
            "Name",
            "It must not start with a special character.",
        ));
    }
    Ok(())
}

/// `NotifyConfig` must be a JSON object whose known fields are strings.
fn check_notify_config(raw: &str) -> Result<(), EngineError> {
    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
        EngineError::invalid("NotifyConfig", format!("It must be a JSON object: {e}."))
    })?;
    let Some(obj) = value.as_object() else {
        return Err(EngineError::invalid(
            "NotifyConfig",
            "It must be a JSON object.",
        ));
    };
    for field in ["Topic", "QueueName", "MqTopic", "MqTag"] {
        if obj.get(field).is_some_and(|v| !v.is_string()) {
            return Err(EngineError::invalid(
                "NotifyConfig",
                format!("{field} must be a string."),
            ));
        }
    }
    Ok(())
}

fn check_json(param: &'static str, raw: &str) -> Result<(), EngineError> {
    serde_json::from_str::<serde_json::Value>(raw)
        .map(|_| ())
        .map_err(|e| EngineError::invalid(param, format!("It must be valid JSON: {e}.")))
}

fn check_priority(priority: Option<i64>) -> Result<(), EngineError> {
    match priority {
        Some(p) if !PRIORITY_RANGE.contains(&p) => Err(EngineError::invalid(
            "Priority",
            "It must be an integer from 1 to 10.",
        )),
        _ => Ok(()),
    }
}

impl Engine {
    pub async fn add_pipeline(
        &self,
        account_id: &str,
        req: AddPipeline,
    ) -> Result<Pipeline, EngineError> {
        check_name(&req.name)?;
        let speed = req
            .speed
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "Standard".into());
        if !SPEEDS.contains(&speed.as_str()) {
            return Err(EngineError::invalid(
                "Speed",
                format!("Accepted values: {}.", SPEEDS.join(", ")),
            ));
        }
        let speed_level = req.speed_level.unwrap_or(1);
        if !(1..=3).contains(&speed_level) {
            return Err(EngineError::invalid("SpeedLevel", "It must be 1, 2 or 3."));
        }
        if let Some(nc) = req.notify_config.as_deref().filter(|s| !s.is_empty()) {
            check_notify_config(nc)?;
        }
        check_priority(req.priority)?;
        // The default pipeline counts toward the quota, so make sure it exists first.
        self.default_pipeline_id(account_id).await?;
        let pipeline = Pipeline {
            id: new_id(),
            account_id: account_id.to_string(),
            name: req.name,
            state: PipelineState::Active,
            speed,
            speed_level,
            quota_allocate: 10,
            role: req.role.unwrap_or_default(),
            notify_config: req.notify_config.unwrap_or_default(),
            extend_config: String::new(),
            priority: req.priority.unwrap_or(DEFAULT_PRIORITY),
            is_default: false,
            created: now_utc(),
        };
        Ok(self
            .store()
            .create_pipeline(pipeline, self.config().pipeline_quota)
            .await?)
    }

    /// The account's pipelines among `ids` (in that order) and the ids that are not its own.
    pub async fn query_pipeline_list(
        &self,
        account_id: &str,
        ids: &[String],
    ) -> Result<(Vec<Pipeline>, Vec<String>), EngineError> {
        self.default_pipeline_id(account_id).await?;
        let found = self.store().get_pipelines(account_id, ids).await?;
        let missing = crate::unknown_ids(ids, found.iter().map(|p| p.id.as_str()));
        Ok((found, missing))
    }

    pub async fn search_pipeline(
        &self,
        account_id: &str,
        state: Option<PipelineState>,
        page_number: u64,
        page_size: u64,
    ) -> Result<(u64, Vec<Pipeline>), EngineError> {
        self.default_pipeline_id(account_id).await?;
        let offset = page_number.saturating_sub(1).saturating_mul(page_size);
        Ok(self
            .store()
            .search_pipelines(account_id, state, offset, page_size)
            .await?)
    }

    pub async fn update_pipeline(
        &self,
        account_id: &str,
        req: UpdatePipeline,
    ) -> Result<Pipeline, EngineError> {
        check_name(&req.name)?;
        let state = PipelineState::parse(&req.state)
            .map_err(|_| EngineError::invalid("State", "Accepted values: Active, Paused."))?;
        if let Some(nc) = req.notify_config.as_deref().filter(|s| !s.is_empty()) {
            check_notify_config(nc)?;
        }
        if let Some(ec) = req.extend_config.as_deref().filter(|s| !s.is_empty()) {
            check_json("ExtendConfig", ec)?;
        }
        check_priority(req.priority)?;
        self.default_pipeline_id(account_id).await?;
        let patch = PipelinePatch {
            name: Some(req.name),
            state: Some(state),
            notify_config: req.notify_config,
            role: req.role,
            extend_config: req.extend_config,
            priority: req.priority,
        };
        let updated = self
            .store()
            .update_pipeline(account_id, &req.pipeline_id, patch)
            .await?
            .ok_or_else(|| EngineError::not_found("Pipeline", &req.pipeline_id))?;
        if updated.state == PipelineState::Active {
            // Jobs that waited in a paused pipeline may run now.
            self.wake_workers();
        }
        Ok(updated)
    }

    pub async fn delete_pipeline(&self, account_id: &str, id: &str) -> Result<(), EngineError> {
        self.default_pipeline_id(account_id).await?;
        match self.store().delete_pipeline(account_id, id).await? {
            DeletePipelineOutcome::Deleted => Ok(()),
            DeletePipelineOutcome::NotFound => Err(EngineError::not_found("Pipeline", id)),
            DeletePipelineOutcome::IsDefault => Err(EngineError::InvalidState(format!(
                "Pipeline {id} is the account's default pipeline and cannot be deleted."
            ))),
            DeletePipelineOutcome::HasUnfinishedJobs => Err(EngineError::InvalidState(format!(
                "Pipeline {id} still has Queuing or Analyzing jobs; delete it once they finish."
            ))),
        }
    }

    /// The pipeline a job goes to: the given one (which must be the account's), else the
    /// account's default pipeline.
    pub(crate) async fn job_pipeline(
        &self,
        account_id: &str,
        pipeline_id: Option<&str>,
    ) -> Result<String, EngineError> {
        match pipeline_id.filter(|s| !s.is_empty()) {
            None => self.default_pipeline_id(account_id).await,
            Some(id) => self
                .store()
                .get_pipelines(account_id, &[id.to_string()])
                .await?
                .into_iter()
                .next()
                .map(|p| p.id)
                .ok_or_else(|| EngineError::not_found("Pipeline", id)),
        }
    }

    /// The id of the account's default pipeline, made on first use. Remembered per process:
    /// a default pipeline is never deleted, so this saves a store write on most requests.
    pub(crate) async fn default_pipeline_id(
        &self,
        account_id: &str,
    ) -> Result<String, EngineError> {
        if let Some(id) = self.cached_default_pipeline(account_id) {
            return Ok(id);
        }
        let id = self.store().ensure_default_pipeline(account_id).await?.id;
        self.remember_default_pipeline(account_id, &id);
        Ok(id)
    }
}
