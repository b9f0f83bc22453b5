//! Catch-up subscriptions: the past from a cursor, then live events, with no gap and no
//! duplicate at the seam.

use tokio::sync::watch;

use super::Store;
use super::error::{Result, StoreError};
use super::model::{LogFilter, LogQuery, Position, RecordedEvent};

/// Events after a position, in log order: the past first, then new events as they commit.
pub struct Subscription {
    store: Store,
    /// Everything at or before this position has been delivered or ruled out by the filter.
    cursor: Position,
    min_position: Option<Position>,
    filter: LogFilter,
    head: watch::Receiver<Position>,
    page: usize,
}

impl Subscription {
    pub(super) fn new(
        store: Store,
        after: Position,
        min_position: Option<Position>,
        filter: LogFilter,
        page: usize,
    ) -> Subscription {
        let head = store.head_watch();
        Subscription {
            store,
            cursor: after,
            min_position,
            filter,
            head,
            page: page.max(1),
        }
    }

    /// The next non-empty batch of events in log order, waiting for appends when caught up.
    /// Cancel-safe: dropping the future loses nothing (the cursor moves only on success).
    pub async fn next_batch(&mut self) -> Result<Vec<RecordedEvent>> {
        loop {
            // Read the head before the page: every event at or below it was committed
            // before the read began, so a short page proves there is nothing more up to it.
            let observed = *self.head.borrow_and_update();
            let page = self
                .store
                .read_log(LogQuery {
                    after: self.cursor,
                    min_position: self.min_position,
                    filter: self.filter.clone(),
                    limit: self.page,
                })
                .await?;
            if let Some(last) = page.last() {
                self.cursor = last.global_position;
            }
            if page.len() < self.page && self.store.positions_in_commit_order() {
                // On SQLite positions are given in commit order (one writer at a time), so
                // skipping ahead to the observed head cannot pass an uncommitted event. On
                // PostgreSQL a smaller number can commit later: the cursor stays on the last
                // event delivered (the filters' indexes keep re-reading cheap).
                self.cursor = self.cursor.max(observed);
            }
            if !page.is_empty() {
                return Ok(page);
            }
            self.head.changed().await.map_err(|_| StoreError::Closed)?;
        }
    }

    /// Where the next batch starts (exclusive).
    pub fn cursor(&self) -> Position {
        self.cursor
    }
}
