//! The head watch every backend shares: the newest committed position, and the listeners
//! waiting for it to move. Each backend moves it its own way (SQLite's poller in
//! sqlite/poller.rs, PostgreSQL's LISTEN and polling in postgres/live.rs).

use std::sync::Arc;

use tokio::sync::watch;

use super::model::Position;

/// The highest global position known to be committed.
#[derive(Clone)]
pub struct HeadWatch(Arc<watch::Sender<Position>>);

impl HeadWatch {
    pub fn new(head: Position) -> Self {
        HeadWatch(Arc::new(watch::channel(head).0))
    }

    /// Raises the head to `position` (never lowers it), waking the listeners.
    pub fn advance(&self, position: Position) {
        self.0.send_if_modified(|head| {
            let raise = position > *head;
            if raise {
                *head = position;
            }
            raise
        });
    }

    /// Sets the head to `position` when it differs, waking the listeners. PostgreSQL's
    /// head is the last event in log order, whose number need not be the largest.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub fn set(&self, position: Position) {
        self.0.send_if_modified(|head| {
            let changed = *head != position;
            *head = position;
            changed
        });
    }

    /// The head as last known, without listening for more.
    pub fn current(&self) -> Position {
        *self.0.borrow()
    }

    pub fn subscribe(&self) -> watch::Receiver<Position> {
        self.0.subscribe()
    }

    pub fn listeners(&self) -> usize {
        self.0.receiver_count()
    }
}
