//! The projection workbench (`5`): write a projection, run it live over the store, step
//! it event by event, break, fault, fix and resume. The run is a session in the I/O
//! layer; this screen sends it commands and shows what it reports.

mod partitions;
mod view;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use view::{WorkbenchScreen, template};

use super::{DrawContext, HELP, Hint, PAGE_STEP, Screen, ScreenId};
use crate::projection::Breakpoints;
use crate::tui::command::{Command, CommandKind};
use crate::tui::effect::{Effects, OverlayRequest};
use crate::tui::io::session::{Begin, Command as RunCommand, RunRequest, RunStatus, Update};
use crate::tui::io::{Request, Response};
use crate::tui::keymap::{Action, Keymap};

/// What refusing to drop unsaved edits says.
pub const UNSAVED: &str = "unsaved changes (:w saves, :q! discards)";

/// Whether a key types a character (plain or shifted), rather than being a control key.
fn types_text(key: &KeyEvent) -> bool {
    let control = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(_) => !control,
        KeyCode::Esc => false,
        _ => !control,
    }
}

impl WorkbenchScreen {
    /// The script `text` (from `path`), any run of an earlier script stopped.
    pub fn load(&mut self, text: &str, path: Option<PathBuf>, fx: &mut Effects) {
        self.replace_text(text);
        self.path = path;
        self.dirty = false;
        self.reset_run();
        if self.running {
            self.running = false;
            fx.request(Request::StopRun);
        }
    }

    /// Forgets the last run's figures, result, step and fault.
    fn reset_run(&mut self) {
        self.generation += 1;
        self.resume = None;
        self.fault = None;
        self.step = None;
        self.stepped_back = None;
        self.breakpoint_at = None;
        self.breakpoint_event = None;
        self.figures = None;
        self.result = None;
        self.tree = None;
        self.partitions.clear();
        self.emitted = 0;
        self.last_emitted.clear();
        self.logged = 0;
        self.last_log = None;
    }

    /// Ctrl-r: runs the script; after a fault, goes on from the last good event with the
    /// script as it is now (fixed), from where the faulted run began.
    fn run(&mut self, fx: &mut Effects) {
        let begin = self.after_fault().unwrap_or(Begin::Fresh);
        self.start(begin, self.from, true, fx);
    }

    /// Where a run goes on from after a fault: its kept state, else re-folding to it.
    fn after_fault(&self) -> Option<Begin> {
        self.fault.as_ref()?;
        match &self.resume {
            Some(point) => Some(Begin::From(point.clone())),
            None => self.resume_point().map(Begin::RefoldTo),
        }
    }

    fn start(
        &mut self,
        begin: Begin,
        from: Option<crate::store::Position>,
        run: bool,
        fx: &mut Effects,
    ) {
        self.reset_run();
        self.from = from;
        self.editor_focused = false;
        self.running = true;
        let name = self
            .path
            .as_ref()
            .map_or("workbench.js".to_owned(), |p| p.display().to_string());
        fx.request(Request::StartRun(RunRequest {
            source: crate::script::ScriptSource {
                name,
                code: self.text(),
            },
            from,
            begin,
            run,
            generation: self.generation,
            breakpoints: self.breakpoints.clone(),
        }));
    }

    /// `x` after a fault: re-fold to the last good event, pass over the faulting one, run on.
    fn skip_fault(&mut self, fx: &mut Effects) {
        let Some(begin) = self.after_fault() else {
            fx.say("x skips the event a fault stopped at (no fault now)");
            return;
        };
        self.start(begin, self.from, false, fx);
        self.send(RunCommand::SkipNext, fx);
    }

    fn send(&mut self, command: RunCommand, fx: &mut Effects) {
        if !self.running {
            fx.say("not running: Ctrl-r runs the projection");
            return;
        }
        self.breakpoint_at = None;
        self.breakpoint_event = None;
        fx.request(Request::RunCommand(command));
    }

    fn save(&mut self, path: Option<PathBuf>, fx: &mut Effects) {
        if let Some(path) = path {
            self.path = Some(path);
        }
        match self.path.clone() {
            Some(path) => fx.request(Request::SaveFile {
                path,
                text: self.text(),
            }),
            None => fx.command_line("w "),
        }
    }

    fn update(&mut self, update: Update, fx: &mut Effects) {
        match update {
            Update::Status(figures) => {
                self.last_good = figures.position;
                self.figures = Some(figures);
            }
            Update::Emitted(events) => {
                self.emitted += events.len() as u64;
                self.last_emitted.extend(events);
                let excess = self.last_emitted.len().saturating_sub(3);
                self.last_emitted.drain(..excess);
            }
            Update::Logged(lines) => {
                self.logged += lines.len() as u64;
                self.last_log = lines.last().cloned();
            }
            Update::Result(result) => self.set_result(result),
            Update::Step(step) => self.set_step(*step),
            Update::SteppedBack { undone, now } => self.set_stepped_back(undone, now),
            Update::Resumable(point) => self.resume = Some(point),
            Update::Breakpoint(at, event) => {
                self.breakpoint_at = Some(at);
                self.breakpoint_event = event.map(|e| *e);
            }
            Update::Fault(fault) => {
                // The faulting line shown in the editor.
                if let Some(line) = fault.line {
                    self.editor.move_cursor(ratatui_textarea::CursorMove::Jump(
                        line.saturating_sub(1).min(u16::MAX as u32) as u16,
                        0,
                    ));
                }
                fx.say(format!("the projection faulted: {}", fault.message));
                self.fault = Some(fault);
                self.running = false;
            }
        }
    }
}

impl Screen for WorkbenchScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Workbench
    }

    /// While editing, keys type, but for those bound to actions that act while typing
    /// (Ctrl-r run, Ctrl-s save, Ctrl-z/Ctrl-y undo/redo, Esc leave, Ctrl-c quit): those
    /// go on to the keymap, so `[keys]` remaps them here too.
    fn key(&mut self, key: KeyEvent, keymap: &Keymap, _fx: &mut Effects) -> bool {
        if !self.editor_focused {
            return false;
        }
        if keymap.action(key).is_some_and(|a| a.acts_while_typing()) && !types_text(&key) {
            return false;
        }
        if self.editor.input(key) {
            self.dirty = true;
        }
        true
    }

    fn action(&mut self, action: Action, fx: &mut Effects) -> bool {
        match action {
            Action::Open | Action::Edit => self.editor_focused = true,
            Action::Back if self.editor_focused => self.editor_focused = false,
            Action::Run => self.run(fx),
            Action::Save => self.save(None, fx),
            Action::Undo => {
                if self.editor.undo() {
                    self.dirty = true;
                }
            }
            Action::Redo => {
                if self.editor.redo() {
                    self.dirty = true;
                }
            }
            Action::Pause => match self.figures {
                Some(f) if f.status == RunStatus::Paused => self.send(RunCommand::Run, fx),
                Some(_) if self.running => self.send(RunCommand::Pause, fx),
                _ => self.run(fx),
            },
            Action::Step => self.send(RunCommand::Step, fx),
            Action::StepBack => self.send(RunCommand::StepBack, fx),
            Action::Skip => self.skip_fault(fx),
            Action::MoveCheckpoint => fx.command_line("from "),
            Action::Previous => self.pick_partition(-1),
            Action::Next => self.pick_partition(1),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(tree) = self.tree.as_mut() {
                    tree.move_by(match action {
                        Action::Up => -1,
                        Action::Down => 1,
                        Action::PageUp => -PAGE_STEP,
                        _ => PAGE_STEP,
                    });
                }
            }
            // `/` filters a partitioned result's keys; else it searches the script.
            Action::Filter if !self.partitions.is_empty() => fx.overlay(OverlayRequest::Filter {
                text: self.partitions.filter.clone().unwrap_or_default(),
                what: "partition keys",
            }),
            Action::Filter => fx.command_line("search "),
            _ => return false,
        }
        true
    }

    fn command(&mut self, command: &Command, fx: &mut Effects) -> bool {
        match command {
            // A script with unsaved edits is not replaced: `:w` first, or `:open!`/`:new!`.
            Command::Open { force: false, .. } | Command::New { force: false, .. }
                if self.dirty =>
            {
                fx.say(UNSAVED)
            }
            Command::Open { path, .. } => fx.request(Request::OpenFile(path.clone())),
            Command::New { template: name, .. } => match template(name) {
                Some(text) => self.load(text, None, fx),
                None => fx.say(":new all | category | partition (a template)"),
            },
            Command::Save(path) => self.save(path.clone(), fx),
            Command::RunTo(p) => self.send(RunCommand::RunTo(*p), fx),
            Command::From(p) => self.start(Begin::Fresh, Some(*p), true, fx),
            Command::Break(kind) => self.set_breakpoints(|b| b.event_types.push(kind.clone()), fx),
            Command::BreakIf(e) => self.set_breakpoints(|b| b.predicate = Some(e.clone()), fx),
            Command::NoBreak => self.set_breakpoints(|b| *b = Breakpoints::default(), fx),
            Command::Search(pattern) => match self.editor.set_search_pattern(pattern) {
                Ok(()) => {
                    self.editor_focused = true;
                    if !self.editor.search_forward(false) {
                        fx.say(format!("{pattern:?} not found"));
                    }
                }
                Err(e) => fx.say(format!("search: {e}")),
            },
            _ => return false,
        }
        true
    }

    fn filter(&mut self, query: Option<String>, _fx: &mut Effects) {
        self.filter_partitions(query);
    }

    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match response {
            Response::Run(generation, update) if generation == self.generation => {
                self.update(update, fx)
            }
            Response::Run(..) => {} // an older run's
            Response::Opened(path, Ok(text)) => {
                fx.say(format!("opened {}", path.display()));
                self.load(&text, Some(path), fx);
            }
            Response::Opened(_, Err(e)) => fx.say(e.to_string()),
            Response::Saved(path, Ok(())) => {
                self.dirty = false;
                fx.say(format!("saved {}", path.display()));
            }
            Response::Saved(_, Err(e)) => fx.say(e.to_string()),
            other => return Some(other),
        }
        None
    }

    fn busy(&self) -> bool {
        self.figures
            .is_some_and(|f| matches!(f.status, RunStatus::Running | RunStatus::Starting))
            && self.running
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext) {
        self.render(frame, area, cx.theme);
    }

    fn hints(&self) -> &'static [Hint] {
        if self.editor_focused {
            return &[
                Hint::Keys(&[(Action::Back, "Esc")], "", "leave the editor"),
                Hint::Keys(&[(Action::Run, "Ctrl-r")], "", "run"),
                Hint::Keys(&[(Action::Save, "Ctrl-s")], "", "save"),
                Hint::Keys(
                    &[(Action::Undo, "Ctrl-z"), (Action::Redo, "Ctrl-y")],
                    "/",
                    "undo/redo",
                ),
            ];
        }
        &[
            Hint::Keys(&[(Action::Open, "Enter")], "", "edit"),
            Hint::Keys(&[(Action::Run, "Ctrl-r")], "", "run"),
            Hint::Keys(&[(Action::Pause, "Space")], "", "pause"),
            Hint::Keys(&[(Action::Step, "n")], "", "step"),
            Hint::Keys(&[(Action::StepBack, "N")], "", "back"),
            Hint::Text(":runto P"),
            Hint::Text(":break T"),
            Hint::Text(":open/:w/:new"),
            HELP,
        ]
    }

    fn keys(&self) -> &'static [Action] {
        use Action::*;
        &[
            Open,
            Edit,
            Run,
            Save,
            Undo,
            Redo,
            Pause,
            Step,
            StepBack,
            Skip,
            MoveCheckpoint,
            Previous,
            Next,
            Up,
            Down,
            PageUp,
            PageDown,
            Filter,
        ]
    }

    fn commands(&self) -> &'static [CommandKind] {
        use CommandKind::*;
        &[Save, RunTo, From, Break, BreakIf, NoBreak, Search]
    }
}

impl WorkbenchScreen {
    fn set_breakpoints(&mut self, change: impl FnOnce(&mut Breakpoints), fx: &mut Effects) {
        change(&mut self.breakpoints);
        if self.running {
            fx.request(Request::RunCommand(RunCommand::Breakpoints(
                self.breakpoints.clone(),
            )));
        }
    }
}
