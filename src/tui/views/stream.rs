//! Stream view (`Enter` on a stream): its events beside the selected event's envelope,
//! data and metadata.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Paragraph, Row, Wrap};

use super::{ListTable, one_line, short_time};
use crate::store::{RecordedEvent, timestamp};
use crate::tui::window::Window;

pub struct StreamView {
    pub stream_id: String,
    pub window: Window<RecordedEvent, u64>,
}

impl StreamView {
    pub fn new(stream_id: String) -> StreamView {
        StreamView {
            stream_id,
            window: Window::new(|e: &RecordedEvent| e.version),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect) {
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
        ListTable {
            title: format!(" {} ", self.stream_id),
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
            } else {
                "no events"
            },
        }
        .render(frame, list);
        let text = match self.window.selected() {
            Some(e) => envelope_text(e),
            None => String::new(),
        };
        let title = self.window.selected().map_or(" Event ".to_owned(), |e| {
            format!(" {} @ {} ", e.event_type, e.version)
        });
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title)),
            detail,
        );
    }
}

fn envelope_text(e: &RecordedEvent) -> String {
    let pretty = |raw: &str| {
        serde_json::from_str::<serde_json::Value>(raw)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| raw.to_owned())
    };
    format!(
        "position {}\nrecorded {}\nevent id {}\nschema   {}\n\ndata\n{}\n\nmetadata\n{}",
        e.global_position,
        timestamp::format(&e.recorded_at),
        e.event_id,
        e.schema_version,
        pretty(e.data.get()),
        pretty(e.metadata.get()),
    )
}
