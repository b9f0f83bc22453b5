//! `rewind types`: the event-type catalog, brought up to date (only new events read).

use clap::Args;

use super::Context;
use super::error::{CliResult, stdout_error};
use super::output::{Format, clip};
use crate::catalog::Catalog;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind types --format table                 one line a type, shape changes flagged
  rewind types --type MoneyDeposited          one type, its fields per schema version

The catalog is kept in the store's own state (a sidecar for another project's store): a
second run reads only the events appended since. A shape change without a schema_version
bump (a field that appeared, disappeared or changed JSON type for good) names its first
event as stream@version and position.")]
pub struct TypesArgs {
    /// Only this event type
    #[arg(long = "type", value_name = "T")]
    pub event_type: Option<String>,
}

pub async fn run(context: &Context, args: TypesArgs) -> CliResult {
    let store = context.open_for_reading().await?;
    let (catalog, refresh) = Catalog::refresh(&store).await?;
    // On stderr, as `export` reports: what this run read, and whether it was kept.
    eprintln!(
        "types: {} events read since the last run{}",
        refresh.read,
        if refresh.saved {
            ""
        } else {
            " (not kept: the store is read-only)"
        }
    );
    let mut out = context.output();
    let wanted = |name: &str| args.event_type.as_deref().is_none_or(|t| t == name);
    match out.format() {
        Format::Json => {
            for report in catalog.reports() {
                if wanted(report["event_type"].as_str().unwrap_or_default()) {
                    out.json(&report).map_err(stdout_error)?;
                }
            }
        }
        Format::Table => {
            out.text(&format!(
                "{:<28} {:>10}  {:<24} {:<8} {:<10} {:<10} SHAPE",
                "TYPE", "COUNT", "CATEGORIES", "VERSIONS", "FIRST", "LAST"
            ))
            .map_err(stdout_error)?;
            for (name, entry) in &catalog.types {
                if !wanted(name) {
                    continue;
                }
                let categories: Vec<&str> = entry.categories.keys().map(String::as_str).collect();
                let versions: Vec<String> = entry.shapes.keys().map(u32::to_string).collect();
                let day = |t: &Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
                };
                let drift: Vec<String> = entry
                    .shapes
                    .iter()
                    .flat_map(|(v, shape)| {
                        shape.drift().into_iter().map(move |d| {
                            format!(
                                "v{v} {} {} at {}@{} (position {})",
                                d.field,
                                d.change,
                                d.event.stream_id,
                                d.event.version,
                                d.event.position
                            )
                        })
                    })
                    .collect();
                out.text(&format!(
                    "{:<28} {:>10}  {:<24} {:<8} {:<10} {:<10} {}",
                    name,
                    entry.count,
                    clip(&categories.join(","), 24),
                    versions.join(","),
                    day(&entry.first_recorded),
                    day(&entry.last_recorded),
                    if drift.is_empty() {
                        "steady".to_owned()
                    } else {
                        drift.join("; ")
                    }
                ))
                .map_err(stdout_error)?;
                if args.event_type.is_some() {
                    for (version, shape) in &entry.shapes {
                        out.text(&format!(
                            "  schema_version {version}: {} events",
                            shape.count
                        ))
                        .map_err(stdout_error)?;
                        for (path, field) in &shape.fields {
                            let types: Vec<String> = field
                                .types
                                .iter()
                                .map(|(t, seen)| format!("{t} {}", seen.count))
                                .collect();
                            out.text(&format!(
                                "    {:<32} {:>7}  {:<28} e.g. {}",
                                path,
                                crate::catalog::presence(field.present, shape.count),
                                types.join(", "),
                                field.example
                            ))
                            .map_err(stdout_error)?;
                        }
                    }
                }
            }
        }
    }
    out.flush().map_err(stdout_error)
}
