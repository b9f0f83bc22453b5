//! The event object as JSON text, for the per-event upcast path (`ScriptRuntime::upcast`)
//! where one event crosses at a time. Folds build the object natively (event_object.rs),
//! which measured cheaper: QuickJS's JSON tokenizer dominated this path's cost.

use std::fmt::Write;

use chrono::{Datelike, Timelike};

use crate::store::RecordedEvent;

/// `{"eventType","streamId","streamType","sequenceNumber","schemaVersion","data","body",
/// "metadata","eventId","position","recordedAt","isJson","bodyRaw","metadataRaw"}`.
/// `body` is written as null and set to `data` by the prelude: declaring it here keeps
/// QuickJS from growing the object's shape. `sequenceNumber` counts from 0, as
/// EventStoreDB's does (the envelope's `version` counts from 1).
pub fn event_json(e: &RecordedEvent, out: &mut String) {
    out.push_str("{\"eventType\":");
    string(out, &e.event_type);
    out.push_str(",\"streamId\":");
    string(out, &e.stream_id);
    out.push_str(",\"streamType\":");
    string(out, &e.stream_type);
    let _ = write!(
        out,
        ",\"sequenceNumber\":{},\"schemaVersion\":{},\"data\":{},\"body\":null,\"metadata\":{},\"eventId\":\"{}\",\"position\":{},\"recordedAt\":\"",
        e.version.saturating_sub(1),
        e.schema_version,
        e.data.get(),
        e.metadata.get(),
        e.event_id.hyphenated(),
        e.global_position,
    );
    recorded_at(&e.recorded_at, out);
    out.push_str("\",\"isJson\":true,\"bodyRaw\":");
    string(out, e.data.get());
    out.push_str(",\"metadataRaw\":");
    string(out, e.metadata.get());
    out.push('}');
}

/// The store's timestamp format, written without chrono's general formatter.
pub fn recorded_at(t: &chrono::DateTime<chrono::Utc>, out: &mut String) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000,
    );
}

/// A JSON string; names rarely need escaping, so the common case is a plain copy.
fn string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string serializes"));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::event_json;

    #[test]
    fn writes_valid_json_with_every_field() {
        let event: crate::store::RecordedEvent = serde_json::from_value(json!({
            "event_id": "0190c3a2-0000-7000-8000-000000000001", "stream_id": "Quo\"te-1", "stream_type": "Quo\"te",
            "event_type": "T", "version": 3, "schema_version": 2, "data": {"a": 1}, "metadata": {"m": true},
            "global_position": 42, "recorded_at": "2026-01-15T10:30:00.123456Z",
        }))
        .unwrap();
        let mut text = String::new();
        event_json(&event, &mut text);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({
                "eventType": "T", "streamId": "Quo\"te-1", "streamType": "Quo\"te", "sequenceNumber": 2,
                "schemaVersion": 2, "data": {"a": 1}, "body": null, "metadata": {"m": true},
                "eventId": "0190c3a2-0000-7000-8000-000000000001", "position": 42,
                "recordedAt": "2026-01-15T10:30:00.123456Z", "isJson": true,
                "bodyRaw": "{\"a\":1}", "metadataRaw": "{\"m\":true}",
            })
        );
    }
}
