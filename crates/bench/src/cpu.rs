//! CPU time per thread group of this process, from /proc/self/task: tells how much of the two
//! cores the server side and the load generator each used, since both run in this process on
//! separate runtimes whose threads are named apart.

use std::collections::HashMap;

/// Thread-name prefixes of the groups (Linux truncates names to 15 bytes).
pub const SERVER: &str = "bench-server";
pub const CLIENT: &str = "bench-client";
pub const WRITER: &str = "fpshot-store-wr";

/// CPU seconds per thread (id → (name, seconds)).
#[derive(Debug, Clone, Default)]
pub struct Snapshot(HashMap<String, (String, f64)>);

/// Reads every thread's on-CPU time in nanoseconds (schedstat's first field) and its name.
pub fn snapshot() -> Snapshot {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Snapshot(out);
    };
    for entry in dir.flatten() {
        let path = entry.path();
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok());
        let Some(ns) = ns else {
            continue;
        };
        let name = std::fs::read_to_string(path.join("comm"))
            .unwrap_or_default()
            .trim()
            .to_string();
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            (name, ns / 1e9),
        );
    }
    Snapshot(out)
}

/// Process CPU seconds (every thread) between two snapshots.
pub fn total(before: &Snapshot, after: &Snapshot) -> f64 {
    let g = used(before, after);
    g.server + g.client + g.writer + g.other
}

/// CPU seconds used between two snapshots, by group: server, client, store writer, other.
/// Threads that ended in between are missed (tokio keeps idle blocking threads for 10 s).
pub fn used(before: &Snapshot, after: &Snapshot) -> Groups {
    let mut g = Groups::default();
    for (tid, (name, secs)) in &after.0 {
        let prev = before.0.get(tid).map_or(0.0, |(_, s)| *s);
        let d = (secs - prev).max(0.0);
        if name.starts_with(SERVER) {
            g.server += d;
        } else if name.starts_with(CLIENT) {
            g.client += d;
        } else if name.starts_with(WRITER) {
            g.writer += d;
        } else {
            g.other += d;
        }
    }
    g
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Groups {
    pub server: f64,
    pub client: f64,
    pub writer: f64,
    pub other: f64,
}

impl Groups {
    /// Server-side CPU (runtime threads, blocking pool, store writer) in µs per request.
    pub fn server_us_per(&self, requests: u64) -> f64 {
        (self.server + self.writer) * 1e6 / (requests.max(1) as f64)
    }

    pub fn client_us_per(&self, requests: u64) -> f64 {
        self.client * 1e6 / (requests.max(1) as f64)
    }
}
