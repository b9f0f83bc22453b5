//! Drives the app on a real store without a terminal, drawing on ratatui's TestBackend:
//! for benchmarks (first frame, key latency, memory) and tests. The app is the same one
//! `run` drives; only the terminal differs.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::app::{App, Msg};
use super::chrome::Status;
use super::io::{Io, Response};
use super::keymap::Keymap;
use crate::store::Store;

pub struct Harness {
    pub app: App,
    rx: mpsc::UnboundedReceiver<Response>,
    terminal: Terminal<TestBackend>,
}

impl Harness {
    /// The app on `store`, its first queries sent (call `settle` to see them answered).
    pub fn new(store: Store, width: u16, height: u16) -> Harness {
        Harness::with_config(store, Default::default(), width, height)
    }

    /// As `new`, with a config (reducers, upcasters, snapshot spacing) for the replay views.
    pub fn with_config(
        store: Store,
        config: crate::config::Config,
        width: u16,
        height: u16,
    ) -> Harness {
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Status {
            store: "bench".into(),
            read_only: store.is_read_only(),
            ..Default::default()
        };
        let mut app = App::new(Keymap::default(), status, Some(Io::new(store, config, tx)));
        app.start();
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("a test backend");
        Harness { app, rx, terminal }
    }

    pub fn press(&mut self, code: KeyCode) {
        self.app.update(Msg::Input(Event::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))));
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Handles messages until no query is under way.
    pub async fn settle(&mut self) {
        loop {
            while let Ok(response) = self.rx.try_recv() {
                self.app.update(Msg::Io(response));
            }
            if !self.app.is_loading() {
                return;
            }
            match self.rx.recv().await {
                Some(response) => {
                    self.app.update(Msg::Io(response));
                }
                None => return,
            }
        }
    }

    pub fn draw(&mut self) {
        self.terminal
            .draw(|frame| self.app.render(frame))
            .expect("drawing on a test backend");
    }

    /// The screen's text, a line per row.
    pub fn screen(&self) -> String {
        buffer_text(self.terminal.backend().buffer())
    }
}

/// A drawn buffer's text, a line per row (for assertions on what a screen shows).
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}
