//! Reading the log of a table without rewind's `tx_id` column (someone else's store of the
//! common schema). Positions are drawn at insert, not at commit, so a missing position may
//! be a transaction still running: the reader stops before it and waits, up to
//! `gap_wait_ms`, for it to fill, then passes it (a rolled-back insert leaves a gap for
//! ever) and records that it did, for the TUI to say so.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;

use super::read;
use super::sql::Statements;
use crate::store::error::Result;
use crate::store::model::Position;

/// Positions examined per query while looking for gaps.
const WINDOW: usize = 5000;
/// How often a waiting reader looks again.
const RETRY: Duration = Duration::from_millis(25);
/// Gaps remembered for the notices.
const REMEMBERED: usize = 20;

pub struct Gaps {
    wait: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every position up to here is settled: present, or a gap already passed.
    settled: Position,
    passed: Vec<Position>,
}

impl Gaps {
    pub fn new(wait: Duration) -> Gaps {
        Gaps {
            wait,
            state: Mutex::new(State::default()),
        }
    }

    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The gaps passed, oldest first (the last few).
    pub fn passed(&self) -> Vec<Position> {
        self.lock().passed.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The highest position a reader after `after` may read up to: the end of the log,
    /// or the position before a gap that is still young. When the very next position is
    /// such a gap, waits for it (at most `wait`) rather than answer with nothing.
    pub async fn horizon(
        &self,
        pool: &PgPool,
        st: &Statements,
        after: Position,
    ) -> Result<Position> {
        loop {
            let mut reached = self.lock().settled.max(after);
            let blocked = loop {
                let window = read::positions_after(pool, st, reached, WINDOW).await?;
                let full = window.len() == WINDOW;
                let mut blocked = None;
                for (position, age_ms) in window {
                    // A store that starts above 1 has no gap before its first event.
                    let contiguous = position == reached + 1 || reached == 0;
                    if !contiguous {
                        let old = Duration::from_secs_f64(age_ms.max(0.0) / 1000.0) >= self.wait;
                        if !old {
                            blocked = Some(reached + 1);
                            break;
                        }
                        self.record_passed(reached + 1);
                    }
                    reached = position;
                }
                if blocked.is_some() || !full {
                    break blocked;
                }
            };
            {
                let mut state = self.lock();
                state.settled = state.settled.max(reached);
            }
            if blocked.is_none() || reached > after {
                return Ok(reached);
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    fn record_passed(&self, gap: Position) {
        let mut state = self.lock();
        if state.passed.last() != Some(&gap) {
            tracing::warn!(
                position = gap,
                "passed a gap in the log (gap_wait_ms elapsed)"
            );
            state.passed.push(gap);
            if state.passed.len() > REMEMBERED {
                state.passed.remove(0);
            }
        }
    }
}
