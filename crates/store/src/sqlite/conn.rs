//! Connections of the SQLite store: one writer thread that commits in groups, and a small pool of
//! read-only connections for queries that run beside it (WAL lets readers and one writer overlap).
//!
//! Group commit: every write is a closure sent to the writer thread. The thread takes everything
//! queued (up to `MAX_BATCH`), runs each closure inside its own SAVEPOINT (so a failing write
//! leaves no trace and does not disturb its neighbours) within one transaction, commits once and
//! only then answers the callers. Callers that arrive while a batch commits form the next batch,
//! so under load thousands of small writes (nonces, enqueues, completions) share few commits,
//! and an idle store answers a lone write at once without waiting for company.

use crate::StoreError;
use crate::sqlite::codec::{map_err, map_err_ref};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

type Result<T> = std::result::Result<T, StoreError>;

/// The most writes that share one transaction: bounds the latency one batch adds.
const MAX_BATCH: usize = 1024;

/// A queued write: runs on the writer thread, answers after the commit.
trait WriteTask: Send {
    /// True when the caller stopped waiting (timed out): the write is skipped, not applied.
    fn abandoned(&self) -> bool;
    /// Runs the write; returns whether it succeeded and how to answer once the commit is known.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply);
    /// Answers without running (the transaction could not start).
    fn fail(self: Box<Self>, err: StoreError);
    /// False for a write of at most one statement: SQLite undoes a failed statement by itself,
    /// so it needs no SAVEPOINT of its own (which costs a page copy per touched page).
    fn needs_savepoint(&self) -> bool;
}

type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

struct Task<T, F> {
    f: F,
    tx: oneshot::Sender<Result<T>>,
    savepoint: bool,
}

impl<T, F> WriteTask for Task<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    fn abandoned(&self) -> bool {
        self.tx.is_closed()
    }

    fn needs_savepoint(&self) -> bool {
        self.savepoint
    }

    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let Task { f, tx, .. } = *self;
        let out = f(conn);
        let ok = out.is_ok();
        let reply: Reply = Box::new(move |commit| {
            let answer = match (commit, out) {
                (Ok(()), out) => out,
                (Err(_), Err(e)) => Err(e),
                (Err(msg), Ok(_)) => Err(StoreError::Unavailable(format!("commit failed: {msg}"))),
            };
            let _ = tx.send(answer);
        });
        (ok, reply)
    }

    fn fail(self: Box<Self>, err: StoreError) {
        let _ = self.tx.send(Err(err));
    }
}

/// Handle to the writer thread. Dropping it lets the thread finish its queue and close.
pub(crate) struct Writer {
    tx: Mutex<Option<mpsc::Sender<Box<dyn WriteTask>>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn start(conn: Connection) -> Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn WriteTask>>();
        let thread = std::thread::Builder::new()
            .name("fpshot-store-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs `f` on the writer connection inside the next group transaction; answers after commit.
    /// With `savepoint`, a failing `f` leaves no trace; without, `f` must write with at most one
    /// statement (SQLite rolls a failed statement back itself).
    pub(crate) async fn call<T, F>(&self, timeout: Duration, savepoint: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        {
            let guard = self
                .tx
                .lock()
                .map_err(|_| StoreError::Unavailable("writer lock poisoned".into()))?;
            let sender = guard
                .as_ref()
                .ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
            sender
                .send(Box::new(Task { f, tx, savepoint }))
                .map_err(|_| StoreError::Unavailable("the writer thread has stopped".into()))?;
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(StoreError::Unavailable(
                "the writer dropped the request (panic or shutdown)".into(),
            )),
            Err(_) => Err(StoreError::Unavailable(format!(
                "write took longer than {timeout:?}"
            ))),
        }
    }

    /// Stops accepting writes, lets the queued ones finish and waits for the thread to close
    /// the connection.
    pub(crate) fn shutdown(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Box<dyn WriteTask>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(task) => batch.push(task),
                Err(_) => break,
            }
        }
        batch.retain(|t| !t.abandoned());
        if batch.is_empty() {
            continue;
        }
        run_batch(&conn, batch);
    }
    if let Err(e) = conn.execute_batch("PRAGMA optimize") {
        tracing::debug!(error = %e, "PRAGMA optimize on close failed");
    }
}

fn run_batch(conn: &Connection, batch: Vec<Box<dyn WriteTask>>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Typically another process holds the write lock past the busy timeout.
        let busy = matches!(map_err_ref(&e), StoreError::Unavailable(_));
        let msg = format!("cannot start a write transaction: {e}");
        for task in batch {
            task.fail(if busy {
                StoreError::Unavailable(msg.clone())
            } else {
                StoreError::Database(msg.clone())
            });
        }
        return;
    }
    let mut replies = Vec::with_capacity(batch.len());
    let mut tasks = batch.into_iter();
    // Set when the transaction cannot be trusted any more: every write of the batch fails.
    let mut broken: Option<String> = None;
    for task in tasks.by_ref() {
        // Its caller may have timed out while BEGIN waited for a lock: it was told
        // `Unavailable`, so the write must not happen behind its back.
        if task.abandoned() {
            continue;
        }
        let savepoint = task.needs_savepoint();
        if savepoint && let Err(e) = exec_cached(conn, "SAVEPOINT op") {
            task.fail(map_err(e));
            continue;
        }
        // A panicking write must not take the writer thread (and with it the store) down: its
        // caller sees the dropped answer, its changes are rolled back (with a savepoint: its
        // own; without: the whole batch's, since they cannot be told apart).
        let ran = catch_unwind(AssertUnwindSafe(|| task.run(conn)));
        let ok = match ran {
            Ok((ok, reply)) => {
                replies.push(reply);
                ok
            }
            Err(_) => {
                tracing::error!("a store write panicked; its changes are rolled back");
                if !savepoint {
                    broken = Some("a write of the same batch panicked".into());
                }
                false
            }
        };
        if savepoint {
            let end = if ok {
                exec_cached(conn, "RELEASE op")
            } else {
                exec_cached(conn, "ROLLBACK TO op").and_then(|()| exec_cached(conn, "RELEASE op"))
            };
            if let Err(e) = end {
                broken = Some(format!("closing a savepoint failed: {e}"));
            }
        }
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction; later
        // writes would then commit one by one outside the batch.
        if conn.is_autocommit() {
            broken.get_or_insert_with(|| "SQLite rolled the transaction back".into());
        }
        if broken.is_some() {
            break;
        }
    }
    let commit = match broken {
        Some(why) => {
            for task in tasks {
                task.fail(StoreError::Unavailable(format!("batch aborted: {why}")));
            }
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Err(why)
        }
        None => conn.execute_batch("COMMIT").map_err(|e| e.to_string()),
    };
    if let Err(msg) = &commit {
        tracing::error!(error = %msg, "group commit failed; the batch is rolled back");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    for reply in replies {
        reply(commit.clone());
    }
}

fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// A few read-only connections, each used by one blocking task at a time.
pub(crate) struct Readers {
    conns: Mutex<Vec<Connection>>,
    permits: Semaphore,
    open: Box<dyn Fn() -> Result<Connection> + Send + Sync>,
}

impl Readers {
    pub(crate) fn new(
        size: usize,
        open: Box<dyn Fn() -> Result<Connection> + Send + Sync>,
    ) -> Result<Self> {
        let mut conns = Vec::with_capacity(size);
        for _ in 0..size {
            conns.push(open()?);
        }
        Ok(Readers {
            conns: Mutex::new(conns),
            permits: Semaphore::new(size),
            open,
        })
    }

    pub(crate) async fn call<T, F>(&self, timeout: Duration, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let work = async {
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| StoreError::Unavailable("the reader pool is closed".into()))?;
            let pooled = self.conns.lock().ok().and_then(|mut c| c.pop());
            // A connection lost to a panicking query is replaced here.
            let conn = match pooled {
                Some(c) => c,
                None => (self.open)()?,
            };
            // Armed while the query runs: if this future is dropped (the timeout), the query
            // is interrupted instead of running on unobserved.
            let mut guard = InterruptOnDrop(Some(conn.get_interrupt_handle()));
            let joined = tokio::task::spawn_blocking(move || {
                let out = f(&conn);
                (out, conn)
            })
            .await;
            guard.0 = None;
            match joined {
                Ok((out, conn)) => {
                    if let Ok(mut pool) = self.conns.lock() {
                        pool.push(conn);
                    }
                    out
                }
                Err(e) => Err(StoreError::Database(format!("a store read failed: {e}"))),
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(out) => out,
            Err(_) => Err(StoreError::Unavailable(format!(
                "read took longer than {timeout:?}"
            ))),
        }
    }
}

/// Interrupts a running query whose caller gave up (timed out), so the connection comes back.
struct InterruptOnDrop(Option<rusqlite::InterruptHandle>);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.interrupt();
        }
    }
}
