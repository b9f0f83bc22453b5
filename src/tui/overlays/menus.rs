//! Numbered menus: what to copy of an event, and which of its effects to jump to.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};

use super::popups::popup;
use crate::store::RecordedEvent;
use crate::tui::effect::{Effect, Effects};
use crate::tui::place::Place;

/// A numbered line of a menu.
fn choice(n: usize, text: String) -> Line<'static> {
    Line::from(vec![Span::raw(format!(" {n} ")).bold(), Span::raw(text)])
}

/// The digit pressed, 1-based.
fn digit(key: KeyEvent) -> Option<usize> {
    match key.code {
        KeyCode::Char(c @ '1'..='9') => Some(c as usize - '0' as usize),
        _ => None,
    }
}

/// `y`: the event as JSON, its id, stream@version, or the JSON path under the tree's
/// cursor — each made when the menu opens.
pub struct CopyMenu {
    choices: Vec<(&'static str, Option<String>)>,
}

impl CopyMenu {
    pub fn new(event: &RecordedEvent, path: Option<String>) -> CopyMenu {
        CopyMenu {
            choices: vec![
                ("event JSON", serde_json::to_string(event).ok()),
                ("event id", Some(event.event_id.to_string())),
                (
                    "stream@version",
                    Some(format!("{}@{}", event.stream_id, event.version)),
                ),
                ("JSON path", path),
            ],
        }
    }

    pub fn key(&self, key: KeyEvent, fx: &mut Effects) {
        let Some((what, text)) = digit(key).and_then(|n| self.choices.get(n - 1)) else {
            return;
        };
        match text {
            Some(text) => fx.push(Effect::Copy {
                what,
                text: text.clone(),
            }),
            None => fx.say("a JSON path is copied from an event tree's cursor (Tab to the tree)"),
        }
    }

    pub fn draw(&self, frame: &mut Frame) {
        let lines = [
            "event JSON (the envelope)",
            "event id",
            "stream@version",
            "JSON path (event tree cursor)",
        ]
        .into_iter()
        .enumerate()
        .map(|(i, what)| choice(i + 1, what.to_owned()))
        .collect();
        popup(frame, " Copy (other keys close) ", lines, 40);
    }
}

/// `]` on an event that caused several: each one a jump (the first nine).
pub struct EffectPicker {
    effects: Vec<(String, u64, String)>,
}

impl EffectPicker {
    pub fn new(effects: &[RecordedEvent]) -> EffectPicker {
        EffectPicker {
            effects: effects
                .iter()
                .take(9)
                .map(|e| (e.stream_id.clone(), e.version, e.event_type.clone()))
                .collect(),
        }
    }

    pub fn key(&self, key: KeyEvent, fx: &mut Effects) {
        if let Some((stream, version, _)) = digit(key).and_then(|n| self.effects.get(n - 1)) {
            fx.open(Place::Stream {
                stream: stream.clone(),
                version: Some(*version),
            });
        }
    }

    pub fn draw(&self, frame: &mut Frame) {
        let lines = self
            .effects
            .iter()
            .enumerate()
            .map(|(i, (stream, version, kind))| choice(i + 1, format!("{stream}@{version} {kind}")))
            .collect();
        popup(frame, " Jump to an effect ", lines, 34);
    }
}
