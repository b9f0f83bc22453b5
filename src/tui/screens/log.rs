//! Log (`2`): the global log by position, paged both ways, filtered by `:type`,
//! `:category`, `:correlation`, `:where`; `f` follows it live, and while paused at its end it counts
//! the new events its filter matches. Enter opens the event in its stream.

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

use super::{
    DrawContext, FIRST_LAST, HELP, Hint, MOVE, Move, Place, QUIT, Screen, ScreenId, step_of,
};
use crate::store::{LogFilter, Position, RecordedEvent};
use crate::tui::chrome::{ListTable, TableGeometry, list_mouse, one_line, short_time};
use crate::tui::command::{Command, CommandKind};
use crate::tui::effect::Effects;
use crate::tui::io::{Fetch, NEW_COUNT_CAP, NewCount, Request, Response};
use crate::tui::keymap::Action;
use crate::tui::widgets::window::Window;

pub struct LogScreen {
    pub window: Window<RecordedEvent, Position>,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<TableGeometry>>,
    /// Set by `:type`, `:category`, `:correlation`, `:where`; cleared by `:clear`.
    pub filter: LogFilter,
    /// While paused at the end: the new events the filter matches after the last one
    /// shown.
    pub new_since: Option<NewCount>,
    /// `f`: new events join the list as they are appended.
    pub following: bool,
    /// A count of new matching events is under way.
    counting: bool,
    /// The store's head, as last heard.
    head: Position,
}

impl Default for LogScreen {
    fn default() -> Self {
        LogScreen {
            window: Window::new(|e: &RecordedEvent| e.global_position),
            geometry: std::cell::Cell::new(None),
            filter: LogFilter::default(),
            new_since: None,
            following: false,
            counting: false,
            head: 0,
        }
    }
}

impl LogScreen {
    fn fetch(&self, fetch: Option<Fetch<Position>>, fx: &mut Effects) {
        if let Some(fetch) = fetch {
            fx.request(Request::Log {
                fetch,
                filter: self.filter.clone(),
            });
        }
    }

    pub fn reload(&mut self, fx: &mut Effects) {
        let fetch = self.window.reset();
        self.fetch(fetch, fx);
    }

    /// The rows after `position`, as a fresh window.
    pub fn jump_after(&mut self, position: Position, fx: &mut Effects) {
        let fetch = self.window.jump_after(position);
        self.fetch(fetch, fx);
    }

    fn last_shown(&self) -> Position {
        self.window.rows().last().map_or(0, |e| e.global_position)
    }

    fn navigate(&mut self, step: Move, fx: &mut Effects) {
        let fetch = match step {
            // G in a paused Log goes to the newest events, not to the end of what was
            // loaded before they arrived.
            Move::Last => {
                if self.head > self.last_shown() || self.new_since.is_some_and(|c| c.count > 0) {
                    self.window.reload_last()
                } else {
                    self.window.last()
                }
            }
            step => self.window.go(step),
        };
        self.fetch(fetch, fx);
    }

    fn toggle_follow(&mut self, fx: &mut Effects) {
        if self.following {
            self.following = false;
            fx.request(Request::Unfollow(None));
            return;
        }
        self.following = true;
        // To the end first; following starts from the last row shown when it arrives,
        // so nothing between is missed.
        match self.window.last() {
            Some(fetch) => self.fetch(Some(fetch), fx),
            None => self.start_following(fx),
        }
    }

    fn start_following(&self, fx: &mut Effects) {
        fx.request(Request::Follow {
            stream: None,
            after: self.last_shown(),
        });
    }

    fn filter_by(&mut self, change: impl FnOnce(&mut LogFilter), fx: &mut Effects) {
        change(&mut self.filter);
        self.new_since = None;
        self.reload(fx);
    }

    /// While paused at the end, counts the new events the filter matches: only what
    /// arrived since the last count is read; a count at its cap stays.
    fn count_new(&mut self, fx: &mut Effects) {
        if self.counting || self.following || !self.window.at_end() {
            return;
        }
        let Some(shown) = self.window.rows().last().map(|e| e.global_position) else {
            return;
        };
        let from = match self.new_since {
            Some(c) if c.shown == shown && c.capped => return,
            Some(c) if c.shown == shown => c.last,
            _ => shown,
        };
        self.counting = true;
        fx.request(Request::CountNew {
            shown,
            from,
            filter: self.filter.clone(),
        });
    }
}

impl Screen for LogScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Log
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if let Some(step) = step_of(action) {
            self.navigate(step, fx);
            return true;
        }
        match action {
            Action::Open => match self.window.selected() {
                Some(e) => fx.open(Place::Stream {
                    stream: e.stream_id.clone(),
                    version: Some(e.version),
                }),
                None => fx.say("no event selected"),
            },
            Action::Follow => self.toggle_follow(fx),
            _ => return false,
        }
        true
    }

    fn command(&mut self, command: &Command, fx: &mut Effects) -> bool {
        match command {
            Command::Position(p) => self.jump_after(p.saturating_sub(1), fx),
            Command::Time(t) => fx.request(Request::PositionAt(*t)),
            Command::Type(t) => self.filter_by(|f| f.event_types = vec![t.clone()], fx),
            Command::Category(c) => self.filter_by(|f| f.category = Some(c.clone()), fx),
            Command::Correlation(c) => self.filter_by(|f| f.correlation_id = Some(c.clone()), fx),
            Command::Where(w) => self.filter_by(|f| f.matching = Some(w.clone()), fx),
            Command::Clear => self.filter_by(|f| *f = LogFilter::default(), fx),
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::LogRows(fetch, rows) => {
                let last_page = fetch == Fetch::Last;
                let more = self.window.arrived(fetch, rows);
                self.fetch(more, fx);
                if last_page && self.following {
                    self.start_following(fx);
                }
            }
            Response::Live(None, rows) => self.window.appended(rows, true),
            Response::NewInLog(counted) => {
                self.counting = false;
                // A fresh count replaces; one that went on from the last adds to it.
                if counted.from == counted.shown {
                    self.new_since = Some(counted);
                } else if let Some(total) =
                    self.new_since.and_then(|c| c.then(counted, NEW_COUNT_CAP))
                {
                    self.new_since = Some(total);
                }
            }
            Response::PositionAt(Some(position)) => self.jump_after(position.saturating_sub(1), fx),
            Response::PositionAt(None) => fx.say("no event at or after that time"),
            other => return Some(other),
        }
        None
    }

    fn head_moved(&mut self, head: Position, _shown: bool, fx: &mut Effects) {
        self.head = head;
        self.count_new(fx);
    }

    fn mouse(&mut self, mouse: MouseEvent, fx: &mut Effects) -> bool {
        match list_mouse(mouse, self.geometry.get(), &self.window) {
            Some(step) => {
                self.navigate(step, fx);
                true
            }
            None => false,
        }
    }

    fn busy(&self) -> bool {
        self.window.is_loading()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _cx: &DrawContext) {
        self.render(frame, area, self.following);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            Hint::Keys(&[(Action::Open, "Enter")], "", "event"),
            FIRST_LAST,
            Hint::Keys(&[(Action::Follow, "f")], "", "follow"),
            Hint::Text(":type T"),
            Hint::Keys(&[(Action::Streams, "1")], "", "streams"),
            HELP,
            QUIT,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[Up, Down, PageUp, PageDown, First, Last, Open, Follow, Copy]
    }

    fn commands(&self) -> &'static [CommandKind] {
        &[CommandKind::Export]
    }

    fn following(&self) -> bool {
        self.following
    }

    fn selected_event(&self) -> Option<&RecordedEvent> {
        self.window.selected()
    }
}

impl LogScreen {
    pub fn render(&self, frame: &mut Frame, area: Rect, follow: bool) {
        let data_width = area.width.saturating_sub(80).max(20) as usize;
        let rows = self
            .window
            .rows()
            .map(|e| {
                Row::new(vec![
                    e.global_position.to_string(),
                    format!("{}@{}", e.stream_id, e.version),
                    e.event_type.clone(),
                    short_time(&e.recorded_at),
                    one_line(e.data.get(), data_width),
                ])
            })
            .collect();
        // New events beyond what is shown, while not following.
        let shown_last = self.window.rows().last().map_or(0, |e| e.global_position);
        // Counted by a background query in log order under the filter (issue 16, bug 5:
        // `head - last shown` counted every event, and positions rather than events).
        let counted = self
            .new_since
            .filter(|c| c.shown == shown_last && c.count > 0);
        let badge = match counted {
            _ if follow => " · following".to_owned(),
            Some(c) if self.window.at_end() => {
                let more = if c.capped { "+" } else { "" };
                format!(" · paused, {}{more} new (f follows)", c.count)
            }
            _ => String::new(),
        };
        let geometry = ListTable {
            title: format!(" Log{}{badge} ", describe(&self.filter)),
            header: vec!["Position", "Stream@version", "Type", "Recorded", "Data"],
            widths: vec![
                Constraint::Length(10),
                Constraint::Length(24),
                Constraint::Length(20),
                Constraint::Length(19),
                Constraint::Fill(1),
            ],
            rows,
            selected: self.window.selected_index(),
            empty: if self.window.is_loading() {
                "loading…"
            } else if self.filter != LogFilter::default() {
                "no matches (:clear removes the filter)"
            } else {
                "no events yet"
            },
        }
        .render(frame, area);
        self.geometry.set(geometry);
    }
}

/// ` · type MoneyDeposited · category Account` for the title.
fn describe(filter: &LogFilter) -> String {
    let mut text = String::new();
    for t in &filter.event_types {
        text.push_str(&format!(" · type {t}"));
    }
    if let Some(c) = &filter.category {
        text.push_str(&format!(" · category {c}"));
    }
    if let Some(c) = &filter.correlation_id {
        text.push_str(&format!(" · correlation {c}"));
    }
    if let Some(w) = &filter.matching {
        text.push_str(&format!(" · where {}", w.source()));
    }
    text
}
