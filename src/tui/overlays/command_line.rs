//! The `:` command line: typed on the footer's line, Tab completing command names,
//! stream ids (from the store) and paths (for `:open`, `:save`, `:export`), its
//! candidates shown above it while there are several.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};

use super::Keep;
use crate::tui::command::CommandKind;
use crate::tui::effect::{Effect, Effects};
use crate::tui::io::{Request, Response};

pub struct CommandLine {
    pub text: String,
    /// What Tab found, while there are several (or why there is none).
    pub candidates: Vec<String>,
    pub note: Option<String>,
}

impl CommandLine {
    pub fn new(text: &str) -> CommandLine {
        CommandLine {
            text: text.to_owned(),
            candidates: Vec::new(),
            note: None,
        }
    }

    pub fn key(&mut self, key: KeyEvent, fx: &mut Effects) -> Keep {
        if key.code != KeyCode::Tab {
            self.candidates.clear();
            self.note = None;
        }
        match key.code {
            KeyCode::Esc => return Keep::Close,
            KeyCode::Backspace if self.text.is_empty() => return Keep::Close,
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Enter => {
                fx.push(Effect::Command(std::mem::take(&mut self.text)));
                return Keep::Close;
            }
            KeyCode::Tab => self.complete(fx),
            KeyCode::Char(c) => self.text.push(c),
            _ => {}
        }
        Keep::Open
    }

    fn complete(&mut self, fx: &mut Effects) {
        let typed = self.text.trim_start().to_owned();
        let Some((name, argument)) = typed.split_once(' ') else {
            let names = CommandKind::completions(&typed);
            match names.as_slice() {
                [] => self.note = Some(format!("no command starts with {typed:?}")),
                [one] => self.text = format!("{one} "),
                several => {
                    self.text = common_prefix(several.iter().copied());
                    self.candidates = several.iter().map(|n| format!(":{n}")).collect();
                }
            }
            return;
        };
        match CommandKind::named(name) {
            Some(CommandKind::Stream) => fx.request(Request::CompleteStream(argument.to_owned())),
            Some(kind) if kind.takes_path() => {
                fx.request(Request::CompletePath(argument.to_owned()))
            }
            _ => {}
        }
    }

    /// Answers to Tab: a stream id, or the paths that start with what was typed.
    pub fn response(&mut self, response: Response, _fx: &mut Effects) -> Option<Response> {
        let Some((name, argument)) = self.text.split_once(' ') else {
            return Some(response);
        };
        let name = name.to_owned();
        match response {
            Response::Completion(prefix, id) if argument == prefix => match id {
                Some(id) => self.text = format!("{name} {id}"),
                None => self.note = Some(format!("no stream starts with {prefix:?}")),
            },
            Response::PathCompletion(prefix, paths) if argument == prefix => match paths.as_slice()
            {
                [] => self.note = Some(format!("no file starts with {prefix:?}")),
                [one] => self.text = format!("{name} {one}"),
                several => {
                    self.text = format!(
                        "{name} {}",
                        common_prefix(several.iter().map(String::as_str))
                    );
                    self.candidates = several.to_vec();
                }
            },
            other => return Some(other),
        }
        None
    }

    pub fn draw(&self, frame: &mut Frame, footer: Rect, above: Rect) {
        let text = vec![
            Span::raw(":").bold(),
            Span::raw(self.text.clone()),
            Span::raw("█"),
            Span::raw("   Enter runs · Tab completes · Esc cancels").dim(),
        ];
        frame.render_widget(Line::from(text), footer);
        let shown = match (&self.note, self.candidates.is_empty()) {
            (Some(note), _) => format!(" {note}"),
            (None, false) => format!(" {}", self.candidates.join("  ")),
            (None, true) => return,
        };
        frame.render_widget(Line::from(Span::raw(shown).reversed()), above);
    }
}

/// The longest start every name shares.
fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = names.next() else {
        return String::new();
    };
    let mut prefix = first.to_owned();
    for name in names {
        let shared = prefix
            .chars()
            .zip(name.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        prefix.truncate(shared);
    }
    prefix
}
