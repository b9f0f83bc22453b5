//! The event composer (`a`, from any view): stream, type, expected version (prefilled
//! with the stream's current version), data and metadata in editors; `Ctrl-s` appends
//! through the store. A concurrency conflict is shown in the composer and writes nothing.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use super::Keep;
use crate::store::{ExpectedVersion, NewEvent};
use crate::tui::effect::Effects;
use crate::tui::io::{Request, Response};
use crate::tui::theme::Theme;

/// The fields, in Tab order.
const FIELDS: [&str; 5] = ["stream", "event type", "expected", "data", "metadata"];
const STREAM: usize = 0;
const EXPECTED: usize = 2;
const DATA: usize = 3;

/// What the composer asks the app to do after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum ComposerAction {
    None,
    Close,
    /// Look up this stream's version (to prefill the expected version).
    LookUp(String),
    Submit,
}

/// What the composer shows under its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Info(String),
    Conflict(String),
    Error(String),
}

pub struct Composer {
    fields: Vec<TextArea<'static>>,
    pub focus: usize,
    pub sending: bool,
    pub outcome: Option<Outcome>,
    /// The stream whose version filled the expected field (so it is not refilled).
    looked_up: Option<String>,
    /// The append went through: the app closes the composer.
    pub finished: bool,
}

/// An editor holding `text`, its cursor at the end (where a correction starts).
fn editor(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.lines().map(str::to_owned).collect());
    area.set_cursor_line_style(Style::new());
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area
}

impl Composer {
    pub fn new(stream: Option<String>) -> Composer {
        let stream_text = stream.clone().unwrap_or_default();
        let mut fields = vec![
            editor(&stream_text),
            editor(""),
            editor("any"),
            editor("{\n  \n}"),
            editor("{}"),
        ];
        fields[DATA].set_line_number_style(Style::new().dim());
        let mut composer = Composer {
            fields,
            focus: if stream.is_some() { 1 } else { STREAM },
            sending: false,
            outcome: None,
            looked_up: None,
            finished: false,
        };
        // Inside the braces, ready for the first field.
        composer.fields[DATA].move_cursor(ratatui_textarea::CursorMove::Up);
        composer.fields[DATA].move_cursor(ratatui_textarea::CursorMove::End);
        composer
    }

    pub fn text(&self, field: usize) -> String {
        self.fields[field].lines().join("\n")
    }

    pub fn stream_id(&self) -> String {
        self.text(STREAM).trim().to_owned()
    }

    /// The stream's current version arrived: prefill the expected version with it.
    pub fn version_arrived(&mut self, stream: &str, version: u64) {
        if self.stream_id() == stream {
            self.fields[EXPECTED] = editor(&version.to_string());
            self.looked_up = Some(stream.to_owned());
        }
    }

    /// A key while the composer is open. Keys type into the focused field, but for Esc
    /// (close), Tab/Shift-Tab (next/previous field) and Ctrl-s (append).
    pub fn key(&mut self, key: KeyEvent) -> ComposerAction {
        if self.sending {
            return ComposerAction::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return ComposerAction::Close,
            KeyCode::Char('s') if ctrl => return ComposerAction::Submit,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Enter
                if key.code != KeyCode::Enter || self.focus < DATA =>
            {
                let leaving = self.focus;
                self.focus = if key.code == KeyCode::BackTab {
                    (self.focus + FIELDS.len() - 1) % FIELDS.len()
                } else {
                    (self.focus + 1) % FIELDS.len()
                };
                if self.focus < DATA {
                    // A one-line field: the cursor goes to its end.
                    self.fields[self.focus].move_cursor(ratatui_textarea::CursorMove::End);
                }
                let stream = self.stream_id();
                if leaving == STREAM
                    && !stream.is_empty()
                    && self.looked_up.as_deref() != Some(stream.as_str())
                {
                    return ComposerAction::LookUp(stream);
                }
            }
            _ => {
                self.fields[self.focus].input(key);
            }
        }
        ComposerAction::None
    }

    /// The append the fields describe, or what is wrong with them (nothing is sent then).
    pub fn request(&self) -> Result<(String, ExpectedVersion, NewEvent), String> {
        let stream = self.stream_id();
        if stream.is_empty() {
            return Err("the stream is empty".into());
        }
        let event_type = self.text(1).trim().to_owned();
        if event_type.is_empty() {
            return Err("the event type is empty".into());
        }
        let expected_text = self.text(EXPECTED);
        let expected = expected_text
            .trim()
            .parse::<ExpectedVersion>()
            .map_err(|e| format!("expected version: {e}"))?;
        let json = |field: usize, what: &str| {
            serde_json::value::RawValue::from_string(self.text(field))
                .map_err(|e| format!("{what} is not valid JSON: {e}"))
        };
        let event = NewEvent {
            event_id: None,
            event_type,
            data: json(DATA, "data")?,
            metadata: Some(json(4, "metadata")?),
            schema_version: 1,
        };
        Ok((stream, expected, event))
    }

    /// A key as the top overlay: the composer's own action, carried out.
    pub fn overlay_key(&mut self, key: KeyEvent, fx: &mut Effects) -> Keep {
        match self.key(key) {
            ComposerAction::None => {}
            ComposerAction::Close => return Keep::Close,
            ComposerAction::LookUp(stream) => fx.request(Request::StreamVersion(stream)),
            ComposerAction::Submit => match self.request() {
                Err(e) => self.outcome = Some(Outcome::Error(e)),
                Ok((stream, expected, event)) => {
                    self.sending = true;
                    self.outcome = None;
                    fx.request(Request::Append {
                        stream,
                        expected,
                        event: Box::new(event),
                    });
                }
            },
        }
        Keep::Open
    }

    /// The stream's version (to prefill) and the append's answer: done with a message,
    /// or the error kept here (a conflict says so; nothing was written). A stored event
    /// goes on to the screens (the open stream shows it).
    pub fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::StreamVersion(stream, version) => {
                self.version_arrived(&stream, version);
                return Some(Response::StreamVersion(stream, version));
            }
            Response::Appended(Ok(event)) => {
                self.finished = true;
                fx.say(format!(
                    "appended {} to {}@{} at position {}",
                    event.event_type, event.stream_id, event.version, event.global_position
                ));
                return Some(Response::Appended(Ok(event)));
            }
            Response::Appended(Err(e)) => {
                self.sending = false;
                self.outcome = Some(if e.is_conflict() {
                    Outcome::Conflict(format!("{e} — nothing written"))
                } else {
                    Outcome::Error(e.to_string())
                });
            }
            other => return Some(other),
        }
        None
    }

    pub fn render(&self, frame: &mut Frame, theme: &Theme) {
        let area = centered(frame.area(), 80, 90);
        frame.render_widget(Clear, area);
        let block = Block::bordered()
            .title(" Append an event · Tab next field · Ctrl-s append · Esc close ")
            .border_style(theme.key);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [names, data, metadata, outcome] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Min(4),
            Constraint::Length(4),
            Constraint::Length(2),
        ])
        .areas(inner);
        let [stream, kind, expected] = Layout::horizontal([
            Constraint::Percentage(45),
            Constraint::Percentage(35),
            Constraint::Percentage(20),
        ])
        .areas(names);
        for (index, area) in [stream, kind, expected, data, metadata]
            .into_iter()
            .enumerate()
        {
            let mut field = self.fields[index].clone();
            let focused = index == self.focus;
            let mut block = Block::bordered().title(format!(" {} ", FIELDS[index]));
            if focused {
                block = block.border_style(theme.key);
            } else {
                field.set_cursor_style(Style::new());
            }
            field.set_block(block);
            frame.render_widget(&field, area);
        }
        let line = match (&self.outcome, self.sending) {
            (_, true) => Line::raw("appending…"),
            (Some(Outcome::Info(text)), _) => Line::styled(text.clone(), theme.muted),
            (Some(Outcome::Conflict(text)), _) => {
                Line::styled(format!("CONCURRENCY CONFLICT: {text}"), theme.removed)
            }
            (Some(Outcome::Error(text)), _) => Line::styled(text.clone(), theme.removed),
            (None, false) => Line::styled(
                "expected version: any, no-stream, exists or a number (prefilled with the stream's)",
                theme.muted,
            ),
        };
        frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), outcome);
    }
}

/// A rectangle `pw`% wide and `ph`% high in the middle of `area`.
fn centered(area: Rect, pw: u16, ph: u16) -> Rect {
    let [_, middle, _] = Layout::vertical([
        Constraint::Percentage((100 - ph) / 2),
        Constraint::Percentage(ph),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, center, _] = Layout::horizontal([
        Constraint::Percentage((100 - pw) / 2),
        Constraint::Percentage(pw),
        Constraint::Fill(1),
    ])
    .areas(middle);
    center
}
