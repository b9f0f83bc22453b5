//! `rewind streams`: the streams with their versions and times.

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use super::matching::WhereArg;
use crate::store::{DEFAULT_PAGE, StreamsQuery};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind streams                                   every stream
  rewind streams --category Account --format table
  rewind streams --where \"type = 'AccountClosed'\"     streams with an AccountClosed event")]
pub struct StreamsArgs {
    /// Only streams of this category (matched literally)
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// Print at most N streams
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only streams with an event this expression matches (see `rewind log --help`)
    #[arg(long = "where", value_name = "EXPR")]
    pub expression: Option<String>,
}

pub async fn run(context: &Context, args: StreamsArgs) -> CliResult {
    let matching = WhereArg {
        expression: args.expression,
    }
    .parse()?;
    let store = context.open_for_reading().await?;
    let mut out = context.output();
    let query = StreamsQuery {
        category: args.category,
        after: None,
        limit: DEFAULT_PAGE,
        matching,
    };
    let mut pages = store.pages(query, args.limit);
    while let Some(page) = pages.next_page().await? {
        for stream in &page {
            out.stream(stream).map_err(stdout_error)?;
        }
    }
    out.flush().map_err(stdout_error)
}
