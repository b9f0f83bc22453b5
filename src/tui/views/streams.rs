//! Streams view (`1`): every stream, by id, paged from the store.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

use super::{ListTable, short_time};
use crate::store::StreamInfo;
use crate::tui::window::Window;

pub struct StreamsView {
    pub window: Window<StreamInfo, String>,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<super::TableGeometry>>,
    /// Set by `:category` on this view; cleared by `:clear`.
    pub category: Option<String>,
}

impl StreamsView {
    pub fn new() -> StreamsView {
        StreamsView {
            window: Window::new(|s: &StreamInfo| s.stream_id.clone()),
            geometry: std::cell::Cell::new(None),
            category: None,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect) {
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
                " Streams{}{loading} ",
                self.category
                    .as_ref()
                    .map(|c| format!(" · category {c}"))
                    .unwrap_or_default()
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
