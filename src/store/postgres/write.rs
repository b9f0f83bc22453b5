//! Writes on a PostgreSQL store: the append transaction, import, snapshots, checkpoints
//! and store facts.
//!
//! An append locks its streams with transaction-scoped advisory locks, in one global
//! order (no deadlocks), *before* anything that assigns the transaction its id. So among
//! rewind's writers a stream's later versions always carry later transaction ids, and
//! losers wait for the winner, then see its version: the concurrency error, never a
//! unique violation. Writers that do not take the locks (someone else's code on the same
//! table) are still caught by UNIQUE(stream_id, version), mapped to the same error.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use serde_json::value::RawValue;
use sqlx::{Acquire, PgConnection, Row};
use uuid::Uuid;

use super::sql::{self, Statements};
use crate::store::envelope_line::EnvelopeLine as Line;
use crate::store::error::{Result, StoreError};
use crate::store::model::{
    AppendSegment, Checkpoint, ExpectedVersion, ImportSummary, NewEvent, RecordedEvent, Snapshot,
    StreamQuery, Version, category_of,
};
use crate::store::validate;

/// The channel appends notify after they commit.
pub const CHANNEL: &str = "rewind_events";

pub const LOCK_STREAMS: &str = "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT \
    hashtextextended(s, 0) AS k FROM unnest($1::text[]) AS s) AS keys ORDER BY k";

pub const INSERT_EVENTS: &str = "INSERT INTO events (id, stream_id, stream_type, event_type, \
    event_data, metadata, version, schema_version, created_at) \
    SELECT i, s, t, e, d, m, v, sv, coalesce(c, now()) FROM unnest($1::text[]::uuid[], $2::text[], \
    $3::text[], $4::text[], $5::text[]::jsonb[], $6::text[]::jsonb[], $7::int8[], $8::int4[], \
    $9::int8[]) AS u(i, s, t, e, d, m, v, sv, cm), \
    LATERAL (SELECT 'epoch'::timestamptz + cm * interval '1 microsecond' AS c) AS ts \
    RETURNING global_position::int8, event_data::text, metadata::text, \
    round(extract(epoch FROM created_at) * 1000000)::int8, tx_id::text";

/// A row as inserted: (position, data, metadata, recorded_at µs, transaction id).
type Inserted = (i64, String, String, i64, String);

/// What an append sent for one new event, kept to build the stored event from its row.
struct Sent {
    event_id: Uuid,
    stream_id: String,
    stream_type: String,
    event_type: String,
    version: Version,
    schema_version: u32,
}

impl Sent {
    /// The event as stored: what was sent, with what the database gave it (position,
    /// time, and data and metadata in jsonb's form).
    fn stored(self, row: Inserted) -> Result<RecordedEvent> {
        let (position, data, metadata, micros, _) = row;
        Ok(RecordedEvent {
            event_id: self.event_id,
            stream_id: self.stream_id,
            stream_type: self.stream_type,
            event_type: self.event_type,
            version: self.version,
            schema_version: self.schema_version,
            data: sql::compact_json(&data, "data", position)?,
            metadata: sql::compact_json(&metadata, "metadata", position)?,
            global_position: position as u64,
            recorded_at: sql::time_from_micros(micros)?,
            link: None,
        })
    }
}

pub const UPSERT_STREAMS: &str = "INSERT INTO streams (stream_id, stream_type, version, \
    last_event_type, created_at, updated_at) \
    SELECT s, t, v, e, coalesce('epoch'::timestamptz + c * interval '1 microsecond', now()), \
    coalesce('epoch'::timestamptz + u * interval '1 microsecond', now()) \
    FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[]) \
    AS x(s, t, v, e, c, u) \
    ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, \
    last_event_type = excluded.last_event_type, updated_at = excluded.updated_at";

/// Rows for one multi-row insert (arrays, one element a row).
#[derive(Default)]
struct EventRows {
    ids: Vec<String>,
    streams: Vec<String>,
    types: Vec<String>,
    event_types: Vec<String>,
    data: Vec<String>,
    metadata: Vec<String>,
    versions: Vec<i64>,
    schema_versions: Vec<i32>,
    /// Given times (import); None: the transaction's time.
    created: Vec<Option<i64>>,
}

impl EventRows {
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// The columns every insert path fills from a new event: id, type, data, metadata
    /// (`{}` when absent) and schema version.
    fn push_event(&mut self, id: Uuid, event: &NewEvent) {
        self.ids.push(id.to_string());
        self.event_types.push(event.event_type.clone());
        self.data.push(event.data.get().to_owned());
        self.metadata.push(
            event
                .metadata
                .as_ref()
                .map_or_else(|| "{}".to_owned(), |m| m.get().to_owned()),
        );
        self.schema_versions.push(event.schema_version as i32);
    }

    /// Inserts the rows; returns (position, data, metadata, recorded_at µs) in row order.
    async fn insert(
        self,
        conn: &mut PgConnection,
    ) -> std::result::Result<Vec<Inserted>, sqlx::Error> {
        let rows = sqlx::query(INSERT_EVENTS)
            .bind(self.ids)
            .bind(self.streams)
            .bind(self.types)
            .bind(self.event_types)
            .bind(self.data)
            .bind(self.metadata)
            .bind(self.versions)
            .bind(self.schema_versions)
            .bind(self.created)
            .fetch_all(conn)
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect::<std::result::Result<Vec<Inserted>, sqlx::Error>>()?;
        // Positions are drawn in row order within the statement: sorting restores it.
        out.sort_unstable_by_key(|r| r.0);
        Ok(out)
    }
}

/// A streams row: (type, version, last event type, created µs, updated µs); None times
/// are the transaction's.
type StreamRow = (String, i64, String, Option<i64>, Option<i64>);

/// Streams rows to upsert (one per stream; the last state wins).
#[derive(Default)]
struct StreamRows {
    order: Vec<String>,
    rows: HashMap<String, StreamRow>,
}

impl StreamRows {
    fn set(&mut self, id: &str, row: StreamRow) {
        if let Some(existing) = self.rows.get_mut(id) {
            // Keep the creation time first given.
            let created = existing.3;
            *existing = row;
            existing.3 = existing.3.or(created);
        } else {
            self.order.push(id.to_owned());
            self.rows.insert(id.to_owned(), row);
        }
    }

    async fn upsert(self, conn: &mut PgConnection) -> Result<()> {
        if self.order.is_empty() {
            return Ok(());
        }
        let (mut ids, mut types, mut versions, mut last, mut created, mut updated) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for id in self.order {
            let (t, v, e, c, u) = self.rows[&id].clone();
            ids.push(id);
            types.push(t);
            versions.push(v);
            last.push(e);
            created.push(c);
            updated.push(u);
        }
        sqlx::query(UPSERT_STREAMS)
            .bind(ids)
            .bind(types)
            .bind(versions)
            .bind(last)
            .bind(created)
            .bind(updated)
            .execute(conn)
            .await?;
        Ok(())
    }
}

const APPEND_FUNCTION: &str = "SELECT o_position, o_data, o_metadata, o_recorded, o_tx, o_version \
    FROM rewind_append($1::text[], $2::text[], $3::int4[], $4::int8[], $5::int4[], \
    $6::text[]::uuid[], $7::text[], $8::text[]::jsonb[], $9::text[]::jsonb[], $10::int4[])";

/// What an append wrote: the stored envelopes and the transaction id it wrote with (None:
/// nothing written, an idempotent retry).
pub type Appended = (Vec<RecordedEvent>, Option<u64>);

/// How a `rewind_append` call failed, before the failure becomes a typed error.
pub enum CallFailure {
    /// The database refused the statement: it rolled back, nothing of it was written.
    Refused(sqlx::Error),
    /// Anything else (the connection, an answer that does not add up): whether the call
    /// committed may be unknown.
    Other(StoreError),
}

/// The append of new events (no caller-given ids, so no idempotency question): one
/// statement, `rewind_append`, which in autocommit is also the transaction.
pub async fn append_new(conn: &mut PgConnection, segments: &[AppendSegment]) -> Result<Appended> {
    let all: Vec<&AppendSegment> = segments.iter().collect();
    match call_append(conn, &all).await {
        Ok(appended) => Ok(appended),
        Err(CallFailure::Refused(e)) => Err(append_new_error(conn, e, segments).await),
        Err(CallFailure::Other(e)) => Err(e),
    }
}

/// One `rewind_append` call for the segments, in order (they may come from several
/// appends: see `group_commit`). Returns the stored envelopes in segment order.
pub async fn call_append(
    conn: &mut PgConnection,
    segments: &[&AppendSegment],
) -> std::result::Result<Appended, CallFailure> {
    let (mut streams, mut types, mut kinds, mut expected, mut counts) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut rows = EventRows::default();
    let mut pending = Vec::new();
    for segment in segments {
        let stream_type = segment
            .stream_type
            .clone()
            .unwrap_or_else(|| category_of(&segment.stream_id).to_owned());
        let (kind, version) = match segment.expected {
            ExpectedVersion::Any => (0, 0),
            ExpectedVersion::NoStream => (1, 0),
            ExpectedVersion::Exists => (2, 0),
            ExpectedVersion::Exact(v) => (3, v.min(i64::MAX as u64) as i64),
        };
        streams.push(segment.stream_id.clone());
        types.push(stream_type.clone());
        kinds.push(kind);
        expected.push(version);
        counts.push(segment.events.len() as i32);
        for event in &segment.events {
            let id = Uuid::now_v7();
            rows.push_event(id, event);
            pending.push(Sent {
                event_id: id,
                stream_id: segment.stream_id.clone(),
                stream_type: stream_type.clone(),
                event_type: event.event_type.clone(),
                // Known once the database answers.
                version: 0,
                schema_version: event.schema_version,
            });
        }
    }
    let returned = sqlx::query(APPEND_FUNCTION)
        .bind(&streams)
        .bind(types)
        .bind(kinds)
        .bind(expected)
        .bind(counts)
        .bind(rows.ids)
        .bind(rows.event_types)
        .bind(rows.data)
        .bind(rows.metadata)
        .bind(rows.schema_versions)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            if e.as_database_error().is_some() {
                CallFailure::Refused(e)
            } else {
                CallFailure::Other(e.into())
            }
        })?;
    stored_events(&returned, pending).map_err(CallFailure::Other)
}

/// The stored events from `rewind_append`'s rows (in any order) and what was sent for
/// them (in segment order), with the transaction id.
fn stored_events(returned: &[sqlx::postgres::PgRow], pending: Vec<Sent>) -> Result<Appended> {
    let mut inserted = returned
        .iter()
        .map(|r| {
            Ok((
                (
                    r.try_get::<i64, _>(0)?,
                    r.try_get::<String, _>(1)?,
                    r.try_get::<String, _>(2)?,
                    r.try_get::<i64, _>(3)?,
                    r.try_get::<String, _>(4)?,
                ),
                r.try_get::<i64, _>(5)? as Version,
            ))
        })
        .collect::<Result<Vec<(Inserted, Version)>>>()?;
    // Positions are drawn in row order: sorting restores it.
    inserted.sort_unstable_by_key(|r| r.0.0);
    if inserted.len() != pending.len() {
        return Err(StoreError::Database(format!(
            "rewind_append returned {} rows for {} events",
            inserted.len(),
            pending.len()
        )));
    }
    let xid = inserted.first().and_then(|r| r.0.4.parse::<u64>().ok());
    let stored = pending
        .into_iter()
        .zip(inserted)
        .map(|(sent, (row, version))| Sent { version, ..sent }.stored(row))
        .collect::<Result<Vec<_>>>()?;
    Ok((stored, xid))
}

/// The segment (0-based) whose expected version failed, when `rewind_append` refused a
/// call for that: SQLSTATE RW001, the segment's number (1-based) in the detail.
pub fn conflicting_segment(e: &sqlx::Error) -> Option<usize> {
    let db = e.as_database_error()?;
    if db.code().as_deref() != Some("RW001") {
        return None;
    }
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail())
        .and_then(|d| d.trim().parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
}

/// `rewind_append`'s failure as the typed error: RW001 is an expected-version conflict
/// (message: the actual version; detail: the segment's number).
async fn append_new_error(
    conn: &mut PgConnection,
    e: sqlx::Error,
    segments: &[AppendSegment],
) -> StoreError {
    let Some(db) = e.as_database_error() else {
        return e.into();
    };
    if db.code().as_deref() == Some("RW001") {
        let actual = db.message().trim().parse::<Version>();
        let segment = conflicting_segment(&e).and_then(|n| segments.get(n));
        if let (Ok(actual), Some(segment)) = (actual, segment) {
            return StoreError::Concurrency {
                stream_id: segment.stream_id.clone(),
                expected: segment.expected,
                actual,
            };
        }
        return e.into();
    }
    let seen: Vec<(String, ExpectedVersion, Version)> = segments
        .iter()
        .map(|s| (s.stream_id.clone(), s.expected, Version::MAX))
        .collect();
    insert_error(conn, e, &[], &seen).await
}

/// The append transaction. Returns the stored envelopes and the transaction id it wrote
/// with (None: nothing written, an idempotent retry).
pub async fn append(
    conn: &mut PgConnection,
    st: &Statements,
    segments: Vec<AppendSegment>,
) -> Result<Appended> {
    let mut tx = conn.begin().await?;
    let mut names: Vec<String> = segments.iter().map(|s| s.stream_id.clone()).collect();
    names.sort_unstable();
    names.dedup();
    sqlx::query(LOCK_STREAMS)
        .bind(&names)
        .execute(&mut *tx)
        .await?;
    let mut current = stream_versions(&mut tx, &names).await?;
    let given: Vec<Uuid> = segments
        .iter()
        .flat_map(|s| s.events.iter().filter_map(|e| e.event_id))
        .collect();
    // Ids stored before the batch, and (as segments are planned) the batch's own: a
    // later segment sees the earlier ones, as on SQLite.
    let mut located = locate_ids(&mut tx, &given).await?;
    let mut inserted_all: Vec<Inserted> = Vec::new();

    // What each segment becomes: originals (an idempotent retry) or new rows.
    enum Planned {
        Retry(Vec<RecordedEvent>),
        New(std::ops::Range<usize>),
    }
    let mut plan = Vec::with_capacity(segments.len());
    let mut rows = EventRows::default();
    let mut streams = StreamRows::default();
    let mut pending: Vec<Sent> = Vec::new();
    let mut seen = Vec::new();
    for segment in segments {
        if let Some((first, count)) = idempotent_retry(&segment, &located)? {
            // The originals may be rows of this batch: insert what is planned so far.
            if rows.len() > 0 {
                match insert_rows(&mut tx, std::mem::take(&mut rows)).await {
                    Ok(mut inserted) => inserted_all.append(&mut inserted),
                    Err((e, placed)) => {
                        drop(tx);
                        return Err(insert_error(conn, e, &placed, &seen).await);
                    }
                }
            }
            let originals = super::read::read_stream(
                &mut *tx,
                st,
                &segment.stream_id,
                &StreamQuery {
                    from: Some(first),
                    to: Some(first + count - 1),
                    limit: count as usize,
                    ..Default::default()
                },
            )
            .await?;
            plan.push(Planned::Retry(originals));
            continue;
        }
        let actual = current.get(&segment.stream_id).copied().unwrap_or(0);
        seen.push((segment.stream_id.clone(), segment.expected, actual));
        if !segment.expected.matches(actual) {
            return Err(StoreError::Concurrency {
                stream_id: segment.stream_id,
                expected: segment.expected,
                actual,
            });
        }
        let stream_type = segment
            .stream_type
            .clone()
            .unwrap_or_else(|| category_of(&segment.stream_id).to_owned());
        let start = rows.len();
        let mut version = actual;
        for event in segment.events {
            version += 1;
            let id = event.event_id.unwrap_or_else(Uuid::now_v7);
            rows.push_event(id, &event);
            rows.streams.push(segment.stream_id.clone());
            rows.types.push(stream_type.clone());
            rows.versions.push(version as i64);
            rows.created.push(None);
            // The same id twice in this segment: a duplicate of its first place.
            if let Some((stream_id, first)) =
                located.insert(id, (segment.stream_id.clone(), version))
            {
                return Err(StoreError::DuplicateEventId {
                    event_id: id,
                    stream_id,
                    version: first,
                });
            }
            pending.push(Sent {
                event_id: id,
                stream_id: segment.stream_id.clone(),
                stream_type: stream_type.clone(),
                event_type: event.event_type,
                version,
                schema_version: event.schema_version,
            });
        }
        if version > actual {
            let last_type = pending
                .last()
                .map(|p| p.event_type.clone())
                .unwrap_or_default();
            streams.set(
                &segment.stream_id,
                (stream_type, version as i64, last_type, None, None),
            );
            current.insert(segment.stream_id.clone(), version);
        }
        plan.push(Planned::New(start..rows.len()));
    }

    if rows.len() > 0 {
        match insert_rows(&mut tx, rows).await {
            Ok(mut inserted) => inserted_all.append(&mut inserted),
            Err((e, placed)) => {
                drop(tx);
                return Err(insert_error(conn, e, &placed, &seen).await);
            }
        }
    }
    let inserted = inserted_all;
    // Checked before the commit: answering fewer events than were written would leave the
    // caller unable to say what is stored. Dropping the transaction rolls it back.
    if inserted.len() != pending.len() {
        return Err(StoreError::Database(format!(
            "PostgreSQL returned {} rows for {} inserted events; nothing written",
            inserted.len(),
            pending.len()
        )));
    }
    let wrote = !inserted.is_empty();
    if wrote {
        streams.upsert(&mut tx).await?;
    }
    tx.commit().await?;
    let xid = inserted.first().and_then(|r| r.4.parse::<u64>().ok());

    let mut stored = Vec::new();
    let mut inserted = inserted.into_iter();
    let mut pending = pending.into_iter();
    for planned in plan {
        match planned {
            Planned::Retry(originals) => stored.extend(originals),
            Planned::New(range) => {
                for _ in range {
                    // Counts were checked before the commit.
                    let (Some(sent), Some(row)) = (pending.next(), inserted.next()) else {
                        return Err(StoreError::Database(
                            "fewer rows returned than events inserted".into(),
                        ));
                    };
                    stored.push(sent.stored(row)?);
                }
            }
        }
    }
    Ok((stored, xid))
}

/// Inserts planned rows; on failure, the error and each row's (id, stream, version).
async fn insert_rows(
    tx: &mut PgConnection,
    rows: EventRows,
) -> std::result::Result<Vec<Inserted>, (sqlx::Error, Vec<(String, String, Version)>)> {
    let placed: Vec<(String, String, Version)> = (0..rows.len())
        .map(|i| {
            (
                rows.ids[i].clone(),
                rows.streams[i].clone(),
                rows.versions[i] as Version,
            )
        })
        .collect();
    rows.insert(tx).await.map_err(|e| (e, placed))
}

/// Tells listeners that events were committed. Its own tiny transaction, after the
/// append's: a NOTIFY inside the append would hold the cluster-wide notify lock through
/// the append's commit. Not durable (nothing to keep), so it does not wait for a flush.
pub async fn notify(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('rewind_events', ''); COMMIT;",
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn stream_versions(
    conn: &mut PgConnection,
    names: &[String],
) -> Result<HashMap<String, Version>> {
    let rows = sqlx::query(
        "SELECT s, (SELECT max(version) FROM events WHERE stream_id = s)::int8 \
         FROM unnest($1::text[]) AS s",
    )
    .bind(names)
    .fetch_all(conn)
    .await?;
    let mut versions = HashMap::with_capacity(rows.len());
    for row in rows {
        let v: Option<i64> = row.try_get(1)?;
        versions.insert(row.try_get(0)?, v.unwrap_or(0) as Version);
    }
    Ok(versions)
}

/// Where each of these event ids is stored, for those that are.
async fn locate_ids(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, Version)>> {
    let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query(
        "SELECT id::text, stream_id::text, version::int8 FROM events WHERE id = ANY($1::text[]::uuid[])",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: &str = row.try_get(0)?;
        let id = Uuid::parse_str(id).map_err(|e| StoreError::Database(e.to_string()))?;
        found.insert(id, (row.try_get(1)?, row.try_get::<i64, _>(2)? as Version));
    }
    Ok(found)
}

/// EventStoreDB's rule (`idempotency::retry_of`) on the ids located so far: a retry's
/// `(first version, count)` of the originals.
fn idempotent_retry(
    segment: &AppendSegment,
    located: &HashMap<Uuid, (String, Version)>,
) -> Result<Option<(Version, u64)>> {
    let ids: Vec<Uuid> = segment.events.iter().filter_map(|e| e.event_id).collect();
    let found: Vec<Option<(String, Version)>> =
        ids.iter().map(|id| located.get(id).cloned()).collect();
    Ok(crate::store::idempotency::retry_of(segment, &ids, &found)?
        .map(|first| (first, ids.len() as u64)))
}

/// An insert that failed: a repeated id, or a version taken by a writer outside rewind's
/// locks (the concurrency error, with the stream's version now), become the typed errors;
/// anything else stays a database error. `placed` is each row's (id, stream, version);
/// `seen` each segment's stream, expectation and the version the transaction found.
async fn insert_error(
    conn: &mut PgConnection,
    e: sqlx::Error,
    placed: &[(String, String, Version)],
    seen: &[(String, ExpectedVersion, Version)],
) -> StoreError {
    let Some(db) = e.as_database_error() else {
        return e.into();
    };
    if db.code().as_deref() != Some("23505") {
        return e.into();
    }
    let on_version = db.constraint().unwrap_or_default().contains("stream_id")
        || db.message().contains("stream_id");
    if on_version {
        let names: Vec<String> = seen.iter().map(|s| s.0.clone()).collect();
        if let Ok(now) = stream_versions(conn, &names).await {
            for (stream_id, expected, was) in seen {
                let actual = now.get(stream_id).copied().unwrap_or(0);
                if actual != *was {
                    return StoreError::Concurrency {
                        stream_id: stream_id.clone(),
                        expected: *expected,
                        actual,
                    };
                }
            }
        }
        return e.into();
    }
    // A repeated id: the same id twice in the batch (a duplicate of its first place, as
    // on SQLite), or one stored meanwhile.
    let mut first = HashMap::new();
    for (id, stream_id, version) in placed {
        if let Some((stream_id, version)) = first.insert(id, (stream_id, version))
            && let Ok(event_id) = Uuid::parse_str(id)
        {
            return StoreError::DuplicateEventId {
                event_id,
                stream_id: stream_id.clone(),
                version: *version,
            };
        }
    }
    let ids: Vec<Uuid> = placed
        .iter()
        .filter_map(|(i, _, _)| Uuid::parse_str(i).ok())
        .collect();
    match locate_ids(conn, &ids).await {
        Ok(found) => match found.into_iter().next() {
            Some((event_id, (stream_id, version))) => StoreError::DuplicateEventId {
                event_id,
                stream_id,
                version,
            },
            None => e.into(),
        },
        Err(_) => e.into(),
    }
}

const IMPORT_CHUNK: usize = 2000;

/// A stream as the import has found or left it: (type, version).
type Known = HashMap<String, Option<(String, Version)>>;

/// Reads `input` on a blocking thread, sending its non-empty lines in chunks.
pub fn read_chunks(
    mut input: Box<dyn BufRead + Send>,
) -> tokio::sync::mpsc::Receiver<Result<Vec<(u64, String)>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut lines = Vec::with_capacity(IMPORT_CHUNK);
        let mut line_no = 0u64;
        loop {
            let mut buf = String::new();
            line_no += 1;
            let read = match input.read_line(&mut buf) {
                Ok(read) => read,
                Err(e) => {
                    let _ = tx.blocking_send(Err(StoreError::BadLine {
                        line: line_no,
                        reason: format!("cannot read: {e}"),
                    }));
                    return;
                }
            };
            if read > 0 && !buf.trim().is_empty() {
                lines.push((line_no, buf));
            }
            if (read == 0 || lines.len() >= IMPORT_CHUNK) && !lines.is_empty() {
                let chunk = std::mem::replace(&mut lines, Vec::with_capacity(IMPORT_CHUNK));
                if tx.blocking_send(Ok(chunk)).is_err() {
                    return;
                }
            }
            if read == 0 {
                return;
            }
        }
    });
    rx
}

/// Imports envelope JSONL chunks (from `read_chunks`) in the caller's transaction, in
/// multi-row inserts. Positions are drawn in file order.
pub async fn import(
    tx: &mut PgConnection,
    mut chunks: tokio::sync::mpsc::Receiver<Result<Vec<(u64, String)>>>,
    max_event_bytes: usize,
    meta: &[(String, String)],
) -> Result<ImportSummary> {
    let mut state = ImportState {
        known: HashMap::new(),
        streams: StreamRows::default(),
        ids_seen: HashSet::new(),
        summary: ImportSummary::default(),
        max_event_bytes,
    };
    while let Some(chunk) = chunks.recv().await {
        state.chunk(tx, &chunk?).await?;
    }
    let mut summary = state.summary;
    summary.streams = state.streams.order.len() as u64;
    state.streams.upsert(tx).await?;
    for (key, value) in meta {
        sqlx::query(
            "INSERT INTO rewind_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    Ok(summary)
}

struct ImportState {
    known: Known,
    streams: StreamRows,
    ids_seen: HashSet<Uuid>,
    summary: ImportSummary,
    max_event_bytes: usize,
}

impl ImportState {
    async fn chunk(&mut self, tx: &mut PgConnection, lines: &[(u64, String)]) -> Result<()> {
        let mut parsed = Vec::with_capacity(lines.len());
        for (line_no, text) in lines {
            let line: Line = serde_json::from_str(text).map_err(|e| StoreError::BadLine {
                line: *line_no,
                reason: format!("not an envelope: {e}"),
            })?;
            parsed.push((*line_no, line));
        }
        // Versions of the streams this chunk is the first to touch, in one query.
        let unknown: Vec<String> = parsed
            .iter()
            .map(|(_, l)| l.stream_id.clone())
            .filter(|s| !self.known.contains_key(s))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !unknown.is_empty() {
            // One index probe a stream: its last event (a min() over stream_type would
            // walk the category index instead).
            let rows = sqlx::query(
                "SELECT s, e.stream_type, e.version FROM unnest($1::text[]) AS s \
                 LEFT JOIN LATERAL (SELECT stream_type::text, version::int8 FROM events \
                 WHERE stream_id = s ORDER BY version DESC LIMIT 1) AS e ON true",
            )
            .bind(&unknown)
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                let t: Option<String> = row.try_get(1)?;
                let v: Option<i64> = row.try_get(2)?;
                let entry = t.zip(v).map(|(t, v)| (t, v as Version));
                self.known.insert(row.try_get(0)?, entry);
            }
        }
        let given: Vec<Uuid> = parsed.iter().map(|(_, l)| l.event_id).collect();
        let stored = locate_ids(tx, &given).await?;
        let mut rows = EventRows::default();
        let mut line_numbers = Vec::with_capacity(parsed.len());
        for (line_no, line) in parsed {
            let at = |e: StoreError| e.at_line(line_no);
            validate::name("stream id", &line.stream_id).map_err(at)?;
            validate::name("event type", &line.event_type).map_err(at)?;
            let data = validate::object("data", line.data).map_err(at)?;
            let metadata = match line.metadata {
                Some(m) => validate::object("metadata", m).map_err(at)?,
                None => RawValue::from_string("{}".to_owned()).expect("valid JSON"),
            };
            validate::event_size(&data, Some(&metadata), self.max_event_bytes).map_err(at)?;
            if let Some((stream_id, version)) = stored.get(&line.event_id) {
                return Err(StoreError::DuplicateEventId {
                    event_id: line.event_id,
                    stream_id: stream_id.clone(),
                    version: *version,
                }
                .at_line(line_no));
            }
            if !self.ids_seen.insert(line.event_id) {
                return Err(StoreError::BadLine {
                    line: line_no,
                    reason: format!("event id {} appears twice in the file", line.event_id),
                });
            }
            let entry = self.known.entry(line.stream_id.clone()).or_default();
            let (known_type, version) = entry.clone().unwrap_or_else(|| {
                let t = line
                    .stream_type
                    .clone()
                    .unwrap_or_else(|| category_of(&line.stream_id).to_owned());
                (t, 0)
            });
            if line.version != version + 1 {
                return Err(StoreError::BadLine {
                    line: line_no,
                    reason: format!(
                        "stream {} is at version {version}, so the next event must be version {}, not {}",
                        line.stream_id,
                        version + 1,
                        line.version
                    ),
                });
            }
            let stream_type = line.stream_type.clone().unwrap_or(known_type.clone());
            validate::name("stream type", &stream_type).map_err(at)?;
            *entry = Some((known_type, line.version));
            let micros = sql::to_micros(&line.recorded_at);
            self.streams.set(
                &line.stream_id,
                (
                    stream_type.clone(),
                    line.version as i64,
                    line.event_type.clone(),
                    (line.version == 1).then_some(micros),
                    Some(micros),
                ),
            );
            rows.ids.push(line.event_id.to_string());
            rows.streams.push(line.stream_id);
            rows.types.push(stream_type);
            rows.event_types.push(line.event_type);
            rows.data.push(data.get().to_owned());
            rows.metadata.push(metadata.get().to_owned());
            rows.versions.push(line.version as i64);
            rows.schema_versions.push(line.schema_version as i32);
            rows.created.push(Some(micros));
            line_numbers.push(line_no);
        }
        let first_line = line_numbers.first().copied().unwrap_or(0);
        let inserted = rows
            .insert(tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::InvalidInput(reason) => StoreError::BadLine {
                    line: first_line,
                    reason: format!("(in the lines from here on) {reason}"),
                },
                other => other,
            })?;
        self.summary.events += inserted.len() as u64;
        if let (Some(first), Some(last)) = (inserted.first(), inserted.last()) {
            self.summary.first_position.get_or_insert(first.0 as u64);
            self.summary.last_position = Some(last.0 as u64);
        }
        Ok(())
    }
}

/// Saves snapshots; one already stored for the same (stream, reducer, version) is kept.
pub async fn save_snapshots(conn: &mut PgConnection, snapshots: &[Snapshot]) -> Result<()> {
    if snapshots.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO snapshots (stream_id, reducer, version, state, created_at) \
         SELECT s, r, v, st, 'epoch'::timestamptz + c * interval '1 microsecond' \
         FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[]) AS x(s, r, v, st, c) \
         ON CONFLICT DO NOTHING",
    )
    .bind(snapshots.iter().map(|s| s.stream_id.clone()).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|s| s.reducer.clone()).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|s| s.version as i64).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|s| s.state.get().to_owned()).collect::<Vec<_>>())
    .bind(snapshots.iter().map(|s| sql::to_micros(&s.created_at)).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_checkpoint(conn: &mut PgConnection, checkpoint: &Checkpoint) -> Result<()> {
    sqlx::query(
        "INSERT INTO checkpoints (name, position, state, updated_at) \
         VALUES ($1, $2, $3, 'epoch'::timestamptz + $4 * interval '1 microsecond') \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, \
         state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(&checkpoint.name)
    .bind(checkpoint.position as i64)
    .bind(checkpoint.state.get())
    .bind(sql::to_micros(&checkpoint.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_checkpoint(conn: &mut PgConnection, name: &str) -> Result<()> {
    sqlx::query("DELETE FROM checkpoints WHERE name = $1")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}
