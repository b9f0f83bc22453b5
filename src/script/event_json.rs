//! The event object scripts receive, written as JSON text for QuickJS to parse natively.
//! Measured against converting serde_json values into JS objects one by one, one
//! `JSON.parse` of text built here was the cheaper crossing (the data is already text).

use std::fmt::Write;

use crate::store::{RecordedEvent, timestamp};

/// `{"eventType","streamId","streamType","sequenceNumber","schemaVersion","data",
/// "metadata","eventId","position","recordedAt"}`; the prelude adds `body` (= `data`).
pub fn event_json(e: &RecordedEvent, out: &mut String) {
    out.push_str("{\"eventType\":");
    string(out, &e.event_type);
    out.push_str(",\"streamId\":");
    string(out, &e.stream_id);
    out.push_str(",\"streamType\":");
    string(out, &e.stream_type);
    let _ = write!(
        out,
        ",\"sequenceNumber\":{},\"schemaVersion\":{},\"data\":{},\"metadata\":{},\"eventId\":\"{}\",\"position\":{},\"recordedAt\":\"{}\"}}",
        e.version,
        e.schema_version,
        e.data.get(),
        e.metadata.get(),
        e.event_id,
        e.global_position,
        timestamp::format(&e.recorded_at),
    );
}

fn string(out: &mut String, s: &str) {
    // serde_json's escaping, written straight into the buffer.
    let quoted = serde_json::to_string(s).expect("a string serializes");
    out.push_str(&quoted);
}
