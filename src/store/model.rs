//! The store's data model: the event envelope and the shapes of requests and answers.
//! Everything here is backend-agnostic; the JSON forms are docs/architecture.md's public contracts.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::expr::Where;
use super::timestamp;

/// A stream's version: 1 for its first event; 0 for a stream that does not exist.
pub type Version = u64;
/// A store-wide global position: starts at 1, unique, may have gaps.
pub type Position = u64;

/// An event as stored, in docs/architecture.md's envelope shape (field order is the contract's).
/// `data` and `metadata` stay raw JSON text: read paths pass them through unparsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// The event's id (UUID v7 when rewind made it): unique in the store, the key of idempotent retries.
    pub event_id: Uuid,
    /// The stream the event belongs to, e.g. `Account-42`.
    pub stream_id: String,
    /// The stream's category (its type): the part of the id before the first `-`, unless the store says otherwise.
    pub stream_type: String,
    /// What happened, e.g. `MoneyDeposited`.
    pub event_type: String,
    /// The event's version in its stream: 1 for the first, then one more for each.
    pub version: Version,
    /// The version of the data's shape, for upcasters (1 unless the writer said otherwise).
    pub schema_version: u32,
    /// The event's data: a JSON object, kept as the text it was written as.
    pub data: Box<RawValue>,
    /// The event's metadata: a JSON object (`correlation_id`, `causation_id`, and anything else).
    pub metadata: Box<RawValue>,
    /// The event's place in the global log: unique, growing in commit order.
    pub global_position: Position,
    /// When the store recorded the event (UTC, microseconds).
    #[serde(with = "timestamp::serde_micros")]
    pub recorded_at: DateTime<Utc>,
    /// Set on an event a projection reached through a link (`$>`): the link it was read
    /// as. Not part of the envelope (never written or printed).
    #[serde(skip)]
    pub link: Option<Box<Link>>,
}

/// The link (`$>` event) an event was read through.
#[derive(Debug, Clone)]
pub struct Link {
    /// The stream the link event sits in.
    pub stream_id: String,
    /// The link's version in that stream.
    pub version: Version,
    /// The link event's own metadata.
    pub metadata: Box<RawValue>,
}

impl PartialEq for RecordedEvent {
    fn eq(&self, other: &Self) -> bool {
        self.event_id == other.event_id
            && self.stream_id == other.stream_id
            && self.stream_type == other.stream_type
            && self.event_type == other.event_type
            && self.version == other.version
            && self.schema_version == other.schema_version
            && self.data.get() == other.data.get()
            && self.metadata.get() == other.metadata.get()
            && self.global_position == other.global_position
            && self.recorded_at == other.recorded_at
    }
}

impl RecordedEvent {
    /// The metadata's `correlation_id`, when it is a string.
    pub fn correlation_id(&self) -> Option<String> {
        metadata_string(self.metadata.get(), "correlation_id")
    }
}

/// An event to append. The store fills in the stream, version, position and time.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Given by the caller for idempotent retries; generated (UUID v7) when absent.
    pub event_id: Option<Uuid>,
    /// What happened, e.g. `MoneyDeposited`.
    pub event_type: String,
    /// A JSON object.
    pub data: Box<RawValue>,
    /// A JSON object; `{}` when absent.
    pub metadata: Option<Box<RawValue>>,
    /// The version of the data's shape (1 by default).
    pub schema_version: u32,
}

impl NewEvent {
    /// An event from JSON values, for library users and tests.
    pub fn new(event_type: impl Into<String>, data: serde_json::Value) -> Self {
        NewEvent {
            event_id: None,
            event_type: event_type.into(),
            data: RawValue::from_string(data.to_string()).expect("a Value is valid JSON"),
            metadata: None,
            schema_version: 1,
        }
    }

    /// Gives the event an id of the caller's, so that a retried append is recognised.
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.event_id = Some(id);
        self
    }

    /// Sets the event's metadata (a JSON object).
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(RawValue::from_string(metadata.to_string()).expect("valid JSON"));
        self
    }

    /// Sets the version of the data's shape.
    pub fn with_schema_version(mut self, schema_version: u32) -> Self {
        self.schema_version = schema_version;
        self
    }
}

/// What the writer expects the stream's version to be before the append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpectedVersion {
    /// Whatever the stream's version is (no check).
    #[default]
    Any,
    /// The stream must not exist (same as `Exact(0)`).
    NoStream,
    /// The stream must have at least one event.
    Exists,
    /// The stream must be at exactly this version.
    Exact(Version),
}

impl ExpectedVersion {
    /// Whether a stream currently at `actual` satisfies this expectation.
    pub fn matches(self, actual: Version) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual == 0,
            ExpectedVersion::Exists => actual > 0,
            ExpectedVersion::Exact(v) => actual == v,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no-stream"),
            ExpectedVersion::Exists => f.write_str("exists"),
            ExpectedVersion::Exact(v) => write!(f, "{v}"),
        }
    }
}

impl FromStr for ExpectedVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "any" => Ok(ExpectedVersion::Any),
            "no-stream" => Ok(ExpectedVersion::NoStream),
            "exists" => Ok(ExpectedVersion::Exists),
            n => n
                .parse::<Version>()
                .map(ExpectedVersion::Exact)
                .map_err(|_| {
                    format!(
                        "expected version must be any, no-stream, exists or a number, not {n:?}"
                    )
                }),
        }
    }
}

impl<'de> Deserialize<'de> for ExpectedVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(Version),
            Word(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(n) => Ok(ExpectedVersion::Exact(n)),
            Repr::Word(w) => w.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// One stream's part of an atomic append: its expected version is checked against the
/// stream as the earlier segments of the same batch left it.
#[derive(Debug, Clone)]
pub struct AppendSegment {
    /// The stream to append to.
    pub stream_id: String,
    /// The category; derived from `stream_id` when absent.
    pub stream_type: Option<String>,
    /// What the stream's version must be for the segment to be written.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

impl AppendSegment {
    /// A segment appending `events` to `stream_id` if `expected` holds.
    pub fn new(
        stream_id: impl Into<String>,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Self {
        AppendSegment {
            stream_id: stream_id.into(),
            stream_type: None,
            expected,
            events,
        }
    }
}

/// Which way a stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Oldest first.
    #[default]
    Forward,
    /// Newest first.
    Backward,
}

/// One page of a stream: versions within `[from, to]` (inclusive), in `direction`.
#[derive(Debug, Clone)]
pub struct StreamQuery {
    /// The first version to read (inclusive; None: the start, or the end going backward).
    pub from: Option<Version>,
    /// The last version to read (inclusive; None: the end).
    pub to: Option<Version>,
    /// Oldest first or newest first.
    pub direction: Direction,
    /// At most this many events.
    pub limit: usize,
    /// Only events the expression matches (`--where`).
    pub matching: Option<Where>,
}

impl Default for StreamQuery {
    fn default() -> Self {
        StreamQuery {
            from: None,
            to: None,
            direction: Direction::Forward,
            limit: DEFAULT_PAGE,
            matching: None,
        }
    }
}

/// Filters on the global log. Matching is literal and case-sensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Any of these event types (empty: all).
    pub event_types: Vec<String>,
    /// Only streams of this category.
    pub category: Option<String>,
    /// Only events whose `metadata.correlation_id` is this.
    pub correlation_id: Option<String>,
    /// Any of these streams (empty: all).
    pub streams: Vec<String>,
    /// Only events the expression matches (`--where`).
    pub matching: Option<Where>,
}

impl LogFilter {
    /// Whether the filter lets every event through.
    pub fn is_empty(&self) -> bool {
        self.event_types.is_empty()
            && self.category.is_none()
            && self.correlation_id.is_none()
            && self.streams.is_empty()
            && self.matching.is_none()
    }
}

/// One page of the global log in log order.
#[derive(Debug, Clone)]
pub struct LogQuery {
    /// Cursor: only events after the event at this position in log order (0: the start).
    pub after: Position,
    /// Inclusive filter on the position number.
    pub min_position: Option<Position>,
    /// Which events count.
    pub filter: LogFilter,
    /// At most this many events.
    pub limit: usize,
}

impl Default for LogQuery {
    fn default() -> Self {
        LogQuery {
            after: 0,
            min_position: None,
            filter: LogFilter::default(),
            limit: DEFAULT_PAGE,
        }
    }
}

/// The page size the CLI and subscriptions use.
pub const DEFAULT_PAGE: usize = 1000;

/// A stream as the `streams` listing shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamInfo {
    /// The stream's id.
    pub stream_id: String,
    /// The stream's category.
    pub stream_type: String,
    /// The stream's version: its number of events.
    pub version: Version,
    /// When its first event was recorded.
    #[serde(with = "timestamp::serde_micros")]
    pub created_at: DateTime<Utc>,
    /// When its last event was recorded.
    #[serde(with = "timestamp::serde_micros")]
    pub updated_at: DateTime<Utc>,
    /// Not part of the JSON contract; the TUI shows it.
    #[serde(skip_serializing)]
    pub last_event_type: String,
}

/// One page of the streams listing, ordered by stream id.
#[derive(Debug, Clone)]
pub struct StreamsQuery {
    /// Only streams of this category.
    pub category: Option<String>,
    /// Keyset cursor: streams whose id sorts after this one.
    pub after: Option<String>,
    /// At most this many streams.
    pub limit: usize,
    /// Only streams with an event the expression matches (`--where`).
    pub matching: Option<Where>,
}

impl Default for StreamsQuery {
    fn default() -> Self {
        StreamsQuery {
            category: None,
            after: None,
            limit: DEFAULT_PAGE,
            matching: None,
        }
    }
}

/// Store-wide figures for summaries and the status bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Events in the store.
    pub events: u64,
    /// Streams in the store.
    pub streams: u64,
    /// The position of the last event (0: none).
    pub head_position: Position,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Events imported.
    pub events: u64,
    /// Streams the import touched.
    pub streams: u64,
    /// The position the first imported event was given.
    pub first_position: Option<Position>,
    /// The position the last imported event was given.
    pub last_position: Option<Position>,
}

/// A stream's folded state at a version, as a reducer (named by its id) left it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The stream whose state this is.
    pub stream_id: String,
    /// The reducer that folded it (name and hash of its source and upcasters).
    pub reducer: String,
    /// The version the state is at.
    pub version: Version,
    /// The state (JSON).
    pub state: Box<RawValue>,
    /// When the snapshot was saved.
    pub created_at: DateTime<Utc>,
}

/// A projection's named checkpoint: the last processed event (log order) and the state
/// of every partition, with the run's bookkeeping, as JSON.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The checkpoint's name (a projection's, usually).
    pub name: String,
    /// The position of the last event handled.
    pub position: Position,
    /// What the owner keeps beside the position (JSON).
    pub state: Box<RawValue>,
    /// When the checkpoint was saved.
    pub updated_at: DateTime<Utc>,
}

/// A snapshot as `rewind snapshot list` prints it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SnapshotInfo {
    /// The stream.
    pub stream_id: String,
    /// The version the state is at.
    pub version: Version,
    /// The reducer that folded it.
    pub reducer: String,
    /// When the snapshot was saved.
    #[serde(with = "timestamp::serde_micros")]
    pub created_at: DateTime<Utc>,
    /// The size of the state as stored (compact JSON).
    pub bytes: u64,
}

/// One page of the snapshot listing, ordered by stream, reducer and version.
#[derive(Debug, Clone)]
pub struct SnapshotsQuery {
    /// One stream's snapshots, or every stream's.
    pub stream_id: Option<String>,
    /// Keyset cursor: (stream, reducer, version) of the last row of the previous page.
    pub after: Option<(String, String, Version)>,
    /// At most this many snapshots.
    pub limit: usize,
}

impl Default for SnapshotsQuery {
    fn default() -> Self {
        SnapshotsQuery {
            stream_id: None,
            after: None,
            limit: DEFAULT_PAGE,
        }
    }
}

/// The metadata's `causation_id`, when it is a string.
pub fn causation_id(event: &RecordedEvent) -> Option<String> {
    metadata_string(event.metadata.get(), "causation_id")
}

/// The category of a stream id: the part before the first `-`, or the whole id.
pub fn category_of(stream_id: &str) -> &str {
    stream_id
        .split_once('-')
        .map_or(stream_id, |(category, _)| category)
}

/// Reads a top-level string field of a JSON object given as text, without building a tree.
pub(crate) fn metadata_string(json: &str, key: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Ids<'a> {
        #[serde(borrow, default)]
        correlation_id: Option<&'a RawValue>,
        #[serde(borrow, default)]
        causation_id: Option<&'a RawValue>,
    }
    let ids: Ids = serde_json::from_str(json).ok()?;
    let raw = match key {
        "correlation_id" => ids.correlation_id,
        "causation_id" => ids.causation_id,
        _ => None,
    }?;
    serde_json::from_str::<String>(raw.get()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_is_the_part_before_the_first_dash() {
        assert_eq!(category_of("Account-42"), "Account");
        assert_eq!(category_of("Order-7-b"), "Order");
        assert_eq!(category_of("singleton"), "singleton");
    }

    #[test]
    fn expected_version_parses_words_and_numbers() {
        assert_eq!("any".parse(), Ok(ExpectedVersion::Any));
        assert_eq!("no-stream".parse(), Ok(ExpectedVersion::NoStream));
        assert_eq!("exists".parse(), Ok(ExpectedVersion::Exists));
        assert_eq!("7".parse(), Ok(ExpectedVersion::Exact(7)));
        assert!("seven".parse::<ExpectedVersion>().is_err());
        assert!("-1".parse::<ExpectedVersion>().is_err());
    }

    #[test]
    fn metadata_ids_are_read_from_text() {
        let m = r#"{"correlation_id":"c-1","causation_id":"e-9","x":[1,{"y":2}]}"#;
        assert_eq!(metadata_string(m, "correlation_id").as_deref(), Some("c-1"));
        assert_eq!(metadata_string(m, "causation_id").as_deref(), Some("e-9"));
        assert_eq!(
            metadata_string(r#"{"correlation_id":5}"#, "correlation_id"),
            None
        );
        let mixed = r#"{"correlation_id":5,"causation_id":"e-1"}"#;
        assert_eq!(
            metadata_string(mixed, "causation_id").as_deref(),
            Some("e-1")
        );
        assert_eq!(metadata_string("{}", "correlation_id"), None);
    }
}
