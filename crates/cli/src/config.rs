//! Settings: defaults, then an optional TOML file, then `FPSHOT_*` environment variables, then
//! command-line flags (each overriding the one before).

use anyhow::{Context, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    /// Concurrent job workers.
    pub workers: usize,
    pub lease_secs: u64,
    pub job_retention_days: u64,
    pub fpdb_quota: u32,
    pub pipeline_quota: u32,
    pub throttle: bool,
    pub throttle_scale: u32,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// `HostId` in error bodies.
    pub host_id: String,
    /// `text` or `json`.
    pub log_format: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./fpshot-data"),
            workers: 4,
            lease_secs: 30,
            job_retention_days: 190,
            fpdb_quota: 5,
            pipeline_quota: 20,
            throttle: true,
            throttle_scale: 1,
            body_limit_bytes: 1 << 20,
            request_timeout_secs: 30,
            host_id: "mts.fpshot.local".into(),
            log_format: "text".into(),
        }
    }
}

impl Settings {
    /// Reads the file (when given) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut s = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => Settings::default(),
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        Ok(s)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(name: &str, v: String) -> anyhow::Result<T> {
            match v.trim().parse() {
                Ok(x) => Ok(x),
                Err(_) => bail!("environment variable {name}={v:?} is not valid"),
            }
        }
        macro_rules! env {
            ($name:literal, $field:expr) => {
                if let Some(v) = var($name) {
                    $field = parse($name, v)?;
                }
            };
        }
        env!("FPSHOT_LISTEN", self.listen);
        env!("FPSHOT_DATA_DIR", self.data_dir);
        env!("FPSHOT_WORKERS", self.workers);
        env!("FPSHOT_LEASE_SECS", self.lease_secs);
        env!("FPSHOT_JOB_RETENTION_DAYS", self.job_retention_days);
        env!("FPSHOT_FPDB_QUOTA", self.fpdb_quota);
        env!("FPSHOT_PIPELINE_QUOTA", self.pipeline_quota);
        env!("FPSHOT_THROTTLE", self.throttle);
        env!("FPSHOT_THROTTLE_SCALE", self.throttle_scale);
        env!("FPSHOT_BODY_LIMIT_BYTES", self.body_limit_bytes);
        env!("FPSHOT_REQUEST_TIMEOUT_SECS", self.request_timeout_secs);
        env!("FPSHOT_HOST_ID", self.host_id);
        env!("FPSHOT_LOG_FORMAT", self.log_format);
        Ok(())
    }

    pub fn engine_config(&self) -> fpshot_engine::EngineConfig {
        let mut c = fpshot_engine::EngineConfig::new(self.data_dir.clone());
        c.workers = self.workers.max(1);
        c.lease = Duration::from_secs(self.lease_secs.max(1));
        c.job_retention = Duration::from_secs(self.job_retention_days.saturating_mul(24 * 3600));
        c.fpdb_quota = self.fpdb_quota;
        c.pipeline_quota = self.pipeline_quota;
        c
    }

    pub fn server_config(&self) -> fpshot_server::ServerConfig {
        fpshot_server::ServerConfig {
            body_limit: self.body_limit_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            host_id: self.host_id.clone(),
            throttle: fpshot_server::ThrottleConfig {
                enabled: self.throttle,
                scale: self.throttle_scale,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut s: Settings =
            toml::from_str("listen = \"0.0.0.0:9000\"\nworkers = 2\n").expect("toml");
        s.apply_env(|k| (k == "FPSHOT_WORKERS").then(|| "7".to_string()))
            .expect("env");
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.workers, 7);
        assert!(
            s.apply_env(|k| (k == "FPSHOT_THROTTLE").then(|| "maybe".to_string()))
                .is_err()
        );
        assert!(toml::from_str::<Settings>("no_such_setting = 1").is_err());
    }
}
