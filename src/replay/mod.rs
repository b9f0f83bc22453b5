//! Time travel: a stream's state at any version, time or global position, the JSON Patch
//! each event made, and snapshots (history per reducer, verified against full replays).
//! Reading runs on the store's threads, folding on a thread of its own.

mod fold;
mod reducer;
mod snapshots;
mod travel;

use std::path::PathBuf;

pub use fold::Folder;
pub use reducer::{ReducerKind, ReducerSpec, load_upcasters, script_limits};
#[cfg(feature = "cli")]
pub(crate) use snapshots::first_difference;
pub use snapshots::{Drift, SnapshotBuild, VerifyReport};
pub use travel::{DiffAnswer, StateAnswer, StepAnswer, Target, TimeTravel};

use crate::script::ScriptError;
use crate::store::{StoreError, Version};

#[derive(Debug, thiserror::Error)]
/// Why a time-travel query, a snapshot build or a verify failed.
pub enum ReplayError {
    #[error(transparent)]
    /// The store failed to read or write.
    Store(#[from] StoreError),
    #[error(transparent)]
    /// A reducer or upcaster script failed to load or threw.
    Script(#[from] ScriptError),
    /// A reducer or upcaster file could not be read.
    #[error("cannot read script {path}: {message}")]
    ScriptFile {
        /// The file named.
        path: PathBuf,
        /// Why it could not be read.
        message: String,
    },
    /// A version past the stream's end was asked for.
    #[error("stream {stream_id} is at version {current}; version {requested} is past its end")]
    VersionPastEnd {
        /// The stream asked about.
        stream_id: String,
        /// The version asked for.
        requested: Version,
        /// The stream's last version.
        current: Version,
    },
    /// A diff asked for version 0, which no event made.
    #[error("stream {stream_id} has no event at version 0: a diff needs version 1 or later")]
    NoEventAtZero {
        /// The stream asked about.
        stream_id: String,
    },
    #[error("a stored snapshot is not valid JSON: {0}")]
    /// A stored snapshot's state does not parse as JSON.
    BadSnapshot(String),
    /// An event's data is not JSON the fold can take.
    #[error("event at global position {position} has bad data: {message}")]
    BadEvent {
        /// The event's global position.
        position: u64,
        /// What is wrong with its data.
        message: String,
    },
    #[error("the fold stopped unexpectedly: {0}")]
    /// The fold's thread stopped without answering.
    Worker(String),
}

impl ReplayError {
    /// The exit code the command line gives this error (the store's own, else 1).
    pub fn exit_code(&self) -> i32 {
        match self {
            ReplayError::Store(e) => e.exit_code(),
            _ => 1,
        }
    }
}
