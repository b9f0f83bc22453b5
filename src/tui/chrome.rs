//! The chrome around the screens: the tabs, the status line, the footer (a message, or
//! the screen's key hints from the keymap), and the pieces the screens draw with (a
//! table that keeps its selection in view, number and time formats).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use super::keymap::{Action, Keymap};
use super::place::ScreenId;
use super::theme::Theme;
use super::widgets::window::{Move, Window};
use crate::store::{Position, StoreStats};

/// The tabs; `note` (the open stream) after them.
pub fn render_tabs(
    frame: &mut Frame,
    area: Rect,
    screen: ScreenId,
    note: Option<&str>,
    theme: &Theme,
) {
    let tab = |key: &'static str, name: &'static str, id: ScreenId| {
        let style = if screen.tab() == id {
            theme.accent
        } else {
            Style::new()
        };
        vec![
            Span::styled(format!(" {key} {name} "), style),
            Span::raw(" "),
        ]
    };
    let mut spans = vec![Span::raw(" rewind ").bold(), Span::raw(" ")];
    spans.extend(tab("1", "Streams", ScreenId::Streams));
    spans.extend(tab("2", "Log", ScreenId::Log));
    spans.extend(tab("3", "Time travel", ScreenId::TimeTravel));
    spans.extend(tab("4", "Snapshots", ScreenId::Snapshots));
    spans.extend(tab("5", "Workbench", ScreenId::Workbench));
    spans.extend(tab("6", "Types", ScreenId::Types));
    spans.extend(tab("7", "Health", ScreenId::Health));
    if let (ScreenId::Stream, Some(note)) = (screen, note) {
        spans.push(Span::styled(format!(" {note} "), theme.accent));
    }
    frame.render_widget(Line::from(spans), area);
}

/// One footer hint: the keys of some actions (each with the key the footer names by
/// default) and what they do, or a command to type.
pub enum Hint {
    Keys(
        &'static [(Action, &'static str)],
        &'static str,
        &'static str,
    ),
    Text(&'static str),
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

/// The status line; `with_message`: the message goes here, first (while the command or
/// filter line holds the footer).
pub fn render_status(frame: &mut Frame, area: Rect, status: &Status, with_message: bool) {
    let mut text = format!(" {}", status.store);
    match &status.stats {
        Some(stats) => text.push_str(&format!(
            " · {} events · {} streams · head {}",
            group(stats.events),
            group(stats.streams),
            status.head.max(stats.head_position)
        )),
        None => text.push_str(" · loading…"),
    }
    text.push_str(if status.read_only {
        " · read-only"
    } else {
        " · read-write"
    });
    if let Some(hint) = status
        .read_only
        .then_some(status.write_hint.as_ref())
        .flatten()
    {
        text.push_str(&format!(" ({hint})"));
    }
    for notice in &status.notices {
        text.push_str(&format!(" · {notice}"));
    }
    if status.follow {
        text.push_str(" · following");
    }
    if let Some(written) = status.exported {
        text.push_str(&format!(" · exporting: {} events", group(written)));
    }
    if status.working {
        const FRAMES: [char; 4] = ['◐', '◓', '◑', '◒'];
        text.push_str(&format!(
            " · {} working",
            FRAMES[status.spinner % FRAMES.len()]
        ));
    }
    let mut line = Vec::new();
    if let Some(message) = status.message.as_ref().filter(|_| with_message) {
        line.push(Span::styled(
            format!(" {message} "),
            Style::new().reversed(),
        ));
    }
    line.push(Span::raw(text));
    frame.render_widget(
        Line::from(line).style(Style::new().add_modifier(Modifier::DIM)),
        area,
    );
}

/// A message (an error, a refusal, what a command did) on the footer's line, in place of
/// the key hints until the next key: the status line above is cut at the terminal's
/// width, and a message at its end went unseen at 80 columns (issue 16, bug 8).
pub fn render_message(frame: &mut Frame, area: Rect, message: &str) {
    frame.render_widget(
        Line::from(Span::styled(
            format!(" {message} "),
            Style::new().reversed(),
        )),
        area,
    );
}

pub fn render_hints(frame: &mut Frame, area: Rect, hints_of: &[Hint], keymap: &Keymap) {
    let mut hints = String::new();
    for hint in hints_of {
        let text = match hint {
            Hint::Keys(keys, separator, what) => {
                let labels: Vec<String> = keys
                    .iter()
                    .map(|(action, usual)| keymap.shown_key(*action, usual))
                    .collect();
                if labels.iter().any(String::is_empty) {
                    continue; // an action left without a key
                }
                format!("{} {what}", labels.join(separator))
            }
            Hint::Text(text) => (*text).to_owned(),
        };
        hints.push_str(if hints.is_empty() { " " } else { " · " });
        hints.push_str(&text);
    }
    frame.render_widget(Line::raw(hints), area);
}

/// A table of rows with the selection kept in view.
pub struct ListTable<'a> {
    pub title: String,
    pub header: Vec<&'a str>,
    pub widths: Vec<Constraint>,
    pub rows: Vec<Row<'a>>,
    pub selected: usize,
    /// Shown instead of an empty table.
    pub empty: &'a str,
}

/// Where a table's rows landed on screen, for mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableGeometry {
    /// The screen row of the first visible data row.
    pub top: u16,
    pub visible: usize,
    /// The index of the first visible row.
    pub offset: usize,
}

/// A wheel turn or a click on a list drawn at `geometry`: how its selection moves.
pub fn list_mouse<T, K: Clone + PartialEq>(
    mouse: MouseEvent,
    geometry: Option<TableGeometry>,
    window: &Window<T, K>,
) -> Option<Move> {
    match mouse.kind {
        MouseEventKind::ScrollDown => Some(Move::By(3)),
        MouseEventKind::ScrollUp => Some(Move::By(-3)),
        MouseEventKind::Down(MouseButton::Left) => geometry?
            .row_at(mouse.row, window.len())
            .map(|row| Move::By(row as isize - window.selected_index() as isize)),
        _ => None,
    }
}

impl TableGeometry {
    /// The row index at screen row `y`, if a row is there.
    pub fn row_at(&self, y: u16, rows: usize) -> Option<usize> {
        let line = y.checked_sub(self.top)? as usize;
        (line < self.visible && self.offset + line < rows).then_some(self.offset + line)
    }
}

impl ListTable<'_> {
    pub fn render(self, frame: &mut Frame, area: Rect) -> Option<TableGeometry> {
        let block = Block::bordered().title(self.title);
        if self.rows.is_empty() {
            frame.render_widget(Paragraph::new(self.empty.to_owned()).block(block), area);
            return None;
        }
        let visible = area.height.saturating_sub(3) as usize; // borders and header
        let offset = self
            .selected
            .saturating_sub(visible.saturating_sub(1) / 2)
            .min(self.rows.len().saturating_sub(visible));
        let table = Table::new(self.rows, self.widths)
            .header(Row::new(self.header).bold())
            .row_highlight_style(Style::new().reversed())
            .block(block);
        let mut state = TableState::default()
            .with_offset(offset)
            .with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
        // Borders and the header row come first.
        Some(TableGeometry {
            top: area.y + 2,
            visible,
            offset: state.offset(),
        })
    }
}

/// 1234567 -> "1,234,567".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A one-line summary of JSON text, cut to `width` characters.
pub fn one_line(json: &str, width: usize) -> String {
    if json.chars().count() <= width {
        return json.to_owned();
    }
    let mut cut: String = json.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `2026-01-15T10:30:00.123456Z` -> `2026-01-15 10:30:00`.
pub fn short_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}
