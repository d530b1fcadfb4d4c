//! What every figure is printed with: the machine, the load on it, and small statistics.

use std::process::Command;

/// `nproc`, the CPU model and the 1-minute load average at the time of the call.
pub fn machine_line() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    format!("machine: nproc={nproc}, {model}; {}", load_line())
}

/// `uptime`'s load averages (1, 5, 15 minutes), read from /proc/loadavg.
pub fn load_line() -> String {
    let raw = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let parts: Vec<&str> = raw.split_whitespace().take(3).collect();
    format!("load average {}", parts.join(" "))
}

/// The running binary's command line, so a figure can be reproduced.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// The git commit of the working directory, when there is one.
pub fn git_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn header(what: &str) {
    println!("# fpshot-bench {what}");
    println!("command: {}", command_line());
    println!("commit: {}, {}", git_commit(), machine_line());
}

/// Median of a non-empty list (the lower middle for an even count); 0 for an empty one.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_picks_the_middle() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[f64::NAN, 5.0]), 5.0);
    }
}
