//! The append transaction: idempotency, expected-version checks and inserts, all or none.

use chrono::{DateTime, Utc};
use rusqlite::{ErrorCode, Transaction, params};
use uuid::Uuid;

use super::read;
use crate::store::error::{Result, StoreError};
use crate::store::model::{
    AppendSegment, RecordedEvent, StreamQuery, Version, category_of, metadata_string,
};
use crate::store::timestamp;

/// Appends the segments in `tx`; the caller commits. Returns the stored envelopes (the
/// originals for a segment that was an idempotent retry).
pub fn append(
    tx: &Transaction<'_>,
    segments: Vec<AppendSegment>,
    recorded_at: DateTime<Utc>,
) -> Result<Vec<RecordedEvent>> {
    let recorded_text = timestamp::format(&recorded_at);
    let mut stored = Vec::with_capacity(segments.iter().map(|s| s.events.len()).sum());
    for segment in segments {
        if let Some(originals) = idempotent_retry(tx, &segment)? {
            stored.extend(originals);
            continue;
        }
        let current = read::stream_version(tx, &segment.stream_id)?;
        if !segment.expected.matches(current) {
            return Err(StoreError::Concurrency {
                stream_id: segment.stream_id,
                expected: segment.expected,
                actual: current,
            });
        }
        let Some(last) = segment.events.last() else {
            continue;
        };
        let last_type = last.event_type.clone();
        let stream_type = match &segment.stream_type {
            Some(t) => t.clone(),
            None => category_of(&segment.stream_id).to_owned(),
        };
        let mut insert = tx.prepare_cached(INSERT_EVENT)?;
        let mut version = current;
        for event in segment.events {
            version += 1;
            let event_id = event.event_id.unwrap_or_else(Uuid::now_v7);
            let metadata = event.metadata.unwrap_or_else(empty_object);
            let position = insert
                .insert(params![
                    event_id.as_bytes(),
                    segment.stream_id,
                    stream_type,
                    event.event_type,
                    version as i64,
                    event.schema_version as i64,
                    event.data.get(),
                    metadata.get(),
                    metadata_string(metadata.get(), "correlation_id"),
                    metadata_string(metadata.get(), "causation_id"),
                    recorded_text,
                ])
                .map_err(|e| duplicate_or(tx, e, &event_id))?;
            stored.push(RecordedEvent {
                event_id,
                stream_id: segment.stream_id.clone(),
                stream_type: stream_type.clone(),
                event_type: event.event_type,
                version,
                schema_version: event.schema_version,
                data: event.data,
                metadata,
                global_position: position as u64,
                recorded_at,
                link: None,
            });
        }
        tx.prepare_cached(UPSERT_STREAM)?.execute(params![
            segment.stream_id,
            stream_type,
            version as i64,
            last_type,
            recorded_text,
            recorded_text,
        ])?;
    }
    Ok(stored)
}

pub const INSERT_EVENT: &str = "INSERT INTO events (event_id, stream_id, stream_type, event_type, \
    version, schema_version, data, metadata, correlation_id, causation_id, recorded_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/// `?5` is the creation time (kept for an existing stream), `?6` the update time.
pub const UPSERT_STREAM: &str = "INSERT INTO streams (stream_id, stream_type, version, \
    last_event_type, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, \
    last_event_type = excluded.last_event_type, updated_at = excluded.updated_at";

pub fn empty_object() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("{}".to_owned()).expect("valid JSON")
}

/// EventStoreDB's rule, checked before the expected version: when every event id of the
/// segment is already the stream's, in order at consecutive versions, the retry succeeds
/// with the originals. Some but not all stored, or stored elsewhere: a duplicate error.
/// Only caller-supplied ids can repeat; generated ones skip the lookups.
fn idempotent_retry(
    tx: &Transaction<'_>,
    segment: &AppendSegment,
) -> Result<Option<Vec<RecordedEvent>>> {
    let ids: Vec<Uuid> = segment.events.iter().filter_map(|e| e.event_id).collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let mut found = Vec::with_capacity(ids.len());
    for id in &ids {
        found.push(read::locate_event(tx, id)?);
    }
    let Some(first_version) = crate::store::idempotency::retry_of(segment, &ids, &found)? else {
        return Ok(None);
    };
    let originals = read::read_stream(
        tx,
        &segment.stream_id,
        &StreamQuery {
            from: Some(first_version),
            to: Some(first_version + ids.len() as Version - 1),
            limit: ids.len(),
            ..Default::default()
        },
    )?;
    Ok(Some(originals))
}

/// A unique violation on the event id (the same id twice in one batch) becomes the typed
/// duplicate error; anything else stays a database error.
pub(super) fn duplicate_or(
    tx: &Transaction<'_>,
    e: rusqlite::Error,
    event_id: &Uuid,
) -> StoreError {
    let is_unique = e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
        && e.to_string().contains("events.event_id");
    if is_unique && let Ok(Some((stream_id, version))) = read::locate_event(tx, event_id) {
        return StoreError::DuplicateEventId {
            event_id: *event_id,
            stream_id,
            version,
        };
    }
    StoreError::from(e)
}
