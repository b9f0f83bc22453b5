//! Read-your-writes on the commit-safe log. A log reader sees a committed event only once
//! every transaction with a smaller id has ended, so right after an append commits, a
//! concurrent older transaction elsewhere in the cluster can hide it for a moment. A
//! process that appended waits, before its next log read, until its own last append is
//! past that horizon: what it wrote, it then reads. (Other processes see the event as
//! soon as the horizon passes it, typically within milliseconds.)

use std::sync::Mutex;
use std::time::Duration;

use sqlx::{PgPool, Row};

use crate::store::error::Result;

/// The longest a read waits for its own appends to become visible (an idle-in-transaction
/// session elsewhere can hold the horizon back for ever; then the read goes ahead).
const MAX_WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct OwnWrites {
    /// (the last transaction id this process appended with, the highest known visible)
    state: Mutex<(u64, u64)>,
}

impl OwnWrites {
    pub fn wrote(&self, xid: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = state.0.max(xid);
    }

    pub async fn await_visible(&self, pool: &PgPool) -> Result<()> {
        let wanted = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.0 <= state.1 {
                return Ok(());
            }
            state.0
        };
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let horizon: String =
                sqlx::query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
                    .fetch_one(pool)
                    .await?
                    .try_get(0)?;
            if horizon.parse::<u64>().unwrap_or(0) > wanted {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                state.1 = state.1.max(wanted);
                return Ok(());
            }
            if started.elapsed() > MAX_WAIT {
                // Once is enough: later reads do not wait for this append again.
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                state.1 = state.1.max(wanted);
                tracing::warn!(
                    xid = wanted,
                    "an older open transaction holds back the log's horizon; reading without waiting"
                );
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }
}
