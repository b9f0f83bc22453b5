//! The PostgreSQL backend, through sqlx (runtime-checked queries).
//!
//! Safety first for a tool pointed at real databases: opening reads the catalog and
//! changes nothing; rewind's tables and columns are added by the first command that
//! writes (on a database rewind created) or by `rewind migrate` (on someone else's table:
//! never automatic). `read_only` makes every session read-only in PostgreSQL itself.

mod announce;
mod error;
mod gaps;
mod group_commit;
pub mod layout;
mod live;
mod read;
mod schema;
mod sql;
mod stream_types;
mod visibility;
mod where_sql;
mod write;

use std::io::BufRead;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Acquire, Connection, PgConnection, PgPool, Row};

use super::OpenOptions;
use super::error::{Result, StoreError};
use super::expr::aggregate::{AggregateQuery, AggregateRow};
use super::model::{
    AppendSegment, Checkpoint, Direction, ImportSummary, LogQuery, Position, RecordedEvent,
    Snapshot, SnapshotInfo, SnapshotsQuery, StoreStats, StreamInfo, StreamQuery, StreamsQuery,
    Version,
};
use super::notify::HeadWatch;
use super::source::SourceKind;
use layout::{Catalog, Layout};
use schema::Schema;
use sql::Statements;

pub use schema::SCHEMA_VERSION;

/// The SQL and row decoding rewind itself uses, for tools (and the benchmarks' plain sqlx
/// baseline) that read or write a store directly.
pub mod statements {
    pub use super::sql::event_from_row;
    pub use super::write::{INSERT_EVENTS, LOCK_STREAMS, UPSERT_STREAMS};

    /// The columns `event_from_row` reads, on a database with rewind's schema.
    pub fn event_columns() -> String {
        super::sql::Statements::new(&super::schema::Schema::rewind()).event_columns
    }
}
pub use write::CHANNEL;

/// The store kind found in the database, and where.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// The schema its tables are in.
    pub schema: String,
    /// The tables read, qualified.
    pub tables: Vec<String>,
    /// Other kinds found in the same database (`--source` picks one of them).
    pub others: Vec<String>,
}

/// How long opening waits for the server to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections per store: appends and page reads in flight at once, plus LISTEN.
const POOL_SIZE: u32 = 10;

/// A PostgreSQL event store. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    /// The URL without its password, for messages.
    display: String,
    read_only: bool,
    max_event_bytes: usize,
    /// What the database holds, and the SQL that fits it.
    state: RwLock<(Arc<Schema>, Arc<Statements>)>,
    /// The store kind found, with where its tables are.
    source: SourceInfo,
    /// Serializes this process's migrations (the database serializes processes').
    migrating: tokio::sync::Mutex<()>,
    head: HeadWatch,
    announcer: announce::Announcer,
    group_commit: group_commit::GroupCommit,
    live: live::Live,
    gaps: gaps::Gaps,
    own_writes: visibility::OwnWrites,
    /// Where a kind keeps stream types beside its events (Marten): their cache.
    stream_types: Option<stream_types::StreamTypes>,
}

impl PostgresStore {
    /// Connects and reads what the database holds. Changes nothing: a database without
    /// an `events` table is an error unless `options.create` (then the first write
    /// creates the tables).
    pub async fn open(url: &str, display: String, options: &OpenOptions) -> Result<PostgresStore> {
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidInput(format!("bad PostgreSQL URL {display}: {e}")))?
            .application_name("rewind");
        if options.read_only {
            // PostgreSQL itself refuses writes in these sessions.
            connect = connect.options([("default_transaction_read_only", "on")]);
        }
        // One connection first, so that a refusal (no server, wrong password, no such
        // database) is reported at once with its cause; the pool retries until its
        // acquire timeout and then says only that it timed out.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&connect))
            .await
            .map_err(|_| {
                StoreError::Database(format!(
                    "cannot connect to {display}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| {
                let cause = match &e {
                    sqlx::Error::Database(db) => db.message().to_owned(),
                    other => other.to_string(),
                };
                StoreError::Database(format!("cannot connect to {display}: {cause}"))
            })?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_lazy_with(connect);
        let catalog =
            Catalog::read(&pool, options.mapping.as_ref().map(|m| m.table.as_str())).await?;
        let forced = options.source;
        let layout = Layout::detect(&catalog, forced, options.mapping.as_ref())?;
        let (schema, statements, source) = match &layout {
            Some(layout) => {
                // A foreign store: read through its layout; rewind's own tables (if any
                // in this schema) play no part.
                (
                    Schema::foreign(),
                    Statements::for_layout(layout),
                    SourceInfo {
                        kind: layout.kind,
                        schema: layout.schema.clone(),
                        tables: layout.tables.clone(),
                        others: Layout::others(&catalog, layout.kind),
                    },
                )
            }
            None => {
                let schema = Schema::detect(&pool).await?;
                if !schema.events && !options.create {
                    return Err(StoreError::NoEventStore(display.clone()));
                }
                if schema.events {
                    let missing = schema.missing_columns();
                    if !missing.is_empty() {
                        return Err(StoreError::InvalidInput(format!(
                            "{display}: the events table lacks the common schema's column(s) {}",
                            missing.join(", ")
                        )));
                    }
                }
                if let Some(found) = schema.version.filter(|v| *v > SCHEMA_VERSION) {
                    return Err(StoreError::NewerSchema {
                        path: display.clone().into(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                let kind = if schema.events && schema.version.is_none() {
                    SourceKind::Common
                } else {
                    SourceKind::Rewind
                };
                let current = catalog.current_schema().to_owned();
                let source = SourceInfo {
                    kind,
                    tables: schema.tables(&current),
                    schema: current,
                    others: Layout::others(&catalog, kind),
                };
                let statements = Statements::new(&schema);
                (schema, statements, source)
            }
        };
        let head = if schema.events {
            read::head(&pool, &statements).await?
        } else {
            0
        };
        let announcer = announce::Announcer::new(pool.clone());
        let group_commit = group_commit::GroupCommit::new(pool.clone());
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                pool,
                display,
                read_only: options.read_only,
                max_event_bytes: options.max_event_bytes,
                state: RwLock::new((Arc::new(schema), Arc::new(statements))),
                source,
                migrating: tokio::sync::Mutex::new(()),
                head: HeadWatch::new(head),
                announcer,
                group_commit,
                live: live::Live::new(),
                gaps: gaps::Gaps::new(Duration::from_millis(options.gap_wait_ms)),
                own_writes: visibility::OwnWrites::default(),
                stream_types: layout
                    .as_ref()
                    .and_then(|l| l.stream_types.clone())
                    .map(stream_types::StreamTypes::new),
            }),
        })
    }

    /// The store kind found and where its tables are.
    pub fn source(&self) -> &SourceInfo {
        &self.inner.source
    }

    /// A stable name for this store (server, database, kind and schema), which keys the
    /// sidecar file holding rewind's state for a foreign store.
    pub async fn identity(&self) -> Result<crate::store::sidecar::Identity> {
        let row = sqlx::query(
            "SELECT coalesce(inet_server_addr()::text, 'local'), \
             coalesce(inet_server_port(), 0)::int4, current_database()::text, \
             (SELECT system_identifier::text FROM pg_control_system())",
        )
        .fetch_one(&self.inner.pool)
        .await;
        // pg_control_system() needs no privilege on PostgreSQL 15, but be lenient.
        let (host, port, database, system) = match row {
            Ok(r) => (
                r.try_get::<String, _>(0)?,
                r.try_get::<i32, _>(1)?,
                r.try_get::<String, _>(2)?,
                r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
            ),
            Err(_) => {
                let r = sqlx::query("SELECT current_database()::text")
                    .fetch_one(&self.inner.pool)
                    .await?;
                ("?".into(), 0, r.try_get(0)?, String::new())
            }
        };
        Ok(crate::store::sidecar::Identity {
            key: format!(
                "postgres {system} {host}:{port}/{database} {} {}",
                self.inner.source.kind, self.inner.source.schema
            ),
            name: database,
            kind: self.inner.source.kind,
        })
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// The pool, for tests and tools that need plain SQL beside the store.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    fn statements(&self) -> Arc<Statements> {
        self.inner
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    fn schema(&self) -> Arc<Schema> {
        self.inner
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// A database without an `events` table (before the first write): reads find nothing
    /// and create nothing.
    fn nothing_stored(&self) -> bool {
        !self.schema().events
    }

    /// The statements, for a read that goes through the commit-safe horizon (the log, the
    /// head): first waits until this process's own appends are past it (`visibility`).
    async fn commit_safe_statements(&self) -> Result<Arc<Statements>> {
        let st = self.statements();
        if st.commit_order {
            self.inner
                .own_writes
                .await_visible(&self.inner.pool)
                .await?;
        }
        Ok(st)
    }

    /// Whether the log is read in commit order (rewind's `tx_id` column is there).
    pub fn commit_order(&self) -> bool {
        self.statements().commit_order
    }

    /// Notices for people: gaps passed (news first), then the mode the store is read in.
    pub fn notices(&self) -> Vec<String> {
        let mut notices: Vec<String> = self
            .inner
            .gaps
            .passed()
            .into_iter()
            .rev()
            .map(|p| format!("passed a gap at position {p} (no event appeared there in time)"))
            .collect();
        if !self.commit_order() {
            let what = match self.inner.source.kind {
                SourceKind::Rewind | SourceKind::Common => "events table without tx_id".to_owned(),
                other => format!("{} keeps no transaction id", other.title()),
            };
            notices.push(format!(
                "{what}: log read by position, waiting up to {} ms at gaps",
                self.inner.gaps.wait().as_millis()
            ));
        }
        notices
    }

    /// Makes sure a write can proceed: not read-only, not a foreign store, and rewind's
    /// schema in place — created or upgraded here (additive; also on someone else's
    /// table of the common schema, as docs/architecture.md says: "on PostgreSQL only when a command writes").
    async fn writable(&self, action: &'static str) -> Result<()> {
        if self.inner.read_only {
            return Err(StoreError::ReadOnly(action));
        }
        if !self.inner.source.kind.writable() {
            return Err(StoreError::Foreign {
                action,
                kind: self.inner.source.kind.title(),
            });
        }
        if self.schema().is_current() {
            return Ok(());
        }
        self.migrate().await
    }

    /// Applies rewind's migration (additive; also on someone else's `events` table).
    pub async fn migrate(&self) -> Result<()> {
        if self.inner.read_only {
            return Err(StoreError::ReadOnly("migrate"));
        }
        if !self.inner.source.kind.writable() {
            return Err(StoreError::Foreign {
                action: "migrate",
                kind: self.inner.source.kind.title(),
            });
        }
        let _guard = self.inner.migrating.lock().await;
        if self.schema().is_current() {
            return Ok(());
        }
        schema::migrate(&self.inner.pool).await?;
        let schema = Schema::detect(&self.inner.pool).await?;
        let statements = Statements::new(&schema);
        tracing::info!(store = %self.inner.display, "applied rewind's schema migrations");
        *self.inner.state.write().unwrap_or_else(|e| e.into_inner()) =
            (Arc::new(schema), Arc::new(statements));
        Ok(())
    }

    pub async fn append(&self, mut segments: Vec<AppendSegment>) -> Result<Vec<RecordedEvent>> {
        super::validate::segments(&mut segments, self.inner.max_event_bytes)?;
        self.writable("append").await?;
        // New events (no caller-given ids): one statement, shared with the appends this
        // process makes at the same moment. Retries with given ids, which may be
        // idempotent, take the general transaction.
        let fresh = segments
            .iter()
            .all(|s| s.events.iter().all(|e| e.event_id.is_none()));
        let (stored, xid) = if fresh {
            self.inner.group_commit.append(segments).await?
        } else {
            let mut conn = self.inner.pool.acquire().await?;
            write::append(&mut conn, &self.statements(), segments).await?
        };
        if let Some(xid) = xid {
            self.inner.own_writes.wrote(xid);
            self.inner.announcer.committed();
        }
        Ok(stored)
    }

    /// Waits until listeners have been told of every append this process made.
    pub async fn flush(&self) {
        self.inner.announcer.flush().await;
    }

    pub async fn import(
        &self,
        input: Box<dyn BufRead + Send>,
        meta: Vec<(String, String)>,
    ) -> Result<ImportSummary> {
        self.writable("import").await?;
        let chunks = write::read_chunks(input);
        let mut conn = self.inner.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let summary = write::import(&mut tx, chunks, self.inner.max_event_bytes, &meta).await?;
        // This process reads what it imported (see `visibility`).
        let xid: String = sqlx::query("SELECT pg_current_xact_id()::text")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        tx.commit().await?;
        if let Ok(xid) = xid.parse() {
            self.inner.own_writes.wrote(xid);
        }
        drop(conn);
        if summary.events > 0 {
            self.inner.announcer.committed();
        }
        Ok(summary)
    }

    pub async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<()> {
        self.writable("checkpoint").await?;
        let mut conn = self.inner.pool.acquire().await?;
        write::save_checkpoint(&mut conn, &checkpoint).await
    }

    pub async fn delete_checkpoint(&self, name: &str) -> Result<()> {
        self.writable("checkpoint reset").await?;
        let mut conn = self.inner.pool.acquire().await?;
        write::delete_checkpoint(&mut conn, name).await
    }

    pub async fn load_checkpoint(&self, name: &str) -> Result<Option<Checkpoint>> {
        if !self.schema().checkpoints {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT name, position, state, round(extract(epoch FROM updated_at) * 1000000)::int8 \
             FROM checkpoints WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.inner.pool)
        .await?;
        row.map(|r| {
            let state: String = r.try_get(2)?;
            Ok(Checkpoint {
                name: r.try_get(0)?,
                position: r.try_get::<i64, _>(1)? as Position,
                state: serde_json::value::RawValue::from_string(state)
                    .map_err(|e| StoreError::Database(format!("checkpoint state: {e}")))?,
                updated_at: sql::time_from_micros(r.try_get(3)?)?,
            })
        })
        .transpose()
    }

    pub async fn save_snapshots(&self, snapshots: Vec<Snapshot>) -> Result<()> {
        self.writable("snapshot build").await?;
        let mut conn = self.inner.pool.acquire().await?;
        write::save_snapshots(&mut conn, &snapshots).await
    }

    pub async fn snapshot_at_or_below(
        &self,
        stream_id: &str,
        reducer: &str,
        version: Version,
    ) -> Result<Option<Snapshot>> {
        if !self.schema().snapshots {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {} FROM snapshots WHERE stream_id = $1 AND reducer = $2 AND version <= $3 \
             ORDER BY version DESC LIMIT 1",
            sql::SNAPSHOT_COLUMNS
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(stream_id)
            .bind(reducer)
            .bind(version.min(i64::MAX as u64) as i64)
            .fetch_optional(&self.inner.pool)
            .await?;
        row.as_ref().map(sql::snapshot_from_row).transpose()
    }

    pub async fn snapshots_of(&self, stream_id: &str, reducer: &str) -> Result<Vec<Snapshot>> {
        if !self.schema().snapshots {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM snapshots WHERE stream_id = $1 AND reducer = $2 ORDER BY version",
            sql::SNAPSHOT_COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(stream_id)
            .bind(reducer)
            .fetch_all(&self.inner.pool)
            .await?;
        rows.iter().map(sql::snapshot_from_row).collect()
    }

    pub async fn list_snapshots(&self, q: SnapshotsQuery) -> Result<Vec<SnapshotInfo>> {
        if !self.schema().snapshots {
            return Ok(Vec::new());
        }
        let mut b = sql::Built::new(
            "SELECT stream_id, version::int8, reducer, \
             round(extract(epoch FROM created_at) * 1000000)::int8, octet_length(state)::int8 \
             FROM snapshots WHERE true",
        );
        if let Some(stream) = q.stream_id {
            let p = b.bind(sql::Bind::Text(stream));
            b.push(&format!(" AND stream_id = ${p}"));
        }
        if let Some((stream, reducer, version)) = q.after {
            let s = b.bind(sql::Bind::Text(stream));
            let r = b.bind(sql::Bind::Text(reducer));
            let v = b.bind(sql::Bind::I64(version as i64));
            b.push(&format!(
                " AND (stream_id COLLATE \"C\", reducer COLLATE \"C\", version) > (${s}, ${r}, ${v})"
            ));
        }
        let l = b.bind(sql::Bind::I64(q.limit as i64));
        b.push(&format!(
            " ORDER BY stream_id COLLATE \"C\", reducer COLLATE \"C\", version LIMIT ${l}"
        ));
        let rows = b.query().fetch_all(&self.inner.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(SnapshotInfo {
                    stream_id: r.try_get(0)?,
                    version: r.try_get::<i64, _>(1)? as Version,
                    reducer: r.try_get(2)?,
                    created_at: sql::time_from_micros(r.try_get(3)?)?,
                    bytes: r.try_get::<i64, _>(4)? as u64,
                })
            })
            .collect()
    }

    pub async fn version_at_time(&self, stream_id: &str, at: DateTime<Utc>) -> Result<Version> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::version_at_time(&self.inner.pool, &self.statements(), stream_id, at).await
    }

    pub async fn version_at_position(
        &self,
        stream_id: &str,
        position: Position,
    ) -> Result<Version> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::version_at_position(&self.inner.pool, &self.statements(), stream_id, position).await
    }

    pub async fn read_stream(&self, stream_id: &str, q: StreamQuery) -> Result<Vec<RecordedEvent>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let page = read::read_stream(&self.inner.pool, &self.statements(), stream_id, &q).await?;
        self.with_stream_types(page).await
    }

    pub async fn read_log(&self, q: LogQuery) -> Result<Vec<RecordedEvent>> {
        self.read_log_in(q, None).await
    }

    pub async fn read_log_backward(
        &self,
        q: LogQuery,
        before: Option<Position>,
    ) -> Result<Vec<RecordedEvent>> {
        self.read_log_in(q, Some(before)).await
    }

    async fn read_log_in(
        &self,
        q: LogQuery,
        before: Option<Option<Position>>,
    ) -> Result<Vec<RecordedEvent>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let st = self.commit_safe_statements().await?;
        if st.commit_order || before.is_some() {
            let page = read::read_log(&self.inner.pool, &st, &q, before, None).await?;
            return self.with_stream_types(page).await;
        }
        // Read by position: a page stops before a young gap. It goes on past it (once the
        // gap has filled or waited out `gap_wait_ms`) until it is full or at the head, so
        // a short page still means the end of the log, as callers page on that.
        let mut page = Vec::new();
        let mut query = q.clone();
        // The head, looked up only when a page comes out short (a full one needs no more).
        let mut head = None;
        loop {
            let horizon = self
                .inner
                .gaps
                .horizon(&self.inner.pool, &st, query.after)
                .await?;
            let part = read::read_log(&self.inner.pool, &st, &query, None, Some(horizon)).await?;
            page.extend(part);
            if page.len() >= q.limit || horizon <= query.after {
                break;
            }
            if head.is_none() {
                head = Some(read::head(&self.inner.pool, &st).await?);
            }
            if head.is_some_and(|head| horizon >= head) {
                break;
            }
            query.after = horizon;
            query.limit = q.limit - page.len();
        }
        self.with_stream_types(page).await
    }

    /// Gives events the stream type their kind keeps beside them (Marten's mt_streams).
    async fn with_stream_types(
        &self,
        mut events: Vec<RecordedEvent>,
    ) -> Result<Vec<RecordedEvent>> {
        if let Some(types) = &self.inner.stream_types {
            types.fill(&self.inner.pool, &mut events).await?;
        }
        Ok(events)
    }

    pub async fn list_streams(&self, q: StreamsQuery) -> Result<Vec<StreamInfo>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::list_streams(&self.inner.pool, &self.statements(), &q, None).await
    }

    pub async fn list_streams_backward(
        &self,
        q: StreamsQuery,
        before: Option<String>,
    ) -> Result<Vec<StreamInfo>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::list_streams(&self.inner.pool, &self.statements(), &q, Some(before)).await
    }

    pub async fn position_at_time(&self, at: DateTime<Utc>) -> Result<Option<Position>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let st = self.commit_safe_statements().await?;
        read::position_at_time(&self.inner.pool, &st, at).await
    }

    pub async fn streams_by_activity(
        &self,
        category: Option<String>,
        cursor: Option<(DateTime<Utc>, String)>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<StreamInfo>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::streams_by_activity(
            &self.inner.pool,
            &self.statements(),
            category,
            cursor,
            direction,
            limit,
        )
        .await
    }

    pub async fn aggregate(&self, q: AggregateQuery) -> Result<Vec<AggregateRow>> {
        if self.nothing_stored() {
            // As SQL answers over no rows: no groups, or one answer of nothing.
            return Ok(match q.group_by {
                Some(_) => Vec::new(),
                None => vec![AggregateRow {
                    group: None,
                    count: 0,
                    value: q.aggregate.field().map(|_| serde_json::Value::Null),
                }],
            });
        }
        read::aggregate(&self.inner.pool, &self.statements(), &q).await
    }

    pub async fn existing_event_ids(
        &self,
        ids: Vec<uuid::Uuid>,
    ) -> Result<std::collections::HashSet<uuid::Uuid>> {
        if self.nothing_stored() || ids.is_empty() {
            return Ok(Default::default());
        }
        read::existing_event_ids(&self.inner.pool, &self.statements(), &ids).await
    }

    pub async fn activity_per_day(&self, stream_id: &str) -> Result<Vec<(String, u64)>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::activity_per_day(&self.inner.pool, &self.statements(), stream_id).await
    }

    pub async fn event_by_id(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let event = read::event_by_id(&self.inner.pool, &self.statements(), event_id).await?;
        let mut filled = self.with_stream_types(event.into_iter().collect()).await?;
        Ok(filled.pop())
    }

    pub async fn caused_by(
        &self,
        event_id: uuid::Uuid,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let events = read::caused_by(&self.inner.pool, &self.statements(), event_id, limit).await?;
        self.with_stream_types(events).await
    }

    pub async fn stream_version(&self, stream_id: &str) -> Result<Version> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::stream_version(&self.inner.pool, &self.statements(), stream_id).await
    }

    pub async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        read::stream_info(&self.inner.pool, &self.statements(), stream_id).await
    }

    pub async fn stats(&self) -> Result<StoreStats> {
        if self.nothing_stored() {
            return Ok(Default::default());
        }
        let st = self.commit_safe_statements().await?;
        let sql = if st.streams_source == "streams" {
            "SELECT coalesce(sum(version), 0)::int8, count(*)::int8 FROM streams".to_owned()
        } else {
            format!(
                "SELECT count(*)::int8, count(DISTINCT stream_id)::int8 FROM {}",
                st.events
            )
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.inner.pool)
            .await?;
        Ok(StoreStats {
            events: row.try_get::<i64, _>(0)? as u64,
            streams: row.try_get::<i64, _>(1)? as u64,
            head_position: read::head(&self.inner.pool, &st).await?,
        })
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        if !self.schema().meta {
            return Ok(None);
        }
        let row = sqlx::query("SELECT value FROM rewind_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.inner.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub fn known_head(&self) -> Position {
        self.inner.head.current()
    }

    pub fn head_watch(&self) -> tokio::sync::watch::Receiver<Position> {
        let receiver = self.inner.head.subscribe();
        let store = self.clone();
        self.inner
            .live
            .ensure_running(&self.inner.pool, &self.inner.head, move || {
                let store = store.clone();
                async move {
                    let st = store.statements();
                    if !store.schema().events {
                        return Ok(0);
                    }
                    read::head(&store.inner.pool, &st).await
                }
            });
        receiver
    }
}
