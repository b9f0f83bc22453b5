//! Other projects' SQLite stores (Emmett's `emt_messages`), read through temporary views
//! named as rewind's tables: each reader connection gets `temp.events` and `temp.streams`
//! over the foreign table, so every read query runs unchanged and nothing is written to
//! the file (temporary objects live in the connection's own memory). SQLite flattens the
//! views into each query, so the foreign table's indexes still apply.

use rusqlite::Connection;

use crate::store::error::{Result, StoreError};
use crate::store::source::SourceKind;

/// Which kind the file holds: rewind's own (or a new file), or a foreign one.
pub fn detect(conn: &Connection, forced: Option<SourceKind>) -> Result<SourceKind> {
    let has = |table: &str| -> Result<bool> {
        Ok(conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )? > 0)
    };
    let emmett = has("emt_messages")?;
    match forced {
        Some(SourceKind::Emmett) if emmett => Ok(SourceKind::Emmett),
        Some(SourceKind::Emmett) => Err(StoreError::InvalidInput(
            "--source emmett: no emt_messages table in this SQLite file".into(),
        )),
        Some(SourceKind::Rewind) | None if !emmett || has("events")? => Ok(SourceKind::Rewind),
        Some(SourceKind::Rewind) => Ok(SourceKind::Rewind),
        None => Ok(SourceKind::Emmett),
        Some(other) => Err(StoreError::InvalidInput(format!(
            "--source {other}: a PostgreSQL kind; this is a SQLite file"
        ))),
    }
}

/// Emmett's messages as rewind's `events`: versions are its stream positions (from 1),
/// times its `created` (UTC, seconds) with microseconds, ids its text uuids as 16 bytes.
const EMMETT_EVENTS: &str = "CREATE TEMP VIEW IF NOT EXISTS events AS SELECT \
    global_position, \
    coalesce(unhex(replace(message_id, '-', '')), message_id) AS event_id, \
    stream_id, \
    CASE WHEN instr(stream_id, '-') > 0 THEN substr(stream_id, 1, instr(stream_id, '-') - 1) \
         ELSE stream_id END AS stream_type, \
    message_type AS event_type, \
    stream_position AS version, \
    CASE WHEN message_schema_version GLOB '[0-9]*' AND length(message_schema_version) < 10 \
         THEN CAST(message_schema_version AS INTEGER) ELSE 1 END AS schema_version, \
    message_data AS data, \
    CASE WHEN is_archived THEN json_set(message_metadata, '$.emmett_archived', json('true')) \
         ELSE message_metadata END AS metadata, \
    json_extract(message_metadata, '$.correlation_id') AS correlation_id, \
    json_extract(message_metadata, '$.causation_id') AS causation_id, \
    strftime('%Y-%m-%dT%H:%M:%f', created) || '000Z' AS recorded_at \
    FROM main.emt_messages";

/// Streams derived from the events view.
const DERIVED_STREAMS: &str = "CREATE TEMP VIEW IF NOT EXISTS streams AS SELECT \
    stream_id, min(stream_type) AS stream_type, max(version) AS version, \
    min(recorded_at) AS created_at, max(recorded_at) AS updated_at, \
    (SELECT l.event_type FROM events l WHERE l.stream_id = e.stream_id \
     ORDER BY l.version DESC LIMIT 1) AS last_event_type \
    FROM events e GROUP BY stream_id";

/// Gives a connection on a foreign file rewind's table names, as temporary views.
pub fn install_views(conn: &Connection, kind: SourceKind) -> Result<()> {
    match kind {
        SourceKind::Emmett => {
            conn.execute_batch(EMMETT_EVENTS)?;
            conn.execute_batch(DERIVED_STREAMS)?;
            Ok(())
        }
        _ => Ok(()),
    }
}
