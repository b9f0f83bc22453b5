//! The PostgreSQL dialect of each store kind: how its tables map onto rewind's envelope.
//!
//! Every read query is written once, against two relations with the common schema's
//! column names: `events` (global_position, id, stream_id, stream_type, event_type,
//! version, schema_version, event_data, metadata, created_at, and tx_id where the store
//! keeps a transaction id) and `streams`. For rewind's own tables they are the tables; for
//! another kind they are subqueries over its tables, which PostgreSQL flattens into the
//! outer query, so a filter on `stream_id` or an order by `global_position` still uses the
//! foreign table's indexes. Versions are kept in the store's own numbering inside the
//! relation (so range scans stay index scans) and shifted by `version_offset` where they
//! cross to and from rewind (Message DB and Eventuous count from 0).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{PgPool, Row};

use crate::store::error::{Result, StoreError};
use crate::store::source::{SourceKind, SourceMapping};

/// How a stream id compares with a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKey {
    /// The relation's `stream_id` itself (text).
    Text,
    /// The relation's `stream_key`, a uuid column (Marten's default): a parameter that is
    /// not a uuid matches nothing.
    Uuid,
    /// The relation's `stream_key`, text (the foreign column, so its index applies).
    ForeignText,
}

/// A store kind's tables as found in one database.
#[derive(Debug, Clone)]
pub struct Layout {
    pub kind: SourceKind,
    /// The schema (namespace) the tables are in.
    pub schema: String,
    /// The tables read, qualified.
    pub tables: Vec<String>,
    /// The events relation (a table name, or `(SELECT …) AS events`).
    pub events: String,
    /// The streams relation, or None to derive it from `events`.
    pub streams: Option<String>,
    pub version_offset: i64,
    /// Whether `events` has `tx_id` (xid8): the commit-safe horizon applies.
    pub tx_id: bool,
    pub schema_version: bool,
    /// Whether `schema_version` is text holding a number (Emmett's), parsed per row read.
    pub schema_version_text: bool,
    pub stream_key: StreamKey,
    /// Whether `events.id` is a uuid column (else text holding one).
    pub uuid_ids: bool,
    /// Whether `events` has `category_key`, the store's own category expression, which
    /// category filters compare so that its index applies (computed only when compared:
    /// PostgreSQL drops the unused columns of a flattened subquery).
    pub category_key: bool,
    /// SQL giving (stream id, category) for the ids in `$1` (an array), where the stream
    /// type lives beside the events rather than in each row (Marten's mt_streams).
    pub stream_types: Option<String>,
}

/// What the catalog says: schema -> table -> columns (with their types).
#[derive(Debug, Default)]
pub struct Catalog {
    tables: BTreeMap<(String, String), BTreeMap<String, String>>,
    current: String,
}

/// The tables detection looks at, in any schema.
const CANDIDATES: &str = "'events', 'streams', 'messages', 'emt_messages', 'emt_streams', \
    'mt_events', 'mt_streams', 'rewind_schema'";

impl Catalog {
    pub async fn read(pool: &PgPool, extra_table: Option<&str>) -> Result<Catalog> {
        let extra = extra_table
            .map(|t| t.rsplit('.').next().unwrap_or(t).to_owned())
            .unwrap_or_default();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT table_schema::text, table_name::text, column_name::text, data_type::text, \
             current_schema()::text FROM information_schema.columns \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             AND (table_name IN ({CANDIDATES}) OR table_name = $1)"
        )))
        .bind(extra)
        .fetch_all(pool)
        .await?;
        let mut catalog = Catalog::default();
        for row in rows {
            let schema: String = row.try_get(0)?;
            let table: String = row.try_get(1)?;
            catalog
                .tables
                .entry((schema, table))
                .or_default()
                .insert(row.try_get(2)?, row.try_get(3)?);
            catalog.current = row.try_get(4)?;
        }
        if catalog.current.is_empty() {
            catalog.current = sqlx::query("SELECT coalesce(current_schema()::text, 'public')")
                .fetch_one(pool)
                .await?
                .try_get(0)?;
        }
        Ok(catalog)
    }

    fn columns(&self, schema: &str, table: &str) -> Option<&BTreeMap<String, String>> {
        self.tables.get(&(schema.to_owned(), table.to_owned()))
    }

    fn has(&self, schema: &str, table: &str, columns: &[&str]) -> bool {
        self.columns(schema, table)
            .is_some_and(|c| columns.iter().all(|n| c.contains_key(*n)))
    }

    fn schemas_with(&self, table: &str, columns: &[&str]) -> Vec<String> {
        let mut found: Vec<String> = self
            .tables
            .keys()
            .filter(|(s, t)| t == table && self.has(s, t, columns))
            .map(|(s, _)| s.clone())
            .collect();
        // The connection's own schema first.
        found.sort_by_key(|s| *s != self.current);
        found
    }

    pub fn current_schema(&self) -> &str {
        &self.current
    }

    /// Whether the current schema has an `events` table (rewind's or the common one).
    pub fn has_events(&self) -> bool {
        self.columns(&self.current, "events").is_some()
    }

    /// Every foreign kind whose tables are here, with the schema it is in, in the order
    /// detection prefers them.
    pub fn foreign_kinds(&self) -> Vec<(SourceKind, String)> {
        let mut found = Vec::new();
        for schema in self.schemas_with("emt_messages", EMMETT_COLUMNS) {
            found.push((SourceKind::Emmett, schema));
        }
        for schema in self.schemas_with("mt_events", MARTEN_COLUMNS) {
            if self.columns(&schema, "mt_streams").is_some() {
                found.push((SourceKind::Marten, schema));
            }
        }
        for schema in self.schemas_with("messages", MESSAGE_DB_COLUMNS) {
            found.push((SourceKind::MessageDb, schema));
        }
        for schema in self.schemas_with("messages", EVENTUOUS_COLUMNS) {
            if self.has(&schema, "streams", &["stream_id", "stream_name"]) {
                found.push((SourceKind::Eventuous, schema));
            }
        }
        found
    }
}

const MESSAGE_DB_COLUMNS: &[&str] = &[
    "global_position",
    "position",
    "time",
    "stream_name",
    "type",
    "data",
    "metadata",
    "id",
];
const EMMETT_COLUMNS: &[&str] = &[
    "stream_id",
    "stream_position",
    "global_position",
    "transaction_id",
    "message_type",
    "message_data",
    "message_metadata",
    "message_id",
    "created",
];
const MARTEN_COLUMNS: &[&str] = &[
    "seq_id",
    "id",
    "stream_id",
    "version",
    "data",
    "type",
    "timestamp",
];
const EVENTUOUS_COLUMNS: &[&str] = &[
    "message_id",
    "message_type",
    "stream_id",
    "stream_position",
    "global_position",
    "json_data",
    "created",
];

/// `"name"`, with quotes inside doubled: catalog names spliced into SQL as identifiers.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.table`, each part quoted.
fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// A table name from config (`table` or `schema.table`), quoted.
fn qualified_config(name: &str) -> (String, String) {
    match name.split_once('.') {
        Some((schema, table)) => (schema.to_owned(), qualified(schema, table)),
        None => (String::new(), ident(name)),
    }
}

impl Layout {
    /// rewind's own tables or the common schema: the relations are the tables.
    pub fn native(kind: SourceKind, schema: &str, tx_id: bool, schema_version: bool) -> Layout {
        Layout {
            kind,
            schema: schema.to_owned(),
            tables: vec![qualified(schema, "events")],
            events: "events".into(),
            streams: None,
            version_offset: 0,
            tx_id,
            schema_version,
            schema_version_text: false,
            stream_key: StreamKey::Text,
            uuid_ids: true,
            category_key: false,
            stream_types: None,
        }
    }

    /// A foreign kind's layout with the defaults most kinds share: versions from 1, no
    /// transaction id, uuid event ids, stream ids compared on the foreign column.
    fn base(kind: SourceKind, schema: &str, tables: Vec<String>, events: String) -> Layout {
        Layout {
            kind,
            schema: schema.to_owned(),
            tables,
            events,
            streams: None,
            version_offset: 0,
            tx_id: false,
            schema_version: true,
            schema_version_text: false,
            stream_key: StreamKey::ForeignText,
            uuid_ids: true,
            category_key: false,
            stream_types: None,
        }
    }

    /// The layout of a foreign kind found in `schema`.
    pub fn foreign(kind: SourceKind, schema: &str, catalog: &Catalog) -> Result<Layout> {
        let q = |t: &str| qualified(schema, t);
        let layout = match kind {
            // The category is the part before the first `-`, as Message DB's own
            // category() says; filters compare that function's result, which its
            // category index holds (a PL/pgSQL call a row would slow every read).
            SourceKind::MessageDb => Layout {
                version_offset: 1,
                category_key: true,
                ..Layout::base(
                    kind,
                    schema,
                    vec![q("messages")],
                    format!(
                        "(SELECT global_position, id, stream_name AS stream_id, \
                     split_part(stream_name, '-', 1) AS stream_type, \
                     {s}.category(stream_name::varchar) AS category_key, type AS event_type, \
                     position AS version, 1 AS schema_version, \
                     coalesce(data, '{{}}'::jsonb) AS event_data, \
                     coalesce(metadata, '{{}}'::jsonb) AS metadata, \
                     (time AT TIME ZONE 'UTC') AS created_at, stream_name AS stream_key \
                     FROM {m}) AS events",
                        s = ident(schema),
                        m = q("messages"),
                    ),
                )
            },
            SourceKind::Emmett => Layout {
                tx_id: true,
                schema_version_text: true,
                uuid_ids: false,
                ..Layout::base(
                    kind,
                    schema,
                    vec![q("emt_messages"), q("emt_streams")],
                    format!(
                        "(SELECT global_position, message_id AS id, stream_id, \
                     split_part(stream_id, '-', 1) AS stream_type, message_type AS event_type, \
                     stream_position AS version, \
                     message_schema_version AS schema_version, \
                     message_data AS event_data, \
                     CASE WHEN is_archived THEN message_metadata || '{{\"emmett_archived\": true}}'::jsonb \
                     ELSE message_metadata END AS metadata, \
                     created AS created_at, transaction_id AS tx_id, stream_id AS stream_key \
                     FROM {m}) AS events",
                        m = q("emt_messages"),
                    ),
                )
            },
            SourceKind::Marten => {
                let columns = catalog
                    .columns(schema, "mt_events")
                    .cloned()
                    .unwrap_or_default();
                let uuid = columns.get("stream_id").is_some_and(|t| t == "uuid");
                let optional = |c: &str| {
                    if columns.contains_key(c) {
                        format!("e.{}", ident(c))
                    } else {
                        "NULL".into()
                    }
                };
                let headers = if columns.contains_key("headers") {
                    "coalesce(e.headers, '{}'::jsonb)"
                } else {
                    "'{}'::jsonb"
                };
                let archived = if columns.contains_key("is_archived") {
                    "coalesce(e.is_archived, false)"
                } else {
                    "false"
                };
                // Metadata from Marten's columns, built only where a row has any (a
                // jsonb built per row would cost more than reading it).
                let extra = format!(
                    "jsonb_strip_nulls(jsonb_build_object('correlation_id', {corr}, \
                     'causation_id', {cause}, 'tenant_id', {tenant}, \
                     'marten_archived', CASE WHEN {archived} THEN true END))",
                    corr = optional("correlation_id"),
                    cause = optional("causation_id"),
                    tenant = optional("tenant_id"),
                );
                let plain = format!(
                    "{corr} IS NULL AND {cause} IS NULL AND NOT {archived} \
                     AND coalesce({tenant}, '*DEFAULT*') = '*DEFAULT*'",
                    corr = optional("correlation_id"),
                    cause = optional("causation_id"),
                    tenant = optional("tenant_id"),
                );
                Layout {
                    kind,
                    schema: schema.to_owned(),
                    tables: vec![q("mt_events"), q("mt_streams")],
                    // The stream's type is the aggregate's, in mt_streams: looked up for
                    // the rows read (`stream_types`), not joined to every row a query
                    // passes over; a category filter compares it through `category_key`.
                    events: format!(
                        "(SELECT e.seq_id AS global_position, e.id, e.stream_id::text AS stream_id, \
                         split_part(e.stream_id::text, '-', 1) AS stream_type, \
                         coalesce((SELECT nullif(ms.type, '') FROM {streams} ms \
                         WHERE ms.id = e.stream_id LIMIT 1), split_part(e.stream_id::text, '-', 1)) \
                         AS category_key, e.type AS event_type, e.version, 1 AS schema_version, \
                         e.data AS event_data, \
                         CASE WHEN {plain} THEN {headers} ELSE {headers} || {extra} END AS metadata, \
                         e.timestamp AS created_at, e.stream_id AS stream_key \
                         FROM {events} e) AS events",
                        events = q("mt_events"),
                        streams = q("mt_streams"),
                    ),
                    stream_types: Some(format!(
                        "SELECT id::text, coalesce(nullif(type, ''), split_part(id::text, '-', 1)) \
                         FROM {} WHERE id = ANY($1::{}[])",
                        q("mt_streams"),
                        if uuid { "uuid" } else { "text" }
                    )),
                    streams: Some(format!(
                        "(SELECT s.id::text AS stream_id, s.id AS stream_key, \
                         coalesce(nullif(s.type, ''), split_part(s.id::text, '-', 1)) AS stream_type, \
                         s.version, (SELECT e.type FROM {events} e WHERE e.stream_id = s.id \
                         ORDER BY e.version DESC LIMIT 1) AS last_event_type, \
                         s.created AS created_at, s.timestamp AS updated_at \
                         FROM {streams} s WHERE s.version IS NOT NULL) AS streams",
                        events = q("mt_events"),
                        streams = q("mt_streams"),
                    )),
                    version_offset: 0,
                    tx_id: false,
                    schema_version: true,
                    schema_version_text: false,
                    stream_key: if uuid {
                        StreamKey::Uuid
                    } else {
                        StreamKey::ForeignText
                    },
                    uuid_ids: true,
                    category_key: true,
                }
            }
            SourceKind::Eventuous => Layout {
                version_offset: 1,
                ..Layout::base(
                    kind,
                    schema,
                    vec![q("messages"), q("streams")],
                    format!(
                        "(SELECT m.global_position, m.message_id AS id, st.stream_name::text AS stream_id, \
                     split_part(st.stream_name, '-', 1) AS stream_type, \
                     m.message_type AS event_type, m.stream_position AS version, \
                     1 AS schema_version, m.json_data AS event_data, \
                     coalesce(m.json_metadata, '{{}}'::jsonb) AS metadata, \
                     (m.created AT TIME ZONE 'UTC') AS created_at, st.stream_name AS stream_key \
                     FROM {m} m JOIN {s} st ON st.stream_id = m.stream_id) AS events",
                        m = q("messages"),
                        s = q("streams"),
                    ),
                )
            },
            SourceKind::Rewind | SourceKind::Common | SourceKind::Custom => {
                return Err(StoreError::InvalidInput(format!(
                    "{kind} is not a foreign kind"
                )));
            }
        };
        Ok(layout)
    }

    /// A table mapped by config.toml's `[source]`.
    pub fn custom(mapping: &SourceMapping, current_schema: &str) -> Layout {
        let (schema, table) = qualified_config(&mapping.table);
        let c = |name: &str| ident(name);
        let stream = c(&mapping.stream);
        let category = mapping
            .category
            .clone()
            .unwrap_or_else(|| format!("split_part({stream}::text, '-', 1)"));
        let metadata = mapping
            .metadata
            .as_deref()
            .map(|m| format!("coalesce({}::jsonb, '{{}}'::jsonb)", c(m)))
            .unwrap_or_else(|| "'{}'::jsonb".into());
        Layout {
            kind: SourceKind::Custom,
            schema: if schema.is_empty() {
                current_schema.to_owned()
            } else {
                schema
            },
            tables: vec![table.clone()],
            events: format!(
                "(SELECT {position} AS global_position, {id} AS id, {stream}::text AS stream_id, \
                 ({category})::text AS stream_type, {etype}::text AS event_type, \
                 {version} AS version, 1 AS schema_version, {data}::jsonb AS event_data, \
                 {metadata} AS metadata, {time}::timestamptz AS created_at, {stream} AS stream_key \
                 FROM {table}) AS events",
                position = c(&mapping.position),
                id = c(&mapping.id),
                etype = c(&mapping.event_type),
                version = c(&mapping.version),
                data = c(&mapping.data),
                time = c(&mapping.time),
            ),
            streams: None,
            version_offset: 1 - mapping.first_version,
            tx_id: false,
            schema_version: false,
            schema_version_text: false,
            stream_key: StreamKey::ForeignText,
            uuid_ids: false,
            category_key: false,
            stream_types: None,
        }
    }

    /// Picks the layout for `forced` (from `--source`) or by what the catalog holds:
    /// rewind's own or a common `events` table in the connection's schema first, then the
    /// foreign kinds. None: nothing rewind can read is here.
    pub fn detect(
        catalog: &Catalog,
        forced: Option<SourceKind>,
        mapping: Option<&SourceMapping>,
    ) -> Result<Option<Layout>> {
        let schema = catalog.current_schema().to_owned();
        let foreign = catalog.foreign_kinds();
        let find_foreign = |kind: SourceKind| {
            foreign
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, schema)| schema.clone())
        };
        match forced {
            Some(SourceKind::Custom) => match mapping {
                Some(mapping) => Ok(Some(Layout::custom(mapping, &schema))),
                None => Err(StoreError::InvalidInput(
                    "--source custom needs a [source] section in config.toml (table and columns)"
                        .into(),
                )),
            },
            Some(kind @ (SourceKind::Rewind | SourceKind::Common)) => {
                if catalog.has_events() {
                    Ok(None)
                } else {
                    Err(StoreError::InvalidInput(format!(
                        "--source {kind}: no events table in schema {schema}"
                    )))
                }
            }
            Some(kind) => match find_foreign(kind) {
                Some(found) => Ok(Some(Layout::foreign(kind, &found, catalog)?)),
                None => Err(StoreError::InvalidInput(format!(
                    "--source {kind}: no {} tables in this database",
                    kind.title()
                ))),
            },
            None => {
                if let Some(mapping) = mapping {
                    return Ok(Some(Layout::custom(mapping, &schema)));
                }
                if catalog.has_events() {
                    return Ok(None);
                }
                match foreign.first() {
                    Some((kind, found)) => Ok(Some(Layout::foreign(*kind, found, catalog)?)),
                    None => Ok(None),
                }
            }
        }
    }

    /// The other kinds found beside the chosen one (for `rewind info`).
    pub fn others(catalog: &Catalog, chosen: SourceKind) -> Vec<String> {
        let mut names: BTreeSet<String> = catalog
            .foreign_kinds()
            .into_iter()
            .filter(|(k, _)| *k != chosen)
            .map(|(k, s)| format!("{} (schema {s})", k.name()))
            .collect();
        if chosen != SourceKind::Rewind && chosen != SourceKind::Common && catalog.has_events() {
            names.insert(format!("common (schema {})", catalog.current_schema()));
        }
        names.into_iter().collect()
    }
}
