//! `rewind query`: counts, sums, minimums and maximums, per group and the top N,
//! computed by the database over the events `--where` matches.

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use super::matching::WhereArg;
use super::output::Format;
use crate::store::StoreError;
use crate::store::expr::aggregate::{Aggregate, AggregateQuery};
use crate::store::expr::parse_field;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind query count --group-by type                        events per type
  rewind query count --group-by stream --top 10             the ten longest streams
  rewind query sum data.amount --where \"type = 'MoneyDeposited'\" --group-by data.source
  rewind query max recorded_at --group-by category          each category's last event
  rewind query count --where \"not exists metadata.correlation_id\"

One JSON line per group: {\"group\": …, \"count\": N, \"sum\": …} (no group without --group-by).
sum, min and max of a data/metadata field take its numbers and pass other values by.")]
pub struct QueryArgs {
    /// count, sum, min or max
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// The field sum, min and max take (type, version, recorded_at, data.amount, …)
    #[arg(value_name = "FIELD")]
    pub field: Option<String>,
    #[command(flatten)]
    pub matching: WhereArg,
    /// One answer per value of this field
    #[arg(long, value_name = "FIELD")]
    pub group_by: Option<String>,
    /// Only the N groups with the largest answers, largest first
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

pub async fn run(context: &Context, args: QueryArgs) -> CliResult {
    let aggregate = Aggregate::parse(&args.function, args.field.as_deref())
        .map_err(|e| StoreError::InvalidInput(format!("query: {}", e.message)))?;
    let group_by = args
        .group_by
        .as_deref()
        .map(parse_field)
        .transpose()
        .map_err(|e| StoreError::InvalidInput(format!("--group-by: {}", e.message)))?;
    let query = AggregateQuery {
        aggregate,
        matching: args.matching.parse()?,
        group_by,
        top: args.top,
    };
    let store = context.open_for_reading().await?;
    let rows = store.aggregate(query.clone()).await?;
    let mut out = context.output();
    match out.format() {
        Format::Json => {
            for row in &rows {
                out.json(&row.to_json(&query.aggregate))
                    .map_err(stdout_error)?;
            }
        }
        Format::Table => {
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut lines: Vec<Vec<String>> = Vec::new();
            let mut header = Vec::new();
            if query.group_by.is_some() {
                header.push("GROUP".to_owned());
            }
            header.push("COUNT".to_owned());
            if query.aggregate.field().is_some() {
                header.push(query.aggregate.key().to_uppercase());
            }
            lines.push(header);
            for row in &rows {
                let mut line = Vec::new();
                if let Some(group) = &row.group {
                    line.push(text(group));
                }
                line.push(row.count.to_string());
                if let Some(value) = &row.value {
                    line.push(text(value));
                }
                lines.push(line);
            }
            let columns = lines[0].len();
            let widths: Vec<usize> = (0..columns)
                .map(|c| {
                    lines
                        .iter()
                        .map(|l| l[c].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for line in &lines {
                let cells: Vec<String> = line
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(c, (cell, width))| {
                        // The group left-aligned, the figures right-aligned.
                        if c == 0 && query.group_by.is_some() {
                            format!("{cell:<width$}")
                        } else {
                            format!("{cell:>width$}")
                        }
                    })
                    .collect();
                out.text(cells.join("  ").trim_end())
                    .map_err(stdout_error)?;
            }
        }
    }
    out.flush().map_err(stdout_error)
}
