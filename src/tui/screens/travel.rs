//! Time travel (`3`): one stream scrubbed version by version — the state at the version
//! (a folding tree), the event that produced it, the patch it made, a timeline of the
//! stream's events around it — with play, compare, and jumps to a version or a time. The
//! view owns its state; the folds run in the background (`Fetcher::travel`), one in flight,
//! the newest wanted version winning.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

use super::{BACK, DrawContext, FIRST_LAST, HELP, Hint, PAGE_STEP, Place, Screen, ScreenId};
use crate::replay::Target;
use crate::store::{Position, RecordedEvent, Version};
use crate::tui::chrome::short_time;
use crate::tui::command::{Command, CommandKind};
use crate::tui::effect::Effects;
use crate::tui::io::{IoError, Request, Response, TravelFrame};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::json_tree::JsonTree;

/// Play speeds: time between versions.
const SPEEDS: [u64; 6] = [2000, 1000, 500, 250, 100, 50];

pub struct TravelScreen {
    pub stream_id: String,
    /// The version the keys asked for last (the frame may still be on its way).
    pub wanted: Target,
    pub frame: Option<TravelFrame>,
    pub tree: Option<JsonTree>,
    /// The step in flight (its generation), if any.
    pub in_flight: Option<u64>,
    /// A newer step asked for while one was in flight.
    pub queued: Option<Target>,
    pub generation: u64,
    pub playing: bool,
    speed: usize,
    last_step: Instant,
    /// Compare: a marked version and its state, and the patch from it to the current one.
    pub compare: Option<(Version, Value, json_patch::Patch)>,
    pub tree_focused: bool,
    pub error: Option<String>,
    /// The shown event's data and the marked state, pretty-printed once when they arrive
    /// (not on every draw).
    event_pretty: Option<String>,
    compare_pretty: String,
}

impl TravelScreen {
    pub fn new(stream_id: String, wanted: Target) -> TravelScreen {
        TravelScreen {
            stream_id,
            wanted,
            frame: None,
            tree: None,
            in_flight: None,
            queued: None,
            generation: 0,
            playing: false,
            speed: 2,
            last_step: Instant::now(),
            compare: None,
            tree_focused: false,
            error: None,
            event_pretty: None,
            compare_pretty: String::new(),
        }
    }

    /// The version shown, or 0 before the first answer.
    pub fn version(&self) -> Version {
        self.frame.as_ref().map_or(0, |f| f.version)
    }

    pub fn last(&self) -> Option<Version> {
        self.frame.as_ref().map(|f| f.last)
    }

    /// The version a relative move lands on, kept within 0..=last.
    pub fn moved(&self, delta: i64) -> Option<Version> {
        let frame = self.frame.as_ref()?;
        let base = match self.queued.or(Some(self.wanted)) {
            Some(Target::Version(v)) => v,
            _ => frame.version,
        };
        Some((base as i64 + delta).clamp(0, frame.last as i64) as Version)
    }

    /// Asks for `target`: returns the generation to fetch now, or None when a step is in
    /// flight (the target waits and goes when that one answers).
    pub fn ask(&mut self, target: Target) -> Option<u64> {
        self.wanted = target;
        if self.in_flight.is_some() {
            self.queued = Some(target);
            return None;
        }
        self.generation += 1;
        self.in_flight = Some(self.generation);
        Some(self.generation)
    }

    /// A step answered. Returns the queued target to fetch next, with its generation.
    pub fn arrived(
        &mut self,
        generation: u64,
        answer: Result<Box<TravelFrame>, IoError>,
    ) -> Option<(Target, u64)> {
        if self.in_flight != Some(generation) {
            return None;
        }
        self.in_flight = None;
        match answer {
            Ok(frame) => {
                self.error = None;
                let keep_cursor = self.tree.as_ref().map_or(0, |t| t.cursor);
                let mut tree = JsonTree::new(vec![("state".into(), frame.state.clone())]);
                tree.cursor = keep_cursor;
                self.tree = Some(tree);
                self.event_pretty = frame.event.as_ref().map(|e| pretty_json(e.data.get()));
                if let Some((_, base_state, patch)) = self.compare.as_mut() {
                    *patch = json_patch::diff(base_state, &frame.state);
                }
                self.frame = Some(*frame);
            }
            Err(e) => {
                self.error = Some(e.to_string());
                self.playing = false;
                // Moves go on from what is shown, not from a target that failed (a
                // version past the end would send the next ← to the last version).
                if let Some(frame) = &self.frame {
                    self.wanted = Target::Version(frame.version);
                }
            }
        }
        let next = self.queued.take()?;
        self.ask(next).map(|g| (next, g))
    }

    /// Marks the current version for comparison, or ends the comparison.
    pub fn toggle_compare(&mut self) -> bool {
        if self.compare.take().is_some() {
            return false;
        }
        if let Some(frame) = &self.frame {
            self.compare_pretty = serde_json::to_string_pretty(&frame.state).unwrap_or_default();
            self.compare = Some((
                frame.version,
                frame.state.clone(),
                json_patch::Patch(Vec::new()),
            ));
        }
        self.compare.is_some()
    }

    pub fn toggle_play(&mut self) {
        self.playing = !self.playing;
        self.last_step = Instant::now();
    }

    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(SPEEDS[self.speed])
    }

    /// While playing: whether it is time for the next version (and none is in flight).
    pub fn play_due(&mut self) -> bool {
        if !self.playing || self.in_flight.is_some() {
            return false;
        }
        if self.frame.as_ref().is_some_and(|f| f.version >= f.last) {
            self.playing = false;
            return false;
        }
        if self.last_step.elapsed() < self.interval() {
            return false;
        }
        self.last_step = Instant::now();
        true
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let [top, body] =
            Layout::vertical([Constraint::Length(4), Constraint::Fill(1)]).areas(area);
        frame.render_widget(self.scrubber(top.width, theme), top);
        let [timeline, main] =
            Layout::horizontal([Constraint::Length(30), Constraint::Fill(1)]).areas(body);
        frame.render_widget(self.timeline(theme), timeline);
        let [state, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(main);
        let [event, diff] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(right);
        match &self.compare {
            Some((base, _, patch)) => {
                let [left, current] =
                    Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                        .areas(state);
                frame.render_widget(
                    json_pane(&format!(" v{base} (marked) "), &self.compare_pretty, theme),
                    left,
                );
                frame.render_widget(self.state_pane(theme), current);
                frame.render_widget(self.event_pane(theme), event);
                frame.render_widget(
                    patch_pane(&format!(" v{base} → v{} ", self.version()), patch, theme),
                    diff,
                );
            }
            None => {
                frame.render_widget(self.state_pane(theme), state);
                frame.render_widget(self.event_pane(theme), event);
                let title = match self.version() {
                    0 => " what it changed ".to_owned(),
                    v => format!(" what v{v} changed "),
                };
                let empty = json_patch::Patch(Vec::new());
                let patch = self.frame.as_ref().map_or(&empty, |f| &f.patch);
                frame.render_widget(patch_pane(&title, patch, theme), diff);
            }
        }
    }

    fn scrubber(&self, width: u16, theme: &Theme) -> Paragraph<'static> {
        let mut title = format!(" Time travel · {} ", self.stream_id);
        let mut lines = Vec::new();
        match &self.frame {
            Some(f) => {
                title.push_str(&format!("· v{} of {} ", f.version, f.last));
                let bar_width = width.saturating_sub(20).max(10) as usize;
                let at = if f.last == 0 {
                    0
                } else {
                    (f.version as usize * (bar_width - 1)) / f.last as usize
                };
                let bar: String = (0..bar_width)
                    .map(|i| if i == at { '●' } else { '─' })
                    .collect();
                lines.push(Line::from(vec![
                    Span::styled(" v0 ".to_string(), theme.muted),
                    Span::styled(bar, theme.accent),
                    Span::styled(format!(" v{}", f.last), theme.muted),
                ]));
                let origin = match f.snapshot_version {
                    Some(s) => format!("from snapshot v{s}"),
                    None => "from the first event".to_owned(),
                };
                let mut facts = format!(
                    " {origin} · replayed {} · {:.1} ms · reducer {}",
                    f.replayed,
                    f.elapsed.as_secs_f64() * 1000.0,
                    f.reducer
                );
                if self.playing {
                    facts.push_str(&format!(
                        " · ▶ playing every {} ms",
                        self.interval().as_millis()
                    ));
                }
                if f.saved_snapshots > 0 {
                    facts.push_str(&format!(" · saved {} snapshots", f.saved_snapshots));
                }
                if self.in_flight.is_some() {
                    facts.push_str(" · computing…");
                }
                match &self.error {
                    Some(e) => lines.push(Line::styled(format!(" {e}"), Style::new().reversed())),
                    None => lines.push(Line::styled(facts, theme.muted)),
                }
            }
            None => match &self.error {
                Some(e) => lines.push(Line::styled(format!(" {e}"), Style::new().reversed())),
                None => lines.push(Line::raw(" computing the state…")),
            },
        }
        Paragraph::new(lines).block(Block::bordered().title(title))
    }

    fn timeline(&self, theme: &Theme) -> Paragraph<'static> {
        let current = self.version();
        let lines: Vec<Line> = self
            .frame
            .iter()
            .flat_map(|f| f.timeline.iter())
            .map(|e| {
                let text = format!("{:>6} {}", e.version, e.event_type);
                if e.version == current {
                    Line::styled(format!("▶{text}"), theme.accent)
                } else {
                    Line::raw(format!(" {text}"))
                }
            })
            .collect();
        Paragraph::new(lines).block(Block::bordered().title(" Events "))
    }

    fn state_pane(&self, theme: &Theme) -> Paragraph<'static> {
        let title = format!(" state at v{} ", self.version());
        let lines = match &self.tree {
            Some(tree) => tree.lines(theme, self.tree_focused),
            None => Vec::new(),
        };
        let block = if self.tree_focused {
            Block::bordered()
                .title(format!("{title}· focused (Tab) · Enter folds "))
                .border_style(theme.key)
        } else {
            Block::bordered().title(title)
        };
        let scroll = match (&self.tree, self.tree_focused) {
            (Some(tree), true) => tree.cursor.saturating_sub(5) as u16,
            _ => 0,
        };
        Paragraph::new(lines).scroll((scroll, 0)).block(block)
    }

    fn event_pane(&self, theme: &Theme) -> Paragraph<'static> {
        let Some(e) = self.frame.as_ref().and_then(|f| f.event.as_ref()) else {
            return Paragraph::new(Line::styled(
                " version 0: before the stream's first event, the state is {}",
                theme.muted,
            ))
            .block(Block::bordered().title(" event "));
        };
        let mut lines = vec![
            Line::raw(format!(
                "{} · position {}",
                short_time(&e.recorded_at),
                e.global_position
            )),
            Line::raw(""),
        ];
        let pretty = self.event_pretty.as_deref().unwrap_or_else(|| e.data.get());
        lines.extend(theme.json_owned(pretty));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" event v{}: {} ", e.version, e.event_type)))
    }
}

impl TravelScreen {
    /// Time travel on `stream_id` at `target`, its first step asked for in `fx`.
    pub fn open(stream_id: String, target: Target, fx: &mut Effects) -> TravelScreen {
        let mut screen = TravelScreen::new(stream_id, target);
        screen.travel_to(target, fx);
        screen
    }

    /// Moves the scrubber to `target` (one fold in flight; the newest wins).
    pub fn travel_to(&mut self, target: Target, fx: &mut Effects) {
        if let Some(generation) = self.ask(target) {
            fx.request(Request::Travel {
                stream: self.stream_id.clone(),
                target,
                generation,
            });
        }
    }

    fn step(&mut self, delta: i64, fx: &mut Effects) {
        if let Some(version) = self.moved(delta) {
            self.playing = false;
            self.travel_to(Target::Version(version), fx);
        }
    }
}

impl Screen for TravelScreen {
    fn id(&self) -> ScreenId {
        ScreenId::TimeTravel
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        if self.tree_focused
            && let Some(tree) = self.tree.as_mut()
        {
            match action {
                Action::Up => tree.move_by(-1),
                Action::Down => tree.move_by(1),
                Action::PageUp => tree.move_by(-PAGE_STEP),
                Action::PageDown => tree.move_by(PAGE_STEP),
                Action::Open => tree.toggle(),
                _ => {}
            }
            if matches!(
                action,
                Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Open
            ) {
                return true;
            }
        }
        match action {
            Action::Previous | Action::Up => self.step(-1, fx),
            Action::Next | Action::Down => self.step(1, fx),
            Action::PageUp => self.step(-(PAGE_STEP as i64), fx),
            Action::PageDown => self.step(PAGE_STEP as i64, fx),
            Action::First => {
                self.playing = false;
                let first = 1.min(self.last().unwrap_or(0));
                self.travel_to(Target::Version(first), fx);
            }
            Action::Last => {
                self.playing = false;
                self.travel_to(Target::Latest, fx);
            }
            Action::NextPane | Action::PrevPane => self.tree_focused = !self.tree_focused,
            Action::Play => self.toggle_play(),
            Action::Faster => self.faster(),
            Action::Slower => self.slower(),
            Action::Compare => {
                let on = self.toggle_compare();
                let version = self.version();
                fx.say(if on {
                    format!("v{version} marked: move to another version to compare (c ends)")
                } else {
                    "comparison ended".into()
                });
            }
            Action::JumpTime => fx.command_line("time "),
            Action::Back => {
                // Esc stops playing first; again, it goes back.
                if !self.playing {
                    return false;
                }
                self.playing = false;
            }
            _ => return false,
        }
        true
    }

    fn command(&mut self, command: &Command, fx: &mut Effects) -> bool {
        match command {
            // Past the end: said at once, and the view stays where it is.
            Command::Version(v) if self.last().is_some_and(|last| *v > last) => {
                let last = self.last().unwrap_or(0);
                fx.say(format!(
                    "v{v} is past the end of {} (last v{last})",
                    self.stream_id
                ));
            }
            Command::Version(v) => self.travel_to(Target::Version(*v), fx),
            Command::Time(t) => self.travel_to(Target::Time(*t), fx),
            Command::Position(p) => self.travel_to(Target::Position(*p), fx),
            _ => return false,
        }
        true
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::Travel(generation, answer) => {
                if let Some((target, generation)) = self.arrived(generation, answer) {
                    fx.request(Request::Travel {
                        stream: self.stream_id.clone(),
                        target,
                        generation,
                    });
                }
                None
            }
            other => Some(other),
        }
    }

    /// New events somewhere: ask again for what is shown, so the stream's new versions
    /// (the scrubber's end, the timeline, the state at the latest) appear. Not while
    /// playing or a step is in flight.
    fn head_moved(&mut self, _head: Position, shown: bool, fx: &mut Effects) {
        if shown && !self.playing && self.in_flight.is_none() {
            let target = self.wanted;
            self.travel_to(target, fx);
        }
    }

    fn tick(&mut self, fx: &mut Effects) -> bool {
        if self.play_due()
            && let Some(next) = self.moved(1)
        {
            self.travel_to(Target::Version(next), fx);
        }
        self.playing
    }

    fn busy(&self) -> bool {
        self.in_flight.is_some()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        self.render(frame, area, cx.theme);
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            Hint::Keys(
                &[(Action::Previous, "←"), (Action::Next, "→")],
                "",
                "version",
            ),
            FIRST_LAST,
            Hint::Keys(&[(Action::JumpTime, "t")], "", "time"),
            Hint::Text(":version N"),
            Hint::Keys(&[(Action::Play, "p")], "", "play"),
            Hint::Keys(
                &[(Action::Faster, "+"), (Action::Slower, "-")],
                "/",
                "speed",
            ),
            Hint::Keys(&[(Action::Compare, "c")], "", "compare"),
            Hint::Keys(&[(Action::NextPane, "Tab")], "", "state tree"),
            BACK,
            HELP,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Previous, Next, Up, Down, PageUp, PageDown, First, Last, JumpTime, Play, Faster,
            Slower, Compare, NextPane, Open, Copy,
        ]
    }

    fn commands(&self) -> &'static [CommandKind] {
        &[
            CommandKind::Version,
            CommandKind::Time,
            CommandKind::Position,
        ]
    }

    fn place(&self) -> Place {
        Place::Travel {
            stream: self.stream_id.clone(),
            target: match &self.frame {
                Some(f) => Target::Version(f.version),
                None => self.wanted,
            },
        }
    }

    fn tab_note(&self) -> Option<String> {
        Some(self.stream_id.clone())
    }

    fn selected_event(&self) -> Option<&RecordedEvent> {
        self.frame.as_ref()?.event.as_ref()
    }

    fn stream_in_context(&self) -> Option<String> {
        Some(self.stream_id.clone())
    }

    fn copy_path(&self) -> Option<String> {
        self.tree.as_ref()?.cursor_pointer()
    }
}

/// Pretty-printed JSON in a bordered pane.
fn json_pane(title: &str, pretty: &str, theme: &Theme) -> Paragraph<'static> {
    Paragraph::new(theme.json_owned(pretty)).block(Block::bordered().title(title.to_owned()))
}

/// JSON text pretty-printed (as it was when it is not valid JSON).
fn pretty_json(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// An RFC 6902 patch as coloured lines: `+` added, `-` removed, `~` changed.
pub fn patch_lines(patch: &json_patch::Patch, theme: &Theme) -> Vec<Line<'static>> {
    use json_patch::PatchOperation as Op;
    if patch.0.is_empty() {
        return vec![Line::styled("(no change)", theme.muted)];
    }
    patch
        .0
        .iter()
        .map(|op| {
            let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
            let (sign, style, text) = match op {
                Op::Add(a) => (
                    "+",
                    theme.added,
                    format!("{} = {}", a.path, compact(&a.value)),
                ),
                Op::Remove(r) => ("-", theme.removed, r.path.to_string()),
                Op::Replace(r) => (
                    "~",
                    theme.changed,
                    format!("{} = {}", r.path, compact(&r.value)),
                ),
                Op::Move(m) => ("~", theme.changed, format!("{} ← {}", m.path, m.from)),
                Op::Copy(c) => ("+", theme.added, format!("{} ← {}", c.path, c.from)),
                Op::Test(t) => (" ", theme.muted, t.path.to_string()),
            };
            Line::styled(format!("{sign} {text}"), style)
        })
        .collect()
}

fn patch_pane(title: &str, patch: &json_patch::Patch, theme: &Theme) -> Paragraph<'static> {
    Paragraph::new(patch_lines(patch, theme))
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(title.to_owned()))
}
