//! The NOTIFY that tells listeners events were committed, sent off the append's path.
//!
//! Each append used to send its own NOTIFY, in a second transaction, before returning:
//! a second round trip on every append, and under many writers one NOTIFY commit each,
//! all serialized on the cluster's notify queue lock. Here an append only marks that
//! something was committed; one task per store sends a NOTIFY for every run of marks,
//! so a burst of appends costs one notification, and an append returns right after its
//! commit. A listener re-reads the head from the database either way, so one
//! notification for many appends loses nothing. `flush` waits until every append made so
//! far has been announced: a process calls it before exiting.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{Notify, watch};

use super::write;

/// How long the task waits after the first append of a run before it announces, so that
/// a stream of appends costs one NOTIFY per 10 ms, not one each: a NOTIFY is a commit the
/// server serializes cluster-wide. Measured against the bare append statement in the same
/// runs (`cargo bench --bench postgres`): 8 writers went from 0.84 of it (one NOTIFY per
/// append, then 2 ms) to 0.92. A follower hears of an append at most this much later; a
/// TUI frame is longer, and followers poll every 200 ms anyway.
const GATHER: Duration = Duration::from_millis(10);

/// The longest `flush` waits (a NOTIFY is one tiny transaction; a dead server fails it).
const FLUSH_WAIT: Duration = Duration::from_secs(5);

pub struct Announcer {
    shared: Arc<Shared>,
    pool: PgPool,
    /// The announcing task, started with the first announcement.
    started: Once,
}

struct Shared {
    /// Appends committed so far (a count, only compared).
    committed: AtomicU64,
    /// The count the last NOTIFY covered.
    announced: watch::Sender<u64>,
    wake: Notify,
    closed: AtomicBool,
}

impl Announcer {
    pub fn new(pool: PgPool) -> Announcer {
        Announcer {
            shared: Arc::new(Shared {
                committed: AtomicU64::new(0),
                announced: watch::channel(0).0,
                wake: Notify::new(),
                closed: AtomicBool::new(false),
            }),
            pool,
            started: Once::new(),
        }
    }

    /// Called after an append commits.
    pub fn committed(&self) {
        self.shared.committed.fetch_add(1, Ordering::SeqCst);
        self.start();
        self.shared.wake.notify_one();
    }

    /// Waits until every append committed so far has been announced (at most a few
    /// seconds: listeners would still find the events by polling).
    pub async fn flush(&self) {
        let wanted = self.shared.committed.load(Ordering::SeqCst);
        let mut announced = self.shared.announced.subscribe();
        let _ = tokio::time::timeout(FLUSH_WAIT, announced.wait_for(|n| *n >= wanted)).await;
    }

    fn start(&self) {
        // Called after an append, so inside the runtime that ran it.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        self.started.call_once(|| {
            runtime.spawn(announce(self.shared.clone(), self.pool.clone()));
        });
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

/// One NOTIFY per wake-up, covering every append counted before it was sent.
async fn announce(shared: Arc<Shared>, pool: PgPool) {
    loop {
        shared.wake.notified().await;
        if !shared.closed.load(Ordering::SeqCst) {
            // Gather the appends that commit meanwhile into this one notification.
            tokio::time::sleep(GATHER).await;
        }
        let covered = shared.committed.load(Ordering::SeqCst);
        if covered > *shared.announced.borrow() {
            let sent = match pool.acquire().await {
                Ok(mut conn) => write::notify(&mut conn).await,
                Err(e) => Err(e.into()),
            };
            if let Err(e) = sent {
                // Listeners still find the events by polling.
                tracing::warn!(error = %e, "NOTIFY after appends failed");
            }
            shared.announced.send_replace(covered);
        }
        if shared.closed.load(Ordering::SeqCst) {
            break;
        }
    }
}
