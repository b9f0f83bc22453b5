//! `rewind snapshot build|list|verify`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use crate::replay::{ReducerSpec, TimeTravel};
use crate::store::{DEFAULT_PAGE, SnapshotsQuery, Store, StreamsQuery};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind snapshot build Account-1 --every 50
  rewind snapshot build --all
  rewind snapshot list --all
  rewind snapshot verify --all        exit 1 (listing the drift) if a snapshot differs

Snapshots are kept per stream, reducer id and version, as a history. State queries start
from the newest one at or below the version asked for, by the same reducer id.")]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub command: SnapshotCommand,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Replay streams and store a snapshot every N versions
    Build {
        #[command(flatten)]
        which: Which,
        /// Snapshot every N versions [default: config's snapshot_every]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        every: Option<u64>,
        /// Fold with this reducer script instead of the configured one
        #[arg(long, value_name = "FILE")]
        reducer: Option<PathBuf>,
    },
    /// List snapshots: {"stream_id","version","reducer","created_at","bytes"}
    List {
        /// One stream's snapshots (all streams' without it)
        stream: Option<String>,
        /// Every stream's snapshots (the default)
        #[arg(long, conflicts_with = "stream")]
        all: bool,
    },
    /// Check snapshots against a full replay; exit 1 listing any drift
    Verify {
        #[command(flatten)]
        which: Which,
        /// Fold with this reducer script instead of the configured one
        #[arg(long, value_name = "FILE")]
        reducer: Option<PathBuf>,
    },
}

/// A stream, or --all.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Which {
    /// The stream id
    stream: Option<String>,
    /// Every stream
    #[arg(long)]
    all: bool,
}

pub async fn run(context: &Context, args: SnapshotArgs) -> CliResult {
    match args.command {
        SnapshotCommand::Build {
            which,
            every,
            reducer,
        } => {
            let store = context.open_for_writing().await?;
            if store.is_read_only() {
                return Err(crate::store::StoreError::ReadOnly("snapshot build").into());
            }
            let every = every.unwrap_or(context.config.snapshot_every);
            let mut out = context.output();
            let travels = Travels::new(context, context.folds_for(&store).await?, &store, reducer);
            for_each_stream(
                &store,
                &which,
                |stream| {
                    let travels = travels.clone();
                    async move {
                        let travel = travels.get(&stream).await?;
                        let built = travel.build_snapshots(&stream, every).await?;
                        Ok(Some(serde_json::to_value(built).expect("serializes")))
                    }
                },
                &mut out,
            )
            .await?;
            Ok(())
        }
        SnapshotCommand::List { stream, .. } => {
            let store = context.open_for_reading().await?;
            let mut out = context.output();
            let mut pages = store.pages(
                SnapshotsQuery {
                    stream_id: stream,
                    after: None,
                    limit: DEFAULT_PAGE,
                },
                None,
            );
            while let Some(page) = pages.next_page().await? {
                for snapshot in &page {
                    out.summary(snapshot).map_err(stdout_error)?;
                }
            }
            out.flush().map_err(stdout_error)
        }
        SnapshotCommand::Verify { which, reducer } => {
            let store = context.open_for_reading().await?;
            let mut out = context.output();
            let travels = Travels::new(context, context.folds_for(&store).await?, &store, reducer);
            let counts = std::sync::Arc::new(std::sync::Mutex::new((0u64, 0u64)));
            for_each_stream(
                &store,
                &which,
                |stream| {
                    let travels = travels.clone();
                    let counts = counts.clone();
                    async move {
                        let travel = travels.get(&stream).await?;
                        let report = travel.verify_snapshots(&stream).await?;
                        let mut c = counts.lock().expect("not poisoned");
                        c.0 += report.checked;
                        c.1 += report.drifts.len() as u64;
                        Ok(if report.drifts.is_empty() {
                            None
                        } else {
                            Some(serde_json::to_value(report.drifts).expect("serializes"))
                        })
                    }
                },
                &mut out,
            )
            .await?;
            let (checked, drifted) = *counts.lock().expect("not poisoned");
            if drifted > 0 {
                return Err(CliError::Input(format!(
                    "{drifted} of {checked} snapshots differ from a full replay (listed above)"
                )));
            }
            eprintln!("{checked} snapshots match a full replay");
            Ok(())
        }
    }
}

/// One TimeTravel per category (each category has its own reducer).
#[derive(Clone)]
struct Travels<'a> {
    context: &'a Context,
    /// The config the store's events fold with (a demo store's includes its folds).
    config: std::sync::Arc<crate::config::Config>,
    store: &'a Store,
    reducer: Option<PathBuf>,
    /// One time machine per category (shared by the clones each stream's task takes).
    by_category: std::sync::Arc<std::sync::Mutex<HashMap<String, TimeTravel>>>,
}

impl<'a> Travels<'a> {
    fn new(
        context: &'a Context,
        config: crate::config::Config,
        store: &'a Store,
        reducer: Option<PathBuf>,
    ) -> Self {
        Travels {
            context,
            config: std::sync::Arc::new(config),
            store,
            reducer,
            by_category: Default::default(),
        }
    }

    async fn get(&self, stream: &str) -> Result<TimeTravel, CliError> {
        let category = self.store.stream_category(stream).await?;
        let cached = self
            .by_category
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&category)
            .cloned();
        if let Some(travel) = cached {
            return Ok(travel);
        }
        let spec = ReducerSpec::for_category(&self.config, &category, self.reducer.as_deref())?;
        let travel = TimeTravel::new(self.store.clone(), spec, self.context.config.snapshot_every);
        self.by_category
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(category, travel.clone());
        Ok(travel)
    }
}

/// Runs `f` for the named stream or every stream, with a progress bar on a terminal,
/// printing what `f` returns (an array prints one line per element).
async fn for_each_stream<F, Fut>(
    store: &Store,
    which: &Which,
    mut f: F,
    out: &mut super::output::Output,
) -> CliResult
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = CliResult<Option<serde_json::Value>>>,
{
    let total = match &which.stream {
        Some(_) => 1,
        None => store.stats().await?.streams,
    };
    let bar = progress_bar(total);
    let print = |value: Option<serde_json::Value>, out: &mut super::output::Output| -> CliResult {
        match value {
            Some(serde_json::Value::Array(items)) => {
                for item in items {
                    out.summary(&item).map_err(stdout_error)?;
                }
            }
            Some(item) => out.summary(&item).map_err(stdout_error)?,
            None => {}
        }
        Ok(())
    };
    if let Some(stream) = &which.stream {
        let value = f(stream.clone()).await?;
        print(value, out)?;
    } else {
        let mut pages = store.pages(
            StreamsQuery {
                limit: DEFAULT_PAGE,
                ..Default::default()
            },
            None,
        );
        while let Some(page) = pages.next_page().await? {
            for stream in page {
                bar.set_message(stream.stream_id.clone());
                let value = f(stream.stream_id).await?;
                print(value, out)?;
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    out.flush().map_err(stdout_error)
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() || total < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} streams  {eta} left  {msg}")
    {
        bar.set_style(style);
    }
    bar
}
