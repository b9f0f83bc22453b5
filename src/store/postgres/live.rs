//! Live notification on PostgreSQL: LISTEN for the NOTIFY each append sends after it
//! commits, and poll as a fallback (writers outside rewind, notifications lost while a
//! connection was down). Either way the head is re-read from the database, so a lost or
//! repeated notification can delay a reader by one poll, never lose or repeat an event.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use super::write::CHANNEL;
use crate::store::notify::HeadWatch;

/// How often the head is re-read without a notification.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How long to wait before connecting again after the listener's connection failed.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Starts the watcher on demand; it stops by itself when nobody listens.
pub struct Live {
    running: Arc<Mutex<bool>>,
}

impl Live {
    pub fn new() -> Live {
        Live {
            running: Arc::new(Mutex::new(false)),
        }
    }

    /// Call after subscribing to the head. `read_head` reads the head from the database.
    pub fn ensure_running<F, Fut>(&self, pool: &PgPool, head: &HeadWatch, read_head: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = crate::store::Result<u64>> + Send,
    {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if *running {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no async runtime: live updates from PostgreSQL are off");
            return;
        };
        *running = true;
        let (flag, head, pool) = (self.running.clone(), head.clone(), pool.clone());
        runtime.spawn(async move {
            let wake = Arc::new(Notify::new());
            let listener = tokio::spawn(listen(pool, wake.clone()));
            loop {
                match read_head().await {
                    Ok(position) => head.set(position),
                    Err(e) => tracing::warn!(error = %e, "could not read the head"),
                }
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
                let mut flag = flag.lock().unwrap_or_else(|e| e.into_inner());
                if head.listeners() == 0 {
                    *flag = false;
                    break;
                }
            }
            listener.abort();
        });
    }
}

/// Holds a LISTEN connection, reconnecting when it is lost; wakes the watcher on every
/// notification and after every (re)connection, when notifications may have been missed.
async fn listen(pool: PgPool, wake: Arc<Notify>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    wake.notify_one();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(_)) => {
                                while listener.next_buffered().is_some() {}
                                wake.notify_one();
                            }
                            // The connection was lost; the next call reconnects.
                            Ok(None) => {
                                tracing::info!("LISTEN connection lost; reconnecting");
                                wake.notify_one();
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN failed; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open a LISTEN connection"),
        }
        wake.notify_one();
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}
