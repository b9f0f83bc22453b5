//! `rewind read`: one stream's events, paged through the store.

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use crate::store::{DEFAULT_PAGE, Direction, StreamQuery, Version};

/// Print a stream's events as JSON Lines, oldest first (or newest first with --backward)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind read Account-7                         the whole stream
  rewind read Account-7 --from 10 --to 20       versions 10 to 20 (inclusive)
  rewind read Account-7 --backward --limit 1    the newest event

A stream that does not exist prints nothing.")]
pub struct ReadArgs {
    /// The stream id
    pub stream: String,
    /// The first version to print (inclusive)
    #[arg(long, value_name = "N")]
    pub from: Option<Version>,
    /// The last version to print (inclusive)
    #[arg(long, value_name = "N")]
    pub to: Option<Version>,
    /// Newest first
    #[arg(long)]
    pub backward: bool,
    /// Print at most N events
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

pub async fn run(context: &Context, args: ReadArgs) -> CliResult {
    let store = context.open_for_reading().await?;
    let mut out = context.output();
    let direction = if args.backward {
        Direction::Backward
    } else {
        Direction::Forward
    };
    let (mut from, mut to) = (args.from, args.to);
    let mut remaining = args.limit.unwrap_or(usize::MAX);
    while remaining > 0 {
        let limit = remaining.min(DEFAULT_PAGE);
        let page = store
            .read_stream(
                &args.stream,
                StreamQuery {
                    from,
                    to,
                    direction,
                    limit,
                },
            )
            .await?;
        for event in &page {
            out.event(event).map_err(stdout_error)?;
        }
        remaining -= page.len();
        let Some(last) = page.last() else { break };
        if page.len() < limit {
            break;
        }
        match direction {
            Direction::Forward => from = Some(last.version + 1),
            Direction::Backward if last.version > 1 => to = Some(last.version - 1),
            Direction::Backward => break,
        }
    }
    out.flush().map_err(stdout_error)
}
