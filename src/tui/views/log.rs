//! Log view (`2`): the global log by position, paged both ways; `f` follows it live.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Row;

use super::{ListTable, one_line, short_time};
use crate::store::{LogFilter, Position, RecordedEvent};
use crate::tui::window::Window;

pub struct LogView {
    pub window: Window<RecordedEvent, Position>,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<super::TableGeometry>>,
    /// Set by `:type`, `:category`, `:correlation`; cleared by `:clear`.
    pub filter: LogFilter,
    /// While paused at the end: the events after the last one shown that match the
    /// filter (after which position, how many, whether the count stopped at its cap).
    pub new_since: Option<(Position, u64, bool)>,
}

impl LogView {
    pub fn new() -> LogView {
        LogView {
            window: Window::new(|e: &RecordedEvent| e.global_position),
            geometry: std::cell::Cell::new(None),
            filter: LogFilter::default(),
            new_since: None,
        }
    }

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
            .filter(|(after, n, _)| *after == shown_last && *n > 0);
        let badge = match counted {
            _ if follow => " · following".to_owned(),
            Some((_, n, capped)) if self.window.at_end() => {
                let more = if capped { "+" } else { "" };
                format!(" · paused, {n}{more} new (f follows)")
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
    text
}
