//! `rewind doctor` and the Health view: the rules the event-sourcing guides give, checked
//! on a real history. Each finding names the events it is about (stream, version and
//! position, so the TUI opens them); rules and levels are configurable in `[doctor]`.
//!
//! The work: the type catalog (incremental, see [`crate::catalog`]) for names, shapes and
//! blobs; one pass over the log for ids, sizes and causations; the streams listing for
//! stream names; the database's aggregates for version gaps and events after a terminal
//! type; and a replay of each snapshotted stream for snapshot drift.

mod names;
mod scan;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Catalog, EventRef};
use crate::config::Config;
use crate::replay::{ReducerSpec, ReplayError, TimeTravel};
use crate::store::expr::aggregate::{Aggregate, AggregateQuery};
use crate::store::expr::{Field, Where};
use crate::store::{SnapshotsQuery, SourceKind, Store, StoreError, StreamQuery, StreamsQuery};
pub use names::{is_category_id, is_past_tense};
use scan::{NAMED, ScanOptions, Tally};

/// How much a finding matters. `rewind doctor` exits 1 when one is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing.
    Info,
    /// Against the guides' advice.
    Warning,
    /// The history is wrong (broken references, gaps, drifted snapshots).
    Error,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        match text {
            "info" => Some(Level::Info),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Every rule: its name, its level unless config says otherwise, and what it checks.
pub const RULES: &[(&str, Level, &str)] = &[
    (
        "past-tense",
        Level::Warning,
        "event types are named in the past tense (OrderPlaced, not PlaceOrder)",
    ),
    (
        "stream-name",
        Level::Warning,
        "stream ids are {Category}-{id}",
    ),
    (
        "missing-ids",
        Level::Warning,
        "events carry metadata.correlation_id and metadata.causation_id",
    ),
    (
        "oversized",
        Level::Warning,
        "events stay under [doctor] max_event_bytes",
    ),
    (
        "blob-field",
        Level::Warning,
        "events carry no blobs (long base64 or hex text)",
    ),
    (
        "shape-drift",
        Level::Warning,
        "a type's shape changes only with a schema_version bump",
    ),
    (
        "dangling-causation",
        Level::Error,
        "causation ids name stored events",
    ),
    ("duplicate-id", Level::Error, "each event id is stored once"),
    (
        "version-gap",
        Level::Error,
        "a stream's versions run 1, 2, 3… without gaps",
    ),
    (
        "after-terminal",
        Level::Error,
        "no events follow a stream's terminal type ([doctor] terminal_types)",
    ),
    (
        "snapshot-drift",
        Level::Error,
        "stored snapshots equal a full replay",
    ),
    (
        "position-gap",
        Level::Info,
        "no global positions are missing (stores read by position)",
    ),
];

/// An event a finding names, and what about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// Where it is.
    #[serde(flatten)]
    pub event: EventRef,
    /// What is wrong with it.
    pub note: String,
}

/// One finding: a rule broken, how often, and the first events that break it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule (`past-tense`, …).
    pub rule: &'static str,
    /// How much it matters.
    pub level: Level,
    /// In words, for people.
    pub summary: String,
    /// Events (or streams, or types) that break it.
    pub count: u64,
    /// The first 20 events it names.
    pub events: Vec<Named>,
}

/// What `rewind doctor` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The findings, errors first.
    pub findings: Vec<Finding>,
    /// Events the log pass read.
    pub events: u64,
    /// Rules that ran.
    pub rules: Vec<&'static str>,
}

impl Report {
    /// Whether a finding is at error level (the command's exit 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }
}

/// The rules config enables, each with its level; a rule or level config names that does
/// not exist is an error.
fn rules(config: &Config) -> Result<BTreeMap<&'static str, Level>, StoreError> {
    let known: Vec<&str> = RULES.iter().map(|(name, _, _)| *name).collect();
    let unknown = |name: &str| {
        StoreError::InvalidInput(format!(
            "config [doctor]: no rule {name:?} (rules: {})",
            known.join(", ")
        ))
    };
    for name in &config.doctor.disable {
        if !known.contains(&name.as_str()) {
            return Err(unknown(name));
        }
    }
    let mut out = BTreeMap::new();
    for (name, level, _) in RULES {
        if !config.doctor.disable.iter().any(|d| d == name) {
            out.insert(*name, *level);
        }
    }
    for (name, level) in &config.doctor.levels {
        let Some(slot) = known.iter().find(|k| *k == name) else {
            return Err(unknown(name));
        };
        let level = Level::parse(level).ok_or_else(|| {
            StoreError::InvalidInput(format!(
                "config [doctor] levels: {name} = {level:?}: info, warning or error"
            ))
        })?;
        if let Some(current) = out.get_mut(slot) {
            *current = level;
        }
    }
    Ok(out)
}

/// Checks every enabled rule on `store`'s history.
pub async fn examine(store: &Store, config: &Config) -> Result<Report, ReplayError> {
    let enabled = rules(config)?;
    let on = |rule: &str| enabled.contains_key(rule);
    let mut findings = Vec::new();
    let mut add = |rule: &'static str, summary: String, count: u64, events: Vec<Named>| {
        if count > 0
            && let Some(level) = enabled.get(rule)
        {
            findings.push(Finding {
                rule,
                level: *level,
                summary,
                count,
                events,
            });
        }
    };

    // Names, shapes and blobs, from the type catalog.
    let (catalog, _) = Catalog::refresh(store).await?;
    if on("past-tense") {
        let bad: Vec<(&String, &crate::catalog::TypeEntry)> = catalog
            .types
            .iter()
            .filter(|(name, _)| {
                !is_past_tense(name) && !config.doctor.past_tense_ok.contains(*name)
            })
            .collect();
        let events = bad
            .iter()
            .filter_map(|(name, entry)| {
                entry.first_event.clone().map(|event| Named {
                    event,
                    note: format!(
                        "{name}: {} events; name what happened, not what to do",
                        entry.count
                    ),
                })
            })
            .take(NAMED)
            .collect();
        let list: Vec<&str> = bad.iter().map(|(n, _)| n.as_str()).collect();
        add(
            "past-tense",
            format!("event types not in the past tense: {}", list.join(", ")),
            bad.len() as u64,
            events,
        );
    }
    if on("shape-drift") {
        let drifts = catalog.drifts();
        let events = drifts
            .iter()
            .take(NAMED)
            .map(|(name, version, d)| Named {
                event: d.event.clone(),
                note: format!("{name} v{version}: {} {}", d.field, d.change),
            })
            .collect();
        let fields: Vec<String> = drifts
            .iter()
            .map(|(name, _, d)| format!("{name} {} {}", d.field, d.change))
            .collect();
        add(
            "shape-drift",
            format!(
                "shapes changed without a schema_version bump: {}",
                fields.join("; ")
            ),
            drifts.len() as u64,
            events,
        );
    }
    if on("blob-field") {
        let mut count = 0;
        let mut events = Vec::new();
        let mut places = Vec::new();
        for (name, entry) in &catalog.types {
            for shape in entry.shapes.values() {
                for (path, field) in &shape.fields {
                    if field.blobs == 0 {
                        continue;
                    }
                    count += field.blobs;
                    places.push(format!("{name} {path}"));
                    if let Some(event) = &field.first_blob
                        && events.len() < NAMED
                    {
                        events.push(Named {
                            event: event.clone(),
                            note: format!("{name} {path}: {} values like blobs", field.blobs),
                        });
                    }
                }
            }
        }
        add(
            "blob-field",
            format!(
                "blob-like text ({}+ base64/hex characters) in {}",
                crate::catalog::BLOB_CHARS,
                places.join(", ")
            ),
            count,
            events,
        );
    }

    // Stream names, from the listing.
    if on("stream-name") {
        let mut bad = Tally::default();
        let mut pages = store.pages(StreamsQuery::default(), None);
        while let Some(page) = pages.next_page().await? {
            for stream in page.iter().filter(|s| !is_category_id(&s.stream_id)) {
                bad.count += 1;
                if bad.events.len() < NAMED {
                    let first = one_event(store, &stream.stream_id, StreamQuery::default()).await?;
                    if let Some(event) = first {
                        bad.events.push((
                            EventRef::of(&event),
                            format!("{}: no {{Category}}-{{id}}", stream.stream_id),
                        ));
                    }
                }
            }
        }
        let names: Vec<&str> = bad
            .events
            .iter()
            .map(|(e, _)| e.stream_id.as_str())
            .collect();
        add(
            "stream-name",
            format!("stream ids not {{Category}}-{{id}}: {}", names.join(", ")),
            bad.count,
            named(bad.events),
        );
    }

    // One pass over the log.
    let foreign = store.capabilities().kind != SourceKind::Rewind;
    let found = scan::scan(
        store,
        &ScanOptions {
            max_event_bytes: config.doctor.max_event_bytes,
            duplicates: foreign && on("duplicate-id"),
            gaps: foreign && on("position-gap"),
        },
    )
    .await?;
    let tallies = [
        (
            "missing-ids",
            "events without a correlation or causation id",
            found.missing_ids,
        ),
        ("oversized", "events larger than the limit", found.oversized),
        (
            "dangling-causation",
            "causation ids that name no stored event",
            found.dangling,
        ),
        (
            "duplicate-id",
            "event ids stored more than once",
            found.duplicates,
        ),
        ("position-gap", "global positions missing", found.gaps),
    ];
    for (rule, what, tally) in tallies {
        let summary = match rule {
            "oversized" => format!(
                "{} {what} ({} bytes, [doctor] max_event_bytes)",
                tally.count, config.doctor.max_event_bytes
            ),
            _ => format!("{} {what}", tally.count),
        };
        add(rule, summary, tally.count, named(tally.events));
    }

    // Version gaps (other projects' stores; rewind's own keep versions by constraint).
    if foreign && on("version-gap") {
        let rows = store
            .aggregate(AggregateQuery {
                aggregate: Aggregate::Max(Field::Version),
                matching: None,
                group_by: Some(Field::Stream),
                top: None,
            })
            .await?;
        let mut bad = Tally::default();
        for row in rows {
            let last = row.value.as_ref().and_then(|v| v.as_u64()).unwrap_or(0);
            if row.count == last {
                continue;
            }
            let stream = row
                .group
                .as_ref()
                .and_then(|g| g.as_str())
                .unwrap_or("")
                .to_owned();
            bad.count += 1;
            if bad.events.len() < NAMED {
                let last_event = StreamQuery {
                    direction: crate::store::Direction::Backward,
                    ..Default::default()
                };
                if let Some(event) = one_event(store, &stream, last_event).await? {
                    bad.events.push((
                        EventRef::of(&event),
                        format!("{stream}: {} events, last version {last}", row.count),
                    ));
                }
            }
        }
        add(
            "version-gap",
            format!("{} streams whose versions have gaps or repeats", bad.count),
            bad.count,
            named(bad.events),
        );
    }

    // Events after a terminal type.
    if on("after-terminal") && !config.doctor.terminal_types.is_empty() {
        let quoted: Vec<String> = config
            .doctor
            .terminal_types
            .iter()
            .map(|t| format!("'{}'", t.replace('\'', "''")))
            .collect();
        let matching =
            Where::parse(&format!("type in ({})", quoted.join(", "))).map_err(StoreError::from)?;
        let rows = store
            .aggregate(AggregateQuery {
                aggregate: Aggregate::Min(Field::Version),
                matching: Some(matching),
                group_by: Some(Field::Stream),
                top: None,
            })
            .await?;
        let mut bad = Tally::default();
        for row in rows {
            let (Some(stream), Some(terminal)) = (
                row.group.as_ref().and_then(|g| g.as_str()),
                row.value.as_ref().and_then(|v| v.as_u64()),
            ) else {
                continue;
            };
            let next = StreamQuery {
                from: Some(terminal + 1),
                ..Default::default()
            };
            if let Some(event) = one_event(store, stream, next).await? {
                bad.count += 1;
                if bad.events.len() < NAMED {
                    let note = format!(
                        "{} after the terminal event at version {terminal}",
                        event.event_type
                    );
                    bad.events.push((EventRef::of(&event), note));
                }
            }
        }
        add(
            "after-terminal",
            format!(
                "{} streams with events after {}",
                bad.count,
                config.doctor.terminal_types.join(" or ")
            ),
            bad.count,
            named(bad.events),
        );
    }

    // Snapshots against full replays.
    if on("snapshot-drift") {
        let mut streams: Vec<String> = Vec::new();
        let mut pages = store.pages(SnapshotsQuery::default(), None);
        while let Some(page) = pages.next_page().await? {
            // Listed by stream: one entry a stream.
            for snapshot in page {
                if streams.last() != Some(&snapshot.stream_id) {
                    streams.push(snapshot.stream_id);
                }
            }
        }
        let mut bad = Tally::default();
        for stream in streams {
            let category = store.stream_category(&stream).await?;
            let spec = ReducerSpec::for_category(config, &category, None)?;
            let travel = TimeTravel::new(store.clone(), spec, config.snapshot_every);
            for drift in travel.verify_snapshots(&stream).await?.drifts {
                bad.count += 1;
                if bad.events.len() < NAMED {
                    let at = StreamQuery {
                        from: Some(drift.version),
                        ..Default::default()
                    };
                    if let Some(event) = one_event(store, &stream, at).await? {
                        let note =
                            format!("snapshot ({}) differs at {}", drift.reducer, drift.path);
                        bad.events.push((EventRef::of(&event), note));
                    }
                }
            }
        }
        add(
            "snapshot-drift",
            format!("{} stored snapshots differ from a full replay", bad.count),
            bad.count,
            named(bad.events),
        );
    }

    let order = |rule: &str| RULES.iter().position(|(name, _, _)| *name == rule);
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(order(a.rule).cmp(&order(b.rule)))
    });
    Ok(Report {
        findings,
        events: found.events,
        rules: enabled.keys().copied().collect(),
    })
}

/// The one event of `stream` that `query` reads first (its limit set to 1): where a
/// finding about a stream or a version points.
async fn one_event(
    store: &Store,
    stream: &str,
    query: StreamQuery,
) -> Result<Option<crate::store::RecordedEvent>, StoreError> {
    let mut events = store
        .read_stream(stream, StreamQuery { limit: 1, ..query })
        .await?;
    Ok(events.pop())
}

fn named(events: Vec<(EventRef, String)>) -> Vec<Named> {
    events
        .into_iter()
        .map(|(event, note)| Named { event, note })
        .collect()
}
