//! Reading a stream, the log or the streams listing page by page with the next page
//! already on its way: the store's reader thread fetches page N+1 while the caller works
//! on page N. Nothing is held but the page in hand and the one in flight.

use std::future::Future;

use tokio::task::JoinHandle;

use super::Store;
use super::error::{Result, StoreError};
use super::model::{
    Direction, LogQuery, RecordedEvent, SnapshotInfo, SnapshotsQuery, StreamInfo, StreamQuery,
    StreamsQuery,
};

/// A query that can be continued after one of its pages.
pub trait PagedQuery: Clone + Send + Sync + 'static {
    type Item: Send + 'static;

    /// Fetches one page of at most `self.limit()` items.
    fn fetch(self, store: Store) -> impl Future<Output = Result<Vec<Self::Item>>> + Send;

    fn limit(&self) -> usize;
    fn set_limit(&mut self, limit: usize);

    /// The query for the page after `page` (a full page), or None when nothing follows.
    fn after(&self, page: &[Self::Item]) -> Option<Self>;
}

/// A page being fetched, and the query that asked for it.
type InFlight<Q> = (JoinHandle<Result<Vec<<Q as PagedQuery>::Item>>>, Q);

/// The pages of a query, prefetching one ahead.
pub struct Pages<Q: PagedQuery> {
    store: Store,
    next: Option<Q>,
    in_flight: Option<InFlight<Q>>,
    /// Items still wanted (None: all).
    remaining: Option<usize>,
}

impl<Q: PagedQuery> Pages<Q> {
    pub fn new(store: Store, query: Q, total: Option<usize>) -> Pages<Q> {
        Pages {
            store,
            next: Some(query),
            in_flight: None,
            remaining: total,
        }
    }

    /// The next page; None when the query is exhausted.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Q::Item>>> {
        if self.in_flight.is_none() {
            self.request();
        }
        let Some((handle, query)) = self.in_flight.take() else {
            return Ok(None);
        };
        let page = handle
            .await
            .map_err(|e| StoreError::Database(format!("page read failed: {e}")))??;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= page.len().min(*remaining);
        }
        self.next = if page.len() == query.limit() {
            query.after(&page)
        } else {
            None
        };
        self.request();
        Ok(if page.is_empty() { None } else { Some(page) })
    }

    fn request(&mut self) {
        if self.remaining == Some(0) {
            self.next = None;
        }
        let Some(mut query) = self.next.take() else {
            return;
        };
        if let Some(remaining) = self.remaining {
            query.set_limit(query.limit().min(remaining));
        }
        let handle = tokio::spawn(query.clone().fetch(self.store.clone()));
        self.in_flight = Some((handle, query));
    }
}

impl<Q: PagedQuery> Drop for Pages<Q> {
    fn drop(&mut self) {
        if let Some((handle, _)) = self.in_flight.take() {
            handle.abort();
        }
    }
}

/// One stream's events.
#[derive(Debug, Clone)]
pub struct StreamPages {
    pub stream_id: String,
    pub query: StreamQuery,
}

impl PagedQuery for StreamPages {
    type Item = RecordedEvent;

    async fn fetch(self, store: Store) -> Result<Vec<RecordedEvent>> {
        store.read_stream(&self.stream_id, self.query).await
    }

    fn limit(&self) -> usize {
        self.query.limit
    }

    fn set_limit(&mut self, limit: usize) {
        self.query.limit = limit;
    }

    fn after(&self, page: &[RecordedEvent]) -> Option<Self> {
        let last = page.last()?.version;
        let mut next = self.clone();
        match self.query.direction {
            Direction::Forward => next.query.from = Some(last + 1),
            Direction::Backward if last > 1 => next.query.to = Some(last - 1),
            Direction::Backward => return None,
        }
        Some(next)
    }
}

impl PagedQuery for LogQuery {
    type Item = RecordedEvent;

    async fn fetch(self, store: Store) -> Result<Vec<RecordedEvent>> {
        store.read_log(self).await
    }

    fn limit(&self) -> usize {
        self.limit
    }

    fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn after(&self, page: &[RecordedEvent]) -> Option<Self> {
        Some(LogQuery {
            after: page.last()?.global_position,
            ..self.clone()
        })
    }
}

impl PagedQuery for StreamsQuery {
    type Item = StreamInfo;

    async fn fetch(self, store: Store) -> Result<Vec<StreamInfo>> {
        store.list_streams(self).await
    }

    fn limit(&self) -> usize {
        self.limit
    }

    fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn after(&self, page: &[StreamInfo]) -> Option<Self> {
        Some(StreamsQuery {
            after: Some(page.last()?.stream_id.clone()),
            ..self.clone()
        })
    }
}

impl PagedQuery for SnapshotsQuery {
    type Item = SnapshotInfo;

    async fn fetch(self, store: Store) -> Result<Vec<SnapshotInfo>> {
        store.list_snapshots(self).await
    }

    fn limit(&self) -> usize {
        self.limit
    }

    fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn after(&self, page: &[SnapshotInfo]) -> Option<Self> {
        let last = page.last()?;
        let cursor = (last.stream_id.clone(), last.reducer.clone(), last.version);
        Some(SnapshotsQuery {
            after: Some(cursor),
            ..self.clone()
        })
    }
}
