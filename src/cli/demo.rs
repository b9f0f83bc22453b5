//! `rewind demo`: build (or reuse) the demo store and show what is in it.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use crate::demo::{self, DemoSpec};
use crate::store::{Store, StoreUrl};

/// Where the demo store goes unless --db names another.
pub const DEMO_DB: &str = "rewind-demo.db";

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind demo                          build ./rewind-demo.db (or reuse it), then summarize
  rewind demo --events 1000000         a million events
  rewind demo --db /tmp/demo.db --seed 7

The history is deterministic: the same seed and size give the same events, and a store
built with them is reused as it is. A demo store built with other settings is rebuilt;
a store that is not a demo is never touched.")]
pub struct DemoArgs {
    /// How many events to generate
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub events: u64,
    /// The generator's seed
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
}

#[derive(Serialize)]
struct Summary {
    db: String,
    reused: bool,
    events: u64,
    streams: u64,
    head_position: u64,
    seconds: f64,
    seed: u64,
}

pub async fn run(context: &Context, args: DemoArgs) -> CliResult {
    if args.events == 0 {
        return Err(CliError::Input("--events must be at least 1".into()));
    }
    let spec = DemoSpec {
        seed: args.seed,
        events: args.events,
    };
    let url = match &context.global.db {
        Some(db) => StoreUrl::parse(db)?,
        None => StoreUrl::Sqlite(DEMO_DB.into()),
    };
    let started = Instant::now();
    let (store, reused) = open_demo(context, &url, spec).await?;
    let stats = store.stats().await?;
    let mut out = context.output();
    out.summary(&Summary {
        db: url.to_string(),
        reused,
        events: stats.events,
        streams: stats.streams,
        head_position: stats.head_position,
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        seed: spec.seed,
    })
    .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        // The TUI opens PostgreSQL read-only unless writes were allowed.
        let store = match url {
            crate::store::StoreUrl::Postgres(_) => context.open_for_tui().await?,
            _ => store,
        };
        return super::open_tui(context, store, url.to_string()).await;
    }
    eprintln!("explore it: rewind --db {url}   (or: streams, log, read STREAM, state STREAM)");
    Ok(())
}

/// Reuses a demo store built from the same spec; rebuilds one built from another; builds
/// into a missing or empty store; refuses to touch anything else.
async fn open_demo(context: &Context, url: &StoreUrl, spec: DemoSpec) -> CliResult<(Store, bool)> {
    let exists = match url {
        StoreUrl::Sqlite(path) => path.exists(),
        StoreUrl::Postgres(_) => true,
    };
    if exists {
        // Opening PostgreSQL writes nothing, and an empty database is where a demo goes.
        let store = context
            .open(url, matches!(url, StoreUrl::Postgres(_)))
            .await?;
        match store.meta(demo::META_KEY).await? {
            Some(fingerprint) if fingerprint == spec.fingerprint() => return Ok((store, true)),
            Some(_) => {
                drop(store);
                if let StoreUrl::Sqlite(path) = url {
                    remove_sqlite(path)?;
                }
            }
            None if store.stats().await?.events == 0 => {
                demo::build(&store, spec).await?;
                return Ok((store, false));
            }
            None => {
                return Err(CliError::Input(format!(
                    "{url} holds a store that is not a rewind demo; pass another --db"
                )));
            }
        }
    }
    let store = context.open(url, true).await?;
    demo::build(&store, spec).await?;
    Ok((store, false))
}

fn remove_sqlite(path: &Path) -> CliResult {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::io(format!(
                    "cannot remove {}",
                    Path::new(&name).display()
                ))(e));
            }
            _ => {}
        }
    }
    Ok(())
}
