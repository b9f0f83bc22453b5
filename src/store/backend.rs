//! The store's three faces as traits, so that a backend is what it implements and a
//! store kind that cannot write (another project's) simply has no writer:
//! - [`EventReader`]: streams, reads, the log, the head, following;
//! - [`EventWriter`]: append, import, migrate;
//! - [`StateStore`]: rewind's own state — snapshots, checkpoints, meta.
//!
//! [`super::Store`] holds one of each (the state in the store itself, or in a sidecar
//! file) and answers capabilities; callers never see which backend is underneath.
//! Methods return boxed futures so that the traits are object-safe; a box per call is
//! nothing beside the query behind it.

use std::future::Future;
use std::io::BufRead;
use std::pin::Pin;

use chrono::{DateTime, Utc};

#[cfg(feature = "postgres")]
use super::PostgresStore;
use super::error::Result;
use super::expr::aggregate::{AggregateQuery, AggregateRow};
use super::model::{
    AppendSegment, Checkpoint, Direction, ImportSummary, LogQuery, Position, RecordedEvent,
    Snapshot, SnapshotInfo, SnapshotsQuery, StoreStats, StreamInfo, StreamQuery, StreamsQuery,
    Version,
};
use super::{SqliteStore, StoreError};

/// A boxed, sendable future borrowing its receiver.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Reading a store: every view and read command goes through these.
pub trait EventReader: Send + Sync {
    fn is_read_only(&self) -> bool;
    /// Notices for people about how the store is read (gaps passed, the read mode).
    fn notices(&self) -> Vec<String>;
    fn read_stream<'a>(&'a self, stream_id: &'a str, q: StreamQuery)
    -> Fut<'a, Vec<RecordedEvent>>;
    fn read_log(&self, q: LogQuery) -> Fut<'_, Vec<RecordedEvent>>;
    fn read_log_backward(
        &self,
        q: LogQuery,
        before: Option<Position>,
    ) -> Fut<'_, Vec<RecordedEvent>>;
    fn list_streams(&self, q: StreamsQuery) -> Fut<'_, Vec<StreamInfo>>;
    fn list_streams_backward(
        &self,
        q: StreamsQuery,
        before: Option<String>,
    ) -> Fut<'_, Vec<StreamInfo>>;
    fn position_at_time(&self, at: DateTime<Utc>) -> Fut<'_, Option<Position>>;
    fn streams_by_activity(
        &self,
        category: Option<String>,
        cursor: Option<(DateTime<Utc>, String)>,
        direction: Direction,
        limit: usize,
    ) -> Fut<'_, Vec<StreamInfo>>;
    fn activity_per_day<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Vec<(String, u64)>>;
    /// Which of these ids name a stored event.
    fn existing_event_ids(
        &self,
        ids: Vec<uuid::Uuid>,
    ) -> Fut<'_, std::collections::HashSet<uuid::Uuid>>;
    /// `rewind query`: counted, summed, … by the database.
    fn aggregate(&self, q: AggregateQuery) -> Fut<'_, Vec<AggregateRow>>;
    fn event_by_id(&self, event_id: uuid::Uuid) -> Fut<'_, Option<RecordedEvent>>;
    fn caused_by(&self, event_id: uuid::Uuid, limit: usize) -> Fut<'_, Vec<RecordedEvent>>;
    fn stream_version<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Version>;
    fn stream_info<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Option<StreamInfo>>;
    fn stats(&self) -> Fut<'_, StoreStats>;
    fn version_at_time<'a>(&'a self, stream_id: &'a str, at: DateTime<Utc>) -> Fut<'a, Version>;
    fn version_at_position<'a>(
        &'a self,
        stream_id: &'a str,
        position: Position,
    ) -> Fut<'a, Version>;
    /// The head as last known in this process.
    fn known_head(&self) -> Position;
    /// The newest committed head; changes when any process appends.
    fn head_watch(&self) -> tokio::sync::watch::Receiver<Position>;
}

/// Writing events: only rewind's own kinds have a writer.
pub trait EventWriter: Send + Sync {
    fn append(&self, segments: Vec<AppendSegment>) -> Fut<'_, Vec<RecordedEvent>>;
    fn import(
        &self,
        input: Box<dyn BufRead + Send>,
        meta: Vec<(String, String)>,
    ) -> Fut<'_, ImportSummary>;
    /// Applies rewind's schema migrations explicitly.
    fn migrate(&self) -> Fut<'_, ()>;
    /// Waits until other processes have been told of this process's appends.
    fn flush(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// rewind's own state: in the store's tables, or in a sidecar file.
pub trait StateStore: Send + Sync {
    fn save_checkpoint(&self, checkpoint: Checkpoint) -> Fut<'_, ()>;
    fn load_checkpoint<'a>(&'a self, name: &'a str) -> Fut<'a, Option<Checkpoint>>;
    fn delete_checkpoint<'a>(&'a self, name: &'a str) -> Fut<'a, ()>;
    fn save_snapshots(&self, snapshots: Vec<Snapshot>) -> Fut<'_, ()>;
    fn snapshot_at_or_below<'a>(
        &'a self,
        stream_id: &'a str,
        reducer: &'a str,
        version: Version,
    ) -> Fut<'a, Option<Snapshot>>;
    fn snapshots_of<'a>(&'a self, stream_id: &'a str, reducer: &'a str) -> Fut<'a, Vec<Snapshot>>;
    fn list_snapshots(&self, q: SnapshotsQuery) -> Fut<'_, Vec<SnapshotInfo>>;
    fn meta<'a>(&'a self, key: &'a str) -> Fut<'a, Option<String>>;
}

/// Both backends spell their reads and state the same way: one implementation each.
macro_rules! reader_and_state {
    ($backend:ty) => {
        impl EventReader for $backend {
            fn is_read_only(&self) -> bool {
                <$backend>::is_read_only(self)
            }
            fn notices(&self) -> Vec<String> {
                <$backend>::notices(self)
            }
            fn read_stream<'a>(
                &'a self,
                stream_id: &'a str,
                q: StreamQuery,
            ) -> Fut<'a, Vec<RecordedEvent>> {
                Box::pin(<$backend>::read_stream(self, stream_id, q))
            }
            fn read_log(&self, q: LogQuery) -> Fut<'_, Vec<RecordedEvent>> {
                Box::pin(<$backend>::read_log(self, q))
            }
            fn read_log_backward(
                &self,
                q: LogQuery,
                before: Option<Position>,
            ) -> Fut<'_, Vec<RecordedEvent>> {
                Box::pin(<$backend>::read_log_backward(self, q, before))
            }
            fn list_streams(&self, q: StreamsQuery) -> Fut<'_, Vec<StreamInfo>> {
                Box::pin(<$backend>::list_streams(self, q))
            }
            fn list_streams_backward(
                &self,
                q: StreamsQuery,
                before: Option<String>,
            ) -> Fut<'_, Vec<StreamInfo>> {
                Box::pin(<$backend>::list_streams_backward(self, q, before))
            }
            fn position_at_time(&self, at: DateTime<Utc>) -> Fut<'_, Option<Position>> {
                Box::pin(<$backend>::position_at_time(self, at))
            }
            fn streams_by_activity(
                &self,
                category: Option<String>,
                cursor: Option<(DateTime<Utc>, String)>,
                direction: Direction,
                limit: usize,
            ) -> Fut<'_, Vec<StreamInfo>> {
                Box::pin(<$backend>::streams_by_activity(
                    self, category, cursor, direction, limit,
                ))
            }
            fn activity_per_day<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Vec<(String, u64)>> {
                Box::pin(<$backend>::activity_per_day(self, stream_id))
            }
            fn existing_event_ids(
                &self,
                ids: Vec<uuid::Uuid>,
            ) -> Fut<'_, std::collections::HashSet<uuid::Uuid>> {
                Box::pin(<$backend>::existing_event_ids(self, ids))
            }
            fn aggregate(&self, q: AggregateQuery) -> Fut<'_, Vec<AggregateRow>> {
                Box::pin(<$backend>::aggregate(self, q))
            }
            fn event_by_id(&self, event_id: uuid::Uuid) -> Fut<'_, Option<RecordedEvent>> {
                Box::pin(<$backend>::event_by_id(self, event_id))
            }
            fn caused_by(&self, event_id: uuid::Uuid, limit: usize) -> Fut<'_, Vec<RecordedEvent>> {
                Box::pin(<$backend>::caused_by(self, event_id, limit))
            }
            fn stream_version<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Version> {
                Box::pin(<$backend>::stream_version(self, stream_id))
            }
            fn stream_info<'a>(&'a self, stream_id: &'a str) -> Fut<'a, Option<StreamInfo>> {
                Box::pin(<$backend>::stream_info(self, stream_id))
            }
            fn stats(&self) -> Fut<'_, StoreStats> {
                Box::pin(<$backend>::stats(self))
            }
            fn version_at_time<'a>(
                &'a self,
                stream_id: &'a str,
                at: DateTime<Utc>,
            ) -> Fut<'a, Version> {
                Box::pin(<$backend>::version_at_time(self, stream_id, at))
            }
            fn version_at_position<'a>(
                &'a self,
                stream_id: &'a str,
                position: Position,
            ) -> Fut<'a, Version> {
                Box::pin(<$backend>::version_at_position(self, stream_id, position))
            }
            fn known_head(&self) -> Position {
                <$backend>::known_head(self)
            }
            fn head_watch(&self) -> tokio::sync::watch::Receiver<Position> {
                <$backend>::head_watch(self)
            }
        }

        impl StateStore for $backend {
            fn save_checkpoint(&self, checkpoint: Checkpoint) -> Fut<'_, ()> {
                Box::pin(<$backend>::save_checkpoint(self, checkpoint))
            }
            fn load_checkpoint<'a>(&'a self, name: &'a str) -> Fut<'a, Option<Checkpoint>> {
                Box::pin(<$backend>::load_checkpoint(self, name))
            }
            fn delete_checkpoint<'a>(&'a self, name: &'a str) -> Fut<'a, ()> {
                Box::pin(<$backend>::delete_checkpoint(self, name))
            }
            fn save_snapshots(&self, snapshots: Vec<Snapshot>) -> Fut<'_, ()> {
                Box::pin(<$backend>::save_snapshots(self, snapshots))
            }
            fn snapshot_at_or_below<'a>(
                &'a self,
                stream_id: &'a str,
                reducer: &'a str,
                version: Version,
            ) -> Fut<'a, Option<Snapshot>> {
                Box::pin(<$backend>::snapshot_at_or_below(
                    self, stream_id, reducer, version,
                ))
            }
            fn snapshots_of<'a>(
                &'a self,
                stream_id: &'a str,
                reducer: &'a str,
            ) -> Fut<'a, Vec<Snapshot>> {
                Box::pin(<$backend>::snapshots_of(self, stream_id, reducer))
            }
            fn list_snapshots(&self, q: SnapshotsQuery) -> Fut<'_, Vec<SnapshotInfo>> {
                Box::pin(<$backend>::list_snapshots(self, q))
            }
            fn meta<'a>(&'a self, key: &'a str) -> Fut<'a, Option<String>> {
                Box::pin(<$backend>::meta(self, key))
            }
        }

        impl EventWriter for $backend {
            fn append(&self, segments: Vec<AppendSegment>) -> Fut<'_, Vec<RecordedEvent>> {
                Box::pin(<$backend>::append(self, segments))
            }
            fn import(
                &self,
                input: Box<dyn BufRead + Send>,
                meta: Vec<(String, String)>,
            ) -> Fut<'_, ImportSummary> {
                Box::pin(<$backend>::import(self, input, meta))
            }
            fn migrate(&self) -> Fut<'_, ()> {
                Box::pin(<$backend>::migrate(self))
            }
            fn flush(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
                Box::pin(<$backend>::flush(self))
            }
        }
    };
}

reader_and_state!(SqliteStore);
#[cfg(feature = "postgres")]
reader_and_state!(PostgresStore);

/// The writer of a store rewind must not write (another project's): every write is
/// refused, naming the kind.
pub struct NoWriter {
    pub kind: &'static str,
}

impl NoWriter {
    fn refuse<T: Send + 'static>(&self, action: &'static str) -> Fut<'_, T> {
        let kind = self.kind;
        Box::pin(async move { Err(StoreError::Foreign { action, kind }) })
    }
}

impl EventWriter for NoWriter {
    fn append(&self, _: Vec<AppendSegment>) -> Fut<'_, Vec<RecordedEvent>> {
        self.refuse("append")
    }
    fn import(
        &self,
        _: Box<dyn BufRead + Send>,
        _: Vec<(String, String)>,
    ) -> Fut<'_, ImportSummary> {
        self.refuse("import")
    }
    fn migrate(&self) -> Fut<'_, ()> {
        self.refuse("migrate")
    }
    fn flush(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

/// The state of a foreign store opened `--read-only` before it had a sidecar: nothing
/// saved yet, and nothing may be.
pub struct NoState;

impl StateStore for NoState {
    fn save_checkpoint(&self, _: Checkpoint) -> Fut<'_, ()> {
        Box::pin(async { Err(StoreError::ReadOnly("checkpoint")) })
    }
    fn load_checkpoint<'a>(&'a self, _: &'a str) -> Fut<'a, Option<Checkpoint>> {
        Box::pin(async { Ok(None) })
    }
    fn delete_checkpoint<'a>(&'a self, _: &'a str) -> Fut<'a, ()> {
        Box::pin(async { Err(StoreError::ReadOnly("checkpoint reset")) })
    }
    fn save_snapshots(&self, _: Vec<Snapshot>) -> Fut<'_, ()> {
        Box::pin(async { Err(StoreError::ReadOnly("snapshot build")) })
    }
    fn snapshot_at_or_below<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: Version,
    ) -> Fut<'a, Option<Snapshot>> {
        Box::pin(async { Ok(None) })
    }
    fn snapshots_of<'a>(&'a self, _: &'a str, _: &'a str) -> Fut<'a, Vec<Snapshot>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn list_snapshots(&self, _: SnapshotsQuery) -> Fut<'_, Vec<SnapshotInfo>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn meta<'a>(&'a self, _: &'a str) -> Fut<'a, Option<String>> {
        Box::pin(async { Ok(None) })
    }
}
