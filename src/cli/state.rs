//! `rewind state`: a stream's state at a version, time or position, or what one event
//! changed (`--diff`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use crate::replay::{ReducerSpec, Target, TimeTravel};
use crate::store::{Position, Version, timestamp};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind state Account-7                              the state now
  rewind state Account-7 --at-version 40
  rewind state Account-7 --at-time 2026-05-01T12:00   (no offset: UTC)
  rewind state Account-7 --at-position 1042
  rewind state Account-7 --at-version 41 --diff       what event 41 changed (RFC 6902)
  rewind state Order-3 --reducer my-order.js

Prints {\"stream_id\",\"version\",\"state\",\"reducer\",\"snapshot_version\",\"replayed\"};
with --diff {\"stream_id\",\"from_version\",\"to_version\",\"patch\"}. The reducer is the
script config.toml maps to the stream's category, else --reducer, else the built-in
merge patch (each event's data merged into the state). A version past the end is an
error; version 0, or a moment before the first event, gives version 0 and {}.")]
pub struct StateArgs {
    /// The stream id
    pub stream: String,
    /// The state after this version
    #[arg(long, value_name = "N", group = "at")]
    pub at_version: Option<Version>,
    /// The state at this time: the last version recorded at or before it
    #[arg(long, value_name = "T", group = "at", value_parser = timestamp::parse_user_time)]
    pub at_time: Option<DateTime<Utc>>,
    /// The state at this global position: the last version at or below it
    #[arg(long, value_name = "P", group = "at")]
    pub at_position: Option<Position>,
    /// Fold with this reducer script instead of the configured one
    #[arg(long, value_name = "FILE")]
    pub reducer: Option<PathBuf>,
    /// Print the JSON Patch the event at that version made, not the state
    #[arg(long)]
    pub diff: bool,
}

pub async fn run(context: &Context, args: StateArgs) -> CliResult {
    let store = context.open_for_reading().await?;
    let config = context.folds_for(&store).await?;
    let spec = ReducerSpec::for_category(
        &config,
        &store.stream_category(&args.stream).await?,
        args.reducer.as_deref(),
    )?;
    let travel = TimeTravel::new(store, spec, context.config.snapshot_every);
    let target = match (args.at_version, args.at_time, args.at_position) {
        (Some(v), _, _) => Target::Version(v),
        (_, Some(t), _) => Target::Time(t),
        (_, _, Some(p)) => Target::Position(p),
        _ => Target::Latest,
    };
    let mut out = context.output();
    if args.diff {
        let version = travel.resolve(&args.stream, target).await?;
        out.summary(&travel.diff_at(&args.stream, version).await?)
            .map_err(stdout_error)?;
    } else {
        out.summary(&travel.state_at(&args.stream, target).await?)
            .map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

#[cfg(test)]
mod tests {
    use crate::store::timestamp::parse_user_time as parse_time;

    #[test]
    fn times_without_offset_are_utc() {
        let t = |s| parse_time(s).map(|t| crate::store::timestamp::format(&t));
        assert_eq!(
            t("2026-01-15T10:30").unwrap(),
            "2026-01-15T10:30:00.000000Z"
        );
        assert_eq!(
            t("2026-01-15T10:30:05.5").unwrap(),
            "2026-01-15T10:30:05.500000Z"
        );
        assert_eq!(t("2026-01-15").unwrap(), "2026-01-15T00:00:00.000000Z");
        assert_eq!(
            t("2026-01-15T12:30:00+02:00").unwrap(),
            "2026-01-15T10:30:00.000000Z"
        );
        assert!(t("last tuesday").is_err());
    }
}
