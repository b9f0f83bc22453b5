//! Read queries on a SQLite connection. Each returns one bounded page.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, ToSql};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::store::error::Result;
use crate::store::expr::FieldKind;
use crate::store::expr::aggregate::{AggregateQuery, AggregateRow};
use crate::store::model::{
    Direction, LogQuery, Position, RecordedEvent, StoreStats, StreamInfo, StreamQuery,
    StreamsQuery, Version,
};
use crate::store::{expr, timestamp};

/// The columns `event_from_row` reads, in its order.
pub const EVENT_COLUMNS: &str = "global_position, event_id, stream_id, stream_type, event_type, \
     version, schema_version, data, metadata, recorded_at";

pub fn event_from_row(row: &Row<'_>) -> rusqlite::Result<RecordedEvent> {
    let position: i64 = row.get(0)?;
    let bad = |column: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("event at position {position}: {what}").into(),
        )
    };
    let event_id = match row.get_ref(1)? {
        ValueRef::Blob(bytes) if bytes.len() == 16 => {
            Uuid::from_slice(bytes).map_err(|e| bad(1, format!("event id: {e}")))?
        }
        // Another project's id that is no uuid (read through a view): a stable stand-in.
        ValueRef::Text(text) | ValueRef::Blob(text) => {
            let text = String::from_utf8_lossy(text);
            Uuid::parse_str(&text).unwrap_or_else(|_| crate::store::source::uuid_for_text(&text))
        }
        _ => return Err(bad(1, "event id is not a 16-byte blob".into())),
    };
    let data = RawValue::from_string(row.get(7)?).map_err(|e| bad(7, format!("data: {e}")))?;
    let metadata =
        RawValue::from_string(row.get(8)?).map_err(|e| bad(8, format!("metadata: {e}")))?;
    let recorded_at =
        timestamp::parse(text_column(row, 9)?).map_err(|e| bad(9, format!("recorded_at: {e}")))?;
    Ok(RecordedEvent {
        event_id,
        stream_id: row.get(2)?,
        stream_type: row.get(3)?,
        event_type: row.get(4)?,
        version: row.get::<_, i64>(5)? as Version,
        schema_version: row.get::<_, i64>(6)? as u32,
        data,
        metadata,
        global_position: position as Position,
        recorded_at,
        link: None,
    })
}

pub fn text_column<'r>(row: &'r Row<'_>, column: usize) -> rusqlite::Result<&'r str> {
    match row.get_ref(column)? {
        ValueRef::Text(bytes) => {
            std::str::from_utf8(bytes).map_err(|e| rusqlite::Error::Utf8Error(column, e))
        }
        other => Err(rusqlite::Error::InvalidColumnType(
            column,
            String::new(),
            other.data_type(),
        )),
    }
}

pub fn read_stream(
    conn: &Connection,
    stream_id: &str,
    q: &StreamQuery,
) -> Result<Vec<RecordedEvent>> {
    let order = order_word(q.direction);
    let matching = q.matching.as_ref().map(|m| expr::sqlite::compile(m, 4));
    let condition = matching
        .as_ref()
        .map_or(String::new(), |m| format!(" AND {}", m.sql));
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND version >= ?2 AND version <= ?3\
         {condition} ORDER BY version {order} LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let from = q.from.unwrap_or(1) as i64;
    let to = q.to.map_or(i64::MAX, |v| v.min(i64::MAX as u64) as i64);
    let limit = q.limit as i64;
    let mut params: Vec<&dyn ToSql> = vec![&stream_id, &from, &to, &limit];
    if let Some(m) = &matching {
        params.extend(m.params.iter().map(|p| p as &dyn ToSql));
    }
    let rows = stmt.query_map(params.as_slice(), event_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn order_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Forward => "ASC",
        Direction::Backward => "DESC",
    }
}

pub fn read_log(conn: &Connection, q: &LogQuery) -> Result<Vec<RecordedEvent>> {
    read_log_in(conn, q, None)
}

/// The page of the log before position `before` (exclusive; None: the end), newest first.
/// `q.after` and `q.min_position` still bound it from below.
pub fn read_log_backward(
    conn: &Connection,
    q: &LogQuery,
    before: Option<Position>,
) -> Result<Vec<RecordedEvent>> {
    read_log_in(conn, q, Some(before.unwrap_or(i64::MAX as u64)))
}

fn read_log_in(
    conn: &Connection,
    q: &LogQuery,
    before: Option<Position>,
) -> Result<Vec<RecordedEvent>> {
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE global_position > ?");
    let after = q.after.max(q.min_position.unwrap_or(0).saturating_sub(1)) as i64;
    let mut params: Vec<&dyn ToSql> = vec![&after];
    let before = before.map(|b| b.min(i64::MAX as u64) as i64);
    if let Some(before) = &before {
        sql.push_str(" AND global_position < ?");
        params.push(before);
    }
    let types: Vec<&str> = q.filter.event_types.iter().map(String::as_str).collect();
    if !types.is_empty() {
        sql.push_str(" AND event_type IN (");
        sql.push_str(&vec!["?"; types.len()].join(","));
        sql.push(')');
        params.extend(types.iter().map(|t| t as &dyn ToSql));
    }
    if let Some(category) = &q.filter.category {
        sql.push_str(" AND stream_type = ?");
        params.push(category);
    }
    if let Some(correlation) = &q.filter.correlation_id {
        sql.push_str(" AND correlation_id = ?");
        params.push(correlation);
    }
    if !q.filter.streams.is_empty() {
        sql.push_str(" AND stream_id IN (");
        sql.push_str(&vec!["?"; q.filter.streams.len()].join(","));
        sql.push(')');
        params.extend(q.filter.streams.iter().map(|s| s as &dyn ToSql));
    }
    let matching = q
        .filter
        .matching
        .as_ref()
        .map(|m| expr::sqlite::compile(m, params.len()));
    if let Some(m) = &matching {
        sql.push_str(" AND ");
        sql.push_str(&m.sql);
        params.extend(m.params.iter().map(|p| p as &dyn ToSql));
    }
    sql.push_str(if before.is_some() {
        " ORDER BY global_position DESC LIMIT ?"
    } else {
        " ORDER BY global_position LIMIT ?"
    });
    let limit = q.limit as i64;
    params.push(&limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), event_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn stream_version(conn: &Connection, stream_id: &str) -> Result<Version> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT version FROM streams WHERE stream_id = ?1")?
        .query_row([stream_id], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0) as Version)
}

pub fn stream_info(conn: &Connection, stream_id: &str) -> Result<Option<StreamInfo>> {
    let sql = format!("SELECT {STREAM_COLUMNS} FROM streams WHERE stream_id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([stream_id], stream_from_row)
        .optional()?)
}

const STREAM_COLUMNS: &str =
    "stream_id, stream_type, version, created_at, updated_at, last_event_type";

fn stream_from_row(row: &Row<'_>) -> rusqlite::Result<StreamInfo> {
    let time = |column: usize| {
        timestamp::parse(text_column(row, column)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
        })
    };
    Ok(StreamInfo {
        stream_id: row.get(0)?,
        stream_type: row.get(1)?,
        version: row.get::<_, i64>(2)? as Version,
        created_at: time(3)?,
        updated_at: time(4)?,
        last_event_type: row.get(5)?,
    })
}

pub fn list_streams(conn: &Connection, q: &StreamsQuery) -> Result<Vec<StreamInfo>> {
    list_streams_in(conn, q, None)
}

/// The streams whose id sorts before `before` (None: from the last), last first.
pub fn list_streams_backward(
    conn: &Connection,
    q: &StreamsQuery,
    before: Option<&str>,
) -> Result<Vec<StreamInfo>> {
    list_streams_in(conn, q, Some(before))
}

fn list_streams_in(
    conn: &Connection,
    q: &StreamsQuery,
    before: Option<Option<&str>>,
) -> Result<Vec<StreamInfo>> {
    let mut sql = format!("SELECT {STREAM_COLUMNS} FROM streams WHERE 1");
    let mut params: Vec<&dyn ToSql> = Vec::new();
    if let Some(Some(before)) = &before {
        sql.push_str(" AND stream_id < ?");
        params.push(before);
    }
    if let Some(category) = &q.category {
        sql.push_str(" AND stream_type = ?");
        params.push(category);
    }
    if let Some(after) = &q.after {
        sql.push_str(" AND stream_id > ?");
        params.push(after);
    }
    // Streams with a matching event: the subquery's columns are the events'.
    let matching = q
        .matching
        .as_ref()
        .map(|m| expr::sqlite::compile(m, params.len()));
    if let Some(m) = &matching {
        sql.push_str(&format!(
            " AND stream_id IN (SELECT stream_id FROM events WHERE {})",
            m.sql
        ));
        params.extend(m.params.iter().map(|p| p as &dyn ToSql));
    }
    sql.push_str(if before.is_some() {
        " ORDER BY stream_id DESC LIMIT ?"
    } else {
        " ORDER BY stream_id LIMIT ?"
    });
    let limit = q.limit as i64;
    params.push(&limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), stream_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn head_position(conn: &Connection) -> Result<Position> {
    let head: Option<i64> = conn
        .prepare_cached("SELECT max(global_position) FROM events")?
        .query_row([], |r| r.get(0))?;
    Ok(head.unwrap_or(0) as Position)
}

/// Figures in O(streams): events are never deleted and versions are consecutive, so the
/// number of events is the sum of the streams' versions.
pub fn stats(conn: &Connection) -> Result<StoreStats> {
    let (events, streams): (Option<i64>, i64) = conn
        .prepare_cached("SELECT sum(version), count(*) FROM streams")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(StoreStats {
        events: events.unwrap_or(0) as u64,
        streams: streams as u64,
        head_position: head_position(conn)?,
    })
}

pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Where an event id is stored, if anywhere.
pub fn locate_event(conn: &Connection, event_id: &Uuid) -> Result<Option<(String, Version)>> {
    let found: Option<(String, i64)> = conn
        .prepare_cached("SELECT stream_id, version FROM events WHERE event_id = ?1")?
        .query_row([event_id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(found.map(|(s, v)| (s, v as Version)))
}

/// The event with this id, if stored.
pub fn event_by_id(conn: &Connection, event_id: &Uuid) -> Result<Option<RecordedEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE event_id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([event_id.as_bytes()], event_from_row)
        .optional()?)
}

/// The events whose metadata names `event_id` as their causation id, in log order.
pub fn caused_by(conn: &Connection, event_id: &Uuid, limit: usize) -> Result<Vec<RecordedEvent>> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE causation_id = ?1 ORDER BY global_position LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params![event_id.to_string(), limit as i64],
        event_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The first event (log order) recorded at or after `at`. Scans: recorded_at has no index
/// of its own (appends would pay for it), and this is an interactive jump, not a hot path.
pub fn position_at_time(
    conn: &Connection,
    at: &chrono::DateTime<chrono::Utc>,
) -> Result<Option<Position>> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT global_position FROM events WHERE recorded_at >= ?1 ORDER BY global_position LIMIT 1")?
        .query_row([crate::store::timestamp::format(at)], |r| r.get(0))
        .optional()?;
    Ok(found.map(|p| p as Position))
}

/// Streams by last activity: `Backward` from `cursor` (exclusive) toward older streams,
/// `Forward` toward newer ones; without a cursor, from the newest (`Backward`) or the
/// oldest (`Forward`). `(updated_at, stream_id)` orders ties.
pub fn streams_by_activity(
    conn: &Connection,
    category: Option<&str>,
    cursor: Option<(&str, &str)>,
    direction: Direction,
    limit: usize,
) -> Result<Vec<StreamInfo>> {
    let mut sql = format!("SELECT {STREAM_COLUMNS} FROM streams WHERE 1");
    let mut params: Vec<&dyn ToSql> = Vec::new();
    if let Some(category) = &category {
        sql.push_str(" AND stream_type = ?");
        params.push(category);
    }
    let (compare, order) = match direction {
        Direction::Backward => ("<", "DESC"),
        Direction::Forward => (">", "ASC"),
    };
    if let Some((updated, id)) = &cursor {
        sql.push_str(&format!(" AND (updated_at, stream_id) {compare} (?, ?)"));
        params.push(updated);
        params.push(id);
    }
    sql.push_str(&format!(
        " ORDER BY updated_at {order}, stream_id {order} LIMIT ?"
    ));
    let limit = limit as i64;
    params.push(&limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), stream_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Events of the stream per day (UTC), oldest day first: `(YYYY-MM-DD, count)`.
pub fn activity_per_day(conn: &Connection, stream_id: &str) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT substr(recorded_at, 1, 10) AS day, count(*) FROM events WHERE stream_id = ?1 GROUP BY day ORDER BY day",
    )?;
    let rows = stmt.query_map([stream_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// `rewind query`: the database groups and aggregates; rows come back per group.
pub fn aggregate(conn: &Connection, q: &AggregateQuery) -> Result<Vec<AggregateRow>> {
    use rusqlite::types::Value as SqlValue;
    let compiled = expr::sqlite::aggregate(q);
    let mut stmt = conn.prepare_cached(&compiled.sql)?;
    let params: Vec<&dyn ToSql> = compiled.params.iter().map(|p| p as &dyn ToSql).collect();
    let json_group = q.group_by.as_ref().map(|f| f.kind() == FieldKind::Json);
    let value = |v: SqlValue| match v {
        SqlValue::Null => serde_json::Value::Null,
        SqlValue::Integer(i) => i.into(),
        SqlValue::Real(r) => {
            serde_json::Number::from_f64(r).map_or(serde_json::Value::Null, Into::into)
        }
        SqlValue::Text(t) => t.into(),
        SqlValue::Blob(_) => serde_json::Value::Null,
    };
    let rows = stmt.query_map(params.as_slice(), |row| {
        let group: SqlValue = row.get(0)?;
        let count: i64 = row.get(1)?;
        let answer: SqlValue = row.get(2)?;
        Ok((group, count, answer))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (group, count, answer) = row?;
        let group = match (json_group, group) {
            (None, _) => None,
            // A JSON field's group is its JSON text.
            (Some(true), SqlValue::Text(t)) => {
                Some(serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
            }
            (_, other) => Some(value(other)),
        };
        out.push(AggregateRow {
            group,
            count: count as u64,
            value: q.aggregate.field().map(|_| value(answer)),
        });
    }
    Ok(out)
}

/// Which of `ids` name a stored event.
pub fn existing_event_ids(
    conn: &Connection,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>> {
    let mut found = std::collections::HashSet::new();
    // SQLite binds at most 32,766 parameters; 500 a statement keeps the cache small.
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT event_id FROM events WHERE event_id IN ({})",
            vec!["?"; chunk.len()].join(",")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let bytes: Vec<&[u8]> = chunk.iter().map(|id| id.as_bytes().as_slice()).collect();
        let params: Vec<&dyn ToSql> = bytes.iter().map(|b| b as &dyn ToSql).collect();
        let rows = stmt.query_map(params.as_slice(), |r| r.get::<_, Vec<u8>>(0))?;
        for row in rows {
            if let Ok(id) = Uuid::from_slice(&row?) {
                found.insert(id);
            }
        }
    }
    Ok(found)
}
