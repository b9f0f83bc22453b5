//! The kinds of event store rewind reads: its own, the common `events` schema, and the
//! stores other projects write (Message DB, Emmett, Marten, Eventuous, a table mapped in
//! config.toml). rewind writes only into its own kind; every other kind is read-only and
//! keeps rewind's state (snapshots, checkpoints) in a local sidecar file.

use std::fmt;

use serde::Deserialize;

/// Which store rewind found (or was told to read with `--source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A store rewind created: its own schema, writable.
    Rewind,
    /// Someone else's `events` table of the common schema (writable: rewind's migration
    /// is additive).
    Common,
    /// Message DB (`message_store.messages`), by the Eventide project.
    MessageDb,
    /// Emmett on PostgreSQL (`emt_messages`, `emt_streams`).
    Emmett,
    /// Marten (`mt_events`, `mt_streams`).
    Marten,
    /// Eventuous on PostgreSQL (`messages`, `streams`).
    Eventuous,
    /// A table mapped by config.toml's `[source]` section.
    Custom,
}

impl SourceKind {
    /// Every kind, in the order `rewind info` tries them.
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Rewind,
        SourceKind::Common,
        SourceKind::MessageDb,
        SourceKind::Emmett,
        SourceKind::Marten,
        SourceKind::Eventuous,
        SourceKind::Custom,
    ];

    /// The name `--source` takes and `rewind info` prints.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Rewind => "rewind",
            SourceKind::Common => "common",
            SourceKind::MessageDb => "message-db",
            SourceKind::Emmett => "emmett",
            SourceKind::Marten => "marten",
            SourceKind::Eventuous => "eventuous",
            SourceKind::Custom => "custom",
        }
    }

    /// The name people know the project by.
    pub fn title(self) -> &'static str {
        match self {
            SourceKind::Rewind => "rewind",
            SourceKind::Common => "common events table",
            SourceKind::MessageDb => "Message DB",
            SourceKind::Emmett => "Emmett",
            SourceKind::Marten => "Marten",
            SourceKind::Eventuous => "Eventuous",
            SourceKind::Custom => "mapped table",
        }
    }

    /// The kind named `name` (as `--source` takes it), if any.
    pub fn parse(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether rewind writes into a store of this kind. Foreign stores are never written:
    /// their own code keeps invariants rewind does not know.
    pub fn writable(self) -> bool {
        matches!(self, SourceKind::Rewind | SourceKind::Common)
    }
}

impl serde::Serialize for SourceKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// config.toml's `[source]`: how a hand-made table's columns map onto the envelope. Each
/// value is a column name, except `category`, an SQL expression over the table's columns
/// (default: the stream id up to its first `-`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceMapping {
    /// The table, optionally schema-qualified (`app.domain_events`).
    pub table: String,
    /// The column of the event id.
    pub id: String,
    /// The column of the stream id.
    pub stream: String,
    /// The column of the event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The column of the event's version in its stream.
    pub version: String,
    /// The column of the global position.
    pub position: String,
    /// The column of the recorded time.
    pub time: String,
    /// The column of the data (JSON).
    pub data: String,
    /// The column of the metadata (JSON), if the table has one.
    pub metadata: Option<String>,
    /// An SQL expression giving the category (default: the stream id up to its first `-`).
    pub category: Option<String>,
    /// What the table's first version is (0 or 1); versions are shown from 1.
    #[serde(default = "one")]
    pub first_version: i64,
}

fn one() -> i64 {
    1
}

/// A stable uuid standing for a foreign store's event id that is not one (Emmett's ids
/// are text): two FNV-1a hashes of the text, given a uuid's version bits.
pub fn uuid_for_text(text: &str) -> uuid::Uuid {
    let (a, b) = (fnv1a(FNV_OFFSET, text), fnv1a(0x6c62_272e_07bb_0142, text));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// FNV-1a's standard offset basis.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a from `seed`: a hash that stays the same across builds (file names, stand-in ids
/// depend on it; std's hasher makes no such promise).
pub(crate) fn fnv1a(seed: u64, text: &str) -> u64 {
    text.bytes().fold(seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
