//! Stream view (`Enter` on a stream): its events beside the selected event's envelope,
//! data and metadata.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Paragraph, Row, Wrap};

use super::{ListTable, one_line, short_time};
use crate::store::{RecordedEvent, timestamp};
use crate::tui::theme::Theme;
use crate::tui::widgets::json_tree::JsonTree;
use crate::tui::window::Window;
use ratatui::text::{Line, Span};

pub struct StreamView {
    pub stream_id: String,
    pub window: Window<RecordedEvent, u64>,
    /// Where the rows were drawn last (for mouse clicks).
    pub geometry: std::cell::Cell<Option<super::TableGeometry>>,
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
}

/// The selected event's causes and effects, across streams.
pub struct Chain {
    pub event_id: uuid::Uuid,
    pub cause: Option<RecordedEvent>,
    pub effects: Vec<RecordedEvent>,
}

impl StreamView {
    pub fn new(stream_id: String) -> StreamView {
        StreamView {
            stream_id,
            window: Window::new(|e: &RecordedEvent| e.version),
            geometry: std::cell::Cell::new(None),
            chain: None,
            detail_focused: false,
            detail_scroll: 0,
            tree: None,
            raw: false,
            asked: None,
        }
    }

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
