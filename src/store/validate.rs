//! Checks on what callers hand the store, so that bad input is refused before anything is
//! written, and the normal form data is kept in (compact JSON).

use serde_json::value::RawValue;

use super::error::{Result, StoreError};
use super::model::AppendSegment;

/// The longest stream id or event type, in bytes.
pub const MAX_NAME_BYTES: usize = 1000;

/// A stream id, category or event type: non-empty, at most [`MAX_NAME_BYTES`], no control
/// characters (they would garble every terminal and line-oriented tool downstream).
pub fn name(kind: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(StoreError::InvalidInput(format!("{kind} is empty")));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(StoreError::InvalidInput(format!(
            "{kind} is {} bytes long; the limit is {MAX_NAME_BYTES}",
            value.len()
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(StoreError::InvalidInput(format!(
            "{kind} {value:?} contains the control character {c:?}"
        )));
    }
    Ok(())
}

/// Parses JSON text that must be an object, and returns it compact.
pub fn json_object(kind: &str, text: &str) -> Result<Box<RawValue>> {
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|e| StoreError::InvalidInput(format!("{kind} is not valid JSON: {e}")))?;
    object(kind, raw)
}

/// Checks that already-valid JSON is an object, and returns it compact.
pub fn object(kind: &str, raw: &RawValue) -> Result<Box<RawValue>> {
    object_owned(kind, raw.to_owned())
}

/// As [`object`], keeping the allocation when the text is already compact.
pub fn object_owned(kind: &str, raw: Box<RawValue>) -> Result<Box<RawValue>> {
    if !raw.get().trim_start().starts_with('{') {
        return Err(StoreError::InvalidInput(format!(
            "{kind} must be a JSON object"
        )));
    }
    match minified(raw.get()) {
        None => Ok(raw),
        Some(compact) => {
            Ok(RawValue::from_string(compact).expect("minified valid JSON stays valid"))
        }
    }
}

/// Refuses an event whose data and metadata together exceed `max_bytes`.
pub fn event_size(data: &RawValue, metadata: Option<&RawValue>, max_bytes: usize) -> Result<()> {
    let size = data.get().len() + metadata.map_or(2, |m| m.get().len());
    if size > max_bytes {
        return Err(StoreError::InvalidInput(format!(
            "event is {size} bytes (data + metadata); the limit is {max_bytes} (max_event_bytes)"
        )));
    }
    Ok(())
}

/// Removes the whitespace between tokens of valid JSON text.
pub fn minify(json: &str) -> String {
    minified(json).unwrap_or_else(|| json.to_owned())
}

/// The text without whitespace between tokens, or None when it had none.
pub fn minified(json: &str) -> Option<String> {
    let bytes = json.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        let keep = if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            true
        } else {
            in_string = b == b'"';
            !matches!(b, b' ' | b'\n' | b'\r' | b'\t')
        };
        match (&mut out, keep) {
            (Some(out), true) => out.push(b),
            (None, false) => out = Some(bytes[..i].to_vec()),
            _ => {}
        }
    }
    // Only ASCII whitespace outside strings was removed: still UTF-8.
    out.map(|o| String::from_utf8(o).expect("removing ASCII bytes keeps UTF-8 valid"))
}

/// Validates every segment before any SQL runs (bad input writes nothing) and puts the
/// JSON in its stored form (compact).
pub fn segments(segments: &mut [AppendSegment], max_event_bytes: usize) -> Result<()> {
    for segment in segments {
        name("stream id", &segment.stream_id)?;
        if let Some(stream_type) = &segment.stream_type {
            name("stream type", stream_type)?;
        }
        for event in &mut segment.events {
            name("event type", &event.event_type)?;
            let data = std::mem::replace(&mut event.data, RawValue::NULL.to_owned());
            event.data = object_owned("data", data)?;
            if let Some(metadata) = event.metadata.take() {
                event.metadata = Some(object_owned("metadata", metadata)?);
            }
            event_size(&event.data, event.metadata.as_deref(), max_event_bytes)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_string_contents() {
        assert_eq!(
            minify(r#"{ "a" : "x y\" z" ,"b":[1, 2] }"#),
            r#"{"a":"x y\" z","b":[1,2]}"#
        );
        assert_eq!(minify(r#"{"a":"\\"  , "b" : 1}"#), r#"{"a":"\\","b":1}"#);
    }

    #[test]
    fn names_are_checked() {
        assert!(name("stream id", "Account-1").is_ok());
        assert!(name("stream id", "a b %_*\\\"ü").is_ok());
        assert!(name("stream id", "").is_err());
        assert!(name("stream id", "a\nb").is_err());
        assert!(name("stream id", &"x".repeat(MAX_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn minify_reports_no_change() {
        assert_eq!(minified(r#"{"a":"x y"}"#), None);
        assert_eq!(minified(r#"{"a": 1}"#).as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn objects_only() {
        assert!(json_object("data", "[1]").is_err());
        assert!(json_object("data", "{oops").is_err());
        assert_eq!(
            json_object("data", " { \"a\" : 1 } ").unwrap().get(),
            r#"{"a":1}"#
        );
    }
}
