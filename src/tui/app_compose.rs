//! The App's event composer: opening it on the stream in context, its keys, the append
//! and its answer.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Screen};
use crate::store::RecordedEvent;
use crate::tui::views::composer::{Composer, ComposerAction, Outcome};

impl App {
    /// The stream the current view is about, if any.
    fn stream_in_context(&self) -> Option<String> {
        match self.screen {
            Screen::TimeTravel if !self.as_of_active => {
                self.travel.as_ref().map(|v| v.stream_id.clone())
            }
            Screen::Stream => self.stream.as_ref().map(|v| v.stream_id.clone()),
            Screen::Streams => self.streams.window.selected().map(|s| s.stream_id.clone()),
            Screen::Log => self.log.window.selected().map(|e| e.stream_id.clone()),
            _ => None,
        }
    }

    /// `a`: the composer, on the stream in context (its version looked up).
    pub(super) fn open_composer(&mut self) {
        if self.status.read_only {
            self.status.message = Some("the composer is off: the store is read-only".into());
            return;
        }
        let stream = self.stream_in_context();
        if let (Some(stream), Some(fetcher)) = (&stream, &self.fetcher) {
            fetcher.composer_version(stream.clone());
        }
        self.composer = Some(Composer::new(stream));
    }

    pub(super) fn compose_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.request_quit(false);
            return;
        }
        let Some(composer) = self.composer.as_mut() else {
            return;
        };
        match composer.key(key) {
            ComposerAction::None => {}
            ComposerAction::Close => self.composer = None,
            ComposerAction::LookUp(stream) => {
                if let Some(fetcher) = &self.fetcher {
                    fetcher.composer_version(stream);
                }
            }
            ComposerAction::Submit => match composer.request() {
                Err(e) => composer.outcome = Some(Outcome::Error(e)),
                Ok((stream, expected, event)) => {
                    if let Some(fetcher) = &self.fetcher {
                        composer.sending = true;
                        composer.outcome = None;
                        fetcher.compose(stream, expected, event);
                    }
                }
            },
        }
    }

    /// The composer's append answered: closed with a status line, or the error kept in
    /// the composer (a conflict says so; nothing was written).
    pub(super) fn composed(&mut self, result: Result<RecordedEvent, (String, bool)>) {
        match result {
            Ok(event) => {
                self.composer = None;
                self.status.message = Some(format!(
                    "appended {} to {}@{} at position {}",
                    event.event_type, event.stream_id, event.version, event.global_position
                ));
                // The open stream shows what was just appended to it (issue 16, bug 10),
                // unless its reader scrolled away from the end.
                let reload = self
                    .stream
                    .as_mut()
                    .filter(|v| v.stream_id == event.stream_id)
                    .filter(|v| v.window.at_end() || v.window.is_empty())
                    .and_then(|v| v.window.reload_last());
                if let Some(fetch) = reload {
                    self.fetch_stream_events(fetch);
                }
            }
            Err((message, conflict)) => {
                if let Some(composer) = self.composer.as_mut() {
                    composer.sending = false;
                    composer.outcome = Some(if conflict {
                        Outcome::Conflict(format!("{message} — nothing written"))
                    } else {
                        Outcome::Error(message)
                    });
                }
            }
        }
    }
}
