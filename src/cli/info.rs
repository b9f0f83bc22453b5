//! `rewind info`: which kind of store the URL holds, where its tables are, and what
//! rewind can and cannot do there.

use clap::Args;
use serde::Serialize;

use super::Context;
use super::error::{CliResult, stdout_error};
use crate::store::{Capabilities, SourceKind};

#[derive(Debug, Args)]
#[command(after_help = "\
Prints one JSON document (or key: value lines with --format table): kind, schema, tables,
whether rewind may write, how the log is ordered, how new events are noticed, and where
rewind keeps its own state (a sidecar file for a store it does not write).

Examples:
  rewind --db postgres://me@localhost/message_store info --format table
  rewind --db postgres://me@localhost/app --source marten info")]
pub struct InfoArgs {}

#[derive(Serialize)]
struct Info<'a> {
    db: String,
    #[serde(flatten)]
    capabilities: &'a Capabilities,
    events: u64,
    streams: u64,
    head_position: u64,
    can: Vec<&'static str>,
    cannot: Vec<String>,
}

pub async fn run(context: &Context, _args: InfoArgs) -> CliResult {
    let url = context.store_url()?;
    let store = context.open_for_reading().await?;
    let capabilities = store.capabilities();
    let stats = store.stats().await?;
    let mut can = vec![
        "streams",
        "read",
        "log (and --follow)",
        "state (time travel)",
        "project run",
        "export",
        "every TUI view",
    ];
    let mut cannot = Vec::new();
    let state_writable = !context.global.read_only;
    if capabilities.writable {
        can.extend(["append", "import", "the composer"]);
    } else {
        let why = capabilities
            .write_refusal
            .clone()
            .unwrap_or_else(|| "read-only".into());
        cannot.push(format!(
            "append, import, the composer, project --emit ({why})"
        ));
    }
    match (&capabilities.sidecar, state_writable) {
        (Some(_), true) => can.push("snapshots and checkpoints (in the sidecar file)"),
        (None, true) if capabilities.writable => can.push("snapshots and checkpoints"),
        _ => cannot.push("snapshot build, checkpoints (read-only)".into()),
    }
    if capabilities.kind != SourceKind::Rewind && capabilities.kind != SourceKind::Common {
        cannot.push("migrate (its schema belongs to its own project)".into());
    }
    let info = Info {
        db: url.to_string(),
        capabilities,
        events: stats.events,
        streams: stats.streams,
        head_position: stats.head_position,
        can,
        cannot,
    };
    let mut out = context.output();
    out.summary(&info).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}
