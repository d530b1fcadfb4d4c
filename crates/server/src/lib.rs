//! The HTTP face of fpshot: one route (`GET|POST /`) that speaks the Alibaba Cloud RPC protocol,
//! plus `/healthz`. Requests are verified, authorized and throttled here, then handed to the
//! engine; the server knows no SQL.

mod actions;
mod entry;
mod throttle;

pub use throttle::ThrottleConfig;

use axum::Router;
use axum::routing::{any, get};
use fpshot_engine::Engine;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// A request that takes longer is answered with `RequestTimeout`.
    pub request_timeout: Duration,
    /// `HostId` of error bodies.
    pub host_id: String,
    pub throttle: ThrottleConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            body_limit: 1 << 20,
            request_timeout: Duration::from_secs(30),
            host_id: "mts.fpshot.local".to_string(),
            throttle: ThrottleConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub(crate) engine: Engine,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) throttle: Arc<throttle::Throttle>,
}

impl AppState {
    pub fn new(engine: Engine, config: ServerConfig) -> Self {
        let throttle = Arc::new(throttle::Throttle::new(&config.throttle));
        AppState {
            engine,
            config: Arc::new(config),
            throttle,
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", any(entry::rpc))
        .route("/healthz", get(entry::healthz))
        .with_state(state)
}
