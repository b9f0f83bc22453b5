//! `rewind export`: every event, as envelope JSONL in log order.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use super::matching::WhereArg;
use crate::store::expr::Where;
use crate::store::{DEFAULT_PAGE, LogFilter, LogQuery, Store};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind export --out backup.jsonl
  rewind --db a.db export | rewind --db b.db import -
  rewind export --where \"category = 'Account'\" --out accounts.jsonl

With --out, the file appears whole or not at all (written beside it, then renamed).")]
pub struct ExportArgs {
    /// Write to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub matching: WhereArg,
}

pub async fn run(context: &Context, args: ExportArgs) -> CliResult {
    let matching = args.matching.parse()?;
    let store = context.open_for_reading().await?;
    match &args.out {
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
            write_all(&store, &matching, &mut out)
                .await
                .map_err(|e| match e {
                    Export::Io(e) => stdout_error(e),
                    Export::Cli(e) => e,
                })?;
            Ok(())
        }
        Some(path) => {
            let partial = partial_path(path);
            let file = std::fs::File::create(&partial)
                .map_err(CliError::io(format!("cannot create {}", partial.display())))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            let written = write_all(&store, &matching, &mut out).await.and_then(|n| {
                let file = out.into_inner().map_err(|e| Export::Io(e.into_error()))?;
                file.sync_all().map_err(Export::Io)?;
                Ok(n)
            });
            let events = match written {
                Ok(n) => n,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(match e {
                        Export::Io(e) => CliError::Io {
                            context: format!("cannot write {}", partial.display()),
                            source: e,
                        },
                        Export::Cli(e) => e,
                    });
                }
            };
            std::fs::rename(&partial, path)
                .map_err(CliError::io(format!("cannot rename to {}", path.display())))?;
            eprintln!("exported {events} events to {}", path.display());
            Ok(())
        }
    }
}

enum Export {
    Io(std::io::Error),
    Cli(CliError),
}

async fn write_all(
    store: &Store,
    matching: &Option<Where>,
    out: &mut impl Write,
) -> Result<u64, Export> {
    let query = LogQuery {
        limit: DEFAULT_PAGE * 5,
        filter: LogFilter {
            matching: matching.clone(),
            ..LogFilter::default()
        },
        ..LogQuery::default()
    };
    let mut pages = store.pages(query, None);
    let mut events = 0;
    while let Some(page) = pages.next_page().await.map_err(|e| Export::Cli(e.into()))? {
        for event in &page {
            serde_json::to_writer(&mut *out, event).map_err(|e| Export::Io(e.into()))?;
            out.write_all(b"\n").map_err(Export::Io)?;
        }
        events += page.len() as u64;
    }
    out.flush().map_err(Export::Io)?;
    Ok(events)
}

fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
