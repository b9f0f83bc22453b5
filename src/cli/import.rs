//! `rewind import`: envelope JSONL (the `export` format), atomically.

use std::io::BufReader;
use std::path::PathBuf;

use clap::Args;

use super::Context;
use super::error::{CliError, CliResult, stdout_error};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind import backup.jsonl
  rewind --db a.db export | rewind --db b.db import -

Everything is kept but global_position, which is given anew in file order. Each stream's
versions must continue where the store has it (1, 2, ... for a new stream). One bad line
(named by its number) and nothing is written. Prints {\"events\",\"streams\",...}.")]
pub struct ImportArgs {
    /// The JSONL file, or - for stdin
    pub file: PathBuf,
}

pub async fn run(context: &Context, args: ImportArgs) -> CliResult {
    let input: Box<dyn std::io::BufRead + Send> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin()))
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(CliError::io(format!("cannot open {}", args.file.display())))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let store = context.open_for_writing().await?;
    let summary = store.import(input).await?;
    let mut out = context.output();
    out.summary(&summary).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}
