//! One pass over the whole log, a page at a time, for the rules that look at every event:
//! correlation and causation ids, sizes, causations that name no event, and (on other
//! projects' stores, which lack rewind's constraints) duplicate ids and position gaps.
//! Memory stays bounded by a page and a batch of causation ids, except the duplicate-id
//! set, kept only where no unique index guarantees it.

use std::collections::HashSet;

use serde::Deserialize;
use uuid::Uuid;

use crate::catalog::EventRef;
use crate::store::{LogQuery, Position, RecordedEvent, Store, StoreError};

/// Events a page brings.
const PAGE: usize = 5000;
/// Causation ids looked up at once.
const BATCH: usize = 1000;
/// Events named per finding.
pub const NAMED: usize = 20;

/// What the pass found: for each rule, how many and the first few.
#[derive(Debug, Default)]
pub struct Found {
    /// Events read.
    pub events: u64,
    /// Without `metadata.correlation_id` or `metadata.causation_id`.
    pub missing_ids: Tally,
    /// Larger than the limit.
    pub oversized: Tally,
    /// Whose causation id names no stored event.
    pub dangling: Tally,
    /// A second event with an id already seen.
    pub duplicates: Tally,
    /// Positions missing before an event.
    pub gaps: Tally,
    /// The largest event (bytes of data and metadata) and where it is.
    pub largest: Option<(u64, EventRef)>,
}

/// A count and the first events counted.
#[derive(Debug, Default)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// The first `NAMED`, with a note each.
    pub events: Vec<(EventRef, String)>,
}

impl Tally {
    fn add(&mut self, event: &RecordedEvent, note: String) {
        self.count += 1;
        if self.events.len() < NAMED {
            self.events.push((EventRef::of(event), note));
        }
    }
}

/// What the pass reads of metadata.
#[derive(Deserialize)]
struct Ids {
    correlation_id: Option<serde_json::Value>,
    causation_id: Option<serde_json::Value>,
}

/// How the pass goes.
pub struct ScanOptions {
    /// An event larger than this is oversized.
    pub max_event_bytes: u64,
    /// Look for duplicate ids (no unique index on the store's ids).
    pub duplicates: bool,
    /// Look for position gaps (the log is read in position order).
    pub gaps: bool,
}

/// Reads the whole log once.
pub async fn scan(store: &Store, options: &ScanOptions) -> Result<Found, StoreError> {
    let mut found = Found::default();
    let mut ids: HashSet<Uuid> = HashSet::new();
    // Causation ids waiting to be looked up, with the event that names each.
    let mut pending: Vec<(Uuid, RecordedEvent)> = Vec::new();
    let mut last_position: Option<Position> = None;
    let mut pages = store.pages(
        LogQuery {
            limit: PAGE,
            ..LogQuery::default()
        },
        None,
    );
    while let Some(page) = pages.next_page().await? {
        for event in page {
            found.events += 1;
            let size = (event.data.get().len() + event.metadata.get().len()) as u64;
            if found.largest.as_ref().is_none_or(|(s, _)| size > *s) {
                found.largest = Some((size, EventRef::of(&event)));
            }
            if size > options.max_event_bytes {
                found.oversized.add(&event, format!("{size} bytes"));
            }
            if options.duplicates && !ids.insert(event.event_id) {
                found
                    .duplicates
                    .add(&event, format!("id {} again", event.event_id));
            }
            if options.gaps {
                if let Some(last) = last_position
                    && event.global_position > last + 1
                {
                    let missing = event.global_position - last - 1;
                    found
                        .gaps
                        .add(&event, format!("{missing} positions missing before it"));
                }
                last_position = Some(event.global_position);
            }
            let meta: Ids = serde_json::from_str(event.metadata.get()).unwrap_or(Ids {
                correlation_id: None,
                causation_id: None,
            });
            let missing: Vec<&str> = [
                ("correlation_id", &meta.correlation_id),
                ("causation_id", &meta.causation_id),
            ]
            .into_iter()
            .filter(|(_, v)| v.as_ref().is_none_or(serde_json::Value::is_null))
            .map(|(k, _)| k)
            .collect();
            if !missing.is_empty() {
                found
                    .missing_ids
                    .add(&event, format!("no {}", missing.join(" or ")));
            }
            // A causation id equal to the correlation id names the command that started
            // the chain, not an event: only other causation ids must name one.
            if let Some(cause) = meta.causation_id.as_ref().and_then(|v| v.as_str())
                && meta.correlation_id.as_ref().and_then(|v| v.as_str()) != Some(cause)
            {
                match Uuid::parse_str(cause) {
                    Ok(id) => pending.push((id, event)),
                    Err(_) => {
                        let note = format!("causation id {cause:?} is no event id");
                        found.dangling.add(&event, note);
                    }
                }
                if pending.len() >= BATCH {
                    resolve(store, &mut pending, &mut found).await?;
                }
            }
        }
    }
    resolve(store, &mut pending, &mut found).await?;
    Ok(found)
}

/// Looks the pending causation ids up; those that name no event are dangling.
async fn resolve(
    store: &Store,
    pending: &mut Vec<(Uuid, RecordedEvent)>,
    found: &mut Found,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = pending.iter().map(|(id, _)| *id).collect();
    let existing = store.existing_event_ids(ids).await?;
    for (id, event) in pending.drain(..) {
        if !existing.contains(&id) {
            found
                .dangling
                .add(&event, format!("caused by {id}, which is no stored event"));
        }
    }
    Ok(())
}
