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
    /// Show a checkpoint, or move it to another position (a recovery without a reset)
    #[command(after_help = "\
Examples:
  rewind project checkpoint orders                      {\"name\",\"position\",\"state\",\"updated_at\"}
  rewind project checkpoint orders --move-to 1042       resume after event 1042 next time

Moving keeps the partitions' state as it is: the events between the old and the new
position are not folded (moving forward) or folded again (moving back).")]
    Checkpoint(CheckpointArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The checkpoint's name
    pub name: String,
    /// Set the checkpoint's position: the next run resumes after the event at P
    #[arg(long, value_name = "P")]
    pub move_to: Option<Position>,
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
    match args.command {
        ProjectCommand::Run(args) => run_projection(context, args).await,
        ProjectCommand::Checkpoint(args) => checkpoint(context, args).await,
    }
}

async fn checkpoint(context: &Context, args: CheckpointArgs) -> CliResult {
    let store = match args.move_to {
        Some(_) => context.open_for_writing().await?,
        None => context.open_for_reading().await?,
    };
    let Some(mut checkpoint) = store.load_checkpoint(&args.name).await? else {
        return Err(CliError::Input(format!(
            "no checkpoint named {}",
            args.name
        )));
    };
    if let Some(position) = args.move_to {
        let mut state: serde_json::Value =
            serde_json::from_str(checkpoint.state.get()).map_err(|e| {
                CliError::Input(format!("checkpoint {} is not readable: {e}", args.name))
            })?;
        let moves = state["moves"].as_array().cloned().unwrap_or_default();
        let mut moves = moves;
        moves.push(serde_json::json!({"from": checkpoint.position, "to": position}));
        state["moves"] = serde_json::Value::Array(moves);
        checkpoint.position = position;
        checkpoint.state = serde_json::value::to_raw_value(&state).expect("serializes");
        checkpoint.updated_at = crate::store::timestamp::now();
        store.save_checkpoint(checkpoint.clone()).await?;
    }
    let mut out = context.output();
    out.summary(&serde_json::json!({
        "name": checkpoint.name,
        "position": checkpoint.position,
        "state": serde_json::from_str::<serde_json::Value>(checkpoint.state.get()).unwrap_or_default(),
        "updated_at": crate::store::timestamp::format(&checkpoint.updated_at),
    }))
    .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

async fn run_projection(context: &Context, args: RunArgs) -> CliResult {
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
    // Refused before the run, not at the first emit: a foreign store is never written.
    if args.emit
        && !store.capabilities().writable
        && let Some(why) = &store.capabilities().write_refusal
    {
        return Err(CliError::Input(format!("--emit refused: {why}")));
    }
    let options = RunOptions {
        from_position: args.from_position,
        until_position: args.until_position,
        checkpoint: args.checkpoint.clone(),
        reset: args.reset,
        skip_positions: args.skip_position.clone(),
        emit: args.emit,
        limits: script_limits(&context.config),
        upcasters: load_upcasters(&context.folds_for(&store).await?)?,
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
    let mut printed_logs = 0;
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
            for line in &state.logged[printed_logs..] {
                eprintln!("log: {line}");
            }
            printed_logs = state.logged.len();
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
