//! Fingerprint libraries (FpDBs): CreateFpShotDB and ListFpShotDB, and the provisioning step
//! that turns a new library from `offline` into `active` once its storage exists.

use crate::{Engine, EngineError};
use fpshot_store::FpDb;
use fpshot_types::{FpDbStatus, ModelId, new_id, now_utc};

/// Libraries without a `ModelId` are video libraries (the model MPS's examples lead with).
pub const DEFAULT_MODEL: ModelId = ModelId::Video;
/// Most ids ListFpShotDB takes in one call.
pub const MAX_LIST_IDS: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct CreateFpShotDb {
    pub name: String,
    pub model_id: Option<i64>,
    pub config: Option<String>,
    pub description: Option<String>,
}

/// The answer of ListFpShotDB: found libraries and the ids that are unknown to the caller.
#[derive(Debug, Clone, Default)]
pub struct ListFpShotDb {
    pub found: Vec<FpDb>,
    pub non_exist: Vec<String>,
}

impl Engine {
    pub async fn create_fpshot_db(
        &self,
        account_id: &str,
        req: CreateFpShotDb,
    ) -> Result<FpDb, EngineError> {
        if req.name.trim().is_empty() {
            return Err(EngineError::Missing("Name"));
        }
        if req.name.len() > 128 {
            return Err(EngineError::invalid(
                "Name",
                "It must be at most 128 bytes long.",
            ));
        }
        let model_id = match req.model_id {
            None => DEFAULT_MODEL,
            Some(v) => ModelId::from_int(v).ok_or_else(|| {
                EngineError::invalid(
                    "ModelId",
                    "Accepted values: 11 (text), 12 (video), 13 (audio), 14 (image).",
                )
            })?,
        };
        let config = req.config.unwrap_or_default();
        if !config.is_empty() {
            serde_json::from_str::<serde_json::Value>(&config).map_err(|e| {
                EngineError::invalid("Config", format!("It must be valid JSON: {e}."))
            })?;
        }
        let description = req.description.unwrap_or_default();
        if description.len() > 1024 {
            return Err(EngineError::invalid(
                "Description",
                "It must be at most 1024 bytes long.",
            ));
        }
        let db = FpDb {
            id: new_id(),
            account_id: account_id.to_string(),
            name: req.name,
            description,
            model_id,
            config,
            status: FpDbStatus::Offline,
            epoch: 0,
            created: now_utc(),
        };
        let db = self
            .store()
            .create_fpdb(db, self.config().fpdb_quota)
            .await?;
        // Storage is made after the answer, as MPS does: the library reads `offline` until then.
        let engine = self.clone();
        let id = db.id.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.provision_fpdb(&id, 0).await {
                tracing::warn!(fpdb = %id, error = %e, "library provisioning failed; retried at next start");
            }
        });
        Ok(db)
    }

    /// Creates the storage of a library's epoch and marks it `active`.
    pub(crate) async fn provision_fpdb(&self, id: &str, epoch: i64) -> Result<(), EngineError> {
        let dir_id = id.to_string();
        self.on_files(move |f| f.create_epoch(&dir_id, epoch))
            .await?;
        self.store().set_fpdb_status(id, FpDbStatus::Active).await?;
        Ok(())
    }

    /// At start: libraries left `offline` by a crash get their storage now.
    pub async fn provision_pending_fpdbs(&self, account_ids: &[String]) -> Result<(), EngineError> {
        for account in account_ids {
            for db in self.store().list_fpdbs(account, false).await? {
                if db.status == FpDbStatus::Offline
                    && self
                        .store()
                        .unfinished_jobs_of_fpdb(&db.id)
                        .await?
                        .is_empty()
                {
                    self.provision_fpdb(&db.id, db.epoch).await?;
                }
            }
        }
        Ok(())
    }

    /// ListFpShotDB: by ids (at most 10; other accounts' ids count as unknown), or all of the
    /// caller's libraries that are not deleted when no ids are given.
    pub async fn list_fpshot_db(
        &self,
        account_id: &str,
        ids: &[String],
    ) -> Result<ListFpShotDb, EngineError> {
        if ids.is_empty() {
            return Ok(ListFpShotDb {
                found: self.store().list_fpdbs(account_id, false).await?,
                non_exist: vec![],
            });
        }
        if ids.len() > MAX_LIST_IDS {
            return Err(EngineError::invalid(
                "FpDBIds",
                format!("At most {MAX_LIST_IDS} ids are accepted."),
            ));
        }
        let found = self.store().get_fpdbs(account_id, ids).await?;
        let non_exist = crate::unknown_ids(ids, found.iter().map(|d| d.id.as_str()));
        Ok(ListFpShotDb { found, non_exist })
    }

    /// The caller's library `id` if it exists and is not deleted.
    pub(crate) async fn live_fpdb(&self, account_id: &str, id: &str) -> Result<FpDb, EngineError> {
        let db = self
            .store()
            .get_fpdbs(account_id, &[id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| EngineError::not_found("FpDB", id))?;
        if db.status == FpDbStatus::Deleted {
            return Err(EngineError::NotFound {
                what: "FpDB",
                id: format!("{id} (it has been deleted)"),
            });
        }
        Ok(db)
    }
}
