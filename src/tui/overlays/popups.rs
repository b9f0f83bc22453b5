//! Pages over the screen: the help (a view's keys and commands) and the messages, and the
//! filter line; the bordered box they draw in.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// A bordered box of `lines` in the middle of the screen, over whatever is below.
pub fn popup(frame: &mut Frame, title: &str, lines: Vec<Line>, min_width: u16) {
    let area = frame.area();
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = (lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 2)
        .max(min_width)
        .max(title.chars().count() as u16 + 4)
        .min(area.width);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, rect, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title.to_owned())),
        rect,
    );
}

/// A view's help: its keys (with what they are bound to now) and its commands.
pub struct HelpPage {
    pub title: String,
    /// (keys or usage, what it does)
    pub entries: Vec<(String, String)>,
}

impl HelpPage {
    pub fn draw(&self, frame: &mut Frame) {
        let area = frame.area();
        let fits = self.entries.len() + 4 <= area.height as usize;
        let lines = if fits {
            let keys = key_width(&self.entries);
            self.entries
                .iter()
                .map(|e| Line::from(entry(e, keys, None)))
                .collect()
        } else {
            // Two columns when one does not fit, each within half the screen: a long
            // description is cut with an ellipsis rather than push the other column off.
            let half = self.entries.len().div_ceil(2);
            let (left, right) = self.entries.split_at(half);
            let column = (area.width as usize).saturating_sub(4) / 2;
            let (left_keys, right_keys) = (key_width(left), key_width(right));
            (0..half)
                .map(|i| {
                    let mut spans = entry(&left[i], left_keys, Some(column));
                    if let Some(r) = right.get(i) {
                        spans.push(Span::raw("  "));
                        spans.extend(entry(r, right_keys, Some(column)));
                    }
                    Line::from(spans)
                })
                .collect()
        };
        popup(frame, &self.title, lines, 0);
    }
}

/// The widest keys (or usage) of `entries`, at most 24 columns.
fn key_width(entries: &[(String, String)]) -> usize {
    entries
        .iter()
        .map(|(keys, _)| keys.chars().count())
        .max()
        .unwrap_or(0)
        .min(24)
}

/// One entry: its keys right-aligned in `keys_width` columns, then what it does, padded
/// or cut so that the entry fills `column` columns (None: as it is).
fn entry(
    (keys, what): &(String, String),
    keys_width: usize,
    column: Option<usize>,
) -> Vec<Span<'static>> {
    let keys = format!("{keys:>keys_width$}  ");
    let what = match column {
        None => what.clone(),
        Some(column) => {
            let room = column.saturating_sub(keys.chars().count());
            if what.chars().count() > room {
                let mut cut: String = what.chars().take(room.saturating_sub(1)).collect();
                cut.push('…');
                cut
            } else {
                format!("{what:<room$}")
            }
        }
    };
    vec![Span::raw(keys).bold(), Span::raw(what)]
}

pub fn draw_messages(frame: &mut Frame, messages: &[String]) {
    let lines = if messages.is_empty() {
        vec![Line::raw("no messages this session")]
    } else {
        messages
            .iter()
            .rev()
            .map(|m| Line::raw(m.clone()))
            .collect()
    };
    popup(
        frame,
        " Messages, newest first (any key closes) ",
        lines,
        frame.area().width.saturating_sub(4),
    );
}

pub fn draw_filter(frame: &mut Frame, area: Rect, query: &str, what: &str) {
    let text = vec![
        Span::raw("/").bold(),
        Span::raw(query.to_owned()),
        Span::raw("█"),
        Span::raw(format!("   matches {what} · Enter keeps · Esc clears")).dim(),
    ];
    frame.render_widget(Line::from(text), area);
}
