//! The I/O layer's own vocabulary: what a request names (a page to fetch, a moment, a
//! snapshot job) and what an answer carries (a time-travel frame, an as-of row, a count of
//! new events). The screens use these; nothing here knows of a screen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::store::{Position, RecordedEvent, Version};

/// How many rows a page fetch brings.
pub const PAGE: usize = 200;

/// The paused Log counts at most this many new events ("10000+ new").
pub const NEW_COUNT_CAP: u64 = 10_000;

/// How many streams a fuzzy search answers with (the best; the answer says how many
/// matched in all).
pub const FUZZY_RESULTS: usize = 200;

/// Streams an as-of page holds.
pub const AS_OF_PAGE: usize = 40;

/// Snapshots a page of the listing holds.
pub const SNAPSHOT_PAGE: usize = 200;

/// Which page of a list to read, relative to a row's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch<K> {
    /// The first page.
    First,
    /// The last page (read backward).
    Last,
    /// The page after this key.
    After(K),
    /// The page before this key (read backward).
    Before(K),
    /// A fresh window starting with the page after this key (a jump).
    From(K),
}

/// A stream's place in either order: its last activity, then its id.
pub type StreamKey = (DateTime<Utc>, String);

/// How the stream listing is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamOrder {
    #[default]
    Name,
    /// Most recently active first.
    Activity,
}

/// A count of the log's new matching events, kept up by counting only what arrived since
/// the last count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCount {
    /// The last event shown: what the count is after.
    pub shown: Position,
    /// Where this count began (`shown` for a fresh count, else where the last one ended).
    pub from: Position,
    pub count: u64,
    /// The last event counted: where the next count begins.
    pub last: Position,
    /// Whether the count stopped at its cap.
    pub capped: bool,
}

impl NewCount {
    /// A count of `count` events after `shown`, counted afresh.
    pub fn fresh(shown: Position, count: u64, capped: bool) -> NewCount {
        NewCount {
            shown,
            from: shown,
            count,
            last: shown,
            capped,
        }
    }

    /// This count with `next` (counted from where this one ended) added; None when
    /// `next` does not follow on from it.
    pub fn then(self, next: NewCount, cap: u64) -> Option<NewCount> {
        (next.shown == self.shown && next.from == self.last).then(|| {
            let count = self.count + next.count;
            NewCount {
                from: self.from,
                count: count.min(cap),
                last: next.last,
                capped: self.capped || next.capped || count > cap,
                ..self
            }
        })
    }
}

/// The moment a temporal query asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    Time(DateTime<Utc>),
    Position(Position),
}

impl Moment {
    /// One step later (`forward`) or earlier: a day, or 1,000 positions.
    pub fn step(self, forward: bool) -> Moment {
        match self {
            Moment::Time(t) => Moment::Time(if forward {
                t + chrono::Duration::days(1)
            } else {
                t - chrono::Duration::days(1)
            }),
            Moment::Position(p) => Moment::Position(if forward {
                p.saturating_add(1000)
            } else {
                p.saturating_sub(1000)
            }),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Moment::Time(t) => format!("as of {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            Moment::Position(p) => format!("as of position {p}"),
        }
    }
}

/// One stream at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AsOfRow {
    pub stream_id: String,
    pub version: Version,
    /// The state, compact JSON.
    pub state: String,
}

/// Where a page of the snapshot listing starts: after this (stream, reducer, version).
pub type SnapshotKey = (String, String, Version);

/// One answered time-travel step: the state at a version, its event, its patch, and the
/// stream's events around it.
#[derive(Debug, Clone)]
pub struct TravelFrame {
    pub stream_id: String,
    pub version: Version,
    /// The stream's version when asked (the scrubber's end).
    pub last: Version,
    pub state: Value,
    /// The event at `version` (None at version 0).
    pub event: Option<RecordedEvent>,
    pub patch: json_patch::Patch,
    pub snapshot_version: Option<Version>,
    pub replayed: u64,
    pub reducer: String,
    /// Snapshots this step saved while it replayed (a writable store keeps them).
    pub saved_snapshots: u64,
    /// How long the step took, asking to answer.
    pub elapsed: Duration,
    /// The stream's events around `version`.
    pub timeline: Vec<RecordedEvent>,
}

/// What a snapshot job does to each stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Build,
    Verify,
}

/// How far a snapshot job is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    pub done: u64,
    pub total: u64,
    pub streams_per_second: f64,
}

impl JobProgress {
    /// Seconds left at the rate so far, once there is a rate.
    pub fn eta_seconds(&self) -> Option<f64> {
        (self.streams_per_second > 0.0)
            .then(|| self.total.saturating_sub(self.done) as f64 / self.streams_per_second)
    }
}

/// How a snapshot job ended.
#[derive(Debug, Clone)]
pub struct JobReport {
    pub kind: JobKind,
    /// The one stream, or None for every stream.
    pub stream: Option<String>,
    pub streams: u64,
    /// Snapshots written (build) or checked (verify).
    pub snapshots: u64,
    pub drifts: Vec<crate::replay::Drift>,
    pub cancelled: bool,
    pub seconds: f64,
}

impl JobReport {
    /// One line: what was done to which streams, and at what rate.
    pub fn summary(&self) -> String {
        let streams = match &self.stream {
            Some(stream) => stream.clone(),
            None if self.streams == 1 => "1 stream".to_owned(),
            None => format!("{} streams", self.streams),
        };
        let cancelled = if self.cancelled { " (cancelled)" } else { "" };
        let rate = if self.stream.is_none() && self.seconds > 0.0 {
            format!(
                " in {:.1} s ({:.0} streams/s)",
                self.seconds,
                self.streams as f64 / self.seconds
            )
        } else {
            String::new()
        };
        match self.kind {
            JobKind::Build if self.snapshots == 0 => format!(
                "built no new snapshots of {streams}: each is shorter than the snapshot spacing{cancelled}"
            ),
            JobKind::Build => {
                format!(
                    "built {} snapshots of {streams}{rate}{cancelled}",
                    self.snapshots
                )
            }
            JobKind::Verify if self.drifts.is_empty() => format!(
                "verified {} snapshots of {streams}: no drift{rate}{cancelled}",
                self.snapshots
            ),
            JobKind::Verify => format!(
                "verified {} snapshots of {streams}: {} drifted{rate}{cancelled}",
                self.snapshots,
                self.drifts.len()
            ),
        }
    }
}
