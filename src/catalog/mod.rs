//! The event-type catalog (`rewind types`, the Types view): every event type with its
//! count, categories, first and last recorded, the schema versions seen, and per schema
//! version the inferred shape of data and metadata with the changes that came without a
//! schema_version bump.
//!
//! Incremental: the catalog is kept as a checkpoint of rewind's own state (the store's
//! tables, or the sidecar of another project's store) with the log position it has read
//! to, so a second run reads only the events after it.

mod shape;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use shape::{BLOB_CHARS, Drift, EventRef, FieldStats, Shape, is_blob};

use crate::store::{Checkpoint, LogQuery, Position, RecordedEvent, Store, StoreError, timestamp};

/// The checkpoint the catalog is kept under.
pub const CHECKPOINT: &str = "$rewind:types";
/// Bumped when the kept form changes: an older one is rebuilt, not misread.
const FORMAT: u32 = 2;
/// Categories named per type (more are counted).
const MAX_CATEGORIES: usize = 32;
/// Events a page of the log brings.
const PAGE: usize = 5000;
/// The catalog is saved at least this often while reading (a long first run resumes).
const SAVE_EVERY: u64 = 500_000;

/// One event type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeEntry {
    /// Events of the type.
    pub count: u64,
    /// Category -> events of the type in it.
    pub categories: BTreeMap<String, u64>,
    /// Events in categories past the 32 named.
    pub other_categories: u64,
    /// When the first and last were recorded.
    pub first_recorded: Option<DateTime<Utc>>,
    /// When the last was recorded.
    pub last_recorded: Option<DateTime<Utc>>,
    /// The first event of the type.
    pub first_event: Option<EventRef>,
    /// The last event of the type.
    pub last_event: Option<EventRef>,
    /// Schema version -> shape.
    pub shapes: BTreeMap<u32, Shape>,
}

/// Every event type of a store, as far as the log has been read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    format: u32,
    /// The last event read, in log order (the cursor of the next run).
    pub position: Position,
    /// Events read in all.
    pub events: u64,
    /// Event type -> entry.
    pub types: BTreeMap<String, TypeEntry>,
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Refresh {
    /// Events read this time (0: the catalog was up to date).
    pub read: u64,
    /// Whether the catalog could be kept for the next run (not on a read-only store).
    pub saved: bool,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog {
            format: FORMAT,
            position: 0,
            events: 0,
            types: BTreeMap::new(),
        }
    }
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Adds one event.
    pub fn add(&mut self, event: &RecordedEvent) {
        let data: Value = serde_json::from_str(event.data.get()).unwrap_or(Value::Null);
        let metadata: Value = serde_json::from_str(event.metadata.get()).unwrap_or(Value::Null);
        let entry = self.types.entry(event.event_type.clone()).or_default();
        entry.count += 1;
        if entry.categories.contains_key(&event.stream_type)
            || entry.categories.len() < MAX_CATEGORIES
        {
            *entry
                .categories
                .entry(event.stream_type.clone())
                .or_default() += 1;
        } else {
            entry.other_categories += 1;
        }
        let at = event.recorded_at;
        if entry.first_recorded.is_none_or(|t| at < t) {
            entry.first_recorded = Some(at);
        }
        if entry.last_recorded.is_none_or(|t| at >= t) {
            entry.last_recorded = Some(at);
        }
        if entry.first_event.is_none() {
            entry.first_event = Some(EventRef::of(event));
        }
        entry.last_event = Some(EventRef::of(event));
        entry
            .shapes
            .entry(event.schema_version)
            .or_default()
            .add(event, &data, &metadata);
        self.events += 1;
        self.position = event.global_position;
    }

    /// The catalog kept in `store`, brought up to its head: only events after the kept
    /// position are read. Saved again when the store can keep it.
    pub async fn refresh(store: &Store) -> Result<(Catalog, Refresh), StoreError> {
        let mut catalog = match store.load_checkpoint(CHECKPOINT).await? {
            Some(kept) => serde_json::from_str::<Catalog>(kept.state.get())
                .ok()
                .filter(|c| c.format == FORMAT && c.position == kept.position)
                .unwrap_or_default(),
            None => Catalog::default(),
        };
        let mut refresh = Refresh {
            read: 0,
            saved: true,
        };
        let mut unsaved = 0;
        let mut pages = store.pages(
            LogQuery {
                after: catalog.position,
                limit: PAGE,
                ..LogQuery::default()
            },
            None,
        );
        while let Some(page) = pages.next_page().await? {
            // Parsing and folding a page is CPU work: off the async threads.
            let folded = tokio::task::spawn_blocking(move || {
                for event in &page {
                    catalog.add(event);
                }
                (catalog, page.len() as u64)
            })
            .await
            .map_err(|e| StoreError::Internal(format!("the type catalog's fold failed: {e}")))?;
            catalog = folded.0;
            refresh.read += folded.1;
            unsaved += folded.1;
            if unsaved >= SAVE_EVERY {
                refresh.saved = catalog.save(store).await?;
                unsaved = 0;
            }
        }
        if unsaved > 0 {
            refresh.saved = catalog.save(store).await?;
        }
        Ok((catalog, refresh))
    }

    /// Keeps the catalog in the store's state; false where the store keeps nothing
    /// (read-only), which only means the next run reads everything again.
    async fn save(&self, store: &Store) -> Result<bool, StoreError> {
        let state = serde_json::value::to_raw_value(self)
            .map_err(|e| StoreError::Internal(format!("the type catalog: {e}")))?;
        let checkpoint = Checkpoint {
            name: CHECKPOINT.into(),
            position: self.position,
            state,
            updated_at: timestamp::now(),
        };
        match store.save_checkpoint(checkpoint).await {
            Ok(()) => Ok(true),
            Err(StoreError::ReadOnly(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Each type as `rewind types` prints it, by name.
    pub fn reports(&self) -> Vec<Value> {
        self.types
            .iter()
            .map(|(name, entry)| report(name, entry))
            .collect()
    }

    /// Every shape change without a schema_version bump: (type, schema version, drift).
    pub fn drifts(&self) -> Vec<(String, u32, Drift)> {
        let mut out = Vec::new();
        for (name, entry) in &self.types {
            for (version, shape) in &entry.shapes {
                for drift in shape.drift() {
                    out.push((name.clone(), *version, drift));
                }
            }
        }
        out.sort_by_key(|(_, _, d)| d.event.position);
        out
    }
}

/// How often a field is there, as a percentage for people; a rare one is not rounded to
/// nothing (`<0.1%`).
pub fn presence(present: u64, count: u64) -> String {
    let percent = 100.0 * present as f64 / count.max(1) as f64;
    if present > 0 && percent < 0.1 {
        "<0.1%".to_owned()
    } else {
        format!("{percent:.1}%")
    }
}

fn report(name: &str, entry: &TypeEntry) -> Value {
    let time = |t: &Option<DateTime<Utc>>| t.as_ref().map(timestamp::format);
    let shapes: Vec<Value> = entry
        .shapes
        .iter()
        .map(|(version, shape)| {
            let fields: serde_json::Map<String, Value> = shape
                .fields
                .iter()
                .map(|(path, field)| {
                    let types: serde_json::Map<String, Value> = field
                        .types
                        .iter()
                        .map(|(t, seen)| (t.clone(), json!(seen.count)))
                        .collect();
                    (
                        path.clone(),
                        json!({"present": field.present, "types": types, "example": field.example,
                               "blobs": field.blobs}),
                    )
                })
                .collect();
            json!({
                "schema_version": version,
                "count": shape.count,
                "fields": fields,
                "more_fields": shape.more_fields,
                "drift": shape.drift(),
            })
        })
        .collect();
    json!({
        "event_type": name,
        "count": entry.count,
        "categories": entry.categories,
        "other_categories": entry.other_categories,
        "first_recorded": time(&entry.first_recorded),
        "last_recorded": time(&entry.last_recorded),
        "first_event": entry.first_event,
        "last_event": entry.last_event,
        "schema_versions": entry.shapes.keys().collect::<Vec<_>>(),
        "shapes": shapes,
    })
}

#[cfg(test)]
mod tests;
