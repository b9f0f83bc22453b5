//! Streams view (`1`): every stream, by id, paged from the store.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Row;
use ratatui::widgets::{Block, Sparkline};

use super::{ListTable, short_time};
use crate::store::StreamInfo;
use crate::tui::window::Window;

/// A stream's place in either order: its last activity, then its id.
pub type StreamKey = (chrono::DateTime<chrono::Utc>, String);

/// How the Streams view is sorted (`s` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamOrder {
    #[default]
    Name,
    /// Most recently active first.
    Activity,
}

pub struct StreamsView {
    pub window: Window<StreamInfo, StreamKey>,
    pub order: StreamOrder,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<super::TableGeometry>>,
    /// Set by `:category` on this view; cleared by `:clear`.
    pub category: Option<String>,
    /// The `/` fuzzy filter's query, while its results are shown.
    pub fuzzy: Option<String>,
    /// How many streams the fuzzy filter matched in all (it shows the best of them).
    pub fuzzy_matched: u64,
    /// The selected stream's events per day, and the stream it was asked for.
    pub activity: Option<(String, Vec<(String, u64)>)>,
    pub activity_asked: Option<String>,
}

impl StreamsView {
    pub fn new() -> StreamsView {
        StreamsView {
            window: Window::new(|s: &StreamInfo| (s.updated_at, s.stream_id.clone())),
            order: StreamOrder::Name,
            geometry: std::cell::Cell::new(None),
            category: None,
            fuzzy: None,
            fuzzy_matched: 0,
            activity: None,
            activity_asked: None,
        }
    }

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
            empty: if self.window.is_loading() {
                "loading…"
            } else {
                "no streams yet"
            },
        }
        .render(frame, area);
        self.geometry.set(geometry);
    }
}

impl StreamsView {
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
