//! A stream (Enter on a stream, or on a Log row): its events beside the selected event's
//! envelope, causation chain, and data and metadata as a folding tree (or raw JSON).

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Wrap};

use super::{
    BACK, DrawContext, FIRST_LAST, HELP, Hint, MOVE, Move, PAGE_STEP, Place, QUIT, Screen,
    ScreenId, step_of,
};
use crate::store::expr::Where;
use crate::store::{RecordedEvent, timestamp};
use crate::tui::chrome::{ListTable, TableGeometry, group, list_mouse, one_line, short_time};
use crate::tui::command::{Command, CommandKind};
use crate::tui::effect::{Effects, OverlayRequest};
use crate::tui::io::{Fetch, Request, Response};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::json_tree::JsonTree;
use crate::tui::widgets::window::Window;

pub struct StreamScreen {
    pub stream_id: String,
    pub window: Window<RecordedEvent, u64>,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<TableGeometry>>,
    chain: Option<Chain>,
    /// Tab moves the keys to the detail pane, where ↑↓ move in the tree (or scroll).
    pub detail_focused: bool,
    pub detail_scroll: u16,
    /// The selected event's data and metadata as a folding tree, and the event it is of.
    pub tree: Option<(uuid::Uuid, JsonTree)>,
    /// Show the raw (pretty-printed) JSON instead of the tree.
    pub raw: bool,
    /// The event whose chain was last asked for.
    asked: Option<uuid::Uuid>,
    /// `f`: new events join the list as they are appended.
    pub following: bool,
    /// The stream's version (its event count), once known.
    pub length: Option<u64>,
    /// `:where`: only the events it matches are listed.
    pub matching: Option<Where>,
}

/// The selected event's causes and effects, across streams.
pub struct Chain {
    pub event_id: uuid::Uuid,
    pub cause: Option<RecordedEvent>,
    pub effects: Vec<RecordedEvent>,
}

impl StreamScreen {
    /// The stream at `version` (None: its start); the first fetches go into `fx`.
    pub fn open(stream_id: String, version: Option<u64>, fx: &mut Effects) -> StreamScreen {
        let mut screen = StreamScreen {
            stream_id,
            window: Window::new(|e: &RecordedEvent| e.version),
            geometry: std::cell::Cell::new(None),
            chain: None,
            detail_focused: false,
            detail_scroll: 0,
            tree: None,
            raw: false,
            asked: None,
            following: false,
            length: None,
            matching: None,
        };
        let first = match version {
            Some(v) => screen.window.jump_after(v.max(1) - 1),
            None => screen.window.reset(),
        };
        screen.fetch(first, fx);
        fx.request(Request::StreamVersion(screen.stream_id.clone()));
        screen
    }

    fn fetch(&self, fetch: Option<Fetch<u64>>, fx: &mut Effects) {
        if let Some(fetch) = fetch {
            fx.request(Request::StreamEvents {
                stream: self.stream_id.clone(),
                fetch,
                matching: self.matching.clone(),
            });
        }
    }

    /// Lists only the events `matching` picks (None: all), from the start.
    fn filter(&mut self, matching: Option<Where>, fx: &mut Effects) {
        self.matching = matching;
        self.detail_focused = false;
        self.tree = None;
        let fetch = self.window.reset();
        self.fetch(fetch, fx);
    }

    /// After any change: the selected event's tree built, its chain asked for.
    fn settle(&mut self, fx: &mut Effects) {
        self.sync_tree();
        if let Some(event) = self.needs_chain() {
            fx.request(Request::Chain(Box::new(event.clone())));
        }
    }

    fn navigate(&mut self, step: Move, fx: &mut Effects) {
        // With the detail pane focused, ↑↓ and pages move in the tree (or scroll the text).
        if self.detail_focused {
            if !self.raw
                && let Some(tree) = self.tree_mut()
            {
                tree.move_by(step.rows());
                return;
            }
            let page = PAGE_STEP as u16;
            self.detail_scroll = match step {
                Move::By(n) if n < 0 => self.detail_scroll.saturating_sub(n.unsigned_abs() as u16),
                Move::By(n) => self.detail_scroll.saturating_add(n as u16),
                Move::First => 0,
                Move::Last => self.detail_scroll.saturating_add(page * 10),
            };
            return;
        }
        self.detail_scroll = 0; // a new event's text starts at its top
        let fetch = self.window.go(step);
        self.fetch(fetch, fx);
    }

    fn toggle_follow(&mut self, fx: &mut Effects) {
        if self.following {
            self.following = false;
            fx.request(Request::Unfollow(Some(self.stream_id.clone())));
            return;
        }
        self.following = true;
        match self.window.last() {
            Some(fetch) => self.fetch(Some(fetch), fx),
            None => self.start_following(fx),
        }
    }

    fn start_following(&self, fx: &mut Effects) {
        let after = self.window.rows().last().map_or(0, |e| e.global_position);
        fx.request(Request::Follow {
            stream: Some(self.stream_id.clone()),
            after,
        });
    }

    /// `[`: the cause; `]`: the effect (a picker when there are several).
    fn follow_chain(&mut self, action: Action, fx: &mut Effects) {
        let Some(chain) = self.chain() else {
            fx.say("no event chain here yet");
            return;
        };
        let target = match action {
            Action::Cause => chain.cause.as_ref(),
            _ if chain.effects.len() > 1 => {
                fx.overlay(OverlayRequest::EffectPicker(chain.effects.clone()));
                return;
            }
            _ => chain.effects.first(),
        };
        match target {
            Some(e) => fx.open(Place::Stream {
                stream: e.stream_id.clone(),
                version: Some(e.version),
            }),
            None if action == Action::Cause => fx.say("no cause stored to jump to"),
            None => fx.say("no effect stored to jump to"),
        }
    }

    /// Stops following (the screen is being replaced).
    pub fn close(&mut self, fx: &mut Effects) {
        if self.following {
            self.following = false;
            fx.request(Request::Unfollow(Some(self.stream_id.clone())));
        }
    }
}

impl Screen for StreamScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Stream
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if let Some(step) = step_of(action) {
            self.navigate(step, fx);
        } else {
            match action {
                // Enter folds and unfolds the tree node under the cursor (event pane).
                Action::Open => {
                    if !self.raw
                        && self.detail_focused
                        && let Some(tree) = self.tree_mut()
                    {
                        tree.toggle();
                    } else {
                        self.detail_focused = true;
                    }
                }
                Action::Raw => self.raw = !self.raw,
                Action::NextPane | Action::PrevPane => self.detail_focused = !self.detail_focused,
                Action::Follow => self.toggle_follow(fx),
                Action::Cause | Action::Effect => self.follow_chain(action, fx),
                _ => return false,
            }
        }
        self.settle(fx);
        true
    }

    fn command(&mut self, command: &Command, fx: &mut Effects) -> bool {
        match command {
            Command::Where(matching) => {
                self.filter(Some(matching.clone()), fx);
                return true;
            }
            // `:clear` clears the stream's own filter; without one it is the app's.
            Command::Clear if self.matching.is_some() => {
                self.filter(None, fx);
                return true;
            }
            _ => {}
        }
        let Command::Version(version) = command else {
            return false;
        };
        match self.length {
            // Past the end: said at once, and the view stays where it is.
            Some(last) if *version > last => fx.say(format!(
                "v{version} is past the end of {} (last v{last})",
                self.stream_id
            )),
            _ => {
                self.detail_focused = false;
                let fetch = self.window.jump_after(version.max(&1) - 1);
                self.fetch(fetch, fx);
            }
        }
        true
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::StreamEvents(stream, fetch, rows) if stream == self.stream_id => {
                let last_page = fetch == Fetch::Last;
                let more = self.window.arrived(fetch, rows);
                self.fetch(more, fx);
                if last_page && self.following {
                    self.start_following(fx);
                }
            }
            Response::Live(Some(stream), rows) if stream == self.stream_id => {
                if let Some(last) = rows.last() {
                    self.length = Some(last.version);
                }
                self.window.appended(rows, true);
            }
            Response::Chain(event_id, cause, effects) => {
                self.chain_arrived(event_id, cause, effects)
            }
            Response::StreamVersion(stream, version) if stream == self.stream_id => {
                self.length = Some(version);
                return Some(Response::StreamVersion(stream, version));
            }
            // An append by the composer shows in the open stream at once, unless its
            // reader scrolled away from the end.
            Response::Appended(Ok(event)) if event.stream_id == self.stream_id => {
                self.length = Some(event.version);
                if (self.window.at_end() || self.window.is_empty()) && !self.following {
                    let fetch = self.window.reload_last();
                    self.fetch(fetch, fx);
                }
            }
            other => return Some(other),
        }
        self.settle(fx);
        None
    }

    fn mouse(&mut self, mouse: MouseEvent, fx: &mut Effects) -> bool {
        match list_mouse(mouse, self.geometry.get(), &self.window) {
            Some(step) => {
                let fetch = self.window.go(step);
                self.fetch(fetch, fx);
                self.settle(fx);
                true
            }
            None => false,
        }
    }

    fn busy(&self) -> bool {
        self.window.is_loading()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        self.render(frame, area, cx.theme);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            BACK,
            FIRST_LAST,
            Hint::Keys(&[(Action::NextPane, "Tab")], "", "event"),
            Hint::Keys(&[(Action::Follow, "f")], "", "follow"),
            Hint::Keys(
                &[(Action::Cause, "["), (Action::Effect, "]")],
                " ",
                "cause/effect",
            ),
            Hint::Keys(&[(Action::TimeTravel, "3")], "", "time travel"),
            Hint::Keys(&[(Action::Copy, "y")], "", "copy"),
            HELP,
            QUIT,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Up, Down, PageUp, PageDown, First, Last, Open, NextPane, PrevPane, Raw, Follow, Cause,
            Effect, Copy,
        ]
    }

    fn commands(&self) -> &'static [CommandKind] {
        &[
            CommandKind::Version,
            CommandKind::Where,
            CommandKind::Clear,
            CommandKind::Export,
        ]
    }

    fn place(&self) -> Place {
        Place::Stream {
            stream: self.stream_id.clone(),
            version: self.window.selected().map(|e| e.version),
        }
    }

    fn tab_note(&self) -> Option<String> {
        Some(match self.length {
            Some(1) => format!("{} · 1 event", self.stream_id),
            Some(n) => format!("{} · {} events", self.stream_id, group(n)),
            None => self.stream_id.clone(),
        })
    }

    fn following(&self) -> bool {
        self.following
    }

    fn selected_event(&self) -> Option<&RecordedEvent> {
        self.window.selected()
    }

    fn stream_in_context(&self) -> Option<String> {
        Some(self.stream_id.clone())
    }

    fn copy_path(&self) -> Option<String> {
        let selected = self.window.selected()?.event_id;
        let (id, tree) = self.tree.as_ref()?;
        (*id == selected).then(|| tree.cursor_pointer()).flatten()
    }
}

impl StreamScreen {
    /// Builds the tree for the selected event when the selection moved to another.
    pub fn sync_tree(&mut self) {
        let Some(event) = self.window.selected() else {
            return;
        };
        if self
            .tree
            .as_ref()
            .is_some_and(|(id, _)| *id == event.event_id)
        {
            return;
        }
        let parse = |raw: &str| serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
        let roots = vec![
            ("data".to_owned(), parse(event.data.get())),
            ("metadata".to_owned(), parse(event.metadata.get())),
        ];
        self.tree = Some((event.event_id, JsonTree::new(roots)));
    }

    /// The tree of the selected event, if built.
    pub fn tree_mut(&mut self) -> Option<&mut JsonTree> {
        let selected = self.window.selected()?.event_id;
        self.tree
            .as_mut()
            .filter(|(id, _)| *id == selected)
            .map(|(_, t)| t)
    }

    /// The selected event, when its chain has not been asked for yet (marks it asked).
    pub fn needs_chain(&mut self) -> Option<&RecordedEvent> {
        let event = self.window.selected()?;
        if self.asked == Some(event.event_id) {
            return None;
        }
        self.asked = Some(event.event_id);
        Some(event)
    }

    pub fn chain_arrived(
        &mut self,
        event_id: uuid::Uuid,
        cause: Option<RecordedEvent>,
        effects: Vec<RecordedEvent>,
    ) {
        if self.asked == Some(event_id) {
            self.chain = Some(Chain {
                event_id,
                cause,
                effects,
            });
        }
    }

    /// The chain of the selected event, once it arrived.
    pub fn chain(&self) -> Option<&Chain> {
        let selected = self.window.selected()?.event_id;
        self.chain.as_ref().filter(|c| c.event_id == selected)
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        let data_width = list.width.saturating_sub(52).max(12) as usize;
        let rows = self
            .window
            .rows()
            .map(|e| {
                Row::new(vec![
                    e.version.to_string(),
                    e.event_type.clone(),
                    short_time(&e.recorded_at),
                    one_line(e.data.get(), data_width),
                ])
            })
            .collect();
        let geometry = ListTable {
            title: match (&self.matching, self.length) {
                (Some(w), _) => format!(" {} · where {} ", self.stream_id, w.source()),
                (None, Some(n)) => format!(" {} · {} events ", self.stream_id, group(n)),
                (None, None) => format!(" {} ", self.stream_id),
            },
            header: vec!["Version", "Type", "Recorded", "Data"],
            widths: vec![
                Constraint::Length(8),
                Constraint::Length(20),
                Constraint::Length(19),
                Constraint::Fill(1),
            ],
            rows,
            selected: self.window.selected_index(),
            empty: if self.window.is_loading() {
                "loading…"
            } else if self.matching.is_some() {
                "no events match (:clear removes the filter)"
            } else {
                "no events"
            },
        }
        .render(frame, list);
        self.geometry.set(geometry);
        let tree = self
            .tree
            .as_ref()
            .filter(|(id, _)| Some(*id) == self.window.selected().map(|e| e.event_id));
        let (text, cursor_line) = match (self.window.selected(), tree) {
            // The folding tree (the raw JSON with `r`).
            (Some(e), Some((_, tree))) if !self.raw => {
                let mut lines = header_lines(e, self.chain());
                let cursor_line = lines.len() + tree.cursor;
                lines.extend(tree.lines(theme, self.detail_focused));
                (lines, Some(cursor_line))
            }
            (Some(e), Some((_, tree))) => {
                (envelope_lines(e, self.chain(), theme, tree.pretty()), None)
            }
            (Some(e), None) => (header_lines(e, self.chain()), None),
            (None, _) => (Vec::new(), None),
        };
        // Keep the tree's cursor in view while the pane is focused.
        let scroll = match cursor_line {
            Some(line) if self.detail_focused => {
                (line as u16).saturating_sub(detail.height.saturating_sub(3))
            }
            _ => self.detail_scroll,
        };
        let title = self.window.selected().map_or(" Event ".to_owned(), |e| {
            format!(" {} @ {} ", e.event_type, e.version)
        });
        let block = if self.detail_focused {
            Block::bordered()
                .title(format!("{title}· focused (Tab) · Enter folds · r raw "))
                .border_style(theme.key)
        } else {
            Block::bordered().title(title)
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0))
                .block(block),
            detail,
        );
    }
}

/// The envelope's fields and the causation chain (once it arrived).
fn header_lines(e: &RecordedEvent, chain: Option<&Chain>) -> Vec<Line<'static>> {
    let header = format!(
        "position {}\nrecorded {}\nevent id {}\nschema   {}\n{}",
        e.global_position,
        timestamp::format(&e.recorded_at),
        e.event_id,
        e.schema_version,
        chain.map(chain_text).unwrap_or_default(),
    );
    let mut lines: Vec<Line<'static>> = header.lines().map(|l| Line::raw(l.to_owned())).collect();
    lines.push(Line::raw(""));
    lines
}

/// The header, then data and metadata as coloured pretty JSON (the raw view).
fn envelope_lines(
    e: &RecordedEvent,
    chain: Option<&Chain>,
    theme: &Theme,
    pretty: &[(String, String)],
) -> Vec<Line<'static>> {
    let mut lines = header_lines(e, chain);
    lines.pop(); // each section below starts with its own blank line
    for (label, text) in pretty {
        lines.push(Line::raw(""));
        lines.push(Line::styled(label.clone(), theme.muted));
        lines.extend(theme.json(text).into_iter().map(|line| {
            Line::from(
                line.spans
                    .into_iter()
                    .map(|s| Span::styled(s.content.into_owned(), s.style))
                    .collect::<Vec<_>>(),
            )
        }));
    }
    lines
}

fn chain_text(chain: &Chain) -> String {
    let line = |e: &RecordedEvent| format!("  {}@{} {}\n", e.stream_id, e.version, e.event_type);
    let mut text = String::from("\ncaused by ([ jumps)\n");
    match &chain.cause {
        Some(cause) => text.push_str(&line(cause)),
        None => text.push_str("  (nothing stored)\n"),
    }
    text.push_str("\ncaused (] jumps to the first)\n");
    if chain.effects.is_empty() {
        text.push_str("  (nothing)\n");
    }
    for effect in &chain.effects {
        text.push_str(&line(effect));
    }
    text
}
