//! Printing for the CLI: JSON Lines for scripts (the contract), aligned tables for people.

use std::io::{self, BufWriter, Stdout, Write};

use serde::Serialize;

use crate::store::{RecordedEvent, StreamInfo, timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One JSON document a line.
    #[default]
    Json,
    /// Aligned columns for people.
    Table,
}

/// Buffered stdout in the chosen format. Table headers are printed before the first row.
pub struct Output {
    format: Format,
    out: BufWriter<Stdout>,
    header_done: bool,
}

const DATA_WIDTH: usize = 60;

impl Output {
    pub fn new(format: Format) -> Output {
        Output {
            format,
            out: BufWriter::with_capacity(1 << 16, io::stdout()),
            header_done: false,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn event(&mut self, event: &RecordedEvent) -> io::Result<()> {
        match self.format {
            Format::Json => self.json_line(event),
            Format::Table => {
                if !self.header_done {
                    self.header_done = true;
                    writeln!(
                        self.out,
                        "{:>9}  {:<28}  {:<22}  {:<27}  DATA",
                        "POSITION", "STREAM@VERSION", "TYPE", "RECORDED"
                    )?;
                }
                writeln!(
                    self.out,
                    "{:>9}  {:<28}  {:<22}  {:<27}  {}",
                    event.global_position,
                    clip(&format!("{}@{}", event.stream_id, event.version), 28),
                    clip(&event.event_type, 22),
                    timestamp::format(&event.recorded_at),
                    clip(event.data.get(), DATA_WIDTH),
                )
            }
        }
    }

    pub fn stream(&mut self, stream: &StreamInfo) -> io::Result<()> {
        match self.format {
            Format::Json => self.json_line(stream),
            Format::Table => {
                if !self.header_done {
                    self.header_done = true;
                    writeln!(
                        self.out,
                        "{:<32}  {:<16}  {:>8}  {:<22}  {:<27}  {:<27}",
                        "STREAM", "TYPE", "VERSION", "LAST EVENT", "CREATED", "UPDATED"
                    )?;
                }
                writeln!(
                    self.out,
                    "{:<32}  {:<16}  {:>8}  {:<22}  {:<27}  {:<27}",
                    clip(&stream.stream_id, 32),
                    clip(&stream.stream_type, 16),
                    stream.version,
                    clip(&stream.last_event_type, 22),
                    timestamp::format(&stream.created_at),
                    timestamp::format(&stream.updated_at),
                )
            }
        }
    }

    /// A summary document: JSON, or `key: value` lines for people.
    pub fn summary(&mut self, value: &impl Serialize) -> io::Result<()> {
        match self.format {
            Format::Json => self.json_line(value),
            Format::Table => {
                let value = serde_json::to_value(value).map_err(io::Error::other)?;
                if let serde_json::Value::Object(fields) = value {
                    for (key, value) in fields {
                        let text = match value {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        writeln!(self.out, "{key:<16} {text}")?;
                    }
                }
                Ok(())
            }
        }
    }

    /// A JSON value as one line (whatever the format).
    pub fn json(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.json_line(value)
    }

    /// A line of text as it is.
    pub fn text(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.out, "{line}")
    }

    fn json_line(&mut self, value: &impl Serialize) -> io::Result<()> {
        // From<serde_json::Error> keeps an I/O error's kind (a closed pipe stays BrokenPipe).
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Shortens `text` to `width` characters, marking the cut with an ellipsis.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}
