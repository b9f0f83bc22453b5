//! The inferred shape of one event type at one schema version: each field's JSON types,
//! how often it is there, an example, and the changes to it that came without a
//! schema_version bump (a field that appeared, disappeared or changed type for good).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Position, RecordedEvent, Version};

/// Fields kept per shape (data and metadata together); more are counted, not described.
const MAX_FIELDS: usize = 256;
/// How deep nested objects are described (`amount.value` is depth 2).
const MAX_DEPTH: usize = 3;
/// Examples are cut to this many characters of JSON.
const EXAMPLE_CHARS: usize = 80;
/// A change counts once it has held for this many events.
const SETTLED: u64 = 3;

/// Where an event is, to open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// Its global position.
    pub position: Position,
    /// Its stream.
    pub stream_id: String,
    /// Its version in the stream.
    pub version: Version,
}

impl EventRef {
    /// Where `event` is.
    pub fn of(event: &RecordedEvent) -> EventRef {
        EventRef {
            position: event.global_position,
            stream_id: event.stream_id.clone(),
            version: event.version,
        }
    }
}

/// One JSON type of a field: how often, and where first and last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeSeen {
    /// Events where the field had this type.
    pub count: u64,
    /// The ordinal (in this shape) of the first and last such event.
    first: u64,
    last: u64,
    /// The first such event.
    pub first_event: Option<EventRef>,
}

/// One field (`amount`, `amount.value`) of data or metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldStats {
    /// Events that had the field.
    pub present: u64,
    /// JSON type (`string`, `number`, `boolean`, `null`, `object`, `array`) -> how often.
    pub types: BTreeMap<String, TypeSeen>,
    /// The first value seen (cut to 80 characters of JSON).
    pub example: Value,
    first: u64,
    last: u64,
    first_event: Option<EventRef>,
    /// The first event without the field after every event before it had it.
    absent_since: Option<(u64, EventRef)>,
    /// Values that look like a blob: text of 256 characters or more, all base64 or hex.
    #[serde(default)]
    pub blobs: u64,
    /// The first event with such a value.
    #[serde(default)]
    pub first_blob: Option<EventRef>,
}

/// Text this long, all base64 (or hex) characters, is a blob carried in an event.
pub const BLOB_CHARS: usize = 256;

/// Whether `value` looks like binary data written as text (base64, base64url or hex).
pub fn is_blob(value: &Value) -> bool {
    match value {
        Value::String(s) => {
            s.len() >= BLOB_CHARS
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
                })
        }
        _ => false,
    }
}

/// A change of shape without a schema_version bump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The field (`data.currency`).
    pub field: String,
    /// What changed: `appeared`, `disappeared`, or `number → string`.
    pub change: String,
    /// The first event with the new shape.
    pub event: EventRef,
}

/// The shape of one event type at one schema version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Events of this type and version.
    pub count: u64,
    /// `data.x` / `metadata.k` -> the field.
    pub fields: BTreeMap<String, FieldStats>,
    /// Fields passed over (past the 256 kept).
    pub more_fields: u64,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn example(value: &Value) -> Value {
    let text = value.to_string();
    if text.chars().count() <= EXAMPLE_CHARS {
        return value.clone();
    }
    let cut: String = text.chars().take(EXAMPLE_CHARS - 1).collect();
    Value::String(format!("{cut}…"))
}

/// Every field of `value` under `prefix`, to `MAX_DEPTH` levels of objects.
fn flatten<'v>(prefix: &str, value: &'v Value, depth: usize, out: &mut Vec<(String, &'v Value)>) {
    if let Value::Object(map) = value {
        for (key, inner) in map {
            let path = format!("{prefix}.{key}");
            out.push((path.clone(), inner));
            if depth < MAX_DEPTH {
                flatten(&path, inner, depth + 1, out);
            }
        }
    }
}

impl Shape {
    /// Adds one event (its data and metadata already parsed).
    pub fn add(&mut self, event: &RecordedEvent, data: &Value, metadata: &Value) {
        let ordinal = self.count;
        self.count += 1;
        let mut seen = Vec::new();
        flatten("data", data, 1, &mut seen);
        flatten("metadata", metadata, 1, &mut seen);
        let here = EventRef::of(event);
        for (path, value) in &seen {
            if !self.fields.contains_key(path) && self.fields.len() >= MAX_FIELDS {
                self.more_fields += 1;
                continue;
            }
            let field = self
                .fields
                .entry(path.clone())
                .or_insert_with(|| FieldStats {
                    example: example(value),
                    first: ordinal,
                    first_event: Some(here.clone()),
                    ..FieldStats::default()
                });
            field.present += 1;
            field.last = ordinal;
            let seen_type = field
                .types
                .entry(kind(value).to_owned())
                .or_insert_with(|| TypeSeen {
                    first: ordinal,
                    first_event: Some(here.clone()),
                    ..TypeSeen::default()
                });
            seen_type.count += 1;
            seen_type.last = ordinal;
            if is_blob(value) {
                field.blobs += 1;
                if field.first_blob.is_none() {
                    field.first_blob = Some(here.clone());
                }
            }
        }
        // Fields this event lacks: the first absence after always being there is noted.
        for field in self.fields.values_mut() {
            let always_so_far = field.first == 0 && field.present == ordinal;
            if field.last != ordinal && field.absent_since.is_none() && always_so_far {
                field.absent_since = Some((ordinal, here.clone()));
            }
        }
    }

    /// The changes that came without a schema_version bump: a field that appeared and
    /// has been in every event since, one that was in every event and has been in none
    /// since, and a field whose JSON type changed for good. Each settled over 3 events.
    pub fn drift(&self) -> Vec<Drift> {
        let n = self.count;
        let mut out = Vec::new();
        for (path, field) in &self.fields {
            if field.first > 0
                && field.present == n - field.first
                && field.present >= SETTLED
                && let Some(event) = &field.first_event
            {
                out.push(Drift {
                    field: path.clone(),
                    change: "appeared".into(),
                    event: event.clone(),
                });
            }
            if let Some((since, event)) = &field.absent_since
                && field.last < *since
                && n - since >= SETTLED
            {
                out.push(Drift {
                    field: path.clone(),
                    change: "disappeared".into(),
                    event: event.clone(),
                });
            }
            let typed: Vec<(&String, &TypeSeen)> =
                field.types.iter().filter(|(t, _)| *t != "null").collect();
            for (new_type, new) in &typed {
                if new.first == field.first || new.count < SETTLED {
                    continue;
                }
                let before: Vec<&str> = typed
                    .iter()
                    .filter(|(t, old)| t != new_type && old.last < new.first)
                    .map(|(t, _)| t.as_str())
                    .collect();
                let all_before = typed
                    .iter()
                    .all(|(t, old)| t == new_type || old.last < new.first);
                if all_before
                    && !before.is_empty()
                    && let Some(event) = &new.first_event
                {
                    out.push(Drift {
                        field: path.clone(),
                        change: format!("{} → {new_type}", before.join("/")),
                        event: event.clone(),
                    });
                }
            }
        }
        // One change, said once: a field that became an object brings its own fields,
        // which are part of it, not changes of their own.
        let parents: Vec<(String, Position)> = out
            .iter()
            .map(|d| (format!("{}.", d.field), d.event.position))
            .collect();
        out.retain(|d| {
            !parents
                .iter()
                .any(|(p, at)| d.field.starts_with(p.as_str()) && *at == d.event.position)
        });
        out.sort_by_key(|d| d.event.position);
        out
    }
}
