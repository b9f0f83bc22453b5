//! `rewind append`: one event, or a JSONL file of them as one atomic batch.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::Context;
use super::error::{CliError, CliResult, stdout_error};
use crate::store::{AppendSegment, ExpectedVersion, NewEvent, StoreError, validate};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  rewind append Account-1 AccountOpened --data '{\"owner\":\"ada\"}' --expected-version no-stream
  echo '{\"amount\":50}' | rewind append Account-1 MoneyDeposited --data - --expected-version 1
  rewind append --jsonl events.jsonl

A JSONL line: {\"stream_id\",\"event_type\",\"data\",\"metadata\"?,\"event_id\"?,\"expected_version\"?,\"schema_version\"?}.
The whole file is one transaction: every line is appended or none is. A line's
expected_version is checked against its stream as the lines before it left it.
Exit code 3 on a concurrency conflict (the stream is not at the expected version).")]
pub struct AppendArgs {
    /// The stream, e.g. Account-42 (its category is the part before the first '-')
    #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
    pub stream: Option<String>,
    /// The event type, e.g. MoneyDeposited
    #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
    pub event_type: Option<String>,
    /// The event's data: a JSON object, or - to read it from stdin [default: {}]
    #[arg(long, value_name = "JSON|-")]
    pub data: Option<String>,
    /// The event's metadata: a JSON object [default: {}]
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,
    /// any, no-stream, exists, or the stream's current version N
    #[arg(long, value_name = "V", default_value = "any")]
    pub expected_version: ExpectedVersion,
    /// The event's id, for idempotent retries [default: a new UUID v7]
    #[arg(long, value_name = "UUID")]
    pub event_id: Option<Uuid>,
    /// The schema version of the event's data
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub schema_version: u32,
    /// Append the events of a JSONL file (- for stdin) in one atomic batch
    #[arg(long, value_name = "FILE|-")]
    pub jsonl: Option<PathBuf>,
}

pub async fn run(context: &Context, args: AppendArgs) -> CliResult {
    let (segments, lines) = match &args.jsonl {
        Some(file) => parse_jsonl(&read_input(file)?, context.config.max_event_bytes)?,
        None => (
            vec![single(&args, context.config.max_event_bytes)?],
            LineIndex { lines: Vec::new() },
        ),
    };
    let store = context.open_for_writing().await?;
    let stored = store
        .append_batch(segments)
        .await
        .map_err(|e| lines.name(e))?;
    let mut out = context.output();
    for event in &stored {
        out.event(event).map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

fn single(args: &AppendArgs, max_event_bytes: usize) -> CliResult<AppendSegment> {
    let stream = args
        .stream
        .clone()
        .expect("clap requires STREAM without --jsonl");
    let event_type = args
        .event_type
        .clone()
        .expect("clap requires TYPE without --jsonl");
    let data_text = match args.data.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(CliError::io("cannot read --data from stdin"))?;
            text
        }
        Some(text) => text.to_owned(),
        None => "{}".to_owned(),
    };
    let data = validate::json_object("--data", &data_text)?;
    let metadata = args
        .metadata
        .as_deref()
        .map(|m| validate::json_object("--metadata", m))
        .transpose()?;
    let event = NewEvent {
        event_id: args.event_id,
        event_type,
        data,
        metadata,
        schema_version: args.schema_version,
    };
    let mut segment = AppendSegment::new(stream, args.expected_version, vec![event]);
    validate::segments(std::slice::from_mut(&mut segment), max_event_bytes)?;
    Ok(segment)
}

fn read_input(file: &PathBuf) -> CliResult<String> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(CliError::io("cannot read stdin"))?;
    } else {
        text = std::fs::read_to_string(file)
            .map_err(CliError::io(format!("cannot read {}", file.display())))?;
    }
    Ok(text)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    stream_id: String,
    event_type: String,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(default)]
    event_id: Option<Uuid>,
    #[serde(default)]
    expected_version: Option<ExpectedVersion>,
    #[serde(default)]
    schema_version: Option<u32>,
}

/// Where each line of a JSONL batch went, to name the line an error is about.
struct LineIndex {
    /// Per line: its number, stream, expected version (if given) and event id (if given).
    lines: Vec<(u64, String, Option<ExpectedVersion>, Option<Uuid>)>,
}

impl LineIndex {
    fn name(&self, e: StoreError) -> CliError {
        let line = match &e {
            StoreError::Concurrency {
                stream_id,
                expected,
                ..
            } => self
                .lines
                .iter()
                .find(|(_, s, x, _)| s == stream_id && x.unwrap_or_default() == *expected)
                .map(|(n, ..)| *n),
            StoreError::DuplicateEventId { event_id, .. } => self
                .lines
                .iter()
                .find(|(.., id)| *id == Some(*event_id))
                .map(|(n, ..)| *n),
            _ => None,
        };
        match line {
            Some(line) => CliError::AtLine { line, source: e },
            None => CliError::Store(e),
        }
    }
}

/// `rewind append`'s input as the segments it appends (the fuzz targets' entry).
pub fn parse_append_jsonl(text: &str, max_event_bytes: usize) -> CliResult<Vec<AppendSegment>> {
    parse_jsonl(text, max_event_bytes).map(|(segments, _)| segments)
}

/// One segment per run of consecutive lines on one stream; a line with its own
/// `expected_version` starts a new segment, so it is checked where it stands.
fn parse_jsonl(text: &str, max_event_bytes: usize) -> CliResult<(Vec<AppendSegment>, LineIndex)> {
    let mut segments: Vec<AppendSegment> = Vec::new();
    let mut index = LineIndex { lines: Vec::new() };
    for (n, raw_line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        if raw_line.trim().is_empty() {
            continue;
        }
        let bad = |e: StoreError| CliError::Store(e.at_line(line_no));
        let line: Line = serde_json::from_str(raw_line).map_err(|e| {
            CliError::Store(StoreError::BadLine {
                line: line_no,
                reason: e.to_string(),
            })
        })?;
        let event = NewEvent {
            event_id: line.event_id,
            event_type: line.event_type,
            data: validate::object("data", line.data).map_err(bad)?,
            metadata: line
                .metadata
                .map(|m| validate::object("metadata", m))
                .transpose()
                .map_err(bad)?,
            schema_version: line.schema_version.unwrap_or(1),
        };
        let mut segment = AppendSegment::new(
            line.stream_id,
            line.expected_version.unwrap_or_default(),
            vec![event],
        );
        validate::segments(std::slice::from_mut(&mut segment), max_event_bytes).map_err(bad)?;
        index.lines.push((
            line_no,
            segment.stream_id.clone(),
            line.expected_version,
            line.event_id,
        ));
        match segments.last_mut() {
            Some(last)
                if last.stream_id == segment.stream_id && line.expected_version.is_none() =>
            {
                last.events.append(&mut segment.events);
            }
            _ => segments.push(segment),
        }
    }
    if segments.is_empty() {
        return Err(CliError::Input("the JSONL input holds no events".into()));
    }
    Ok((segments, index))
}
