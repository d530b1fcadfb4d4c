//! Per-account, per-action request rates, as MPS documents them (QPS per account).

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;

#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    pub enabled: bool,
    /// Multiplies every documented limit (e.g. 10 for a private deployment with big clients).
    pub scale: u32,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            enabled: true,
            scale: 1,
        }
    }
}

/// Documented QPS per account; actions not listed get 100.
const LIMITS: &[(&str, u32)] = &[
    ("ListFpShotFiles", 500),
    ("QueryFpFileDeleteJobList", 500),
    ("SubmitFpFileDeleteJob", 10),
];
const DEFAULT_QPS: u32 = 100;

type Limiter = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

pub(crate) struct Throttle {
    enabled: bool,
    /// One keyed limiter (keyed by account) per distinct rate.
    limiters: HashMap<u32, Limiter>,
    scale: u32,
}

impl Throttle {
    pub fn new(cfg: &ThrottleConfig) -> Self {
        let scale = cfg.scale.max(1);
        let mut limiters = HashMap::new();
        for qps in LIMITS.iter().map(|(_, q)| *q).chain([DEFAULT_QPS]) {
            let per_second = NonZeroU32::new(qps.saturating_mul(scale)).unwrap_or(NonZeroU32::MIN);
            limiters
                .entry(qps)
                .or_insert_with(|| RateLimiter::keyed(Quota::per_second(per_second)));
        }
        Throttle {
            enabled: cfg.enabled,
            limiters,
            scale,
        }
    }

    /// True when the account may make one more call of `action` now.
    pub fn check(&self, account_id: &str, action: &str) -> bool {
        if !self.enabled {
            return true;
        }
        let qps = LIMITS
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(DEFAULT_QPS, |(_, q)| *q);
        match self.limiters.get(&qps) {
            Some(l) => l.check_key(&format!("{account_id}/{action}")).is_ok(),
            None => true,
        }
    }

    pub fn retry_after_ms(&self) -> u64 {
        (1000 / u64::from(DEFAULT_QPS * self.scale)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_apply_per_account_and_action() {
        let t = Throttle::new(&ThrottleConfig::default());
        let allowed = (0..150)
            .filter(|_| t.check("a", "QueryFpDBDeleteJobList"))
            .count();
        assert!((100..=101).contains(&allowed), "{allowed}");
        assert!(
            t.check("b", "QueryFpDBDeleteJobList"),
            "other accounts are not affected"
        );
        assert!(
            t.check("a", "ListFpShotDB"),
            "other actions are not affected"
        );
        let off = Throttle::new(&ThrottleConfig {
            enabled: false,
            scale: 1,
        });
        assert!((0..1000).all(|_| off.check("a", "QueryFpDBDeleteJobList")));
    }
}
