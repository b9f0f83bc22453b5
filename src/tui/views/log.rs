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
    /// While paused at the end: the new events the filter matches after the last one
    /// shown.
    pub new_since: Option<NewCount>,
}

/// A count of the Log's new matching events, kept up by counting only what arrived since
/// the last count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCount {
    /// The last event shown: what the count is after.
    pub shown: Position,
    /// Where this count began (`shown` for a fresh count, else where the last one ended).
    pub from: Position,
    pub count: u64,
    /// The last event counted: where the next count begins.
    pub last: Position,
    /// Whether the count stopped at its cap.
    pub capped: bool,
}

impl NewCount {
    /// A count of `count` events after `shown`, counted afresh.
    pub fn fresh(shown: Position, count: u64, capped: bool) -> NewCount {
        NewCount {
            shown,
            from: shown,
            count,
            last: shown,
            capped,
        }
    }

    /// This count with `next` (counted from where this one ended) added; None when
    /// `next` does not follow on from it.
    pub fn then(self, next: NewCount, cap: u64) -> Option<NewCount> {
        (next.shown == self.shown && next.from == self.last).then(|| {
            let count = self.count + next.count;
            NewCount {
                from: self.from,
                count: count.min(cap),
                last: next.last,
                capped: self.capped || next.capped || count > cap,
                ..self
            }
        })
    }
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
