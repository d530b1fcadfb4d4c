//! An unclean stop: a child process writes to the store and is killed with SIGKILL mid-stream;
//! after reopening, every write it had acknowledged must be there.

use super::SqliteStore;
use crate::conformance::{account_with_default, new_job, t};
use crate::{JobKind, JobQueue, Outcome};
use fpshot_types::JobStatus;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DB: &str = "FPSHOT_STORE_CRASH_CHILD_DB";
const CHILD_TEST: &str = "sqlite::crash_test::child_writes_until_killed";

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The child: enqueues from 8 tasks and completes from a worker task, reporting every
/// acknowledged write on stdout, until it is killed.
#[test]
#[ignore = "run as a child process by sigkill_keeps_every_acknowledged_write"]
fn child_writes_until_killed() {
    let path = std::env::var(CHILD_DB).expect("the parent names the database");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let s = std::sync::Arc::new(SqliteStore::open(path.as_ref()).unwrap());
        let (account, p) = account_with_default(&*s).await;
        say(format!("ACCOUNT {}", account.id));
        for _ in 0..8 {
            let (s, a, p) = (s.clone(), account.id.clone(), p.id.clone());
            tokio::spawn(async move {
                loop {
                    let j = s
                        .enqueue(new_job(&a, &p, JobKind::FpDbDelete, 1))
                        .await
                        .unwrap();
                    say(format!("ENQUEUED {}", j.id));
                }
            });
        }
        loop {
            for l in s
                .claim("child", t(0), Duration::from_secs(600), 16)
                .await
                .unwrap()
            {
                let ok = Outcome::Success(serde_json::json!({}));
                if s.complete(&l.job.id, "child", l.attempt, ok, t(1))
                    .await
                    .unwrap()
                {
                    say(format!("COMPLETED {}", l.job.id));
                }
            }
            tokio::task::yield_now().await;
        }
    });
}

#[tokio::test]
async fn sigkill_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            CHILD_TEST,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut account, mut enqueued, mut completed) = (None, Vec::new(), Vec::new());
    let mut take = |line: String| {
        if let Some(id) = line.strip_prefix("ENQUEUED ") {
            enqueued.push(id.to_string());
        } else if let Some(id) = line.strip_prefix("COMPLETED ") {
            completed.push(id.to_string());
        } else if let Some((_, id)) = line.split_once("ACCOUNT ") {
            // libtest's "test <name> ... " precedes the first line without a newline.
            account = Some(id.to_string());
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0usize;
    // Kill mid-stream, once a good amount of writes is acknowledged.
    while seen < 3000 && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            seen += 1;
            take(line);
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines written before the kill were acknowledged writes too.
    while let Ok(line) = rx.try_recv() {
        take(line);
    }
    let account = account.expect("the child started");
    assert!(
        enqueued.len() > 100,
        "the child wrote ({} enqueues)",
        enqueued.len()
    );

    let s = SqliteStore::open(&path).unwrap();
    let found = s
        .get_jobs(&account, JobKind::FpDbDelete, &enqueued)
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        enqueued.len(),
        "every acknowledged enqueue survived"
    );
    let done = s
        .get_jobs(&account, JobKind::FpDbDelete, &completed)
        .await
        .unwrap();
    assert_eq!(done.len(), completed.len());
    assert!(
        done.iter().all(|j| j.status == JobStatus::Success),
        "every acknowledged completion survived"
    );
}
