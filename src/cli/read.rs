//! `rewind read`: one stream's events, paged through the store.

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use super::matching::WhereArg;
use crate::store::{DEFAULT_PAGE, Direction, StreamPages, StreamQuery, Version};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind read Account-7                         the whole stream
  rewind read Account-7 --from 10 --to 20       versions 10 to 20 (inclusive)
  rewind read Account-7 --backward --limit 1    the newest event
  rewind read Account-7 --where \"data.amount > 500\"

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
    #[command(flatten)]
    pub matching: WhereArg,
}

pub async fn run(context: &Context, args: ReadArgs) -> CliResult {
    let matching = args.matching.parse()?;
    let store = context.open_for_reading().await?;
    let mut out = context.output();
    let direction = if args.backward {
        Direction::Backward
    } else {
        Direction::Forward
    };
    let query = StreamQuery {
        from: args.from,
        to: args.to,
        direction,
        limit: DEFAULT_PAGE,
        matching,
    };
    let mut pages = store.pages(
        StreamPages {
            stream_id: args.stream,
            query,
        },
        args.limit,
    );
    while let Some(page) = pages.next_page().await? {
        for event in &page {
            out.event(event).map_err(stdout_error)?;
        }
    }
    out.flush().map_err(stdout_error)
}
