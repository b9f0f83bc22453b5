//! `rewind migrate`: applies rewind's schema explicitly — on PostgreSQL the only way to add
//! rewind's columns and tables beside an `events` table someone else created.

use clap::Args;
use serde::Serialize;

use super::Context;
use super::error::{CliResult, stdout_error};

#[derive(Debug, Args)]
#[command(after_help = "\
On PostgreSQL, commands that only read never change the database, and writing to an events
table that rewind did not create needs this command first. It adds the columns tx_id
(commit-safe log order) and schema_version to events, and the tables streams, snapshots,
checkpoints, rewind_meta and rewind_schema; nothing existing is altered or removed.

Examples:
  rewind --db postgres://me@db.example.com/orders migrate
  rewind --db rewind.db migrate                    (SQLite: already current when opened)")]
pub struct MigrateArgs {}

#[derive(Serialize)]
struct Migrated {
    db: String,
    schema_version: i64,
}

pub async fn run(context: &Context, _args: MigrateArgs) -> CliResult {
    let url = context.store_url()?;
    let store = context.open(&url, true).await?;
    store.migrate().await?;
    let schema_version = store.capabilities().schema_version;
    let mut out = context.output();
    out.summary(&Migrated {
        db: url.to_string(),
        schema_version,
    })
    .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}
