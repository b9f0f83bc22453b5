//! Snapshot rows, and the lookups time travel needs (a version from a time or position).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, Transaction, params};
use serde_json::value::RawValue;

use super::read::text_column;
use crate::store::error::Result;
use crate::store::model::{Checkpoint, Position, Snapshot, SnapshotInfo, SnapshotsQuery, Version};
use crate::store::timestamp;

/// The highest version of the stream recorded at or before `at` (0: none).
pub fn version_at_time(conn: &Connection, stream_id: &str, at: &DateTime<Utc>) -> Result<Version> {
    // Scans the stream from its end: recorded_at need not grow with the version (imports
    // keep the file's times), so no binary search is safe.
    let version: Option<i64> = conn
        .prepare_cached(
            "SELECT version FROM events WHERE stream_id = ?1 AND recorded_at <= ?2 ORDER BY version DESC LIMIT 1",
        )?
        .query_row(params![stream_id, timestamp::format(at)], |r| r.get(0))
        .optional()?;
    Ok(version.unwrap_or(0) as Version)
}

/// The highest version of the stream at or below global position `position` (0: none).
pub fn version_at_position(
    conn: &Connection,
    stream_id: &str,
    position: Position,
) -> Result<Version> {
    // A stream's positions grow with its versions, and the (stream_id, version) index
    // carries the rowid (the position): this reads the index alone.
    let version: Option<i64> = conn
        .prepare_cached(
            "SELECT max(version) FROM events WHERE stream_id = ?1 AND global_position <= ?2",
        )?
        .query_row(
            params![stream_id, position.min(i64::MAX as u64) as i64],
            |r| r.get(0),
        )?;
    Ok(version.unwrap_or(0) as Version)
}

pub fn snapshot_at_or_below(
    conn: &Connection,
    stream_id: &str,
    reducer: &str,
    version: Version,
) -> Result<Option<Snapshot>> {
    let sql = "SELECT stream_id, reducer, version, state, created_at FROM snapshots \
               WHERE stream_id = ?1 AND reducer = ?2 AND version <= ?3 ORDER BY version DESC LIMIT 1";
    Ok(conn
        .prepare_cached(sql)?
        .query_row(
            params![stream_id, reducer, version as i64],
            snapshot_from_row,
        )
        .optional()?)
}

/// Every snapshot of one stream by one reducer, oldest first.
pub fn snapshots_of(conn: &Connection, stream_id: &str, reducer: &str) -> Result<Vec<Snapshot>> {
    let sql = "SELECT stream_id, reducer, version, state, created_at FROM snapshots \
               WHERE stream_id = ?1 AND reducer = ?2 ORDER BY version";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![stream_id, reducer], snapshot_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn snapshot_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Snapshot> {
    let state = RawValue::from_string(row.get(3)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Snapshot {
        stream_id: row.get(0)?,
        reducer: row.get(1)?,
        version: row.get::<_, i64>(2)? as Version,
        state,
        created_at: time(row, 4)?,
    })
}

fn time(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    timestamp::parse(text_column(row, column)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })
}

pub fn list_snapshots(conn: &Connection, q: &SnapshotsQuery) -> Result<Vec<SnapshotInfo>> {
    let mut sql =
        "SELECT stream_id, version, reducer, created_at, length(state) FROM snapshots WHERE 1"
            .to_owned();
    let mut params: Vec<&dyn ToSql> = Vec::new();
    if let Some(stream) = &q.stream_id {
        sql.push_str(" AND stream_id = ?");
        params.push(stream);
    }
    let after_version;
    if let Some((stream, reducer, version)) = &q.after {
        sql.push_str(" AND (stream_id, reducer, version) > (?, ?, ?)");
        after_version = *version as i64;
        params.extend([stream as &dyn ToSql, reducer, &after_version]);
    }
    sql.push_str(" ORDER BY stream_id, reducer, version LIMIT ?");
    let limit = q.limit as i64;
    params.push(&limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params.as_slice(), |row| {
        Ok(SnapshotInfo {
            stream_id: row.get(0)?,
            version: row.get::<_, i64>(1)? as Version,
            reducer: row.get(2)?,
            created_at: time(row, 3)?,
            bytes: row.get::<_, i64>(4)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Saves snapshots; one already stored for the same (stream, reducer, version) is kept.
pub fn save_snapshots(tx: &Transaction<'_>, snapshots: &[Snapshot]) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO snapshots (stream_id, reducer, version, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in snapshots {
        insert.execute(params![
            s.stream_id,
            s.reducer,
            s.version as i64,
            s.state.get(),
            timestamp::format(&s.created_at)
        ])?;
    }
    Ok(())
}

pub fn load_checkpoint(conn: &Connection, name: &str) -> Result<Option<Checkpoint>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, position, state, updated_at FROM checkpoints WHERE name = ?1",
        )?
        .query_row([name], |row| {
            let state = RawValue::from_string(row.get(2)?).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
            })?;
            Ok(Checkpoint {
                name: row.get(0)?,
                position: row.get::<_, i64>(1)? as Position,
                state,
                updated_at: time(row, 3)?,
            })
        })
        .optional()?)
}

/// Replaces the checkpoint in one statement: a reader sees the old one or the new one.
pub fn save_checkpoint(tx: &Transaction<'_>, checkpoint: &Checkpoint) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO checkpoints (name, position, state, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, state = excluded.state, \
         updated_at = excluded.updated_at",
    )?
    .execute(params![
        checkpoint.name,
        checkpoint.position as i64,
        checkpoint.state.get(),
        timestamp::format(&checkpoint.updated_at)
    ])?;
    Ok(())
}

pub fn delete_checkpoint(tx: &Transaction<'_>, name: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM checkpoints WHERE name = ?1")?
        .execute([name])?;
    Ok(())
}
