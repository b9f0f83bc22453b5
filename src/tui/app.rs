//! The app: its state, the messages it reacts to, and the one update function. Rendering
//! reads the state (`render` takes `&self`); background work answers with messages.

use crossterm::event::{Event, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

#[path = "app_compose.rs"]
mod compose;
#[path = "app_travel.rs"]
mod travel;
#[path = "app_workbench.rs"]
mod workbench;

use super::fetch::Fetcher;
use super::keymap::{Action, Keymap};
use super::views::{self, LogView, StreamView, StreamsView};
use super::window::Fetch;
use crate::store::{Position, RecordedEvent, StoreStats, StreamInfo};

/// The `:` commands, for Tab completion.
const COMMANDS: [&str; 24] = [
    "asof",
    "open",
    "save",
    "new",
    "runto",
    "from",
    "break",
    "breakif",
    "nobreak",
    "search",
    "export",
    "stream",
    "position",
    "version",
    "time",
    "type",
    "category",
    "correlation",
    "clear",
    "messages",
    "quit",
    "q",
    "q!",
    "w",
];

/// What reaches the update loop: input, and the answers of background work.
pub enum Msg {
    Input(Event),
    LogRows(Fetch<Position>, Vec<RecordedEvent>),
    StreamRows(Fetch<views::StreamKey>, Vec<StreamInfo>),
    StreamEvents(String, Fetch<u64>, Vec<RecordedEvent>),
    Stats(StoreStats),
    Head(Position),
    /// New events while following: the Log's (None) or one stream's.
    Live(Option<String>, Vec<RecordedEvent>),
    /// Fuzzy search results for the streams (generation, the best first, how many
    /// streams matched in all).
    FuzzyStreams(u64, Vec<StreamInfo>, u64),
    /// A completion for `:stream PREFIX`.
    Completion(String, Option<String>),
    /// A stream's events per day (the sparkline).
    Activity(String, Vec<(String, u64)>),
    /// New events the Log's filter matches after the last one shown (or after the
    /// previous count).
    NewInLog(views::NewCount),
    /// An export ended without its file (the reason); another may start.
    ExportFailed(String),
    /// An export under way has written this many events.
    ExportProgress(u64),
    ExportDone(std::path::PathBuf, u64),
    /// A beat for the spinner: redraws only while background work is under way.
    Tick,
    /// The first position recorded at or after a time (`:time`).
    PositionAt(Option<Position>),
    /// An event's causation chain: the event that caused it, and those it caused.
    Chain(uuid::Uuid, Option<RecordedEvent>, Vec<RecordedEvent>),
    /// A time-travel step (its generation) answered.
    Travel(u64, Result<views::travel::TravelFrame, String>),
    /// A page of an as-of query answered.
    AsOf(u64, Result<Vec<views::asof::AsOfRow>, String>),
    /// A page of the snapshot listing.
    SnapshotRows(u64, Vec<crate::store::SnapshotInfo>),
    /// A snapshot build or verify: streams done of total.
    JobProgress(u64, u64),
    /// A snapshot build or verify ended: its summary and any drift.
    JobDone(String, Vec<crate::replay::Drift>),
    /// A stream's version, for the composer's expected version.
    ComposerVersion(String, u64),
    /// The composer's append: the stored event, or (the error, whether a conflict).
    Composed(Result<RecordedEvent, (String, bool)>),
    /// A workbench run (its generation) reports.
    Workbench(u64, super::workbench_session::Update),
    /// A script file read (`:open`, `rewind workbench FILE`).
    Opened(std::path::PathBuf, Result<String, String>),
    Saved(std::path::PathBuf, Result<(), String>),
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Streams,
    Log,
    Stream,
    TimeTravel,
    Snapshots,
    Workbench,
}

pub struct App {
    pub keymap: Keymap,
    pub screen: Screen,
    pub streams: StreamsView,
    pub log: LogView,
    pub stream: Option<StreamView>,
    /// Time travel on one stream (`3`).
    pub travel: Option<views::travel::TravelView>,
    /// A temporal query across a category (`:asof`), shown on `3` while active.
    pub as_of: Option<views::asof::AsOfView>,
    pub as_of_active: bool,
    /// Snapshots (`4`).
    pub snapshots: views::snapshots::SnapshotsView,
    /// The event composer, when open (over any view).
    pub composer: Option<views::composer::Composer>,
    /// The projection workbench (`5`) and its run.
    pub workbench: Option<views::workbench::WorkbenchView>,
    session: Option<super::workbench_session::Session>,
    pub status: Status,
    pub help: bool,
    pub theme: super::theme::Theme,
    /// The `:` command line being typed, if open.
    pub command: Option<String>,
    /// Every error shown this session (`:messages` lists them).
    pub messages: Vec<String>,
    pub show_messages: bool,
    /// The `/` filter line being typed, if open.
    pub filter_input: Option<String>,
    /// Search generations: a newer one outdates the others.
    search_generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    searching: bool,
    /// An export under way, and how many events it wrote so far.
    pub exporting: Option<u64>,
    /// The effects picker is open (`]` on an event that caused several).
    pub effect_picker: bool,
    /// The copy menu is open (`y`).
    pub copy_menu: bool,
    /// Text for the clipboard, taken by the loop that owns the terminal.
    pub clipboard: Option<String>,
    pub quit: bool,
    fetcher: Option<Fetcher>,
    follow_task: Option<tokio::task::JoinHandle<()>>,
    /// What `f` follows: the Log or the open stream.
    following: Option<Screen>,
    stats_pending: bool,
    /// A count of the Log's new matching events is under way.
    counting_new: bool,
}

/// What the status bar shows.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub store: String,
    pub read_only: bool,
    /// Why the store is read-only and how to write, when that is not obvious.
    pub write_hint: Option<String>,
    /// What the store says about how it is read (gaps passed, position order).
    pub notices: Vec<String>,
    pub stats: Option<StoreStats>,
    pub head: Position,
    pub follow: bool,
    pub message: Option<String>,
    /// Events an export under way has written.
    pub exported: Option<u64>,
    /// Background work under way (the spinner shows), and the spinner's frame.
    pub working: bool,
    pub spinner: usize,
}

impl App {
    /// An app on a store; `fetcher` is None in render tests, which feed messages by hand.
    pub fn new(keymap: Keymap, status: Status, fetcher: Option<Fetcher>) -> App {
        App {
            keymap,
            screen: Screen::Streams,
            streams: StreamsView::new(),
            log: LogView::new(),
            stream: None,
            travel: None,
            as_of: None,
            as_of_active: false,
            snapshots: Default::default(),
            composer: None,
            workbench: None,
            session: None,
            status,
            help: false,
            theme: super::theme::Theme::default(),
            command: None,
            messages: Vec::new(),
            show_messages: false,
            copy_menu: false,
            effect_picker: false,
            filter_input: None,
            search_generation: Default::default(),
            searching: false,
            exporting: None,
            clipboard: None,
            quit: false,
            fetcher,
            follow_task: None,
            following: None,
            stats_pending: false,
            counting_new: false,
        }
    }

    /// Whether a list is waiting for rows.
    pub fn is_loading(&self) -> bool {
        self.searching
            || self.travel_loading()
            || self.exporting.is_some()
            || self.streams.window.is_loading()
            || self.log.window.is_loading()
            || self.stream.as_ref().is_some_and(|s| s.window.is_loading())
    }

    /// The first fetches: both lists and the figures.
    pub fn start(&mut self) {
        if let Some(f) = self.streams.window.reset() {
            self.fetch_streams(f);
        }
        if let Some(f) = self.log.window.reset() {
            self.fetch_log(f);
        }
        self.refresh_stats();
    }

    /// The one update function. Returns whether the screen needs drawing again.
    pub fn update(&mut self, msg: Msg) -> bool {
        let before = self.status.message.clone();
        let dirty = self.handle(msg);
        // Every message the status line shows is kept for `:messages` (issue 16, bug 8:
        // some paths set only the status line, and `:messages` said "no messages").
        if let Some(message) = &self.status.message
            && before.as_ref() != Some(message)
            && self.messages.last() != Some(message)
        {
            self.messages.push(message.clone());
        }
        if let Some(view) = self.stream.as_mut() {
            view.sync_tree();
        }
        self.request_chain();
        self.request_activity();
        dirty
    }

    /// Asks for the selected stream's activity when the selection moved to another.
    fn request_activity(&mut self) {
        if self.screen != Screen::Streams {
            return;
        }
        let Some(stream) = self.streams.window.selected().map(|s| s.stream_id.clone()) else {
            return;
        };
        if self.streams.activity_asked.as_deref() == Some(stream.as_str()) {
            return;
        }
        self.streams.activity_asked = Some(stream.clone());
        if let Some(fetcher) = &self.fetcher {
            fetcher.activity(stream);
        }
    }

    /// Asks for the selected event's causation chain when the selection moved to another.
    fn request_chain(&mut self) {
        if self.screen != Screen::Stream {
            return;
        }
        let Some(view) = self.stream.as_mut() else {
            return;
        };
        if let Some(event) = view.needs_chain()
            && let Some(fetcher) = &self.fetcher
        {
            fetcher.chain(event);
        }
    }

    fn handle(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Input(Event::Key(key)) if key.kind != KeyEventKind::Release => {
                if self.composer.is_some() {
                    self.compose_key(key);
                    return true;
                }
                if self.editing() && self.command.is_none() {
                    self.editor_key(key);
                    return true;
                }
                if self.command.is_some() {
                    self.type_command(key);
                    return true;
                }
                if self.filter_input.is_some() {
                    self.type_filter(key);
                    return true;
                }
                if self.effect_picker {
                    self.effect_picker = false;
                    if let crossterm::event::KeyCode::Char(digit @ '1'..='9') = key.code {
                        self.pick_effect(digit as usize - '0' as usize);
                    }
                    return true;
                }
                if self.copy_menu {
                    self.copy_menu = false;
                    if let crossterm::event::KeyCode::Char(choice @ '1'..='4') = key.code {
                        self.copy(choice);
                    }
                    return true;
                }
                let action = self.keymap.action(key);
                if (self.help || self.show_messages) && action != Some(Action::Quit) {
                    // Any key closes an overlay.
                    self.help = false;
                    self.show_messages = false;
                } else if let Some(action) = action {
                    self.act(action);
                }
            }
            Msg::Input(Event::Resize(..)) => {}
            Msg::Input(Event::Mouse(mouse)) => return self.mouse(mouse),
            Msg::Input(_) => return false,
            Msg::LogRows(fetch, rows) => {
                // A page read by position may have passed a gap: the status line says so.
                if let Some(fetcher) = &self.fetcher {
                    self.status.notices = fetcher.notices();
                }
                let last_page = fetch == Fetch::Last;
                if let Some(f) = self.log.window.arrived(fetch, rows) {
                    self.fetch_log(f);
                }
                if last_page && self.following == Some(Screen::Log) && self.follow_task.is_none() {
                    self.start_following();
                }
            }
            Msg::StreamRows(fetch, rows) => {
                if let Some(f) = self.streams.window.arrived(fetch, rows) {
                    self.fetch_streams(f);
                }
            }
            Msg::StreamEvents(stream, fetch, rows) => {
                let Some(view) = self.stream.as_mut().filter(|v| v.stream_id == stream) else {
                    return false;
                };
                let last_page = fetch == Fetch::Last;
                if let Some(f) = view.window.arrived(fetch, rows) {
                    self.fetch_stream_events(f);
                }
                if last_page && self.following == Some(Screen::Stream) && self.follow_task.is_none()
                {
                    self.start_following();
                }
            }
            Msg::Stats(stats) => {
                self.stats_pending = false;
                self.status.head = self.status.head.max(stats.head_position);
                self.status.stats = Some(stats);
            }
            Msg::NewInLog(counted) => {
                self.counting_new = false;
                // A fresh count replaces; one that went on from the last adds to it.
                if counted.from == counted.shown {
                    self.log.new_since = Some(counted);
                } else if let Some(total) = self
                    .log
                    .new_since
                    .and_then(|c| c.then(counted, super::fetch::NEW_COUNT_CAP))
                {
                    self.log.new_since = Some(total);
                }
            }
            Msg::Head(head) => {
                self.status.head = head;
                self.count_new_in_log();
                self.refresh_streams_at_top();
                self.travel_on_append();
                if let Some(fetcher) = &self.fetcher {
                    self.status.notices = fetcher.notices();
                }
                self.refresh_stats();
            }
            Msg::Live(None, rows) => self.log.window.appended(rows, true),
            Msg::Live(Some(stream), rows) => {
                if let Some(view) = self.stream.as_mut().filter(|v| v.stream_id == stream) {
                    view.window.appended(rows, true);
                }
            }
            Msg::Chain(event_id, cause, effects) => {
                if let Some(view) = self.stream.as_mut() {
                    view.chain_arrived(event_id, cause, effects);
                }
            }
            Msg::FuzzyStreams(generation, rows, matched) => {
                if generation
                    == self
                        .search_generation
                        .load(std::sync::atomic::Ordering::Relaxed)
                {
                    self.searching = false;
                    self.streams.fuzzy_matched = matched;
                    self.streams.window.replace_all(rows);
                }
            }
            Msg::Completion(prefix, id) => match (self.command.as_mut(), id) {
                (Some(line), Some(id)) if *line == format!("stream {prefix}") => {
                    *line = format!("stream {id}")
                }
                (Some(_), None) => {
                    self.status.message = Some(format!("no stream starts with {prefix:?}"))
                }
                _ => {}
            },
            Msg::Activity(stream, days) => {
                if self.streams.activity_asked.as_deref() == Some(stream.as_str()) {
                    self.streams.activity = Some((stream, days));
                }
            }
            Msg::ExportProgress(written) => {
                if self.exporting.is_some() {
                    self.exporting = Some(written);
                }
            }
            Msg::ExportFailed(message) => {
                self.exporting = None;
                self.messages.push(message.clone());
                self.status.message = Some(message);
            }
            Msg::ExportDone(path, written) => {
                self.exporting = None;
                self.status.message =
                    Some(format!("exported {written} events to {}", path.display()));
            }
            Msg::Tick => {
                let animating = self.travel_tick();
                if !self.is_loading() && !animating {
                    return false;
                }
                self.status.spinner = self.status.spinner.wrapping_add(1);
            }
            Msg::ComposerVersion(stream, version) => {
                if let Some(composer) = self.composer.as_mut() {
                    composer.version_arrived(&stream, version);
                }
            }
            Msg::Composed(result) => self.composed(result),
            msg @ (Msg::Workbench(..) | Msg::Opened(..) | Msg::Saved(..)) => {
                return self.workbench_message(msg);
            }
            msg @ (Msg::Travel(..)
            | Msg::AsOf(..)
            | Msg::SnapshotRows(..)
            | Msg::JobProgress(..)
            | Msg::JobDone(..)) => return self.travel_message(msg),
            Msg::Failed(message) => {
                self.messages.push(message.clone());
                self.status.message = Some(message);
            }
            Msg::PositionAt(position) => match position {
                Some(position) => {
                    if let Some(f) = self.log.window.jump_after(position.saturating_sub(1)) {
                        self.fetch_log(f);
                    }
                }
                None => self.status.message = Some("no event at or after that time".into()),
            },
        }
        true
    }

    fn act(&mut self, action: Action) {
        self.status.message = None;
        if self.act_workbench(action) || self.act_travel(action) {
            return;
        }
        match action {
            Action::Quit => self.request_quit(false),
            Action::Help => self.help = true,
            Action::Streams => self.screen = Screen::Streams,
            Action::Log => self.screen = Screen::Log,
            Action::Back => {
                if self.screen == Screen::Stream {
                    self.screen = Screen::Streams;
                }
            }
            Action::Open if self.screen == Screen::Stream => {
                // Enter folds and unfolds the tree node under the cursor (event pane).
                if let Some(view) = self.stream.as_mut().filter(|v| v.detail_focused && !v.raw)
                    && let Some(tree) = view.tree_mut()
                {
                    tree.toggle();
                }
            }
            Action::Raw => match self
                .stream
                .as_mut()
                .filter(|_| self.screen == Screen::Stream)
            {
                Some(view) => view.raw = !view.raw,
                None => {
                    self.status.message =
                        Some("r switches a stream's event between tree and raw JSON".into())
                }
            },
            Action::Open => {
                if self.screen == Screen::Streams
                    && let Some(stream) =
                        self.streams.window.selected().map(|s| s.stream_id.clone())
                {
                    self.open_stream(stream);
                }
            }
            Action::Follow => self.toggle_follow(),
            Action::Cause | Action::Effect => self.follow_chain(action),
            Action::NextPane | Action::PrevPane => match (self.screen, self.stream.as_mut()) {
                (Screen::Stream, Some(view)) => view.detail_focused = !view.detail_focused,
                _ => self.status.message = Some("this view has one pane".into()),
            },
            Action::Filter => {
                if self.screen == Screen::Streams {
                    self.filter_input = Some(self.streams.fuzzy.clone().unwrap_or_default());
                } else {
                    self.status.message = Some("/ filters the Streams view; the Log filters with :type, :category, :correlation".into());
                }
            }
            Action::Sort => {
                self.screen = Screen::Streams;
                self.streams.order = match self.streams.order {
                    views::StreamOrder::Name => views::StreamOrder::Activity,
                    views::StreamOrder::Activity => views::StreamOrder::Name,
                };
                if let Some(f) = self.streams.window.reset() {
                    self.fetch_streams(f);
                }
            }
            Action::Copy => match self.selected_event() {
                Some(_) => self.copy_menu = true,
                None => {
                    self.status.message = Some("select an event to copy (Log or a stream)".into())
                }
            },
            Action::Command => self.command = Some(String::new()),
            // Handled by `act_travel` on every screen.
            Action::TimeTravel
            | Action::Snapshots
            | Action::Previous
            | Action::Next
            | Action::JumpTime
            | Action::Play
            | Action::Faster
            | Action::Slower
            | Action::Compare
            | Action::Build
            | Action::BuildAll
            | Action::Verify
            | Action::VerifyAll
            | Action::Workbench
            | Action::Run
            | Action::Save
            | Action::Pause
            | Action::Step
            | Action::StepBack
            | Action::Skip
            | Action::MoveCheckpoint => {}
            Action::Compose => self.open_composer(),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last => self.navigate(action),
        }
    }

    /// Keys type the fuzzy filter; each change starts a new search.
    fn type_filter(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let Some(query) = self.filter_input.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.request_quit(false)
            }
            KeyCode::Esc => {
                self.filter_input = None;
                self.set_fuzzy(None);
            }
            KeyCode::Enter => self.filter_input = None,
            KeyCode::Backspace => {
                query.pop();
                let query = query.clone();
                self.set_fuzzy(Some(query).filter(|q| !q.is_empty()));
            }
            KeyCode::Char(c) => {
                query.push(c);
                let query = query.clone();
                self.set_fuzzy(Some(query));
            }
            _ => {}
        }
    }

    /// Starts a fuzzy search (or, with None, goes back to the full listing).
    fn set_fuzzy(&mut self, query: Option<String>) {
        use std::sync::atomic::Ordering;
        let generation = self.search_generation.fetch_add(1, Ordering::Relaxed) + 1;
        self.streams.fuzzy = query.clone();
        match query {
            Some(query) => {
                self.searching = true;
                if let Some(fetcher) = &self.fetcher {
                    fetcher.fuzzy_streams(
                        query,
                        self.streams.category.clone(),
                        generation,
                        self.search_generation.clone(),
                    );
                }
            }
            None => {
                self.searching = false;
                if let Some(f) = self.streams.window.reset() {
                    self.fetch_streams(f);
                }
            }
        }
    }

    /// Keys type text while the command line is open (digits and `q` included).
    fn type_command(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let Some(line) = self.command.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.request_quit(false)
            }
            KeyCode::Esc => self.command = None,
            KeyCode::Backspace if line.is_empty() => self.command = None,
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Tab => {
                let typed = line.trim_start().to_owned();
                if let Some(prefix) = typed.strip_prefix("stream ") {
                    // Stream ids complete from the store, in the background.
                    if let Some(fetcher) = &self.fetcher {
                        fetcher.complete_stream(prefix.to_owned());
                    }
                } else if let Some(name) = COMMANDS
                    .iter()
                    .find(|c| c.starts_with(&typed) && !typed.contains(' '))
                {
                    *line = format!("{name} ");
                }
            }
            KeyCode::Enter => {
                let text = self.command.take().unwrap_or_default();
                self.run_command(text.trim());
            }
            KeyCode::Char(c) => line.push(c),
            _ => {}
        }
    }

    fn run_command(&mut self, text: &str) {
        let (name, argument) = text
            .split_once(' ')
            .map_or((text, ""), |(n, a)| (n, a.trim()));
        let needs = |what: &str| format!(":{name} needs {what}");
        if self.workbench_command(name, argument) || self.travel_command(name, argument) {
            return;
        }
        match name {
            "" => {}
            "q" | "quit" => self.request_quit(false),
            "q!" | "quit!" => self.request_quit(true),
            "stream" if !argument.is_empty() => self.open_stream(argument.to_owned()),
            "stream" => self.status.message = Some(needs("a stream id")),
            "position" => match argument.parse::<Position>() {
                Ok(position) => {
                    self.screen = Screen::Log;
                    if let Some(f) = self.log.window.jump_after(position.saturating_sub(1)) {
                        self.fetch_log(f);
                    }
                }
                Err(_) => self.status.message = Some(needs("a number")),
            },
            "version" => match (argument.parse::<u64>(), self.stream.as_ref()) {
                (Ok(version), Some(view)) if self.screen == Screen::Stream => {
                    let stream = view.stream_id.clone();
                    self.open_stream_at(stream, version.max(1));
                }
                (Ok(_), _) => {
                    self.status.message = Some(":version applies to a stream (Enter on one)".into())
                }
                (Err(_), _) => self.status.message = Some(needs("a number")),
            },
            "time" => match crate::store::timestamp::parse_user_time(argument) {
                Ok(time) => {
                    self.screen = Screen::Log;
                    if let Some(fetcher) = &self.fetcher {
                        fetcher.position_at(time);
                    }
                }
                Err(e) => self.status.message = Some(e),
            },
            "messages" => self.show_messages = true,
            "export" if argument.is_empty() => self.status.message = Some(needs("a file path")),
            "export" if self.exporting.is_some() => {
                self.status.message = Some("an export is already running".into())
            }
            "export" => {
                let (filter, stream, what) = match self.screen {
                    Screen::Stream => {
                        let stream = self.stream.as_ref().map(|v| v.stream_id.clone());
                        (
                            Default::default(),
                            stream.clone(),
                            format!("stream {}", stream.unwrap_or_default()),
                        )
                    }
                    _ => (
                        self.log.filter.clone(),
                        None,
                        "the log (with its filter)".to_owned(),
                    ),
                };
                if let Some(fetcher) = &self.fetcher {
                    self.exporting = Some(0);
                    self.status.message = Some(format!("exporting {what} to {argument}"));
                    fetcher.export(std::path::PathBuf::from(argument), filter, stream);
                }
            }
            "category" if self.screen == Screen::Streams && !argument.is_empty() => {
                self.streams.category = Some(argument.to_owned());
                if let Some(f) = self.streams.window.reset() {
                    self.fetch_streams(f);
                }
            }
            "type" | "category" | "correlation" if argument.is_empty() => {
                self.status.message = Some(needs("a value"))
            }
            "type" => self.filter_log(|f| f.event_types = vec![argument.to_owned()]),
            "category" => self.filter_log(|f| f.category = Some(argument.to_owned())),
            "correlation" => self.filter_log(|f| f.correlation_id = Some(argument.to_owned())),
            "clear" if self.screen == Screen::Streams => {
                self.streams.category = None;
                if let Some(f) = self.streams.window.reset() {
                    self.fetch_streams(f);
                }
            }
            "clear" => self.filter_log(|f| *f = Default::default()),
            other => {
                self.status.message = Some(format!(
                    "unknown command :{other} (Tab completes; ? lists the keys)"
                ))
            }
        }
    }

    fn filter_log(&mut self, change: impl FnOnce(&mut crate::store::LogFilter)) {
        change(&mut self.log.filter);
        self.screen = Screen::Log;
        if let Some(f) = self.log.window.reset() {
            self.fetch_log(f);
        }
    }

    /// The event selected in the current view, if it shows events.
    pub fn selected_event(&self) -> Option<&RecordedEvent> {
        match self.screen {
            Screen::Log => self.log.window.selected(),
            Screen::Stream => self.stream.as_ref()?.window.selected(),
            Screen::TimeTravel => self.travel.as_ref()?.frame.as_ref()?.event.as_ref(),
            Screen::Streams | Screen::Snapshots | Screen::Workbench => None,
        }
    }

    fn copy(&mut self, choice: char) {
        let path = match self.screen {
            Screen::Stream => self
                .stream
                .as_mut()
                .and_then(|v| v.tree_mut())
                .and_then(|t| t.cursor_pointer()),
            _ => None,
        };
        let Some(event) = self.selected_event() else {
            return;
        };
        let (what, text) = match choice {
            '1' => (
                "event JSON",
                serde_json::to_string(event).unwrap_or_default(),
            ),
            '2' => ("event id", event.event_id.to_string()),
            '3' => (
                "stream@version",
                format!("{}@{}", event.stream_id, event.version),
            ),
            _ => match path {
                Some(path) => ("JSON path", path),
                None => {
                    self.status.message =
                        Some("a JSON path is copied from a stream's event tree (Tab to it)".into());
                    return;
                }
            },
        };
        self.status.message = Some(format!(
            "copied {what} ({} bytes) to the clipboard",
            text.len()
        ));
        self.clipboard = Some(text);
    }

    /// Opens the stream of the selected event's cause (or first effect) at its version.
    fn follow_chain(&mut self, action: Action) {
        let chain = match (self.screen, self.stream.as_ref().and_then(|v| v.chain())) {
            (Screen::Stream, Some(chain)) => chain,
            _ => {
                self.status.message = Some("no event chain here yet".into());
                return;
            }
        };
        let target = match action {
            Action::Cause => chain.cause.as_ref(),
            _ if chain.effects.len() > 1 => {
                // Several effects: a picker, each one a jump.
                self.effect_picker = true;
                return;
            }
            _ => chain.effects.first(),
        }
        .map(|e| (e.stream_id.clone(), e.version));
        match target {
            Some((stream, version)) => self.open_stream_at(stream, version),
            None => {
                let what = if action == Action::Cause {
                    "cause"
                } else {
                    "effect"
                };
                self.status.message = Some(format!("no {what} stored to jump to"));
            }
        }
    }

    /// Jumps to the effect numbered `n` (1-based) in the picker.
    fn pick_effect(&mut self, n: usize) {
        let target = self
            .stream
            .as_ref()
            .and_then(|v| v.chain())
            .and_then(|c| c.effects.get(n.wrapping_sub(1)))
            .map(|e| (e.stream_id.clone(), e.version));
        if let Some((stream, version)) = target {
            self.open_stream_at(stream, version);
        }
    }

    fn open_stream_at(&mut self, stream: String, version: u64) {
        if self.following == Some(Screen::Stream) {
            self.stop_following();
        }
        let mut view = StreamView::new(stream);
        let first = view.window.jump_after(version.saturating_sub(1));
        self.stream = Some(view);
        self.screen = Screen::Stream;
        if let Some(f) = first {
            self.fetch_stream_events(f);
        }
    }

    fn open_stream(&mut self, stream: String) {
        if self.following == Some(Screen::Stream) {
            self.stop_following();
        }
        let mut view = StreamView::new(stream);
        let first = view.window.reset();
        self.stream = Some(view);
        self.screen = Screen::Stream;
        if let Some(f) = first {
            self.fetch_stream_events(f);
        }
    }

    /// The wheel scrolls the current list; a click selects the row under it.
    fn mouse(&mut self, mouse: crossterm::event::MouseEvent) -> bool {
        use crossterm::event::{MouseButton, MouseEventKind};
        match mouse.kind {
            MouseEventKind::ScrollDown => self.move_selection(3),
            MouseEventKind::ScrollUp => self.move_selection(-3),
            MouseEventKind::Down(MouseButton::Left) => {
                let (geometry, rows, selected) = match self.screen {
                    Screen::Streams => (
                        self.streams.geometry.get(),
                        self.streams.window.len(),
                        self.streams.window.selected_index(),
                    ),
                    Screen::Log => (
                        self.log.geometry.get(),
                        self.log.window.len(),
                        self.log.window.selected_index(),
                    ),
                    Screen::Stream => match &self.stream {
                        Some(v) => (v.geometry.get(), v.window.len(), v.window.selected_index()),
                        None => return false,
                    },
                    Screen::TimeTravel | Screen::Snapshots | Screen::Workbench => return false,
                };
                match geometry.and_then(|g| g.row_at(mouse.row, rows)) {
                    Some(row) => self.move_selection(row as isize - selected as isize),
                    None => return false,
                }
            }
            _ => return false,
        }
        true
    }

    /// Moves the current list's selection by `delta` rows.
    fn move_selection(&mut self, delta: isize) {
        match self.screen {
            Screen::Streams => {
                if let Some(f) = self.streams.window.move_by(delta) {
                    self.fetch_streams(f);
                }
            }
            Screen::Log => {
                if let Some(f) = self.log.window.move_by(delta) {
                    self.fetch_log(f);
                }
            }
            Screen::Workbench => {}
            Screen::TimeTravel | Screen::Snapshots => {
                let action = if delta < 0 { Action::Up } else { Action::Down };
                for _ in 0..delta.unsigned_abs() {
                    self.act_travel(action);
                }
            }
            Screen::Stream => {
                if let Some(f) = self.stream.as_mut().and_then(|v| v.window.move_by(delta)) {
                    self.fetch_stream_events(f);
                }
            }
        }
    }

    fn navigate(&mut self, action: Action) {
        // With the detail pane focused, ↑↓ and pages scroll the event's text instead.
        if let (Screen::Stream, Some(view)) = (self.screen, self.stream.as_mut())
            && view.detail_focused
            && !view.raw
            && let Some(tree) = view.tree_mut()
        {
            let page = views::PAGE_STEP;
            match action {
                Action::Up => tree.move_by(-1),
                Action::Down => tree.move_by(1),
                Action::PageUp => tree.move_by(-page),
                Action::PageDown => tree.move_by(page),
                Action::First => tree.move_by(isize::MIN / 2),
                _ => tree.move_by(isize::MAX / 2),
            }
            return;
        }
        if let (Screen::Stream, Some(view)) = (self.screen, self.stream.as_mut())
            && view.detail_focused
        {
            let step = views::PAGE_STEP as u16;
            view.detail_scroll = match action {
                Action::Up => view.detail_scroll.saturating_sub(1),
                Action::Down => view.detail_scroll.saturating_add(1),
                Action::PageUp => view.detail_scroll.saturating_sub(step),
                Action::PageDown => view.detail_scroll.saturating_add(step),
                Action::First => 0,
                _ => view.detail_scroll.saturating_add(step * 10),
            };
            return;
        }
        if let Some(view) = self.stream.as_mut() {
            view.detail_scroll = 0; // a new event's text starts at its top
        }
        let page = views::PAGE_STEP;
        macro_rules! go {
            ($window:expr) => {{
                let w = $window;
                match action {
                    Action::Up => w.move_by(-1),
                    Action::Down => w.move_by(1),
                    Action::PageUp => w.move_by(-page),
                    Action::PageDown => w.move_by(page),
                    Action::First => w.first(),
                    _ => w.last(),
                }
            }};
        }
        match self.screen {
            Screen::Streams => {
                if let Some(f) = go!(&mut self.streams.window) {
                    self.fetch_streams(f);
                }
            }
            Screen::Log => {
                // G in a paused Log goes to the newest events, not to the end of what was
                // loaded before they arrived (issue 16, bug 13).
                let newer = self.status.head
                    > self
                        .log
                        .window
                        .rows()
                        .last()
                        .map_or(0, |e| e.global_position)
                    || self.log.new_since.is_some_and(|c| c.count > 0);
                let fetch = if action == Action::Last && newer {
                    self.log.window.reload_last()
                } else {
                    go!(&mut self.log.window)
                };
                if let Some(f) = fetch {
                    self.fetch_log(f);
                }
            }
            // Their own keys handle these (act_travel).
            Screen::TimeTravel | Screen::Snapshots | Screen::Workbench => {}
            Screen::Stream => {
                let fetch = self.stream.as_mut().and_then(|v| go!(&mut v.window));
                if let Some(f) = fetch {
                    self.fetch_stream_events(f);
                }
            }
        }
    }

    /// `f`: follow the Log, or the open stream, live; again to stop.
    fn toggle_follow(&mut self) {
        let target = match self.screen {
            Screen::Streams => {
                self.status.message = Some("f follows the Log (2) or an open stream".into());
                return;
            }
            screen => screen,
        };
        let was = self.following;
        self.stop_following();
        if was == Some(target) {
            return;
        }
        self.following = Some(target);
        self.status.follow = true;
        // Jump to the end; follow from the last row shown, so nothing between is missed.
        match target {
            Screen::Log => match self.log.window.last() {
                Some(f) => self.fetch_log(f), // following starts when the last page arrives
                None => self.start_following(),
            },
            _ => match self.stream.as_mut().and_then(|v| v.window.last()) {
                Some(f) => self.fetch_stream_events(f),
                None => self.start_following(),
            },
        }
    }

    fn stop_following(&mut self) {
        if let Some(task) = self.follow_task.take() {
            task.abort();
        }
        self.following = None;
        self.status.follow = false;
    }

    fn start_following(&mut self) {
        let Some(fetcher) = &self.fetcher else { return };
        self.follow_task = match self.following {
            Some(Screen::Log) => {
                let after = self
                    .log
                    .window
                    .rows()
                    .last()
                    .map_or(0, |e| e.global_position);
                Some(fetcher.follow(after, None))
            }
            Some(Screen::Stream) => self.stream.as_ref().map(|view| {
                let after = view.window.rows().last().map_or(0, |e| e.global_position);
                fetcher.follow(after, Some(view.stream_id.clone()))
            }),
            _ => None,
        };
    }

    /// The Streams list, read from its top, shows appends as they happen (issue 16, bug
    /// 11: by last activity it stayed as first loaded): its first page is read again when
    /// the head moves, unless its reader moved down the list or a fetch is under way.
    fn refresh_streams_at_top(&mut self) {
        let w = &self.streams.window;
        if self.screen != Screen::Streams
            || self.streams.fuzzy.is_some()
            || w.is_loading()
            || !w.at_start()
            || w.selected_index() != 0
        {
            return;
        }
        if let Some(f) = self.streams.window.reset() {
            self.fetch_streams(f);
        }
    }

    /// While the Log is paused at its end, counts the new events its filter matches.
    fn count_new_in_log(&mut self) {
        if self.counting_new || self.following == Some(Screen::Log) || !self.log.window.at_end() {
            return;
        }
        let Some(shown) = self.log.window.rows().last().map(|e| e.global_position) else {
            return;
        };
        // Only what arrived since the last count is read; a count at its cap stays.
        let from = match self.log.new_since {
            Some(c) if c.shown == shown && c.capped => return,
            Some(c) if c.shown == shown => c.last,
            _ => shown,
        };
        if let Some(fetcher) = &self.fetcher {
            self.counting_new = true;
            fetcher.count_new(shown, from, self.log.filter.clone());
        }
    }

    fn refresh_stats(&mut self) {
        if self.stats_pending {
            return;
        }
        if let Some(fetcher) = &self.fetcher {
            self.stats_pending = true;
            fetcher.stats();
        }
    }

    fn fetch_log(&self, fetch: Fetch<Position>) {
        if let Some(fetcher) = &self.fetcher {
            fetcher.log(fetch, self.log.filter.clone());
        }
    }

    fn fetch_streams(&self, fetch: Fetch<views::StreamKey>) {
        if let Some(fetcher) = &self.fetcher {
            fetcher.streams(fetch, self.streams.category.clone(), self.streams.order);
        }
    }

    pub(super) fn fetch_stream_events(&self, fetch: Fetch<u64>) {
        if let (Some(fetcher), Some(view)) = (&self.fetcher, &self.stream) {
            fetcher.stream_events(view.stream_id.clone(), fetch);
        }
    }

    pub fn render(&self, frame: &mut Frame) {
        let [tabs, main, status, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        views::render_tabs(
            frame,
            tabs,
            self.screen,
            self.stream.as_ref().map(|s| s.stream_id.as_str()),
            &self.theme,
        );
        match self.screen {
            Screen::Streams => self.streams.render(frame, main),
            Screen::Log => self.log.render(frame, main, self.status.follow),
            Screen::Stream => {
                if let Some(view) = &self.stream {
                    view.render(frame, main, &self.theme);
                }
            }
            Screen::TimeTravel => match (&self.as_of, &self.travel) {
                (Some(view), _) if self.as_of_active => view.render(frame, main, &self.theme),
                (_, Some(view)) => view.render(frame, main, &self.theme),
                _ => {}
            },
            Screen::Snapshots => self.snapshots.render(frame, main, &self.theme),
            Screen::Workbench => {
                if let Some(view) = &self.workbench {
                    view.render(frame, main, &self.theme);
                }
            }
        }
        let status_info = Status {
            working: self.is_loading(),
            exported: self.exporting,
            ..self.status.clone()
        };
        let footer_taken = self.command.is_some() || self.filter_input.is_some();
        views::render_status(frame, status, &status_info, footer_taken);
        match (&self.command, &self.filter_input) {
            (Some(line), _) => views::render_command(frame, hints, line),
            (None, Some(query)) => views::render_filter(frame, hints, query),
            (None, None) => match &self.status.message {
                Some(message) => views::render_message(frame, hints, message),
                None => views::render_hints(frame, hints, self.screen, &self.keymap),
            },
        }
        if self.help {
            views::render_help(frame, &self.keymap, self.screen);
        }
        if self.show_messages {
            views::render_messages(frame, &self.messages);
        }
        if self.copy_menu {
            views::render_copy_menu(frame);
        }
        if self.effect_picker
            && let Some(chain) = self.stream.as_ref().and_then(|v| v.chain())
        {
            views::render_effect_picker(frame, &chain.effects);
        }
        if let Some(composer) = &self.composer {
            composer.render(frame, &self.theme);
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(task) = self.follow_task.take() {
            task.abort();
        }
    }
}
