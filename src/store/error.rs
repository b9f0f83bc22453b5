//! The store's typed errors. Each names the problem in one line; `exit_code` maps them to
//! the CLI contract (3 for a concurrency conflict, 1 for everything else).

use std::path::PathBuf;

use uuid::Uuid;

use super::model::{ExpectedVersion, Version};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "concurrency conflict on stream {stream_id}: expected version {expected}, actual version {actual}"
    )]
    Concurrency {
        stream_id: String,
        expected: ExpectedVersion,
        actual: Version,
    },

    #[error("duplicate event id {event_id}: it is already stored as {stream_id}@{version}")]
    DuplicateEventId {
        event_id: Uuid,
        stream_id: String,
        version: Version,
    },

    #[error("the store is open read-only: {0} refused, nothing written")]
    ReadOnly(&'static str),

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("line {line}: {reason}")]
    BadLine { line: u64, reason: String },

    #[error("no store at {0} (create one with `rewind append` or `rewind demo`)")]
    NotFound(PathBuf),

    #[error("{path} is not a rewind store: {reason}")]
    NotAStore { path: PathBuf, reason: String },

    #[error(
        "{path} has schema version {found}, newer than this rewind supports ({supported}); upgrade rewind"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "this build of rewind has no PostgreSQL backend (build it with the `postgres` feature)"
    )]
    NoPostgres,

    #[error("unsupported store URL {0:?}: use sqlite://PATH, a file path or postgres://…")]
    UnsupportedUrl(String),

    #[error(
        "{action} refused: the store is {kind}'s, and rewind never writes into another project's store (rewind's own state goes to its sidecar file; see `rewind info`)"
    )]
    Foreign {
        action: &'static str,
        kind: &'static str,
    },

    #[error(
        "no event store at {0}: no rewind or common `events` table in its schema, and no Message DB, Emmett, Marten or Eventuous tables in any schema (`rewind demo` or `rewind append` creates one; config.toml's [source] maps a table of your own)"
    )]
    NoEventStore(String),

    #[error("database error: {0}")]
    Database(String),

    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("the store was closed")]
    Closed,
}

impl StoreError {
    /// The CLI contract's exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            StoreError::Concurrency { .. } => 3,
            _ => 1,
        }
    }

    /// Places a line number on an input error (for JSONL files).
    pub fn at_line(self, line: u64) -> StoreError {
        match self {
            StoreError::InvalidInput(reason) => StoreError::BadLine { line, reason },
            StoreError::DuplicateEventId { .. } | StoreError::Concurrency { .. } => {
                StoreError::BadLine {
                    line,
                    reason: self.to_string(),
                }
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
