//! Wire compatibility with the official Alibaba Cloud MPS SDKs: runs the Python suite in
//! `tests/sdk` against this very `fpshot` binary (built once by cargo/nextest).
//!
//! One Rust test per pytest file, so nextest runs them in parallel and reports each one. The venv
//! with the pinned SDKs is made by `scripts/test.sh`; without it these tests fail (never skip).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every pytest file of tests/sdk has exactly one Rust test below (checked by
/// `every_pytest_file_has_a_rust_test`).
const PYTEST_FILES: &[&str] = &[
    "test_pipelines.py",
    "test_protocol.py",
    "test_formats.py",
    "test_accounts.py",
    "test_lifecycle.py",
    "test_fpdb.py",
    "test_fpdb_delete_jobs.py",
    "test_job_runtime.py",
];

/// A whole pytest file must finish well within CI's budget; a hung server must not hang CI.
const PYTEST_TIMEOUT: Duration = Duration::from_secs(15 * 60);

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

fn run_pytest(file: &str) {
    assert!(
        PYTEST_FILES.contains(&file),
        "{file} is not listed in PYTEST_FILES"
    );
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/test.sh` once (it creates the venv with the pinned \
         MPS SDKs from tests/sdk/requirements.txt), then rerun the tests",
        python.display()
    );
    let basetemp = std::env::temp_dir().join(format!(
        "fpshot-sdk-{}-{}",
        file.trim_end_matches(".py"),
        std::process::id()
    ));
    let mut child = Command::new(&python)
        .current_dir(root.join("tests/sdk"))
        .args(["-m", "pytest", file, "-q", "-p", "no:cacheprovider", "-rfE"])
        .arg(format!("--basetemp={}", basetemp.display()))
        .env("FPSHOT_BIN", env!("CARGO_BIN_EXE_fpshot"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));

    // Drain both pipes on threads so a chatty pytest never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for pytest") {
            break Some(status);
        }
        if started.elapsed() > PYTEST_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    let report = format!("---- pytest stdout ----\n{stdout}\n---- pytest stderr ----\n{stderr}");

    match status {
        None => panic!("pytest {file} did not finish within {PYTEST_TIMEOUT:?}\n{report}"),
        // Exit 5 is pytest's "no tests collected": a suite that ran nothing must not pass.
        Some(s) if s.code() == Some(5) => panic!("pytest {file} collected no tests\n{report}"),
        Some(s) if !s.success() => panic!("pytest {file} failed ({s})\n{report}"),
        Some(_) => {
            // Keep the summary visible in nextest's output (`--success-output`).
            println!("{report}");
            let _ = std::fs::remove_dir_all(&basetemp);
        }
    }
}

#[test]
fn sdk_pipelines() {
    run_pytest("test_pipelines.py");
}

#[test]
fn sdk_protocol() {
    run_pytest("test_protocol.py");
}

#[test]
fn sdk_formats() {
    run_pytest("test_formats.py");
}

#[test]
fn sdk_accounts() {
    run_pytest("test_accounts.py");
}

#[test]
fn sdk_lifecycle() {
    run_pytest("test_lifecycle.py");
}

#[test]
fn sdk_fpdb() {
    run_pytest("test_fpdb.py");
}

#[test]
fn sdk_fpdb_delete_jobs() {
    run_pytest("test_fpdb_delete_jobs.py");
}

#[test]
fn sdk_job_runtime() {
    run_pytest("test_job_runtime.py");
}

#[test]
fn every_pytest_file_has_a_rust_test() {
    let dir = workspace_root().join("tests/sdk");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("test_") && n.ends_with(".py"))
        .collect();
    found.sort();
    let mut listed: Vec<String> = PYTEST_FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "tests/sdk/test_*.py and PYTEST_FILES in crates/cli/tests/sdk.rs must match"
    );
}
