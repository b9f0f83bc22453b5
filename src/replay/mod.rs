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
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error("cannot read script {path}: {message}")]
    ScriptFile { path: PathBuf, message: String },
    #[error("stream {stream_id} is at version {current}; version {requested} is past its end")]
    VersionPastEnd {
        stream_id: String,
        requested: Version,
        current: Version,
    },
    #[error("stream {stream_id} has no event at version 0: a diff needs version 1 or later")]
    NoEventAtZero { stream_id: String },
    #[error("a stored snapshot is not valid JSON: {0}")]
    BadSnapshot(String),
    #[error("event at global position {position} has bad data: {message}")]
    BadEvent { position: u64, message: String },
    #[error("the fold stopped unexpectedly: {0}")]
    Worker(String),
}

impl ReplayError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ReplayError::Store(e) => e.exit_code(),
            _ => 1,
        }
    }
}
