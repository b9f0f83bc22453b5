//! The app: the screens, the overlay stack over them, the back stack, the status line,
//! and the one update loop. A key goes to the top overlay, else to the screen, else to
//! the app's own keys; responses go the same way; whatever they return as effects is
//! applied here, in one place.

mod navigate;

use std::collections::VecDeque;

use crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::chrome::{self, Status};
use super::command::Command;
use super::effect::{Effect, Effects, OverlayRequest};
use super::io::{Io, Request, Response};
use super::keymap::{Action, Keymap};
use super::overlays::{Composer, CopyMenu, EffectPicker, HelpPage, Keep, Overlay, OverlayContext};
use super::screens::set::ScreenSet;
use super::screens::workbench::UNSAVED;
use super::screens::{DrawContext, GLOBAL_COMMANDS, GLOBAL_KEYS, Place, Screen, ScreenId};
use super::theme::Theme;
use crate::store::LogFilter;

/// What reaches the update loop.
pub enum Msg {
    Input(Event),
    /// A beat for the spinner and play: redraws only while something moves.
    Tick,
    Io(Response),
}

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    /// The screen shown.
    pub screen: ScreenId,
    pub screens: ScreenSet,
    /// Over the screen, the top one taking keys first.
    pub overlays: Vec<Overlay>,
    /// Where Esc goes back to.
    back: Vec<Place>,
    pub status: Status,
    /// Every message shown this session (`:messages` lists them).
    pub messages: Vec<String>,
    /// An export under way, and how many events it wrote so far.
    pub exporting: Option<u64>,
    /// Text for the clipboard, taken by the loop that owns the terminal.
    pub clipboard: Option<String>,
    pub quit: bool,
    io: Option<Io>,
    stats_pending: bool,
}

impl App {
    /// An app on a store's I/O layer; `io` is None in render tests, which feed responses
    /// by hand.
    pub fn new(keymap: Keymap, status: Status, io: Option<Io>) -> App {
        App {
            keymap,
            theme: Theme::default(),
            screen: ScreenId::Streams,
            screens: ScreenSet::new(!status.read_only),
            overlays: Vec::new(),
            back: Vec::new(),
            status,
            messages: Vec::new(),
            exporting: None,
            clipboard: None,
            quit: false,
            io,
            stats_pending: false,
        }
    }

    /// The first fetches: both lists and the figures.
    pub fn start(&mut self) {
        let mut fx = Effects::default();
        self.screens.streams.reload(&mut fx);
        self.screens.log.reload(&mut fx);
        self.apply(fx);
        self.refresh_stats();
    }

    /// Whether anything waits for an answer (the spinner; tests settle on it).
    pub fn is_loading(&self) -> bool {
        self.screens.busy() || self.overlays.iter().any(Overlay::busy) || self.exporting.is_some()
    }

    pub fn current(&self) -> &dyn Screen {
        self.screens
            .get(self.screen)
            .unwrap_or(&self.screens.streams)
    }

    fn current_mut(&mut self) -> &mut dyn Screen {
        let id = if self.screens.get(self.screen).is_some() {
            self.screen
        } else {
            ScreenId::Streams
        };
        self.screens
            .get_mut(id)
            .expect("the Streams screen always exists")
    }

    /// The one update function. Returns whether the screen needs drawing again.
    pub fn update(&mut self, msg: Msg) -> bool {
        let mut fx = Effects::default();
        let dirty = match msg {
            Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => {
                self.key(key, &mut fx);
                true
            }
            Msg::Input(Event::Mouse(mouse)) if self.overlays.is_empty() => {
                self.current_mut().mouse(mouse, &mut fx)
            }
            Msg::Input(Event::Resize(..)) => true,
            Msg::Input(_) => false,
            Msg::Tick => {
                let moving = self.current_mut().tick(&mut fx);
                let working = self.is_loading();
                if working {
                    self.status.spinner = self.status.spinner.wrapping_add(1);
                }
                moving || working
            }
            Msg::Io(response) => {
                self.respond(response, &mut fx);
                true
            }
        };
        self.apply(fx);
        dirty
    }

    fn key(&mut self, key: KeyEvent, fx: &mut Effects) {
        if let Some(top) = self.overlays.last_mut() {
            if top.key(key, &self.keymap, fx) == Keep::Close {
                self.overlays.pop();
            }
            return;
        }
        let id = self.current().id();
        let taken = self
            .screens
            .get_mut(id)
            .is_some_and(|screen| screen.key(key, &self.keymap, fx));
        if taken {
            return;
        }
        if let Some(action) = self.keymap.action(key) {
            self.status.message = None;
            if !self.current_mut().action(action, fx) {
                self.act(action, fx);
            }
        }
    }

    /// The app's own keys: views, overlays, quit, back.
    fn act(&mut self, action: Action, fx: &mut Effects) {
        match action {
            Action::Streams => fx.open(Place::Screen(ScreenId::Streams)),
            Action::Log => fx.open(Place::Screen(ScreenId::Log)),
            Action::Snapshots => fx.open(Place::Screen(ScreenId::Snapshots)),
            Action::Workbench => fx.open(Place::Screen(ScreenId::Workbench)),
            Action::Types => fx.open(Place::Screen(ScreenId::Types)),
            Action::Health => fx.open(Place::Screen(ScreenId::Health)),
            Action::TimeTravel => self.enter_travel(fx),
            Action::Compose => self.open_composer(fx),
            Action::Command => fx.command_line(""),
            Action::Help => self.overlays.push(Overlay::Help(self.help_page())),
            Action::Quit => fx.push(Effect::Quit { force: false }),
            Action::Back => fx.push(Effect::Back),
            Action::Copy => match self.current().selected_event() {
                Some(event) => {
                    let menu = CopyMenu::new(event, self.current().copy_path());
                    self.overlays.push(Overlay::Copy(menu));
                }
                None => fx.say("select an event to copy (Log, a stream, time travel)"),
            },
            other => fx.say(format!(
                "{} ({}) does nothing in {} (? lists its keys)",
                self.keymap.keys_for(other),
                other.describe(),
                self.current().id().title()
            )),
        }
    }

    /// `?`: the shown screen's keys and commands, then the app's.
    fn help_page(&self) -> HelpPage {
        let screen = self.current();
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut seen = Vec::new();
        for action in screen.keys().iter().chain(GLOBAL_KEYS) {
            if !seen.contains(action) {
                seen.push(*action);
                entries.push((self.keymap.keys_for(*action), action.describe().to_owned()));
            }
        }
        // A view's own command may also be an app command (`:category` on Streams):
        // listed once.
        let mut seen_commands = Vec::new();
        for kind in screen.commands().iter().chain(GLOBAL_COMMANDS) {
            if !seen_commands.contains(kind) {
                seen_commands.push(*kind);
                entries.push((kind.usage(), kind.help().to_owned()));
            }
        }
        HelpPage {
            title: format!(
                " {} · keys and commands (any key closes) ",
                screen.id().title()
            ),
            entries,
        }
    }

    /// `a`: the composer, on the stream in context (its version looked up).
    fn open_composer(&mut self, fx: &mut Effects) {
        if self.status.read_only {
            fx.say("the composer is off: the store is read-only");
            return;
        }
        let stream = self.current().stream_in_context();
        if let Some(stream) = &stream {
            fx.request(Request::StreamVersion(stream.clone()));
        }
        self.overlays
            .push(Overlay::Composer(Box::new(Composer::new(stream))));
    }

    /// A typed `:` line: parsed once, then the screen's, else the app's.
    fn run_command(&mut self, line: &str, fx: &mut Effects) {
        let command = match Command::parse(line) {
            Ok(Some(command)) => command,
            Ok(None) => return,
            Err(e) => return fx.say(e),
        };
        if !self.current_mut().command(&command, fx) {
            self.command(command, fx);
        }
    }

    fn command(&mut self, command: Command, fx: &mut Effects) {
        match command {
            Command::Quit { force } => fx.push(Effect::Quit { force }),
            Command::Messages => self.overlays.push(Overlay::Messages),
            Command::Stream(stream) => fx.open(Place::Stream {
                stream,
                version: None,
            }),
            Command::Position(_)
            | Command::Time(_)
            | Command::Type(_)
            | Command::Category(_)
            | Command::Correlation(_)
            | Command::Where(_)
            | Command::Clear => {
                self.go(Place::Screen(ScreenId::Log), fx);
                self.screens.log.command(&command, fx);
            }
            Command::AsOf { category, moment } => {
                self.screens.as_of =
                    Some(super::screens::asof::AsOfScreen::open(category, moment, fx));
                fx.open(Place::Screen(ScreenId::AsOf));
            }
            Command::Open { .. } | Command::New { .. } => {
                self.go(Place::Screen(ScreenId::Workbench), fx);
                if let Some(workbench) = self.screens.workbench.as_mut() {
                    workbench.command(&command, fx);
                }
            }
            Command::Export(path) => self.export(path, fx),
            Command::Version(_) => fx.say(":version applies to a stream or time travel (open one)"),
            other => fx.say(format!(
                "{} works in the Workbench (5)",
                other.kind().usage()
            )),
        }
    }

    /// `:export PATH`: the open stream, or the Log with its filter.
    fn export(&mut self, path: std::path::PathBuf, fx: &mut Effects) {
        if self.exporting.is_some() {
            return fx.say("an export is already running");
        }
        // A stream exports what it lists (its `:where`), the Log what it lists.
        let (stream, filter, what) = match (&self.screen, &self.screens.stream) {
            (ScreenId::Stream, Some(view)) => (
                Some(view.stream_id.clone()),
                LogFilter {
                    matching: view.matching.clone(),
                    ..LogFilter::default()
                },
                format!("stream {}", view.stream_id),
            ),
            _ => (
                None,
                self.screens.log.filter.clone(),
                "the log (with its filter)".to_owned(),
            ),
        };
        self.exporting = Some(0);
        fx.say(format!("exporting {what} to {}", path.display()));
        fx.request(Request::Export {
            path,
            filter,
            stream,
        });
    }

    /// A response: to the overlays (top first), then the screens, then the app.
    fn respond(&mut self, response: Response, fx: &mut Effects) {
        if matches!(response, Response::LogRows(..) | Response::Head(_))
            && let Some(io) = &self.io
        {
            // A page read by position may have passed a gap: the status line says so.
            self.status.notices = io.notices();
        }
        let mut left = Some(response);
        for overlay in self.overlays.iter_mut().rev() {
            left = left.and_then(|r| overlay.response(r, fx));
        }
        self.overlays.retain(|o| !o.finished());
        for screen in self.screens.all_mut() {
            left = left.and_then(|r| screen.response(r, fx));
        }
        let Some(response) = left else { return };
        match response {
            Response::Stats(stats) => {
                self.stats_pending = false;
                self.status.head = self.status.head.max(stats.head_position);
                self.status.stats = Some(stats);
            }
            Response::Head(head) => {
                self.status.head = head;
                let shown = self.screen;
                for screen in self.screens.all_mut() {
                    let on = screen.id() == shown;
                    screen.head_moved(head, on, fx);
                }
                self.refresh_stats();
            }
            Response::ExportProgress(written) if self.exporting.is_some() => {
                self.exporting = Some(written);
            }
            Response::ExportDone(path, written) => {
                self.exporting = None;
                fx.say(format!("exported {written} events to {}", path.display()));
            }
            // Every failure ends the export, which frees it for the next.
            Response::ExportFailed(e) => {
                self.exporting = None;
                fx.say(format!("export failed: {e}"));
            }
            Response::Failed(e) => fx.say(e.to_string()),
            // Answers nobody waits for any more (a closed command line's completion).
            _ => {}
        }
    }

    /// Carries out effects, and any effects those lead to, in order.
    fn apply(&mut self, mut fx: Effects) {
        let mut queue: VecDeque<Effect> = fx.take().into();
        while let Some(effect) = queue.pop_front() {
            let mut more = Effects::default();
            match effect {
                Effect::Request(request) => {
                    if let Some(io) = &self.io {
                        io.request(request);
                    }
                }
                Effect::Open(place) => self.go(place, &mut more),
                Effect::Back => self.go_back(&mut more),
                Effect::Say(message) => self.say(message),
                Effect::Overlay(request) => self.overlays.push(match request {
                    OverlayRequest::CommandLine(text) => Overlay::command_line(&text),
                    OverlayRequest::Filter { text, what } => Overlay::Filter(text, what),
                    OverlayRequest::EffectPicker(effects) => {
                        Overlay::Effects(EffectPicker::new(&effects))
                    }
                }),
                Effect::Copy { what, text } => {
                    self.say(format!(
                        "copied {what} ({} bytes) to the clipboard",
                        text.len()
                    ));
                    self.clipboard = Some(text);
                }
                Effect::Filter(query) => self.current_mut().filter(query, &mut more),
                Effect::Command(line) => self.run_command(&line, &mut more),
                Effect::Quit { force } => {
                    if force || !self.screens.unsaved_script() {
                        self.quit = true;
                    } else {
                        self.say(UNSAVED.to_owned());
                    }
                }
            }
            queue.extend(more.take());
        }
    }

    /// The one path of every message: the status line, and `:messages`.
    fn say(&mut self, message: String) {
        self.messages.push(message.clone());
        self.status.message = Some(message);
    }

    fn refresh_stats(&mut self) {
        if self.stats_pending {
            return;
        }
        if let Some(io) = &self.io {
            self.stats_pending = true;
            io.request(Request::Stats);
        }
    }

    pub fn render(&self, frame: &mut Frame) {
        let [tabs, main, status, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let screen = self.current();
        let note = screen.tab_note();
        chrome::render_tabs(frame, tabs, screen.id(), note.as_deref(), &self.theme);
        screen.draw(frame, main, &DrawContext { theme: &self.theme });
        let info = Status {
            working: self.is_loading(),
            exported: self.exporting,
            follow: screen.following(),
            ..self.status.clone()
        };
        let footer_taken = self.overlays.iter().any(Overlay::takes_footer);
        chrome::render_status(frame, status, &info, footer_taken);
        if !footer_taken {
            match &self.status.message {
                Some(message) => chrome::render_message(frame, footer, message),
                None => chrome::render_hints(frame, footer, screen.hints(), &self.keymap),
            }
        }
        let cx = OverlayContext {
            theme: &self.theme,
            messages: &self.messages,
            footer,
            above: status,
        };
        for overlay in &self.overlays {
            overlay.draw(frame, &cx);
        }
    }
}
