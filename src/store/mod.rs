//! The event store engine: one interface, a backend per database (SQLite, PostgreSQL).
//! Callers hold a [`Store`]; every operation is async and runs off the caller's thread.

// The backends and their plumbing: public for the benchmarks and tests, documented
// through `Store`, the one interface callers use.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod backend;
mod capabilities;
mod envelope_line;
pub mod error;
pub mod expr;
mod idempotency;
pub mod model;
mod notify;
pub mod pages;
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod postgres;
pub(crate) mod sidecar;
pub mod source;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod sqlite;
mod subscription;
pub mod timestamp;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod validate;

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use backend::{EventReader, EventWriter, NoWriter, StateStore};
pub use capabilities::{BackendKind, Capabilities};
pub use error::{Result, StoreError};
pub use model::*;
pub use pages::{PagedQuery, Pages, StreamPages};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use source::{SourceKind, SourceMapping};
pub use sqlite::SqliteStore;
pub use subscription::Subscription;

/// SQLite's `synchronous` setting, which decides what survives a power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// WAL + NORMAL: a crash of the process loses nothing committed; a power loss or OS
    /// crash may lose the last transactions, never corrupting the file.
    #[default]
    Normal,
    /// WAL + FULL: every commit is on disk before it returns.
    Full,
}

impl Synchronous {
    /// The value of SQLite's `PRAGMA synchronous` for this level.
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Refuse every write; never create or migrate anything.
    pub read_only: bool,
    /// Create the store when it does not exist (commands that write).
    pub create: bool,
    /// How durably SQLite commits (PostgreSQL ignores it).
    pub synchronous: Synchronous,
    /// The largest event (data + metadata, compact JSON) accepted.
    pub max_event_bytes: usize,
    /// PostgreSQL tables without rewind's `tx_id`: how long a reader waits at a gap.
    pub gap_wait_ms: u64,
    /// The store kind to read (`--source`); None: detected from the tables present.
    pub source: Option<SourceKind>,
    /// config.toml's `[source]`: a hand-made table's columns.
    pub mapping: Option<SourceMapping>,
    /// Where sidecar files (rewind's state for a foreign store) live; None: the user's
    /// data dir.
    pub sidecar_dir: Option<PathBuf>,
    /// Whether rewind's state may be saved to a foreign store's sidecar (not with
    /// `--read-only`; the TUI's default read-only PostgreSQL session still may).
    pub sidecar_writable: bool,
    /// SQLite: run writes, and reads other than the pages a paged read fetches ahead, on
    /// the calling thread instead of the store's threads, each blocking its caller. For a
    /// short process on a current-thread runtime (a command line call), where a thread
    /// costs more to start and end than its few statements; the TUI and long jobs keep
    /// the threads. PostgreSQL ignores it.
    pub on_caller_thread: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            create: true,
            synchronous: Synchronous::Normal,
            max_event_bytes: 1_048_576,
            gap_wait_ms: 5000,
            source: None,
            mapping: None,
            sidecar_dir: None,
            sidecar_writable: true,
            on_caller_thread: false,
        }
    }
}

/// Where a store lives, parsed from `--db`, `$REWIND_DB` or config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl StoreUrl {
    /// `sqlite://PATH`, `sqlite:PATH`, a bare path, or `postgres://…`.
    pub fn parse(url: &str) -> Result<StoreUrl> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(url.to_owned()));
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        } else {
            url
        };
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(path)))
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

fn redact_password(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// An open event store, whatever the backend and kind. Cheap to clone.
///
/// Three faces (`backend`): reading (streams, reads, the log, the head, follow), writing
/// (append, import, migrate: refused by a foreign store's `NoWriter`), and rewind's own
/// state (snapshots, checkpoints, meta) — the store itself when it is rewind's, else a
/// local sidecar file (`capabilities().sidecar`). Callers ask `capabilities()` what the
/// store can do, never which backend it is.
#[derive(Clone)]
pub struct Store {
    reader: Arc<dyn EventReader>,
    writer: Arc<dyn EventWriter>,
    state: Arc<dyn StateStore>,
    capabilities: Arc<Capabilities>,
}

/// Whether the caller runs on a current-thread tokio runtime: a one-shot command line
/// process (main.rs picks that runtime for them), where blocking briefly in place is cheaper
/// than handing work to a thread of its own.
pub(crate) fn on_current_thread_runtime() -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::CurrentThread)
}

/// Opens a SQLite store off the runtime's threads, except on a current-thread runtime
/// (a one-shot command): there nothing else runs while its one thread waits, and a
/// blocking-pool thread cost such a process more to start and stop than the open itself.
pub(crate) async fn open_sqlite(
    path: &std::path::Path,
    options: &OpenOptions,
) -> Result<SqliteStore> {
    if on_current_thread_runtime() {
        return SqliteStore::open(path, options);
    }
    let (path, options) = (path.to_path_buf(), options.clone());
    tokio::task::spawn_blocking(move || SqliteStore::open(&path, &options))
        .await
        .map_err(|e| StoreError::Database(format!("open failed: {e}")))?
}

/// The backend a URL opened, before it is split into its faces.
pub(crate) enum Backend {
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl Store {
    /// Opens the store at `url`. Runs the blocking open (and migrations) off the runtime.
    pub async fn open(url: &StoreUrl, options: OpenOptions) -> Result<Store> {
        let backend = match url {
            StoreUrl::Sqlite(path) => Backend::Sqlite(open_sqlite(path, &options).await?),
            #[cfg(feature = "postgres")]
            StoreUrl::Postgres(raw) => {
                Backend::Postgres(PostgresStore::open(raw, url.to_string(), &options).await?)
            }
            #[cfg(not(feature = "postgres"))]
            StoreUrl::Postgres(_) => return Err(StoreError::NoPostgres),
        };
        // A foreign store's identity, which names its sidecar file.
        let foreign = match (&backend, url) {
            #[cfg(feature = "postgres")]
            (Backend::Postgres(pg), StoreUrl::Postgres(_)) if !pg.source().kind.writable() => {
                Some(pg.identity().await?)
            }
            (Backend::Sqlite(s), StoreUrl::Sqlite(path)) if !s.kind().writable() => {
                Some(sidecar::Identity::of_file(path, s.kind()))
            }
            _ => None,
        };
        let sidecar = match &foreign {
            Some(identity) => {
                let path = sidecar::path(&options, identity)?;
                Some((sidecar::open(&path, &options).await?, path))
            }
            None => None,
        };
        let capabilities = Arc::new(Capabilities::of(
            &backend,
            &options,
            sidecar.as_ref().map(|(_, path)| path.clone()),
        ));
        let (reader, native_writer, native_state): (
            Arc<dyn EventReader>,
            Arc<dyn EventWriter>,
            Arc<dyn StateStore>,
        ) = match backend {
            Backend::Sqlite(s) => {
                let s = Arc::new(s);
                (s.clone(), s.clone(), s)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(p) => {
                let p = Arc::new(p);
                (p.clone(), p.clone(), p)
            }
        };
        let (writer, state): (Arc<dyn EventWriter>, Arc<dyn StateStore>) = match sidecar {
            None => (native_writer, native_state),
            Some((state, _)) => (
                Arc::new(NoWriter {
                    kind: capabilities.kind_title,
                }),
                state,
            ),
        };
        Ok(Store {
            reader,
            writer,
            state,
            capabilities,
        })
    }

    /// What this store is and what rewind can do with it.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Whether the store was opened read-only (every write is refused).
    pub fn is_read_only(&self) -> bool {
        self.reader.is_read_only()
    }

    /// Whether global positions are drawn in commit order (SQLite: one writer at a time),
    /// so that a larger number is never committed before a smaller one.
    pub fn positions_in_commit_order(&self) -> bool {
        self.capabilities.positions_in_commit_order
    }

    /// Whether reads may save what they computed (snapshots from time-travel queries).
    pub fn saves_while_reading(&self) -> bool {
        self.capabilities.saves_while_reading
    }

    /// Applies the store's schema migrations explicitly (`rewind migrate`): on PostgreSQL
    /// also to an `events` table someone else created (additive only).
    pub async fn migrate(&self) -> Result<()> {
        self.writer.migrate().await
    }

    /// Notices for people about how the store is read (e.g. a PostgreSQL table without
    /// rewind's commit-order column, gaps passed).
    pub fn notices(&self) -> Vec<String> {
        self.reader.notices()
    }

    /// Waits until other processes have been told of this process's appends (PostgreSQL
    /// sends its NOTIFY off the append's path). Call before exiting.
    pub async fn flush(&self) {
        self.writer.flush().await;
    }

    /// The category of a stream, which picks its reducer: from its id where the store's
    /// categories follow the rule of docs/architecture.md, else as the store keeps it (Marten's stream type).
    pub async fn stream_category(&self, stream_id: &str) -> Result<String> {
        if self.capabilities.categories_from_ids {
            return Ok(category_of(stream_id).to_owned());
        }
        Ok(match self.stream_info(stream_id).await? {
            Some(info) => info.stream_type,
            None => category_of(stream_id).to_owned(),
        })
    }

    /// Appends one stream's events atomically.
    pub async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Vec<RecordedEvent>> {
        self.append_batch(vec![AppendSegment::new(stream_id, expected, events)])
            .await
    }

    /// Appends several segments (streams) in one transaction: all of them or none.
    pub async fn append_batch(&self, segments: Vec<AppendSegment>) -> Result<Vec<RecordedEvent>> {
        self.writer.append(segments).await
    }

    /// Imports envelope JSONL atomically; positions are given anew in file order.
    pub async fn import(&self, input: Box<dyn BufRead + Send>) -> Result<ImportSummary> {
        self.import_with_meta(input, Vec::new()).await
    }

    /// As `import`, also setting store facts (`meta` key/value rows) in the same transaction.
    pub async fn import_with_meta(
        &self,
        input: Box<dyn BufRead + Send>,
        meta: Vec<(String, String)>,
    ) -> Result<ImportSummary> {
        self.writer.import(input, meta).await
    }

    /// One page of a stream.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        query: StreamQuery,
    ) -> Result<Vec<RecordedEvent>> {
        self.reader.read_stream(stream_id, query).await
    }

    /// One page of the global log, in log order.
    pub async fn read_log(&self, query: LogQuery) -> Result<Vec<RecordedEvent>> {
        self.reader.read_log(query).await
    }

    /// One page of the log before `before` (exclusive; None: the end), newest first:
    /// for scrolling back through the log. `query.limit` and its filters apply.
    pub async fn read_log_backward(
        &self,
        query: LogQuery,
        before: Option<Position>,
    ) -> Result<Vec<RecordedEvent>> {
        self.reader.read_log_backward(query, before).await
    }

    /// One page of the streams listing before `before` (None: from the last), last first.
    pub async fn list_streams_backward(
        &self,
        query: StreamsQuery,
        before: Option<String>,
    ) -> Result<Vec<StreamInfo>> {
        self.reader.list_streams_backward(query, before).await
    }

    /// The first event in log order recorded at or after `at`.
    pub async fn position_at_time(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Position>> {
        self.reader.position_at_time(at).await
    }

    /// Streams by last activity (`updated_at`, then id): `Backward` from `cursor` toward
    /// older streams, `Forward` toward newer; without a cursor from the newest (`Backward`)
    /// or the oldest (`Forward`).
    pub async fn streams_by_activity(
        &self,
        category: Option<String>,
        cursor: Option<(chrono::DateTime<chrono::Utc>, String)>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<StreamInfo>> {
        self.reader
            .streams_by_activity(category, cursor, direction, limit)
            .await
    }

    /// `rewind query`: a count, sum, minimum or maximum over the events an expression
    /// matches, per group and the top N when asked, computed by the database; rows in
    /// the order [`expr::aggregate::order_rows`] gives (the same from every backend).
    pub async fn aggregate(
        &self,
        q: expr::aggregate::AggregateQuery,
    ) -> Result<Vec<expr::aggregate::AggregateRow>> {
        let mut rows = self.reader.aggregate(q.clone()).await?;
        expr::aggregate::order_rows(&mut rows, &q);
        Ok(rows)
    }

    /// Which of `ids` name a stored event (the doctor's check of causation ids).
    pub async fn existing_event_ids(
        &self,
        ids: Vec<uuid::Uuid>,
    ) -> Result<std::collections::HashSet<uuid::Uuid>> {
        self.reader.existing_event_ids(ids).await
    }

    /// The stream's events per day (UTC), oldest first: `("2026-01-15", 12)`.
    pub async fn activity_per_day(&self, stream_id: &str) -> Result<Vec<(String, u64)>> {
        self.reader.activity_per_day(stream_id).await
    }

    /// The event with this id, if stored.
    pub async fn event_by_id(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        self.reader.event_by_id(event_id).await
    }

    /// The events whose `metadata.causation_id` is this event's id, in log order.
    pub async fn caused_by(
        &self,
        event_id: uuid::Uuid,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        self.reader.caused_by(event_id, limit).await
    }

    /// A stream's current version (0 when it does not exist).
    pub async fn stream_version(&self, stream_id: &str) -> Result<Version> {
        self.reader.stream_version(stream_id).await
    }

    /// A stream's version, category and times; None when the stream has no events.
    pub async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>> {
        self.reader.stream_info(stream_id).await
    }

    /// One page of the streams listing, by stream id.
    pub async fn list_streams(&self, query: StreamsQuery) -> Result<Vec<StreamInfo>> {
        self.reader.list_streams(query).await
    }

    /// How many events and streams the store holds, and its head position.
    pub async fn stats(&self) -> Result<StoreStats> {
        self.reader.stats().await
    }

    /// Saves (replaces) a projection's named checkpoint atomically.
    pub async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<()> {
        self.state.save_checkpoint(checkpoint).await
    }

    /// A checkpoint saved under `name`, if any.
    pub async fn load_checkpoint(&self, name: &str) -> Result<Option<Checkpoint>> {
        self.state.load_checkpoint(name).await
    }

    /// Removes a checkpoint (a projection reset).
    pub async fn delete_checkpoint(&self, name: &str) -> Result<()> {
        self.state.delete_checkpoint(name).await
    }

    /// Saves snapshots (an existing one for the same stream, reducer and version is kept).
    pub async fn save_snapshots(&self, snapshots: Vec<Snapshot>) -> Result<()> {
        self.state.save_snapshots(snapshots).await
    }

    /// The newest snapshot of `stream_id` by `reducer` at or below `version`.
    pub async fn snapshot_at_or_below(
        &self,
        stream_id: &str,
        reducer: &str,
        version: Version,
    ) -> Result<Option<Snapshot>> {
        self.state
            .snapshot_at_or_below(stream_id, reducer, version)
            .await
    }

    /// Every snapshot of one stream by one reducer, oldest first.
    pub async fn snapshots_of(&self, stream_id: &str, reducer: &str) -> Result<Vec<Snapshot>> {
        self.state.snapshots_of(stream_id, reducer).await
    }

    /// One page of the snapshot listing.
    pub async fn list_snapshots(&self, query: SnapshotsQuery) -> Result<Vec<SnapshotInfo>> {
        self.state.list_snapshots(query).await
    }

    /// The stream's highest version recorded at or before `at` (0: none).
    pub async fn version_at_time(
        &self,
        stream_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Version> {
        self.reader.version_at_time(stream_id, at).await
    }

    /// The stream's highest version at or below global position `position` (0: none).
    pub async fn version_at_position(
        &self,
        stream_id: &str,
        position: Position,
    ) -> Result<Version> {
        self.reader.version_at_position(stream_id, position).await
    }

    /// A store fact set by `import_with_meta`.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        self.state.meta(key).await
    }

    /// The pages of a stream, the log or the streams listing, one prefetched ahead;
    /// `total` caps the number of items.
    pub fn pages<Q: PagedQuery>(&self, query: Q, total: Option<usize>) -> Pages<Q> {
        Pages::new(self.clone(), query, total)
    }

    /// The head position as last known in this process, without starting to watch for
    /// other processes' appends (for progress figures).
    pub fn known_head(&self) -> Position {
        self.reader.known_head()
    }

    /// The newest committed head position; changes when any process appends.
    pub fn head_watch(&self) -> tokio::sync::watch::Receiver<Position> {
        self.reader.head_watch()
    }

    /// Events after `after` in log order matching `filter`: the past, then live.
    pub fn subscribe(&self, after: Position, filter: LogFilter) -> Subscription {
        Subscription::new(self.clone(), after, None, filter, DEFAULT_PAGE)
    }

    /// As `subscribe`, with every option.
    pub fn subscribe_with(
        &self,
        after: Position,
        min_position: Option<Position>,
        filter: LogFilter,
        page: usize,
    ) -> Subscription {
        Subscription::new(self.clone(), after, min_position, filter, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            StoreUrl::parse("sqlite://a/b.db").unwrap(),
            StoreUrl::Sqlite("a/b.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:///abs.db").unwrap(),
            StoreUrl::Sqlite("/abs.db".into())
        );
        assert_eq!(
            StoreUrl::parse("x.db").unwrap(),
            StoreUrl::Sqlite("x.db".into())
        );
        assert!(matches!(
            StoreUrl::parse("postgres://u@h/d").unwrap(),
            StoreUrl::Postgres(_)
        ));
        assert!(StoreUrl::parse("mysql://h/d").is_err());
        assert_eq!(
            StoreUrl::parse("postgres://u:pw@h/d").unwrap().to_string(),
            "postgres://u:***@h/d"
        );
    }
}
