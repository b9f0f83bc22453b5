//! The sidecar: a local SQLite file holding rewind's own state (snapshots, checkpoints,
//! meta) for a store rewind must not write into. One file per store identity (server,
//! database, kind, schema), in `sidecar_dir` (config) or the user's data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backend::{NoState, StateStore};
use super::error::{Result, StoreError};
use super::source::SourceKind;
use super::{OpenOptions, SqliteStore};

/// The sidecar file for the store named `identity` (`name`: a readable part for the
/// file name, the database's or file's name).
pub fn path(
    options: &OpenOptions,
    identity: &str,
    kind: SourceKind,
    name: &str,
) -> Result<PathBuf> {
    let dir = match &options.sidecar_dir {
        Some(dir) => dir.clone(),
        None => dirs::data_local_dir()
            .ok_or_else(|| {
                StoreError::InvalidInput(
                    "no data directory for the sidecar file: set sidecar_dir in config.toml".into(),
                )
            })?
            .join("rewind")
            .join("sidecars"),
    };
    let readable: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    Ok(dir.join(format!(
        "{}-{readable}-{:016x}.db",
        kind.name(),
        fnv1a(identity)
    )))
}

/// A stable hash (the file name must not change between builds, as std's hasher may).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Opens (creating when allowed) the sidecar at `path`. `--read-only` never creates it.
pub async fn open(path: &Path, options: &OpenOptions) -> Result<Arc<dyn StateStore>> {
    let read_only = !options.sidecar_writable;
    if read_only && !path.exists() {
        return Ok(Arc::new(NoState));
    }
    if !read_only && let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::InvalidInput(format!(
                "cannot create the sidecar folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let sidecar_options = OpenOptions {
        read_only,
        create: true,
        ..OpenOptions::default()
    };
    let path = path.to_path_buf();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, &sidecar_options))
        .await
        .map_err(|e| StoreError::Database(format!("sidecar open failed: {e}")))??;
    Ok(Arc::new(store))
}
