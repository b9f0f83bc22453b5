//! The sidecar: a local SQLite file holding rewind's own state (snapshots, checkpoints,
//! meta) for a store rewind must not write into. One file per store identity (server,
//! database, kind, schema), in `sidecar_dir` (config) or the user's data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::OpenOptions;
use super::backend::{NoState, StateStore};
use super::error::{Result, StoreError};
use super::source::{FNV_OFFSET, SourceKind, fnv1a};

/// Which store a sidecar belongs to.
pub struct Identity {
    /// Stable across runs and builds: server, database, kind and schema (or a file's
    /// canonical path).
    pub key: String,
    /// A readable part for the file name: the database's or the file's name.
    pub name: String,
    pub kind: SourceKind,
}

impl Identity {
    /// A SQLite file's identity: its canonical path.
    pub fn of_file(path: &Path, kind: SourceKind) -> Identity {
        let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Identity {
            name: full
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            key: format!("sqlite {}", full.display()),
            kind,
        }
    }
}

/// The sidecar file for the store `identity` names.
pub fn path(options: &OpenOptions, identity: &Identity) -> Result<PathBuf> {
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
    let readable: String = identity
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    Ok(dir.join(format!(
        "{}-{readable}-{:016x}.db",
        identity.kind.name(),
        fnv1a(FNV_OFFSET, &identity.key)
    )))
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
        on_caller_thread: options.on_caller_thread,
        ..OpenOptions::default()
    };
    let store = super::open_sqlite(path, &sidecar_options).await?;
    Ok(Arc::new(store))
}
