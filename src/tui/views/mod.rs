//! The screens and the chrome around them. Each view owns its window of rows and renders
//! from `&self`.

pub mod asof;
pub mod composer;
mod log;
pub mod paged;
pub mod snapshots;
mod stream;
mod streams;
pub mod travel;
pub mod workbench;

pub use log::{LogView, NewCount};
pub use stream::StreamView;
pub use streams::{StreamKey, StreamOrder, StreamsView};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState};

use super::app::{Screen, Status};
use super::keymap::{Action, Keymap};

/// Rows a PgUp/PgDn moves.
pub const PAGE_STEP: isize = 20;

pub fn render_tabs(
    frame: &mut Frame,
    area: Rect,
    screen: Screen,
    stream: Option<&str>,
    theme: &super::theme::Theme,
) {
    let tab = |key: &'static str, name: &'static str, on: bool| {
        let style = if on { theme.accent } else { Style::new() };
        vec![
            Span::styled(format!(" {key} {name} "), style),
            Span::raw(" "),
        ]
    };
    let mut spans = vec![Span::raw(" rewind ").bold(), Span::raw(" ")];
    spans.extend(tab("1", "Streams", screen == Screen::Streams));
    spans.extend(tab("2", "Log", screen == Screen::Log));
    spans.extend(tab("3", "Time travel", screen == Screen::TimeTravel));
    spans.extend(tab("4", "Snapshots", screen == Screen::Snapshots));
    spans.extend(tab("5", "Workbench", screen == Screen::Workbench));
    if let (Screen::Stream, Some(stream)) = (screen, stream) {
        spans.push(Span::styled(format!(" {stream} "), theme.accent));
    }
    frame.render_widget(Line::from(spans), area);
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

/// One footer hint: the keys of some actions (each with the key the footer names by
/// default) and what they do, or a command to type.
enum Hint {
    Keys(
        &'static [(Action, &'static str)],
        &'static str,
        &'static str,
    ),
    Text(&'static str),
}

/// The footer of each view. Keys come from the key map, so a `[keys]` remap shows.
fn hints_of(screen: Screen) -> &'static [Hint] {
    use Action::*;
    use Hint::{Keys, Text};
    const MOVE: Hint = Keys(&[(Up, "↑"), (Down, "↓")], "", "move");
    const FIRST_LAST: Hint = Keys(&[(First, "g"), (Last, "G")], "/", "first/last");
    const HELP: Hint = Keys(&[(Help, "?")], "", "help");
    const QUIT: Hint = Keys(&[(Quit, "q")], "", "quit");
    match screen {
        Screen::Streams => &[
            MOVE,
            Keys(&[(Open, "Enter")], "", "open"),
            FIRST_LAST,
            Keys(&[(Log, "2")], "", "log"),
            HELP,
            QUIT,
        ],
        Screen::Log => &[
            MOVE,
            FIRST_LAST,
            Keys(&[(Follow, "f")], "", "follow"),
            Keys(&[(Streams, "1")], "", "streams"),
            HELP,
            QUIT,
        ],
        Screen::Stream => &[
            MOVE,
            Keys(&[(Back, "Esc")], "", "back"),
            FIRST_LAST,
            Keys(&[(Follow, "f")], "", "follow"),
            Keys(&[(Cause, "["), (Effect, "]")], " ", "cause/effect"),
            Keys(&[(TimeTravel, "3")], "", "time travel"),
            Keys(&[(Copy, "y")], "", "copy"),
            HELP,
            QUIT,
        ],
        Screen::TimeTravel => &[
            Keys(&[(Previous, "←"), (Next, "→")], "", "version"),
            FIRST_LAST,
            Keys(&[(JumpTime, "t")], "", "time"),
            Text(":version N"),
            Keys(&[(Play, "p")], "", "play"),
            Keys(&[(Faster, "+"), (Slower, "-")], "/", "speed"),
            Keys(&[(Compare, "c")], "", "compare"),
            Keys(&[(NextPane, "Tab")], "", "state tree"),
            HELP,
        ],
        Screen::Snapshots => &[
            MOVE,
            Keys(&[(Build, "b")], "", "build"),
            Keys(&[(BuildAll, "B")], "", "build all"),
            Keys(&[(Verify, "v")], "", "verify"),
            Keys(&[(VerifyAll, "V")], "", "verify all"),
            Keys(&[(Back, "Esc")], "", "cancel"),
            Keys(&[(Open, "Enter")], "", "time travel"),
            HELP,
        ],
        Screen::Workbench => &[
            Keys(&[(Open, "Enter")], "", "edit"),
            Keys(&[(Run, "Ctrl-r")], "", "run"),
            Keys(&[(Pause, "Space")], "", "pause"),
            Keys(&[(Step, "n")], "", "step"),
            Keys(&[(StepBack, "N")], "", "back"),
            Text(":runto P"),
            Text(":break T"),
            Text(":open/:save/:new"),
            HELP,
        ],
    }
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

pub fn render_hints(frame: &mut Frame, area: Rect, screen: Screen, keymap: &Keymap) {
    let mut hints = String::new();
    for hint in hints_of(screen) {
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

pub fn render_command(frame: &mut Frame, area: Rect, line: &str) {
    let text = vec![
        Span::raw(":").bold(),
        Span::raw(line.to_owned()),
        Span::raw("█"),
        Span::raw("   Enter runs · Tab completes · Esc cancels").dim(),
    ];
    frame.render_widget(Line::from(text), area);
}

pub fn render_filter(frame: &mut Frame, area: Rect, query: &str) {
    let text = vec![
        Span::raw("/").bold(),
        Span::raw(query.to_owned()),
        Span::raw("█"),
        Span::raw("   fuzzy match on stream ids · Enter keeps · Esc clears").dim(),
    ];
    frame.render_widget(Line::from(text), area);
}

/// A bordered box of `lines` in the middle of the screen, over whatever is below.
fn popup(frame: &mut Frame, title: &str, lines: Vec<Line>, min_width: u16) {
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

/// A numbered line of a menu.
fn choice(n: usize, text: String) -> Line<'static> {
    Line::from(vec![Span::raw(format!(" {n} ")).bold(), Span::raw(text)])
}

/// The events one event caused, numbered for a jump (the first nine).
pub fn render_effect_picker(frame: &mut Frame, effects: &[crate::store::RecordedEvent]) {
    let lines = effects
        .iter()
        .take(9)
        .enumerate()
        .map(|(i, e)| {
            choice(
                i + 1,
                format!("{}@{} {}", e.stream_id, e.version, e.event_type),
            )
        })
        .collect();
    popup(frame, " Jump to an effect ", lines, 34);
}

pub fn render_copy_menu(frame: &mut Frame) {
    let lines = [
        "event JSON (the envelope)",
        "event id",
        "stream@version",
        "JSON path (event tree cursor)",
    ]
    .into_iter()
    .enumerate()
    .map(|(i, what)| choice(i + 1, what.to_owned()))
    .collect();
    popup(frame, " Copy (other keys close) ", lines, 40);
}

pub fn render_messages(frame: &mut Frame, messages: &[String]) {
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

/// Whether a key does something on `screen` (the help lists a view's keys).
pub fn applies(action: Action, screen: Screen) -> bool {
    use Action::*;
    match action {
        Streams | Log | TimeTravel | Snapshots | Command | Help | Quit | Back | Up | Down
        | PageUp | PageDown | First | Last | Compose => true,
        Open => screen != Screen::Log,
        // The workbench's search (`/`).
        Follow => matches!(screen, Screen::Log | Screen::Stream),
        Cause | Effect | Raw => screen == Screen::Stream,
        Copy => matches!(screen, Screen::Log | Screen::Stream),
        Sort => screen == Screen::Streams,
        Filter => matches!(screen, Screen::Streams | Screen::Workbench),
        NextPane | PrevPane => matches!(screen, Screen::Stream | Screen::TimeTravel),
        Previous | Next => matches!(screen, Screen::TimeTravel | Screen::Workbench),
        JumpTime | Play | Faster | Slower | Compare => screen == Screen::TimeTravel,
        Build | BuildAll | Verify | VerifyAll => screen == Screen::Snapshots,
        Workbench => true,
        Run | Save | Pause | Step | StepBack | Skip | MoveCheckpoint => screen == Screen::Workbench,
    }
}

/// The keys of the current view, in two columns when one does not fit.
pub fn render_help(frame: &mut Frame, keymap: &Keymap, screen: Screen) {
    let help = keymap.help_for(|a| applies(a, screen));
    let fits = help.len() + 4 <= frame.area().height as usize;
    let entry = |(keys, what): &(String, &str), width: usize| {
        vec![
            Span::raw(format!("{keys:>14}  ")).bold(),
            Span::raw(format!("{what:<width$}")),
        ]
    };
    let lines = if fits {
        help.iter().map(|h| Line::from(entry(h, 0))).collect()
    } else {
        let half = help.len().div_ceil(2);
        (0..half)
            .map(|i| {
                let mut spans = entry(&help[i], 44);
                if let Some(right) = help.get(half + i) {
                    spans.push(Span::raw("  "));
                    spans.extend(entry(right, 0));
                }
                Line::from(spans)
            })
            .collect()
    };
    popup(frame, " Keys (any key closes) ", lines, 0);
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
