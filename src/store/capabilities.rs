//! What an open store is and what rewind can do with it: asked by the CLI and the TUI
//! instead of matching on the backend, and printed by `rewind info`.

use std::path::PathBuf;

use serde::Serialize;

use super::source::SourceKind;
use super::{Backend, OpenOptions};

/// The database under a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The answers, fixed when the store is opened.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// The database under the store.
    pub backend: BackendKind,
    /// Which kind of store this is (`rewind`, `common`, `message-db`, …).
    pub kind: SourceKind,
    /// Its name for people ("Message DB").
    pub kind_title: &'static str,
    /// The database schema its tables are in (PostgreSQL).
    pub schema: Option<String>,
    /// The tables rewind reads.
    pub tables: Vec<String>,
    /// Other kinds found in the same database (`--source` picks one).
    pub also_found: Vec<String>,
    /// Opened read-only (`--read-only`, or the TUI on PostgreSQL).
    pub read_only: bool,
    /// Whether append, import and the composer may write here.
    pub writable: bool,
    /// Why not, in a few words, when not.
    pub write_refusal: Option<String>,
    /// How the log is kept in commit order.
    pub log_order: &'static str,
    /// Whether positions are drawn in commit order (a subscription may stop early on a
    /// short page).
    pub positions_in_commit_order: bool,
    /// How new events are noticed.
    pub live: &'static str,
    /// Whether a stream's category is its id up to the first `-` (docs/architecture.md), so that the
    /// reducer for it is known without asking the store (not Marten's, nor a mapped
    /// table's with its own category expression).
    pub categories_from_ids: bool,
    /// Whether a state query saves the snapshots it passes.
    pub saves_while_reading: bool,
    /// Where rewind's own state (snapshots, checkpoints) is kept: None, in the store.
    pub sidecar: Option<PathBuf>,
    /// rewind's schema version this build reads and writes.
    pub schema_version: i64,
}

impl Capabilities {
    // `options` tells PostgreSQL stores apart only.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(super) fn of(backend: &Backend, options: &OpenOptions, sidecar: Option<PathBuf>) -> Self {
        match backend {
            Backend::Sqlite(s) => {
                let read_only = s.is_read_only();
                let kind = s.kind();
                let foreign = !kind.writable();
                Capabilities {
                    backend: BackendKind::Sqlite,
                    kind,
                    kind_title: kind.title(),
                    schema: None,
                    tables: if foreign {
                        vec!["emt_messages".to_owned()]
                    } else {
                        ["events", "streams", "snapshots", "checkpoints", "meta"]
                            .map(String::from)
                            .to_vec()
                    },
                    also_found: Vec::new(),
                    read_only,
                    writable: !read_only && !foreign,
                    write_refusal: foreign
                        .then(|| format!("{}: rewind never writes here", kind.title())),
                    log_order: "position (one writer at a time: commit order)",
                    positions_in_commit_order: true,
                    live: "in-process at once; other processes by PRAGMA data_version, 25 ms poll",
                    categories_from_ids: true,
                    saves_while_reading: !read_only && !foreign,
                    sidecar,
                    schema_version: super::sqlite::SCHEMA_VERSION,
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pg) => {
                let source = pg.source();
                let read_only = pg.is_read_only();
                let foreign = !source.kind.writable();
                let write_refusal = if foreign {
                    Some(format!("{}: rewind never writes here", source.kind.title()))
                } else if read_only && options.sidecar_writable {
                    // The TUI opens PostgreSQL read-only unless told otherwise.
                    Some("PostgreSQL: --allow-writes to write".to_owned())
                } else if read_only {
                    Some("opened read-only".to_owned())
                } else {
                    None
                };
                Capabilities {
                    backend: BackendKind::Postgres,
                    kind: source.kind,
                    kind_title: source.kind.title(),
                    schema: Some(source.schema.clone()),
                    tables: source.tables.clone(),
                    also_found: source.others.clone(),
                    read_only,
                    writable: !foreign && !read_only,
                    write_refusal,
                    log_order: if pg.commit_order() {
                        "transaction id, then position, below the oldest running transaction"
                    } else {
                        "position, waiting gap_wait_ms at a gap (positions may commit out of order)"
                    },
                    positions_in_commit_order: false,
                    live: if foreign {
                        "polling every 200 ms (the store sends no notification)"
                    } else {
                        "LISTEN/NOTIFY, and polling every 200 ms"
                    },
                    categories_from_ids: match source.kind {
                        SourceKind::Marten => false,
                        SourceKind::Custom => options
                            .mapping
                            .as_ref()
                            .is_none_or(|m| m.category.is_none()),
                        _ => true,
                    },
                    // Reading never changes someone's database; `snapshot build` writes
                    // (to a foreign store's sidecar).
                    saves_while_reading: false,
                    sidecar,
                    schema_version: super::postgres::SCHEMA_VERSION,
                }
            }
        }
    }
}
