//! `rewind log`: the global log in log order, filtered, optionally followed live.

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use super::matching::WhereArg;
use super::output::Output;
use crate::store::{DEFAULT_PAGE, LogFilter, LogQuery, Position, Store};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind log --limit 10                            the first ten events
  rewind log --after 1042 --follow                 everything after event 1042, then live
  rewind log --type MoneyDeposited --type MoneyWithdrawn --category Account
  rewind log --correlation 0190c3a2-...            one command's events across streams
  rewind log --where \"type = 'MoneyDeposited' and data.amount >= 1000\"

--from-position P prints events whose position is P or more; --after P continues after the
event at position P (a cursor, as for checkpoints). Filters match literally and
case-sensitively. --follow runs until interrupted (Ctrl-C).")]
pub struct LogArgs {
    /// Events at this position or later (inclusive)
    #[arg(long, value_name = "P", conflicts_with = "after")]
    pub from_position: Option<Position>,
    /// Events after the event at position P in log order (0: from the start)
    #[arg(long, value_name = "P")]
    pub after: Option<Position>,
    /// Print at most N events
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only events of this type (repeat for several)
    #[arg(long = "type", value_name = "T")]
    pub event_types: Vec<String>,
    /// Only events of streams in this category
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// Only events whose metadata.correlation_id is ID
    #[arg(long, value_name = "ID")]
    pub correlation: Option<String>,
    #[command(flatten)]
    pub matching: WhereArg,
    /// Keep running, printing new events as they are appended (by any process)
    #[arg(long)]
    pub follow: bool,
}

pub async fn run(context: &Context, args: LogArgs) -> CliResult {
    let matching = args.matching.parse()?;
    let store = context.open_for_reading().await?;
    let start = Start {
        after: args.after.unwrap_or(0),
        min_position: args.from_position,
    };
    let filter = LogFilter {
        event_types: args.event_types,
        category: args.category,
        correlation_id: args.correlation,
        streams: Vec::new(),
        matching,
    };
    let mut out = context.output();
    if args.follow {
        follow(
            &store,
            start,
            filter,
            args.limit.unwrap_or(usize::MAX),
            &mut out,
        )
        .await
    } else {
        catch_up(&store, start, filter, args.limit, &mut out).await
    }
}

/// Where the log is read from: a cursor and an inclusive lower bound.
#[derive(Clone, Copy)]
struct Start {
    after: Position,
    min_position: Option<Position>,
}

/// Pages through the log up to its current end.
async fn catch_up(
    store: &Store,
    start: Start,
    filter: LogFilter,
    limit: Option<usize>,
    out: &mut Output,
) -> CliResult {
    let query = LogQuery {
        after: start.after,
        min_position: start.min_position,
        filter,
        limit: DEFAULT_PAGE,
    };
    let mut pages = store.pages(query, limit);
    while let Some(page) = pages.next_page().await? {
        for event in &page {
            out.event(event).map_err(stdout_error)?;
        }
    }
    out.flush().map_err(stdout_error)
}

/// The past, then live events until Ctrl-C (or the limit), flushing after each batch.
async fn follow(
    store: &Store,
    start: Start,
    filter: LogFilter,
    limit: usize,
    out: &mut Output,
) -> CliResult {
    let page = limit.min(DEFAULT_PAGE);
    let mut subscription = store.subscribe_with(start.after, start.min_position, filter, page);
    let mut remaining = limit;
    while remaining > 0 {
        let batch = tokio::select! {
            batch = subscription.next_batch() => batch?,
            _ = tokio::signal::ctrl_c() => break,
        };
        for event in batch.iter().take(remaining) {
            out.event(event).map_err(stdout_error)?;
        }
        remaining = remaining.saturating_sub(batch.len());
        out.flush().map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}
