//! Streams (`1`): every stream, by id or by last activity, paged from the store; `/`
//! fuzzy-filters the ids; the selected stream's activity as a sparkline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossterm::event::MouseEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Row;
use ratatui::widgets::{Block, Sparkline};

use super::{
    DrawContext, FIRST_LAST, HELP, Hint, MOVE, Move, Place, QUIT, Screen, ScreenId, step_of,
};
use crate::store::{Position, StreamInfo};
use crate::tui::chrome::{ListTable, TableGeometry, list_mouse, short_time};
use crate::tui::command::{Command, CommandKind};
use crate::tui::effect::{Effects, OverlayRequest};
use crate::tui::io::{Fetch, Request, Response, StreamKey, StreamOrder};
use crate::tui::keymap::Action;
use crate::tui::widgets::window::Window;

pub struct StreamsScreen {
    pub window: Window<StreamInfo, StreamKey>,
    pub order: StreamOrder,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<TableGeometry>>,
    /// Set by `:category` on this view; cleared by `:clear`.
    pub category: Option<String>,
    /// The `/` fuzzy filter's query, while its results are shown.
    pub fuzzy: Option<String>,
    /// How many streams the fuzzy filter matched in all (it shows the best of them).
    pub fuzzy_matched: u64,
    /// Search generations: a newer one outdates the others.
    search_generation: Arc<AtomicU64>,
    searching: bool,
    /// The selected stream's events per day, and the stream it was asked for.
    pub activity: Option<(String, Vec<(String, u64)>)>,
    pub activity_asked: Option<String>,
}

impl Default for StreamsScreen {
    fn default() -> Self {
        StreamsScreen {
            window: Window::new(|s: &StreamInfo| (s.updated_at, s.stream_id.clone())),
            order: StreamOrder::Name,
            geometry: std::cell::Cell::new(None),
            category: None,
            fuzzy: None,
            fuzzy_matched: 0,
            search_generation: Default::default(),
            searching: false,
            activity: None,
            activity_asked: None,
        }
    }
}

impl StreamsScreen {
    fn fetch(&self, fetch: Option<Fetch<StreamKey>>, fx: &mut Effects) {
        if let Some(fetch) = fetch {
            fx.request(Request::Streams {
                fetch,
                category: self.category.clone(),
                order: self.order,
            });
        }
    }

    /// The listing from its first page.
    pub fn reload(&mut self, fx: &mut Effects) {
        let fetch = self.window.reset();
        self.fetch(fetch, fx);
    }

    fn move_by(&mut self, step: Move, fx: &mut Effects) {
        let fetch = self.window.go(step);
        self.fetch(fetch, fx);
    }

    /// Starts a fuzzy search (or, with None, goes back to the full listing).
    pub fn set_fuzzy(&mut self, query: Option<String>, fx: &mut Effects) {
        let generation = self.search_generation.fetch_add(1, Ordering::Relaxed) + 1;
        self.fuzzy = query.clone();
        match query {
            Some(query) => {
                self.searching = true;
                fx.request(Request::FuzzyStreams {
                    query,
                    category: self.category.clone(),
                    generation,
                    latest: self.search_generation.clone(),
                });
            }
            None => {
                self.searching = false;
                self.reload(fx);
            }
        }
    }

    /// Asks for the selected stream's activity when the selection moved to another.
    fn request_activity(&mut self, fx: &mut Effects) {
        let Some(stream) = self.window.selected().map(|s| s.stream_id.clone()) else {
            return;
        };
        if self.activity_asked.as_deref() != Some(stream.as_str()) {
            self.activity_asked = Some(stream.clone());
            fx.request(Request::Activity(stream));
        }
    }
}

impl Screen for StreamsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Streams
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if let Some(step) = step_of(action) {
            self.move_by(step, fx);
        } else {
            match action {
                Action::Open => match self.window.selected() {
                    Some(s) => fx.open(Place::Stream {
                        stream: s.stream_id.clone(),
                        version: None,
                    }),
                    None => fx.say("no stream selected"),
                },
                Action::Sort => {
                    self.order = match self.order {
                        StreamOrder::Name => StreamOrder::Activity,
                        StreamOrder::Activity => StreamOrder::Name,
                    };
                    self.reload(fx);
                }
                Action::Filter => fx.overlay(OverlayRequest::Filter {
                    text: self.fuzzy.clone().unwrap_or_default(),
                    what: "stream ids (fuzzy)",
                }),
                _ => return false,
            }
        }
        self.request_activity(fx);
        true
    }

    fn command(&mut self, command: &Command, fx: &mut Effects) -> bool {
        match command {
            Command::Category(category) => self.category = Some(category.clone()),
            Command::Clear => {
                self.category = None;
                self.fuzzy = None;
            }
            _ => return false,
        }
        self.reload(fx);
        true
    }

    fn filter(&mut self, query: Option<String>, fx: &mut Effects) {
        self.set_fuzzy(query, fx);
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::StreamRows(fetch, rows) => {
                let more = self.window.arrived(fetch, rows);
                self.fetch(more, fx);
            }
            Response::FuzzyStreams {
                generation,
                rows,
                matched,
            } => {
                if generation == self.search_generation.load(Ordering::Relaxed) {
                    self.searching = false;
                    self.fuzzy_matched = matched;
                    self.window.replace_all(rows);
                }
            }
            Response::Activity(stream, days) => {
                if self.activity_asked.as_deref() == Some(stream.as_str()) {
                    self.activity = Some((stream, days));
                }
            }
            other => return Some(other),
        }
        self.request_activity(fx);
        None
    }

    /// The list, read from its top, shows appends as they happen: its first page is read
    /// again when the head moves, unless its reader moved down the list or a fetch is
    /// under way.
    fn head_moved(&mut self, _head: Position, shown: bool, fx: &mut Effects) {
        let w = &self.window;
        if shown
            && self.fuzzy.is_none()
            && !w.is_loading()
            && w.at_start()
            && w.selected_index() == 0
        {
            self.reload(fx);
        }
    }

    fn mouse(&mut self, mouse: MouseEvent, fx: &mut Effects) -> bool {
        match list_mouse(mouse, self.geometry.get(), &self.window) {
            Some(step) => {
                self.move_by(step, fx);
                self.request_activity(fx);
                true
            }
            None => false,
        }
    }

    fn busy(&self) -> bool {
        self.searching || self.window.is_loading()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _cx: &DrawContext) {
        self.render(frame, area);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            MOVE,
            Hint::Keys(&[(Action::Open, "Enter")], "", "open"),
            Hint::Keys(&[(Action::Filter, "/")], "", "filter"),
            Hint::Keys(&[(Action::Sort, "s")], "", "sort"),
            FIRST_LAST,
            Hint::Keys(&[(Action::Log, "2")], "", "log"),
            HELP,
            QUIT,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[Up, Down, PageUp, PageDown, First, Last, Open, Filter, Sort]
    }

    fn commands(&self) -> &'static [CommandKind] {
        &[CommandKind::Category, CommandKind::Clear]
    }

    fn stream_in_context(&self) -> Option<String> {
        self.window.selected().map(|s| s.stream_id.clone())
    }

    fn travel_target(&self) -> Option<(String, crate::replay::Target)> {
        self.stream_in_context()
            .map(|s| (s, crate::replay::Target::Latest))
    }
}

impl StreamsScreen {
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let [area, spark] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(4)]).areas(area);
        self.render_activity(frame, spark);
        let rows = self
            .window
            .rows()
            .map(|s| {
                Row::new(vec![
                    s.stream_id.clone(),
                    s.stream_type.clone(),
                    s.version.to_string(),
                    s.last_event_type.clone(),
                    short_time(&s.updated_at),
                ])
            })
            .collect();
        let loading = if self.window.is_loading() {
            " (loading…)"
        } else {
            ""
        };
        let geometry = ListTable {
            title: format!(
                " Streams{}{}{}{loading} ",
                self.category
                    .as_ref()
                    .map(|c| format!(" · category {c}"))
                    .unwrap_or_default(),
                self.fuzzy
                    .as_ref()
                    .map(|q| {
                        let shown = self.window.len() as u64;
                        if self.fuzzy_matched > shown {
                            format!(" · matching {q:?} ({shown} of {})", self.fuzzy_matched)
                        } else {
                            format!(" · matching {q:?} ({shown})")
                        }
                    })
                    .unwrap_or_default(),
                match self.order {
                    StreamOrder::Name => " · by name",
                    StreamOrder::Activity => " · by last activity",
                }
            ),
            header: vec!["Stream", "Category", "Version", "Last event", "Updated"],
            widths: vec![
                Constraint::Fill(3),
                Constraint::Fill(2),
                Constraint::Length(8),
                Constraint::Fill(2),
                Constraint::Length(19),
            ],
            rows,
            selected: self.window.selected_index(),
            empty: if self.window.is_loading() || self.searching {
                "loading…"
            } else if self.fuzzy.is_some() {
                "no matches (Esc clears the filter)"
            } else if self.category.is_some() {
                "no streams in this category (:clear shows all)"
            } else {
                "no streams yet"
            },
        }
        .render(frame, area);
        self.geometry.set(geometry);
    }
}

impl StreamsScreen {
    /// The selected stream's events per day, as a sparkline over its active days.
    fn render_activity(&self, frame: &mut Frame, area: Rect) {
        let selected = self.window.selected().map(|s| s.stream_id.as_str());
        let days = match (&self.activity, selected) {
            (Some((stream, days)), Some(selected)) if stream == selected => days,
            _ => {
                frame.render_widget(Block::bordered().title(" Activity "), area);
                return;
            }
        };
        let width = area.width.saturating_sub(2) as usize;
        // The most recent days that fit.
        let shown = &days[days.len().saturating_sub(width)..];
        let data: Vec<u64> = shown.iter().map(|(_, n)| *n).collect();
        let (first, last) = (
            shown.first().map_or("", |d| d.0.as_str()),
            shown.last().map_or("", |d| d.0.as_str()),
        );
        let peak = data.iter().max().copied().unwrap_or(0);
        let title = format!(" Activity · events per active day, {first} … {last} · peak {peak} ");
        frame.render_widget(
            Sparkline::default()
                .data(&data)
                .block(Block::bordered().title(title)),
            area,
        );
    }
}
