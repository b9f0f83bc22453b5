//! The I/O layer's errors, typed: the screens show them (status line and `:messages`) by
//! their Display, and a composer tells a conflict by its kind, not by its words.

use std::path::PathBuf;

use crate::projection::ProjectionError;
use crate::replay::ReplayError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the export: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("a background task stopped: {0}")]
    Worker(String),
}

impl IoError {
    pub fn file(action: &'static str, path: &std::path::Path, source: std::io::Error) -> IoError {
        IoError::File {
            action,
            path: path.to_owned(),
            source,
        }
    }

    /// Whether this is an optimistic-concurrency conflict (nothing was written).
    pub fn is_conflict(&self) -> bool {
        matches!(self, IoError::Store(StoreError::Concurrency { .. }))
    }
}
