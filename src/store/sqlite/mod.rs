//! The SQLite backend: rusqlite on dedicated threads (one writer, a few readers), each
//! taking one message per operation and answering the async side through a oneshot.
//! docs/architecture.md explains why: a channel round trip per *statement* (sqlx's SQLite driver)
//! measured 12-30x slower here.

mod append;
mod error;
mod import;
mod poller;
mod read;
mod schema;
mod snapshots;
mod source;
mod threads;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use crossbeam_channel::Receiver;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::error::{Result, StoreError};
use super::model::{
    AppendSegment, Checkpoint, ImportSummary, LogQuery, Position, RecordedEvent, Snapshot,
    SnapshotInfo, SnapshotsQuery, StoreStats, StreamInfo, StreamQuery, StreamsQuery, Version,
};
use super::notify::HeadWatch;
use super::source::SourceKind;
use super::{OpenOptions, timestamp};
use poller::Poller;
use threads::{ConnectionSpec, ReaderPool, WriterSlot};

pub use schema::{SCHEMA_VERSION, set_page_cache_kib};

/// The SQL and row decoding rewind itself uses, for tools (and the benchmarks' plain
/// rusqlite baseline) that read or write a store file directly.
pub mod sql {
    pub use super::append::{INSERT_EVENT, UPSERT_STREAM};
    pub use super::read::{EVENT_COLUMNS, event_from_row};
}

/// The writer thread's connection and the little state it keeps between jobs.
pub struct Writer {
    conn: Connection,
    /// The last `recorded_at` given: times never go backwards within one writer.
    last_recorded_at: DateTime<Utc>,
    max_event_bytes: usize,
}

impl Writer {
    fn new(conn: Connection, max_event_bytes: usize) -> Writer {
        Writer {
            conn,
            last_recorded_at: DateTime::<Utc>::MIN_UTC,
            max_event_bytes,
        }
    }

    fn next_recorded_at(&mut self) -> DateTime<Utc> {
        self.last_recorded_at = timestamp::now().max(self.last_recorded_at);
        self.last_recorded_at
    }
}

/// A write, given the writer (or why it could not be opened).
type WriteJob = Box<dyn FnOnce(Result<&mut Writer>) + Send>;
/// A read, given a reader's connection (or why none could be opened).
type ReadJob = Box<dyn FnOnce(Result<&Connection>) + Send>;

/// A SQLite event store. Cheap to clone; the threads stop when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Option<WriterSlot>,
    readers: Option<ReaderPool>,
    head: HeadWatch,
    poller: Poller,
    /// The store's kind: rewind's own, or another project's file (read-only).
    kind: SourceKind,
    /// Opened read-only (`--read-only`); another project's file has no writer either way.
    read_only: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing a queue ends its threads. Readers go first so that the writer's
        // connection is the last to close: only a read-write connection can checkpoint
        // the WAL and remove it, leaving a single tidy file behind.
        if let Some(readers) = self.readers.take() {
            readers.stop();
        }
        if let Some(writer) = self.writer.take() {
            writer.stop();
        }
    }
}

impl SqliteStore {
    /// Opens (or, with `options.create`, creates) the store at `path`. Blocking: it runs
    /// migrations before returning. Call it from `spawn_blocking` on a busy runtime.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<SqliteStore> {
        let access = if options.read_only {
            schema::Access::ReadOnly
        } else if options.create {
            schema::Access::Create
        } else {
            schema::Access::Existing
        };
        let sync = options.synchronous;
        let exists = path.exists();
        // Another project's file is never written: no writer, no migration. A file whose
        // header already names rewind needs no look at its tables.
        let looks_ours = matches!(options.source, None | Some(SourceKind::Rewind))
            && schema::header_says_rewind(path);
        let kind = if !exists || looks_ours {
            SourceKind::Rewind
        } else {
            source::detect(
                &schema::open(path, schema::Access::ReadOnly, sync)?,
                options.source,
            )?
        };
        let foreign = kind != SourceKind::Rewind;
        let spec = ConnectionSpec {
            path: path.to_path_buf(),
            sync,
            kind,
            readers_tidy: !foreign && !options.read_only,
        };
        // Which connection opens now: a command that writes (`create`) needs the writer and
        // perhaps no reader, one that reads a reader and perhaps no writer; the other opens
        // at its first use. A file to create or migrate gets its writer now either way.
        let (writer, first_reader, head) = if foreign || options.read_only {
            let conn = spec.reader()?;
            if !foreign {
                schema::check_read_only(&conn, path)?;
            }
            let head = read::head_position(&conn)?;
            (None, Some(conn), head)
        } else {
            let reader = match exists && !options.create {
                true => Some(spec.reader()?),
                false => None,
            };
            let current = match &reader {
                Some(reader) => schema::is_current(reader, path)?,
                None => false,
            };
            match reader {
                Some(reader) if current => {
                    let head = read::head_position(&reader)?;
                    let slot = WriterSlot::lazy(
                        spec.clone(),
                        options.max_event_bytes,
                        options.on_caller_thread,
                    );
                    (Some(slot), Some(reader), head)
                }
                reader => {
                    drop(reader);
                    let mut conn = schema::open(path, access, sync)?;
                    if !schema::is_current(&conn, path)? {
                        schema::migrate(&mut conn, path)?;
                    }
                    let head = read::head_position(&conn)?;
                    let slot = WriterSlot::started(
                        spec.clone(),
                        options.max_event_bytes,
                        options.on_caller_thread,
                        conn,
                    )?;
                    (Some(slot), None, head)
                }
            }
        };
        let readers = ReaderPool::start(spec, first_reader, options.on_caller_thread)?;
        let head = HeadWatch::new(head);
        let poller = Poller::new(path.to_path_buf(), sync, kind, head.clone());
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer,
                readers: Some(readers),
                head,
                poller,
                kind,
                read_only: options.read_only,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// Nothing to tell: SQLite's log is in commit order, with no gaps to wait at.
    pub fn notices(&self) -> Vec<String> {
        Vec::new()
    }

    /// Opened for writing, a rewind file is already migrated (`open` did it).
    pub async fn migrate(&self) -> Result<()> {
        if self.inner.kind != SourceKind::Rewind {
            return Err(StoreError::Foreign {
                action: "migrate",
                kind: self.inner.kind.title(),
            });
        }
        if self.inner.read_only {
            return Err(StoreError::ReadOnly("migrate"));
        }
        Ok(())
    }

    /// Appends are visible to other processes when they commit: nothing to wait for.
    pub async fn flush(&self) {}

    /// rewind's own file, or another project's (read through views, never written).
    pub fn kind(&self) -> SourceKind {
        self.inner.kind
    }

    /// Runs `f` on the writer thread.
    async fn write<T: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Writer) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        if self.inner.kind != SourceKind::Rewind {
            return Err(StoreError::Foreign {
                action: what,
                kind: self.inner.kind.title(),
            });
        }
        let writer = self
            .inner
            .writer
            .as_ref()
            .ok_or(StoreError::ReadOnly(what))?;
        let (tx, rx) = oneshot::channel();
        writer.submit(Box::new(move |w: Result<&mut Writer>| {
            let _ = tx.send(w.and_then(f));
        }))?;
        SpinThenWait::new(rx)
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a reader thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let readers = self.inner.readers.as_ref().ok_or(StoreError::Closed)?;
        let (tx, rx) = oneshot::channel();
        let ahead = crate::store::pages::fetching_ahead();
        readers.submit(
            Box::new(move |conn: Result<&Connection>| {
                let _ = tx.send(conn.and_then(f));
            }),
            ahead,
        )?;
        SpinThenWait::new(rx)
            .await
            .map_err(|_| StoreError::Closed)?
    }

    pub async fn append(&self, mut segments: Vec<AppendSegment>) -> Result<Vec<RecordedEvent>> {
        let head = self.inner.head.clone();
        self.write("append", move |w| {
            super::validate::segments(&mut segments, w.max_event_bytes)?;
            let recorded_at = w.next_recorded_at();
            let tx = w
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = append::append(&tx, segments, recorded_at)?;
            tx.commit()?;
            if let Some(last) = stored.iter().map(|e| e.global_position).max() {
                head.advance(last);
            }
            Ok(stored)
        })
        .await
    }

    /// Imports envelope JSONL from `input` in one transaction, with `meta` rows alongside.
    pub async fn import(
        &self,
        mut input: Box<dyn BufRead + Send>,
        meta: Vec<(String, String)>,
    ) -> Result<ImportSummary> {
        let head = self.inner.head.clone();
        self.write("import", move |w| {
            let tx = w
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let summary = import::import(&tx, &mut input, w.max_event_bytes, &meta)?;
            tx.commit()?;
            if let Some(last) = summary.last_position {
                head.advance(last);
            }
            Ok(summary)
        })
        .await
    }

    pub async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<()> {
        self.write("checkpoint", move |w| {
            let tx = w
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            snapshots::save_checkpoint(&tx, &checkpoint)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn delete_checkpoint(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write("checkpoint reset", move |w| {
            let tx = w
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            snapshots::delete_checkpoint(&tx, &name)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn load_checkpoint(&self, name: &str) -> Result<Option<Checkpoint>> {
        let name = name.to_owned();
        self.read(move |conn| snapshots::load_checkpoint(conn, &name))
            .await
    }

    pub async fn save_snapshots(&self, snapshots: Vec<Snapshot>) -> Result<()> {
        self.write("snapshot save", move |w| {
            let tx = w
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            snapshots::save_snapshots(&tx, &snapshots)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn snapshot_at_or_below(
        &self,
        stream_id: &str,
        reducer: &str,
        version: Version,
    ) -> Result<Option<Snapshot>> {
        let (stream_id, reducer) = (stream_id.to_owned(), reducer.to_owned());
        self.read(move |conn| snapshots::snapshot_at_or_below(conn, &stream_id, &reducer, version))
            .await
    }

    pub async fn snapshots_of(&self, stream_id: &str, reducer: &str) -> Result<Vec<Snapshot>> {
        let (stream_id, reducer) = (stream_id.to_owned(), reducer.to_owned());
        self.read(move |conn| snapshots::snapshots_of(conn, &stream_id, &reducer))
            .await
    }

    pub async fn list_snapshots(&self, query: SnapshotsQuery) -> Result<Vec<SnapshotInfo>> {
        self.read(move |conn| snapshots::list_snapshots(conn, &query))
            .await
    }

    pub async fn version_at_time(&self, stream_id: &str, at: DateTime<Utc>) -> Result<Version> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| snapshots::version_at_time(conn, &stream_id, &at))
            .await
    }

    pub async fn version_at_position(
        &self,
        stream_id: &str,
        position: Position,
    ) -> Result<Version> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| snapshots::version_at_position(conn, &stream_id, position))
            .await
    }

    pub async fn read_stream(
        &self,
        stream_id: &str,
        query: StreamQuery,
    ) -> Result<Vec<RecordedEvent>> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| read::read_stream(conn, &stream_id, &query))
            .await
    }

    pub async fn read_log_backward(
        &self,
        query: LogQuery,
        before: Option<Position>,
    ) -> Result<Vec<RecordedEvent>> {
        self.read(move |conn| read::read_log_backward(conn, &query, before))
            .await
    }

    pub async fn list_streams_backward(
        &self,
        query: StreamsQuery,
        before: Option<String>,
    ) -> Result<Vec<StreamInfo>> {
        self.read(move |conn| read::list_streams_backward(conn, &query, before.as_deref()))
            .await
    }

    pub async fn position_at_time(&self, at: DateTime<Utc>) -> Result<Option<Position>> {
        self.read(move |conn| read::position_at_time(conn, &at))
            .await
    }

    pub async fn streams_by_activity(
        &self,
        category: Option<String>,
        cursor: Option<(DateTime<Utc>, String)>,
        direction: super::model::Direction,
        limit: usize,
    ) -> Result<Vec<StreamInfo>> {
        self.read(move |conn| {
            let cursor_text = cursor
                .as_ref()
                .map(|(t, id)| (timestamp::format(t), id.clone()));
            let cursor = cursor_text
                .as_ref()
                .map(|(t, id)| (t.as_str(), id.as_str()));
            read::streams_by_activity(conn, category.as_deref(), cursor, direction, limit)
        })
        .await
    }

    pub async fn aggregate(
        &self,
        q: crate::store::expr::aggregate::AggregateQuery,
    ) -> Result<Vec<crate::store::expr::aggregate::AggregateRow>> {
        self.read(move |conn| read::aggregate(conn, &q)).await
    }

    pub async fn existing_event_ids(
        &self,
        ids: Vec<uuid::Uuid>,
    ) -> Result<std::collections::HashSet<uuid::Uuid>> {
        self.read(move |conn| read::existing_event_ids(conn, &ids))
            .await
    }

    pub async fn activity_per_day(&self, stream_id: &str) -> Result<Vec<(String, u64)>> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| read::activity_per_day(conn, &stream_id))
            .await
    }

    pub async fn event_by_id(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        self.read(move |conn| read::event_by_id(conn, &event_id))
            .await
    }

    pub async fn caused_by(
        &self,
        event_id: uuid::Uuid,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        self.read(move |conn| read::caused_by(conn, &event_id, limit))
            .await
    }

    pub async fn read_log(&self, query: LogQuery) -> Result<Vec<RecordedEvent>> {
        self.read(move |conn| read::read_log(conn, &query)).await
    }

    pub async fn stream_version(&self, stream_id: &str) -> Result<Version> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| read::stream_version(conn, &stream_id))
            .await
    }

    pub async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>> {
        let stream_id = stream_id.to_owned();
        self.read(move |conn| read::stream_info(conn, &stream_id))
            .await
    }

    pub async fn list_streams(&self, query: StreamsQuery) -> Result<Vec<StreamInfo>> {
        self.read(move |conn| read::list_streams(conn, &query))
            .await
    }

    pub async fn stats(&self) -> Result<StoreStats> {
        self.read(read::stats).await
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |conn| read::meta(conn, &key)).await
    }

    /// The head position as last known in this process (no watching started).
    pub fn known_head(&self) -> Position {
        self.inner.head.current()
    }

    /// The newest head position this process knows of; `watch_head` to learn of more.
    pub fn head_watch(&self) -> tokio::sync::watch::Receiver<Position> {
        self.inner.poller.ensure_running();
        self.inner.head.subscribe()
    }
}

/// Awaits a worker's answer, polling it for up to [`SPIN`] before letting the runtime
/// park the thread: most operations answer within that, and the answer is then taken
/// without a thread wake-up. Other tasks still run in between (it yields each poll).
struct SpinThenWait<F> {
    inner: F,
    started: Option<std::time::Instant>,
}

impl<F> SpinThenWait<F> {
    fn new(inner: F) -> Self {
        SpinThenWait {
            inner,
            started: None,
        }
    }
}

impl<F: std::future::Future + Unpin> std::future::Future for SpinThenWait<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll(cx) {
            std::task::Poll::Ready(v) => std::task::Poll::Ready(v),
            std::task::Poll::Pending => {
                let started = *this.started.get_or_insert_with(std::time::Instant::now);
                if started.elapsed() < SPIN {
                    cx.waker().wake_by_ref();
                }
                std::task::Poll::Pending
            }
        }
    }
}

/// How long a worker keeps polling its queue after a job before it sleeps. A caller
/// issuing operations back to back (an import loop, a page-by-page read, a writer
/// appending event after event) then finds the worker awake: waking a sleeping thread
/// costs tens of microseconds on a virtual machine, as much as a small transaction.
const SPIN: std::time::Duration = std::time::Duration::from_micros(100);

/// The next job, or None when the queue is closed and empty.
fn recv_spinning<T>(rx: &Receiver<T>) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        match rx.try_recv() {
            Ok(job) => return Some(job),
            Err(crossbeam_channel::TryRecvError::Disconnected) => return None,
            Err(crossbeam_channel::TryRecvError::Empty) if started.elapsed() < SPIN => {
                std::hint::spin_loop();
            }
            Err(crossbeam_channel::TryRecvError::Empty) => return rx.recv().ok(),
        }
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    Ok(std::thread::Builder::new().name(name.to_owned()).spawn(f)?)
}

/// A read-only connection (with a foreign kind's views): the head poller's, and the readers'
/// where they must not write.
pub(crate) fn polling_connection(
    path: &Path,
    sync: super::Synchronous,
    kind: SourceKind,
) -> Result<Connection> {
    let conn = schema::open(path, schema::Access::ReadOnly, sync)?;
    source::install_views(&conn, kind)?;
    Ok(conn)
}
