//! The workbench's state and drawing: the JavaScript editor (ratatui-textarea for
//! editing: undo, search; drawn here with syntax colours and line numbers), and the run
//! beside it — status panel, result per partition as a folding tree, the last step's
//! patch and event, a fault placed at its line.

use std::cell::Cell;
use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position as CursorAt, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui_textarea::TextArea;
use serde_json::Value;

use crate::projection::{Breakpoints, StepReport};
use crate::store::Position;
use crate::tui::chrome::group;
use crate::tui::io::session::{Fault, RunFigures, RunStatus};
use crate::tui::screens::travel::patch_lines;
use crate::tui::theme::Theme;
use crate::tui::widgets::js::highlight;
use crate::tui::widgets::json_tree::JsonTree;

/// New projections start from one of these (`:new all`, `:new category`, `:new partition`).
pub fn template(name: &str) -> Option<&'static str> {
    Some(match name {
        "all" => {
            "// Counts every event by type.\nfromAll()\n  .when({\n    $init: () => ({ count: 0, types: {} }),\n    $any: (s, e) => {\n      s.count += 1;\n      s.types[e.eventType] = (s.types[e.eventType] || 0) + 1;\n    },\n  })\n  .outputState();\n"
        }
        "category" => {
            "// One state per stream of a category.\nfromCategory(\"Account\")\n  .foreachStream()\n  .when({\n    $init: () => ({ events: 0 }),\n    $any: (s, e) => { s.events += 1; },\n  })\n  .outputState();\n"
        }
        "partition" => {
            "// Partitions by a key of your own.\nfromAll()\n  .partitionBy((e) => e.eventType)\n  .when({\n    $init: () => ({ count: 0 }),\n    $any: (s, e) => { s.count += 1; },\n  })\n  .outputState();\n"
        }
        _ => return None,
    })
}

pub struct WorkbenchScreen {
    pub editor: TextArea<'static>,
    pub path: Option<PathBuf>,
    pub dirty: bool,
    pub editor_focused: bool,
    /// A run is under way (its session takes commands).
    pub running: bool,
    /// The run's generation: answers of older runs are dropped.
    pub generation: u64,
    pub figures: Option<RunFigures>,
    pub result: Option<Value>,
    /// Partition keys of a partitioned result, filtered, and the one shown.
    pub partitions: super::partitions::Partitions,
    pub tree: Option<JsonTree>,
    pub step: Option<StepReport>,
    /// `N` undid a step: (the event undone, the position the state is now after).
    pub stepped_back: Option<(Position, Position)>,
    /// The step's states before and after as compact JSON, made once when it arrives.
    step_states: (String, String),
    pub fault: Option<Fault>,
    pub breakpoint_at: Option<Position>,
    /// The event a breakpoint stopped before, when the run had read it.
    pub breakpoint_event: Option<crate::store::RecordedEvent>,
    pub breakpoints: Breakpoints,
    /// Events `emit`/`linkTo` asked for in this run (would-be: never written here), and
    /// the last few.
    pub emitted: u64,
    pub last_emitted: Vec<Value>,
    /// Lines the script's `log(...)` wrote in this run, and the last.
    pub logged: u64,
    pub last_log: Option<String>,
    /// The last event folded before a fault (where a fixed script resumes).
    pub last_good: Position,
    /// A faulted run's state at its last good event, for Ctrl-r (the fixed script) or
    /// `x` to go on from.
    pub resume: Option<crate::projection::Resume>,
    /// Where the session's run began (`:from P`, `m`): a new run begins there too.
    pub from: Option<Position>,
    /// The first editor line drawn (kept so the cursor stays in view).
    top: Cell<usize>,
}

impl WorkbenchScreen {
    pub fn new(text: &str, path: Option<PathBuf>) -> WorkbenchScreen {
        let mut editor = TextArea::new(text.lines().map(str::to_owned).collect());
        editor.set_max_histories(500);
        WorkbenchScreen {
            editor,
            path,
            dirty: false,
            // Opens in normal mode: `:open …` and digits do not type into the script
            // (Enter or `i` edits).
            editor_focused: false,
            running: false,
            generation: 0,
            figures: None,
            result: None,
            partitions: Default::default(),
            tree: None,
            step: None,
            stepped_back: None,
            step_states: Default::default(),
            fault: None,
            breakpoint_at: None,
            breakpoint_event: None,
            breakpoints: Breakpoints::default(),
            emitted: 0,
            last_emitted: Vec::new(),
            logged: 0,
            last_log: None,
            last_good: 0,
            resume: None,
            from: None,
            top: Cell::new(0),
        }
    }

    /// A step arrived: kept with its states in compact form for the step pane.
    pub fn set_step(&mut self, step: StepReport) {
        let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
        self.step_states = (compact(&step.before), compact(&step.after));
        self.step = Some(step);
        self.stepped_back = None;
    }

    /// `N` undid the event at `undone`: the pane says so instead of showing that step,
    /// which no longer describes the state (issue 16, bug 14).
    pub fn set_stepped_back(&mut self, undone: Position, now: Position) {
        self.step = None;
        self.stepped_back = Some((undone, now));
    }

    /// After a fault: the last good event, where a fixed script resumes (the one before
    /// the faulting event; the last reported position when the fault names none).
    pub fn resume_point(&self) -> Option<Position> {
        let fault = self.fault.as_ref()?;
        Some(match fault.position {
            Some(p) => p.saturating_sub(1),
            None => self.last_good,
        })
    }

    pub fn text(&self) -> String {
        let mut text = self.editor.lines().join("\n");
        text.push('\n');
        text
    }

    pub fn replace_text(&mut self, text: &str) {
        let mut editor = TextArea::new(text.lines().map(str::to_owned).collect());
        editor.set_max_histories(500);
        self.editor = editor;
        self.top.set(0);
    }

    /// A result arrived: the partition keys (when partitioned) and the tree shown.
    pub fn set_result(&mut self, result: Value) {
        let partitioned = self.figures.is_some_and(|f| f.partitioned);
        let keys = match (&result, partitioned) {
            (Value::Object(map), true) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.partitions.set_keys(keys);
        self.result = Some(result);
        self.rebuild_tree();
    }

    pub fn pick_partition(&mut self, delta: isize) {
        self.partitions.pick(delta);
        self.rebuild_tree();
    }

    /// `/`: lists the partitions whose keys contain `filter`.
    pub fn filter_partitions(&mut self, filter: Option<String>) {
        self.partitions.set_filter(filter);
        self.rebuild_tree();
    }

    fn rebuild_tree(&mut self) {
        let Some(result) = &self.result else {
            self.tree = None;
            return;
        };
        let cursor = self.tree.as_ref().map_or(0, |t| t.cursor);
        let (label, value) = match self.partitions.selected_key() {
            Some(key) => (
                key.to_owned(),
                result.get(key).cloned().unwrap_or(Value::Null),
            ),
            None if !self.partitions.is_empty() => ("(no partition)".to_owned(), Value::Null),
            None => ("state".to_owned(), result.clone()),
        };
        let mut tree = JsonTree::new(vec![(label, value)]);
        tree.cursor = cursor;
        self.tree = Some(tree);
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [editor, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        self.render_editor(frame, editor, theme);
        let [status, result, step] = Layout::vertical([
            Constraint::Length(10),
            Constraint::Fill(1),
            Constraint::Percentage(30),
        ])
        .areas(right);
        frame.render_widget(self.status_panel(theme), status);
        self.render_result(frame, result, theme);
        frame.render_widget(self.step_pane(theme), step);
    }

    fn render_editor(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let name = self
            .path
            .as_ref()
            .map_or("(new projection)".to_owned(), |p| p.display().to_string());
        let title = format!(
            " {name}{} · {} ",
            if self.dirty { " *" } else { "" },
            if self.editor_focused {
                "editing: Esc leaves · Ctrl-r run · Ctrl-s save · Ctrl-z undo"
            } else {
                "Enter edits"
            }
        );
        let mut block = Block::bordered().title(title);
        if self.editor_focused {
            block = block.border_style(theme.key);
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let fault_line = self.fault.as_ref().and_then(|f| f.line).map(|l| l as usize);
        let message_rows = if self.fault.is_some() { 3 } else { 0 };
        let [code, message] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(message_rows)]).areas(inner);
        let lines = self.editor.lines();
        let ratatui_textarea::DataCursor(row, col) = self.editor.cursor();
        let height = code.height as usize;
        let mut top = self.top.get();
        if row < top {
            top = row;
        } else if height > 0 && row >= top + height {
            top = row + 1 - height;
        }
        self.top.set(top);
        let width = lines.len().to_string().len().max(2);
        let text: Vec<Line> = lines
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, line)| {
                let number = i + 1;
                let gutter_style = if Some(number) == fault_line {
                    theme.removed.reversed()
                } else {
                    theme.muted
                };
                let mut spans = vec![Span::styled(format!("{number:>width$} "), gutter_style)];
                spans.extend(highlight(line, theme));
                Line::from(spans)
            })
            .collect();
        frame.render_widget(Paragraph::new(text), code);
        if self.editor_focused {
            let x = code.x + (width + 1 + col) as u16;
            let y = code.y + (row - top) as u16;
            if x < code.right() && y < code.bottom() {
                frame.set_cursor_position(CursorAt::new(x, y));
            }
        }
        if let Some(fault) = &self.fault {
            let at = match (fault.line, fault.column) {
                (Some(l), Some(c)) => format!("line {l}, column {c}"),
                (Some(l), None) => format!("line {l}"),
                _ => "the script".to_owned(),
            };
            let event = match (&fault.event, fault.position) {
                (Some(e), Some(p)) => format!(" · event {e} at position {p}"),
                (None, Some(p)) => format!(" · event at position {p}"),
                _ => String::new(),
            };
            let lines = vec![
                Line::styled(
                    format!("FAULT at {at}{event}: {}", fault.message),
                    theme.removed,
                ),
                Line::styled(
                    "Ctrl-r resume (fixed) · x skip event · m move checkpoint",
                    theme.muted,
                ),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), message);
        }
    }

    fn status_panel(&self, theme: &Theme) -> Paragraph<'static> {
        let mut lines = Vec::new();
        match &self.figures {
            None => lines.push(Line::styled(
                "not running · Ctrl-r runs the projection",
                theme.muted,
            )),
            Some(f) => {
                let state = if self.fault.is_some() {
                    RunStatus::Faulted.describe()
                } else {
                    f.status.describe()
                };
                lines.push(Line::from(vec![
                    Span::raw("state      "),
                    Span::styled(state.to_owned(), theme.accent),
                ]));
                lines.push(Line::raw(format!(
                    "position   {} / head {}",
                    f.position, f.head
                )));
                let eta = match f.eta_seconds {
                    Some(s) if s >= 1.0 => format!(" · ETA {s:.0} s"),
                    Some(_) => " · ETA < 1 s".to_owned(),
                    None => String::new(),
                };
                lines.push(Line::raw(format!(
                    "processed  {} events · {} events/s{eta}",
                    group(f.processed),
                    group(f.events_per_second as u64)
                )));
                lines.push(Line::raw(format!(
                    "partitions {}",
                    if f.partitioned {
                        group(self.partitions.len() as u64)
                    } else {
                        "none (one state)".to_owned()
                    }
                )));
                lines.push(Line::raw(format!(
                    "checkpoint in memory (spaced by its cost) · at {}",
                    f.checkpoint
                )));
                let last = self
                    .last_emitted
                    .last()
                    .map(|e| format!(" · last {}", serde_json::to_string(e).unwrap_or_default()))
                    .unwrap_or_default();
                lines.push(Line::raw(format!(
                    "emitted    {} would-be (not written){last}",
                    group(self.emitted)
                )));
                if let Some(line) = &self.last_log {
                    lines.push(Line::raw(format!(
                        "log        {} lines · last: {line}",
                        group(self.logged)
                    )));
                }
                if let Some(at) = self.breakpoint_at {
                    let event = match &self.breakpoint_event {
                        Some(e) => format!(": {}@{} {}", e.stream_id, e.version, e.event_type),
                        None => String::new(),
                    };
                    lines.push(Line::styled(
                        format!("stopped at a breakpoint before position {at}{event}"),
                        theme.changed,
                    ));
                }
            }
        }
        let mut marks = Vec::new();
        marks.extend(self.breakpoints.event_types.iter().cloned());
        if let Some(p) = &self.breakpoints.predicate {
            marks.push(format!("if {p}"));
        }
        lines.push(Line::raw(format!(
            "breaks     {}",
            if marks.is_empty() {
                "none (:break TYPE, :breakif EXPR)".to_owned()
            } else {
                marks.join(", ")
            }
        )));
        Paragraph::new(lines).block(
            Block::bordered().title(" Run · Space pause/resume · n step · N back · :runto P "),
        )
    }

    /// The result: with partitions, their list beside the selected one's state.
    fn render_result(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let block = match self.partitions.is_empty() {
            true => Block::bordered().title(" Result "),
            false => Block::bordered().title(format!(
                " Result · {} · ←/→ pick · / filters ",
                self.partitions.describe()
            )),
        };
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let tree = self
            .tree
            .as_ref()
            .map(|t| t.lines(theme, !self.editor_focused))
            .unwrap_or_default();
        if self.partitions.is_empty() {
            frame.render_widget(Paragraph::new(tree), inner);
            return;
        }
        let [list, state] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(inner);
        let keys = self.partitions.lines(list.height as usize, theme);
        frame.render_widget(Paragraph::new(keys), list);
        frame.render_widget(Paragraph::new(tree), state);
    }

    fn step_pane(&self, theme: &Theme) -> Paragraph<'static> {
        if let (None, Some((undone, now))) = (&self.step, self.stepped_back) {
            let at = if now == 0 {
                "the start".to_owned()
            } else {
                format!("position {now}")
            };
            return Paragraph::new(vec![
                Line::raw(format!(
                    "stepped back: undid the event at position {undone}"
                )),
                Line::styled(
                    format!("the state is as after {at} · n steps forward again"),
                    theme.muted,
                ),
            ])
            .block(Block::bordered().title(" Step "));
        }
        let Some(step) = &self.step else {
            // Stopped at a breakpoint: the event it stopped before, which `n` folds.
            if let (Some(e), Some(_)) = (&self.breakpoint_event, self.breakpoint_at) {
                let mut lines = vec![
                    Line::styled(
                        format!(
                            "next: {}@{} {} · position {} · n folds it",
                            e.stream_id, e.version, e.event_type, e.global_position
                        ),
                        theme.changed,
                    ),
                    Line::raw(""),
                ];
                let pretty = serde_json::from_str::<Value>(e.data.get())
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or_else(|_| e.data.get().to_owned());
                lines.extend(theme.json_owned(&pretty));
                return Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(" Step · stopped at a breakpoint "));
            }
            return Paragraph::new(Line::styled(
                "n steps one event: its state before and after",
                theme.muted,
            ))
            .block(Block::bordered().title(" Step "));
        };
        let e = &step.event;
        let (before, after) = &self.step_states;
        let mut lines = vec![
            Line::raw(format!(
                "{}@{} {} · position {}{}",
                e.stream_id,
                e.version,
                e.event_type,
                e.global_position,
                if step.handled { "" } else { " · no handler" }
            )),
            Line::raw(format!(
                "partition {}",
                step.partition.as_deref().unwrap_or("(none)")
            )),
        ];
        // What the event changed first; the whole states after it.
        lines.extend(patch_lines(&step.diff, theme));
        lines.push(Line::styled(format!("before {before}"), theme.muted));
        lines.push(Line::styled(format!("after  {after}"), Style::new()));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Step "))
    }
}
