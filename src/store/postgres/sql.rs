//! SQL text for a PostgreSQL store, shaped by what its database holds (rewind's schema,
//! or someone else's table of the common schema), and the decoding of its rows.
//!
//! Statements are built at run time from fixed fragments and numbered parameters: nothing
//! a user typed is ever spliced into SQL text, which is what `AssertSqlSafe` vouches for.

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Postgres, Row};
use uuid::Uuid;

use super::layout::{Layout, StreamKey};
use super::schema::Schema;
use crate::store::error::{Result, StoreError};
use crate::store::model::{Position, RecordedEvent, Snapshot, StreamInfo, Version};
use crate::store::source::SourceKind;
use crate::store::validate;

/// A timestamptz as integer microseconds since the epoch (exact; sqlx's chrono feature is
/// off, see Cargo.toml).
pub fn micros(column: &str) -> String {
    format!("round(extract(epoch FROM {column}) * 1000000)::int8")
}

/// Integer microseconds (parameter `$n`) as a timestamptz.
pub fn from_micros(param: usize) -> String {
    format!("('epoch'::timestamptz + ${param}::int8 * interval '1 microsecond')")
}

pub fn time_from_micros(micros: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Database(format!("timestamp out of range: {micros} µs")))
}

pub fn to_micros(at: &DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// Only rows whose transaction has ended, and every transaction that could still commit
/// a smaller id with it: the commit-safe horizon of docs/architecture.md.
pub const VISIBLE: &str = "tx_id < pg_snapshot_xmin(pg_current_snapshot())";

/// The statements that depend on the schema, built once per open (or migration).
#[derive(Debug, Clone)]
pub struct Statements {
    /// The columns `event_from_row` reads.
    pub event_columns: String,
    /// The events relation: rewind's table, or a foreign kind's tables as one (`layout`).
    pub events: String,
    /// The streams relation: rewind's table, or one derived from `events`.
    pub streams_source: String,
    pub stream_columns: String,
    /// Whether log order is (tx_id, position) with the visibility horizon, or position
    /// order with gap waits (a table without `tx_id`).
    pub commit_order: bool,
    /// Added to the store's own version numbers to make rewind's (from 1).
    pub version_offset: i64,
    /// The events column a category filter compares (one the store's index covers).
    pub category_column: &'static str,
    /// The schema version as an int4 expression over the events relation.
    pub schema_version_sql: String,
    stream_key: StreamKey,
    uuid_ids: bool,
}

/// A streams relation derived from the events relation (no streams table of its own).
fn derived_streams(events: &str, keyed: bool, offset: i64) -> String {
    let key = if keyed { ", stream_key" } else { "" };
    format!(
        "(SELECT stream_id{key}, min(stream_type) AS stream_type, \
         max(version) + {offset} AS version, \
         (array_agg(event_type ORDER BY version DESC))[1] AS last_event_type, \
         min(created_at) AS created_at, max(created_at) AS updated_at FROM {events} \
         GROUP BY stream_id{key}) AS streams"
    )
}

impl Statements {
    pub fn new(schema: &Schema) -> Statements {
        Statements::for_layout(&Layout::native(
            SourceKind::Rewind,
            "public",
            schema.has_tx_id(),
            schema.has_schema_version(),
        ))
        .with_streams_table(schema.streams)
    }

    /// The statements for a store kind's layout.
    pub fn for_layout(layout: &Layout) -> Statements {
        let schema_version = if layout.schema_version_text {
            "schema_version"
        } else if layout.schema_version {
            "schema_version::int4"
        } else {
            "1::int4"
        };
        let version = match layout.version_offset {
            0 => "version::int8".to_owned(),
            offset => format!("(version + {offset})::int8"),
        };
        let keyed = layout.stream_key != StreamKey::Text;
        Statements {
            // Ids, JSON and times cross in PostgreSQL's binary forms, decoded by hand
            // (`event_from_row`): no text conversion on the server.
            event_columns: format!(
                "global_position::int8, id, stream_id::text, stream_type::text, \
                 event_type::text, {version}, {schema_version}, event_data, metadata, \
                 created_at"
            ),
            events: layout.events.clone(),
            streams_source: layout
                .streams
                .clone()
                .unwrap_or_else(|| derived_streams(&layout.events, keyed, layout.version_offset)),
            stream_columns: format!(
                "stream_id::text, stream_type::text, version::int8, {}, {}, last_event_type::text",
                micros("created_at"),
                micros("updated_at")
            ),
            commit_order: layout.tx_id,
            version_offset: layout.version_offset,
            category_column: if layout.category_key {
                "category_key"
            } else {
                "stream_type"
            },
            schema_version_sql: if layout.schema_version_text {
                // Text holding a number (Emmett's): as `schema_version` parses it per row.
                "(CASE WHEN btrim(schema_version) ~ '^[0-9]{1,9}$' \
                 THEN btrim(schema_version)::int4 ELSE 1 END)"
                    .into()
            } else {
                schema_version.into()
            },
            stream_key: layout.stream_key,
            uuid_ids: layout.uuid_ids,
        }
    }

    /// rewind's own `streams` table, when the database has it.
    fn with_streams_table(mut self, present: bool) -> Statements {
        if present {
            self.streams_source = "streams".into();
        }
        self
    }

    /// `the stream is ${param}`, on the column whose index finds it.
    pub fn stream_eq(&self, param: usize) -> String {
        match self.stream_key {
            StreamKey::Text => format!("stream_id = ${param}"),
            StreamKey::ForeignText => format!("stream_key = ${param}"),
            // A text that is no uuid names no stream (rather than failing the cast).
            StreamKey::Uuid => format!(
                "stream_key = (CASE WHEN ${param} ~* \
                 '^[0-9a-f]{{8}}-?[0-9a-f]{{4}}-?[0-9a-f]{{4}}-?[0-9a-f]{{4}}-?[0-9a-f]{{12}}$' \
                 THEN ${param}::uuid END)"
            ),
        }
    }

    /// `the event id is ${param}` (a uuid as text).
    pub fn id_eq(&self, param: usize) -> String {
        if self.uuid_ids {
            format!("id = ${param}::uuid")
        } else {
            format!("id = ${param}")
        }
    }

    /// `the event id is one of ${param}` (uuids as a text array).
    pub fn id_in(&self, param: usize) -> String {
        if self.uuid_ids {
            format!("id = ANY(${param}::uuid[])")
        } else {
            format!("id = ANY(${param}::text[])")
        }
    }

    /// A version parameter in the store's own numbering.
    pub fn version_param(&self, param: usize) -> String {
        match self.version_offset {
            0 => format!("${param}"),
            offset => format!("(${param} - {offset})"),
        }
    }

    /// `max(version)` in rewind's numbering (NULL when there are no rows).
    pub fn max_version(&self) -> String {
        match self.version_offset {
            0 => "max(version)::int8".to_owned(),
            offset => format!("(max(version) + {offset})::int8"),
        }
    }

    /// The log order's sort key, ascending or descending.
    pub fn log_order(&self, descending: bool) -> &'static str {
        match (self.commit_order, descending) {
            (true, false) => "tx_id, global_position",
            (true, true) => "tx_id DESC, global_position DESC",
            (false, false) => "global_position",
            (false, true) => "global_position DESC",
        }
    }

    /// `(tx_id, global_position) <op> (the event at ${param})`: a bound on an event in log
    /// order. A cursor names a stored event (`exact`: no row, no match). A filter's
    /// position may name none: then the nearest event takes its place, the next one up for
    /// a lower bound (`>`, `>=`), the next one down for an upper bound.
    pub fn log_bound(&self, op: &str, param: usize, exact: bool) -> String {
        if !self.commit_order {
            return format!("global_position {op} ${param}");
        }
        let tx = if exact {
            format!(
                "(SELECT tx_id FROM {} WHERE global_position = ${param})",
                self.events
            )
        } else {
            let (compare, order) = if op.starts_with('>') {
                (">=", "ASC")
            } else {
                ("<=", "DESC")
            };
            format!(
                "coalesce((SELECT tx_id FROM {} WHERE global_position {compare} ${param} \
                 ORDER BY global_position {order} LIMIT 1), '0'::xid8)",
                self.events
            )
        };
        format!("(tx_id, global_position) {op} ({tx}, ${param})")
    }

    /// The position of the last event in log order that readers may see.
    pub fn head(&self) -> String {
        if self.commit_order {
            format!(
                "SELECT global_position::int8 FROM {} WHERE {VISIBLE} \
                 ORDER BY tx_id DESC, global_position DESC LIMIT 1",
                self.events
            )
        } else {
            format!("SELECT max(global_position)::int8 FROM {}", self.events)
        }
    }
}

/// A parameter of a statement built at run time.
pub enum Bind {
    I64(i64),
    Text(String),
    Texts(Vec<String>),
}

/// SQL with numbered parameters, grown clause by clause.
#[derive(Default)]
pub struct Built {
    pub sql: String,
    binds: Vec<Bind>,
}

impl Built {
    pub fn new(sql: impl Into<String>) -> Built {
        Built {
            sql: sql.into(),
            binds: Vec::new(),
        }
    }

    /// Adds a parameter and returns its number.
    pub fn bind(&mut self, bind: Bind) -> usize {
        self.binds.push(bind);
        self.binds.len()
    }

    pub fn push(&mut self, text: &str) {
        self.sql.push_str(text);
    }

    pub fn query(self) -> Query<'static, Postgres, PgArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.sql));
        for bind in self.binds {
            query = match bind {
                Bind::I64(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
                Bind::Texts(v) => query.bind(v),
            };
        }
        query
    }
}

/// PostgreSQL's jsonb text has a space after `:` and `,`; rewind's stored form is compact.
pub fn compact_json(text: &str, what: &str, position: i64) -> Result<Box<RawValue>> {
    let text = validate::minified(text).unwrap_or_else(|| text.to_owned());
    RawValue::from_string(text)
        .map_err(|e| StoreError::Database(format!("event at position {position}: {what}: {e}")))
}

pub fn event_from_row(row: &PgRow) -> Result<RecordedEvent> {
    let position: i64 = row.try_get(0)?;
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Database(format!("event at position {position}: {what}: {e}"))
    };
    let raw = |index: usize| -> Result<&[u8]> {
        row.try_get_raw(index)?
            .as_bytes()
            .map_err(|e| bad("a column is null", &e))
    };
    // uuid: 16 bytes; an id column of another type arrives as its text.
    let id = raw(1)?;
    let event_id = match id.len() {
        16 => Uuid::from_slice(id).map_err(|e| bad("event id", &e))?,
        _ => {
            let text = std::str::from_utf8(id).map_err(|e| bad("event id", &e))?;
            Uuid::parse_str(text.trim())
                .unwrap_or_else(|_| crate::store::source::uuid_for_text(text))
        }
    };
    // timestamptz (and timestamp): microseconds since 2000-01-01, big-endian.
    let created: [u8; 8] = raw(9)?
        .try_into()
        .map_err(|_| bad("created_at", &"not a binary timestamp"))?;
    let micros = i64::from_be_bytes(created).saturating_add(POSTGRES_EPOCH_MICROS);
    Ok(RecordedEvent {
        event_id,
        stream_id: row.try_get(2)?,
        stream_type: row.try_get(3)?,
        event_type: row.try_get(4)?,
        version: row.try_get::<i64, _>(5)? as Version,
        schema_version: schema_version(row)?,
        data: json_column(raw(7)?, "data", position)?,
        metadata: json_column(raw(8)?, "metadata", position)?,
        global_position: position as Position,
        recorded_at: time_from_micros(micros)?,
        link: None,
    })
}

/// Column 6: an int4, or (Emmett's `message_schema_version`) text holding a number, parsed
/// here for the rows returned rather than in SQL for every row a sort passes over.
fn schema_version(row: &PgRow) -> Result<u32> {
    use sqlx::{Column, TypeInfo};
    if row.columns()[6].type_info().name() == "INT4" {
        return Ok(row.try_get::<i32, _>(6)?.max(0) as u32);
    }
    Ok(row
        .try_get::<String, _>(6)?
        .trim()
        .parse::<u32>()
        .unwrap_or(1))
}

/// 2000-01-01T00:00:00Z in microseconds since the Unix epoch.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A jsonb value in binary form (a version byte, 1, then its text) or json (the text).
fn json_column(bytes: &[u8], what: &str, position: i64) -> Result<Box<RawValue>> {
    let text = match bytes.split_first() {
        Some((1, rest)) => rest,
        _ => bytes,
    };
    let text = std::str::from_utf8(text)
        .map_err(|e| StoreError::Database(format!("event at position {position}: {what}: {e}")))?;
    compact_json(text, what, position)
}

pub fn stream_from_row(row: &PgRow) -> Result<StreamInfo> {
    Ok(StreamInfo {
        stream_id: row.try_get(0)?,
        stream_type: row.try_get(1)?,
        version: row.try_get::<i64, _>(2)? as Version,
        created_at: time_from_micros(row.try_get(3)?)?,
        updated_at: time_from_micros(row.try_get(4)?)?,
        last_event_type: row.try_get(5)?,
    })
}

pub const SNAPSHOT_COLUMNS: &str = "stream_id, reducer, version, state, \
    round(extract(epoch FROM created_at) * 1000000)::int8";

pub fn snapshot_from_row(row: &PgRow) -> Result<Snapshot> {
    let state: String = row.try_get(3)?;
    Ok(Snapshot {
        stream_id: row.try_get(0)?,
        reducer: row.try_get(1)?,
        version: row.try_get::<i64, _>(2)? as Version,
        state: RawValue::from_string(state)
            .map_err(|e| StoreError::Database(format!("snapshot state: {e}")))?,
        created_at: time_from_micros(row.try_get(4)?)?,
    })
}
