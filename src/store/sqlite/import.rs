//! Import of envelope JSONL (the `export` format) in one transaction: every line or none.

use std::collections::HashMap;
use std::io::BufRead;

use rusqlite::{OptionalExtension, Transaction, params};

use super::append::{INSERT_EVENT, UPSERT_STREAM, duplicate_or};
use crate::store::envelope_line::EnvelopeLine as Line;
use crate::store::error::{Result, StoreError};
use crate::store::model::{ImportSummary, Version, category_of, metadata_string};
use crate::store::{timestamp, validate};

/// A stream as the import has left it so far.
struct StreamState {
    stream_type: String,
    version: Version,
    created_at: String,
    updated_at: String,
    last_event_type: String,
    touched: bool,
}

/// Reads `input` to its end, inserting as it goes; the caller commits or (on error) drops
/// the transaction. `meta` rows are written in the same transaction.
pub fn import(
    tx: &Transaction<'_>,
    input: &mut dyn BufRead,
    max_event_bytes: usize,
    meta: &[(String, String)],
) -> Result<ImportSummary> {
    let mut streams: HashMap<String, StreamState> = HashMap::new();
    let mut summary = ImportSummary::default();
    let mut insert = tx.prepare_cached(INSERT_EVENT)?;
    let mut buf = String::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        line_no += 1;
        let read = input.read_line(&mut buf).map_err(|e| StoreError::BadLine {
            line: line_no,
            reason: format!("cannot read: {e}"),
        })?;
        if read == 0 {
            break;
        }
        if buf.trim().is_empty() {
            continue;
        }
        let at = |e: StoreError| e.at_line(line_no);
        let line: Line = serde_json::from_str(&buf).map_err(|e| StoreError::BadLine {
            line: line_no,
            reason: format!("not an envelope: {e}"),
        })?;
        validate::name("stream id", &line.stream_id).map_err(at)?;
        validate::name("event type", &line.event_type).map_err(at)?;
        let data = validate::object("data", line.data).map_err(at)?;
        let metadata = match line.metadata {
            Some(m) => validate::object("metadata", m).map_err(at)?,
            None => super::append::empty_object(),
        };
        validate::event_size(&data, Some(&metadata), max_event_bytes).map_err(at)?;

        if !streams.contains_key(&line.stream_id) {
            let state = load_stream(tx, &line.stream_id)?;
            streams.insert(
                line.stream_id.clone(),
                state.unwrap_or_else(|| StreamState {
                    stream_type: line
                        .stream_type
                        .clone()
                        .unwrap_or_else(|| category_of(&line.stream_id).to_owned()),
                    version: 0,
                    created_at: String::new(),
                    updated_at: String::new(),
                    last_event_type: String::new(),
                    touched: false,
                }),
            );
        }
        let stream = streams.get_mut(&line.stream_id).expect("inserted above");
        if line.version != stream.version + 1 {
            return Err(StoreError::BadLine {
                line: line_no,
                reason: format!(
                    "stream {} is at version {}, so the next event must be version {}, not {}",
                    line.stream_id,
                    stream.version,
                    stream.version + 1,
                    line.version
                ),
            });
        }
        let stream_type = line.stream_type.as_deref().unwrap_or(&stream.stream_type);
        validate::name("stream type", stream_type).map_err(at)?;
        let recorded = timestamp::format(&line.recorded_at);
        let position = insert
            .insert(params![
                line.event_id.as_bytes(),
                line.stream_id,
                stream_type,
                line.event_type,
                line.version as i64,
                line.schema_version as i64,
                data.get(),
                metadata.get(),
                metadata_string(metadata.get(), "correlation_id"),
                metadata_string(metadata.get(), "causation_id"),
                recorded,
            ])
            .map_err(|e| duplicate_or(tx, e, &line.event_id).at_line(line_no))?
            as u64;

        if stream.version == 0 {
            stream.created_at = recorded.clone();
        }
        stream.version = line.version;
        stream.updated_at = recorded;
        stream.last_event_type = line.event_type;
        stream.touched = true;
        summary.events += 1;
        summary.first_position.get_or_insert(position);
        summary.last_position = Some(position);
    }
    drop(insert);

    let mut upsert = tx.prepare_cached(UPSERT_STREAM)?;
    for (stream_id, s) in streams.iter().filter(|(_, s)| s.touched) {
        upsert.execute(params![
            stream_id,
            s.stream_type,
            s.version as i64,
            s.last_event_type,
            s.created_at,
            s.updated_at
        ])?;
        summary.streams += 1;
    }
    let mut put_meta = tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in meta {
        put_meta.execute(params![key, value])?;
    }
    Ok(summary)
}

fn load_stream(tx: &Transaction<'_>, stream_id: &str) -> Result<Option<StreamState>> {
    Ok(tx
        .prepare_cached(
            "SELECT stream_type, version, created_at, updated_at, last_event_type FROM streams WHERE stream_id = ?1",
        )?
        .query_row([stream_id], |r| {
            Ok(StreamState {
                stream_type: r.get(0)?,
                version: r.get::<_, i64>(1)? as Version,
                created_at: r.get(2)?,
                updated_at: r.get(3)?,
                last_event_type: r.get(4)?,
                touched: false,
            })
        })
        .optional()?)
}
