//! The store's typed errors. Each names the problem in one line; `exit_code` maps them to
//! the CLI contract (3 for a concurrency conflict, 1 for everything else).

use std::path::PathBuf;

use uuid::Uuid;

use super::model::{ExpectedVersion, Version};

/// Everything a store operation can fail with; each names the problem in one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "concurrency conflict on stream {stream_id}: expected version {expected}, actual version {actual}"
    )]
    /// The stream was not at the version the append expected: nothing was written.
    Concurrency {
        /// The stream.
        stream_id: String,
        /// What the append expected.
        expected: ExpectedVersion,
        /// The stream's version.
        actual: Version,
    },

    /// An event id that is already stored, in another place than this append's.
    #[error("duplicate event id {event_id}: it is already stored as {stream_id}@{version}")]
    DuplicateEventId {
        /// The id.
        event_id: Uuid,
        /// The stream that holds it.
        stream_id: String,
        /// Its version there.
        version: Version,
    },

    /// A write to a store opened read-only (the operation's name).
    #[error("the store is open read-only: {0} refused, nothing written")]
    ReadOnly(&'static str),

    /// Input the store refuses (an empty event type, data that is no JSON object, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// A `--where` expression that does not parse (the column of the mistake named).
    #[error(transparent)]
    BadWhere(#[from] super::expr::WhereError),

    /// A line of an import that cannot be read.
    #[error("line {line}: {reason}")]
    BadLine {
        /// The line's number (from 1).
        line: u64,
        /// What is wrong with it.
        reason: String,
    },

    /// No file at this path (and none is created when reading).
    #[error("no store at {0} (create one with `rewind append` or `rewind demo`)")]
    NotFound(PathBuf),

    /// The file is no rewind store (nor one rewind can read).
    #[error("{path} is not a rewind store: {reason}")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },

    #[error(
        "{path} has schema version {found}, newer than this rewind supports ({supported}); upgrade rewind"
    )]
    /// The store was written by a newer rewind.
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },

    #[error(
        "this build of rewind has no PostgreSQL backend (build it with the `postgres` feature)"
    )]
    /// A `postgres://` URL given to a build without the `postgres` feature.
    NoPostgres,

    /// A URL that names no backend rewind has.
    #[error("unsupported store URL {0:?}: use sqlite://PATH, a file path or postgres://…")]
    UnsupportedUrl(String),

    #[error(
        "{action} refused: the store is {kind}'s, and rewind never writes into another project's store (rewind's own state goes to its sidecar file; see `rewind info`)"
    )]
    /// A write to another project's store (rewind never writes there).
    Foreign {
        /// The operation refused.
        action: &'static str,
        /// Whose store it is.
        kind: &'static str,
    },

    #[error(
        "no event store at {0}: no rewind or common `events` table in its schema, and no Message DB, Emmett, Marten or Eventuous tables in any schema (`rewind demo` or `rewind append` creates one; config.toml's [source] maps a table of your own)"
    )]
    /// A database with nothing rewind recognises as events.
    NoEventStore(String),

    /// The database answered with an error.
    #[error("database error: {0}")]
    Database(String),

    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Work of rewind's own beside the store stopped (a background fold that panicked).
    #[error("{0}")]
    Internal(String),

    /// The store was closed while the operation waited.
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

/// A store operation's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
