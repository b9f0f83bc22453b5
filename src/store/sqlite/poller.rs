//! Appends by other processes on the same SQLite file, noticed by a thread that watches
//! `PRAGMA data_version` while anyone is listening (in-process appends advance the head
//! at once).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::Synchronous;
use crate::store::model::Position;
use crate::store::notify::HeadWatch;
use crate::store::source::SourceKind;

/// How often another process's commits are looked for: well inside the 100 ms promise.
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Starts a polling thread on demand; it stops by itself when nobody listens.
pub struct Poller {
    running: Arc<Mutex<bool>>,
    path: PathBuf,
    sync: Synchronous,
    kind: SourceKind,
    head: HeadWatch,
}

impl Poller {
    pub fn new(path: PathBuf, sync: Synchronous, kind: SourceKind, head: HeadWatch) -> Self {
        Poller {
            running: Arc::new(Mutex::new(false)),
            path,
            sync,
            kind,
            head,
        }
    }

    /// Call after subscribing to the head, so the thread sees the listener.
    pub fn ensure_running(&self) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if *running {
            return;
        }
        let conn = match super::polling_connection(&self.path, self.sync, self.kind) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the store for other processes' appends");
                return;
            }
        };
        let (flag, head) = (self.running.clone(), self.head.clone());
        let spawned = std::thread::Builder::new()
            .name("rewind-sqlite-poller".into())
            .spawn(move || poll(conn, flag, head));
        *running = spawned.is_ok();
    }
}

fn poll(conn: rusqlite::Connection, running: Arc<Mutex<bool>>, head: HeadWatch) {
    let data_version = |c: &rusqlite::Connection| -> rusqlite::Result<i64> {
        c.query_row("PRAGMA data_version", [], |r| r.get(0))
    };
    let mut seen = data_version(&conn).unwrap_or(0);
    loop {
        std::thread::sleep(POLL_INTERVAL);
        {
            let mut flag = running.lock().unwrap_or_else(|e| e.into_inner());
            if head.listeners() == 0 {
                *flag = false;
                return;
            }
        }
        match data_version(&conn) {
            Ok(v) if v != seen => {
                seen = v;
                let max: rusqlite::Result<Option<i64>> =
                    conn.query_row("SELECT max(global_position) FROM events", [], |r| r.get(0));
                match max {
                    Ok(Some(p)) => head.advance(p as Position),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "poller could not read the head"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "poller could not read data_version"),
        }
    }
}
