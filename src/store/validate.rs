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
    portable(kind, raw.get())?;
    match minified(raw.get()) {
        None => Ok(raw),
        Some(compact) => {
            Ok(RawValue::from_string(compact).expect("minified valid JSON stays valid"))
        }
    }
}

/// The deepest nesting of arrays and objects accepted in data and metadata.
pub const MAX_DEPTH: usize = 64;

/// Refuses JSON that readers could not all take back: nesting deeper than [`MAX_DEPTH`]
/// (recursive parsers, the TUI's tree, QuickJS), integers beyond i64 and numbers beyond
/// f64 (they would change or fail on the way through JavaScript, jsonb or serde), and
/// `\u` escapes of lone UTF-16 surrogates (no character: serde_json and PostgreSQL's jsonb
/// refuse them, so a store that took one could not read it back).
/// One pass over valid JSON text, outside strings.
fn portable(kind: &str, json: &str) -> Result<()> {
    let bytes = json.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    let mut in_string = false;
    let mut escaped = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, b'u') => {
                    escaped = false;
                    i = unicode_escape(kind, json, i + 1)?;
                    continue;
                }
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(StoreError::InvalidInput(format!(
                        "{kind} nests deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let number = &json[start..i];
                let fits = if number.contains(['.', 'e', 'E']) {
                    number.parse::<f64>().is_ok_and(f64::is_finite)
                } else {
                    number.parse::<i64>().is_ok()
                };
                if !fits {
                    return Err(StoreError::InvalidInput(format!(
                        "{kind} holds the number {number}, beyond what a 64-bit integer or float can hold"
                    )));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Checks the four hex digits of a `\u` escape at `at` (valid JSON has them), and the low
/// surrogate escape a high surrogate needs; returns where scanning goes on.
fn unicode_escape(kind: &str, json: &str, at: usize) -> Result<usize> {
    let unit = |at: usize| {
        json.get(at..at + 4)
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
    };
    let lone = |at: usize| {
        StoreError::InvalidInput(format!(
            "{kind} holds \\u{}, a lone UTF-16 surrogate (no character)",
            json.get(at..at + 4).unwrap_or_default()
        ))
    };
    match unit(at) {
        Some(0xD800..=0xDBFF) => {
            let low_at = at + 6;
            let paired = json.get(at + 4..at + 6) == Some("\\u")
                && matches!(unit(low_at), Some(0xDC00..=0xDFFF));
            if paired {
                Ok(low_at + 4)
            } else {
                Err(lone(at))
            }
        }
        Some(0xDC00..=0xDFFF) => Err(lone(at)),
        _ => Ok(at + 4),
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
    fn deep_nesting_and_numbers_beyond_64_bits_are_refused() {
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        assert!(json_object("data", &deep(MAX_DEPTH - 1)).is_ok());
        assert!(json_object("data", &deep(MAX_DEPTH)).is_err());
        for ok in [
            r#"{"n":9223372036854775807}"#,
            r#"{"n":-1.5e300}"#,
            r#"{"s":"1e400 [[["}"#,
        ] {
            assert!(json_object("data", ok).is_ok(), "{ok}");
        }
        for bad in [
            r#"{"n":9223372036854775808}"#,
            r#"{"n":1e400}"#,
            r#"{"n":[-1e309]}"#,
        ] {
            let e = json_object("data", bad).unwrap_err().to_string();
            assert!(e.contains("beyond"), "{bad}: {e}");
        }
    }

    /// Found by the `append_jsonl` and `script_events` fuzz targets: a lone surrogate
    /// escape passed as valid JSON text, then failed every reader that decodes strings.
    #[test]
    fn lone_surrogate_escapes_are_refused() {
        for ok in [
            r#"{"s":"\ud83d\ude00"}"#,
            r#"{"s":"\uD83D\uDE00 and \u00e9 \\ud800"}"#,
            r#"{"\ud800\udc00":1}"#,
        ] {
            assert!(json_object("data", ok).is_ok(), "{ok}");
        }
        for bad in [
            r#"{"s":"\ud800"}"#,
            r#"{"s":"\ude00x"}"#,
            r#"{"s":"\ud83d\u0041"}"#,
            r#"{"s":"\ud83d\n"}"#,
            r#"{"\udbff":1}"#,
        ] {
            let e = json_object("data", bad).unwrap_err().to_string();
            assert!(e.contains("lone UTF-16 surrogate"), "{bad}: {e}");
        }
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
