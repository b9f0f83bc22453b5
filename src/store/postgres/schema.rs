//! What a PostgreSQL database holds (detected, never changed, when a store is opened) and
//! the one migration that brings it to rewind's schema. Reading works on any table of the
//! common schema; writing needs rewind's additive columns and tables.

use std::collections::HashSet;

use sqlx::{Executor, PgConnection, PgPool, Row};

use crate::store::error::{Result, StoreError};

/// The migrations, in order: version N is the first N applied.
const MIGRATIONS: [&str; 2] = [
    include_str!("../migrations/postgres_001_initial.sql"),
    include_str!("../migrations/postgres_002_set_based_append.sql"),
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The common schema's columns: what reading needs from someone else's `events` table.
const REQUIRED_COLUMNS: [&str; 9] = [
    "id",
    "stream_id",
    "stream_type",
    "event_type",
    "event_data",
    "metadata",
    "version",
    "global_position",
    "created_at",
];

/// Serializes migrations across processes (any constant; "rewind" in ASCII).
const MIGRATION_LOCK: i64 = 0x7265_7769_6e64;

/// What the database holds, as found when the store was opened (or last migrated).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub events: bool,
    columns: HashSet<String>,
    pub streams: bool,
    pub snapshots: bool,
    pub checkpoints: bool,
    pub meta: bool,
    /// rewind's schema version, when rewind created or migrated this database.
    pub version: Option<i64>,
}

impl Schema {
    /// Reads the catalog of the connection's current schema. Changes nothing.
    pub async fn detect(pool: &PgPool) -> Result<Schema> {
        let rows = sqlx::query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name IN \
             ('events', 'streams', 'snapshots', 'checkpoints', 'rewind_meta', 'rewind_schema')",
        )
        .fetch_all(pool)
        .await?;
        let mut schema = Schema::default();
        let mut versioned = false;
        for row in rows {
            let table: String = row.try_get(0)?;
            let column: String = row.try_get(1)?;
            match table.as_str() {
                "events" => {
                    schema.events = true;
                    schema.columns.insert(column);
                }
                "streams" => schema.streams = true,
                "snapshots" => schema.snapshots = true,
                "checkpoints" => schema.checkpoints = true,
                "rewind_meta" => schema.meta = true,
                "rewind_schema" => versioned = true,
                _ => {}
            }
        }
        if versioned {
            let version: Option<i32> = sqlx::query("SELECT max(version) FROM rewind_schema")
                .fetch_one(pool)
                .await?
                .try_get(0)?;
            schema.version = version.map(i64::from);
        }
        Ok(schema)
    }

    /// rewind's own schema at this build's version, as `migrate` leaves it.
    pub fn rewind() -> Schema {
        Schema {
            events: true,
            columns: REQUIRED_COLUMNS
                .iter()
                .chain(&["tx_id", "schema_version"])
                .map(|c| c.to_string())
                .collect(),
            streams: true,
            snapshots: true,
            checkpoints: true,
            meta: true,
            version: Some(SCHEMA_VERSION),
        }
    }

    /// A foreign store's: events to read (through its layout), none of rewind's tables.
    pub fn foreign() -> Schema {
        Schema {
            events: true,
            ..Schema::default()
        }
    }

    /// rewind's tables present, qualified by `schema` (for `rewind info`).
    pub fn tables(&self, schema: &str) -> Vec<String> {
        [
            (self.events, "events"),
            (self.streams, "streams"),
            (self.snapshots, "snapshots"),
            (self.checkpoints, "checkpoints"),
            (self.meta, "rewind_meta"),
            (self.version.is_some(), "rewind_schema"),
        ]
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, table)| format!("{schema}.{table}"))
        .collect()
    }

    /// The commit-order column: without it the log is read by position, waiting at gaps.
    pub fn has_tx_id(&self) -> bool {
        self.columns.contains("tx_id")
    }

    pub fn has_schema_version(&self) -> bool {
        self.columns.contains("schema_version")
    }

    /// Common-schema columns the `events` table lacks.
    pub fn missing_columns(&self) -> Vec<&'static str> {
        REQUIRED_COLUMNS
            .into_iter()
            .filter(|c| !self.columns.contains(*c))
            .collect()
    }

    /// Whether rewind's own schema is in place at this build's version.
    pub fn is_current(&self) -> bool {
        self.version == Some(SCHEMA_VERSION)
    }
}

/// Applies the migrations the database lacks, in one transaction, serialized across
/// processes. Additive: an existing `events` table keeps its rows and columns.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await?;
    let conn: &mut PgConnection = &mut tx;
    let versioned: bool = conn
        .fetch_one("SELECT to_regclass('rewind_schema') IS NOT NULL")
        .await?
        .try_get(0)?;
    let version: Option<i32> = if versioned {
        conn.fetch_one("SELECT max(version) FROM rewind_schema")
            .await?
            .try_get(0)?
    } else {
        None
    };
    if let Some(found) = version.map(i64::from) {
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: "the PostgreSQL database".into(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(tx.commit().await?);
        }
    }
    let applied = version.map_or(0, |v| v.max(0) as usize);
    for migration in MIGRATIONS[applied..].iter().copied() {
        sqlx::raw_sql(migration).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS rewind_schema (version integer NOT NULL); \
         DELETE FROM rewind_schema;",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO rewind_schema (version) VALUES ($1)")
        .bind(SCHEMA_VERSION as i32)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
