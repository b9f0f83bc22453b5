//! `rewind project run`: an EventStoreDB-style projection over the log.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use crate::projection::{Projection, ProjectionError, RunOptions};
use crate::replay::{load_upcasters, script_limits};
use crate::script::ScriptSource;
use crate::store::{Position, StoreError};

/// Run projections (JavaScript, EventStoreDB's API) over the global log
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind project run assets/projections/balance_per_account.js
  rewind project run orders.js --checkpoint orders --follow

See `rewind project run --help` for checkpoints, recovery and positions.")]
pub struct ProjectArgs {
    #[command(subcommand)]
    pub command: ProjectCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Run a projection from its checkpoint (or the start) to the head, print the result
    #[command(after_help = "\
Examples:
  rewind project run assets/projections/balance_per_account.js
  rewind project run orders.js --checkpoint orders        resume where the last run stopped
  rewind project run orders.js --checkpoint orders --skip-position 1042   past a poison event
  rewind project run orders.js --checkpoint orders --reset                 from scratch
  rewind project run revenue.js --from-position 1000 --until-position 5000
  rewind project run balance.js --follow                   print the result after each batch

Prints the result as one JSON document: the state, or for a partitioned projection
(foreachStream, partitionBy) an object of partition key -> state. What emit/linkTo would
write is listed on stderr and never written. A script error exits 1 naming the error, the
script line and the event's global position; the checkpoint stays at the last good event.")]
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The projection script
    pub file: PathBuf,
    /// Start at this global position (inclusive, log order)
    #[arg(long, value_name = "P")]
    pub from_position: Option<Position>,
    /// Stop after this global position (inclusive, log order)
    #[arg(long, value_name = "P")]
    pub until_position: Option<Position>,
    /// Keep running on new appends, printing the result after each batch
    #[arg(long)]
    pub follow: bool,
    /// Resume from and save to this named checkpoint
    #[arg(long, value_name = "NAME")]
    pub checkpoint: Option<String>,
    /// Skip the event at this position (repeatable); recorded in the checkpoint
    #[arg(long, value_name = "P")]
    pub skip_position: Vec<Position>,
    /// Drop the checkpoint first and rebuild from the start
    #[arg(long, requires = "checkpoint")]
    pub reset: bool,
    /// Let emit/linkTo append their events to the store (otherwise only listed)
    #[arg(long)]
    pub emit: bool,
}

pub async fn run(context: &Context, args: ProjectArgs) -> CliResult {
    let ProjectCommand::Run(args) = args.command;
    let code = std::fs::read_to_string(&args.file)
        .map_err(CliError::io(format!("cannot read {}", args.file.display())))?;
    let source = ScriptSource {
        name: args.file.display().to_string(),
        code,
    };
    let writes = args.checkpoint.is_some() || args.emit;
    let store = if writes {
        context.open_for_writing().await?
    } else {
        context.open_for_reading().await?
    };
    if writes && store.is_read_only() {
        let what = if args.emit { "emit" } else { "checkpoint" };
        return Err(StoreError::ReadOnly(what).into());
    }
    let options = RunOptions {
        from_position: args.from_position,
        until_position: args.until_position,
        checkpoint: args.checkpoint.clone(),
        reset: args.reset,
        skip_positions: args.skip_position.clone(),
        emit: args.emit,
        limits: script_limits(&context.config),
        upcasters: load_upcasters(&context.config)?,
    };
    let mut projection = Projection::new(store, source, options);
    let bar = progress_bar();
    let progress = bar.clone();
    projection.on_progress(move |p| {
        progress.set_length(p.head);
        progress.set_position(p.position);
        progress.set_message(format!("{:.0} events/s", p.events_per_second));
    });
    let mut out = context.output();
    let mut printed_emits = 0;
    let mut failure = None;
    let outcome = projection
        .run(args.follow, |state| {
            for emitted in &state.emitted[printed_emits..] {
                if args.emit {
                    eprintln!("emitted: {emitted}");
                } else {
                    eprintln!("would emit (not written without --emit): {emitted}");
                }
            }
            printed_emits = state.emitted.len();
            if let Err(e) = out.summary(&state.result).and_then(|_| out.flush()) {
                failure.get_or_insert(e);
            }
        })
        .await;
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(stdout_error(e));
    }
    match outcome {
        Ok(state) => {
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "processed {} events up to position {} ({} handled, {} skipped)",
                    state.processed,
                    state.position,
                    state.handled,
                    state.skipped.len()
                );
            }
            Ok(())
        }
        Err(ProjectionError::Faulted {
            error,
            checkpoint_position,
        }) => {
            let kept = match (checkpoint_position, &args.checkpoint) {
                (Some(p), Some(name)) => format!("; checkpoint {name} kept at position {p}"),
                _ => String::new(),
            };
            Err(CliError::Input(format!(
                "projection faulted: {error}{kept}"
            )))
        }
        Err(ProjectionError::Store(e)) => Err(e.into()),
        Err(e) => Err(CliError::Input(e.to_string())),
    }
}

/// A bar of position / head on a terminal; hidden elsewhere.
fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} position {pos}/{len}  {msg}  {eta} left")
    {
        bar.set_style(style);
    }
    bar
}
