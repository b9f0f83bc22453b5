//! The App's projection workbench (`5`): the editor's keys, open/save/templates, the run
//! (a background session) and its answers, faults and their recovery.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Msg, Screen};
use crate::projection::Breakpoints;
use crate::store::Position;
use crate::tui::keymap::Action;
use crate::tui::views::workbench::{WorkbenchView, template};
use crate::tui::workbench_session::{Begin, Command, Update};

/// What refusing to drop unsaved edits says.
pub(super) const UNSAVED: &str = "unsaved changes (:w saves, :q! discards)";

impl App {
    /// Opens the workbench with `text` (from `path`), the editor focused.
    pub fn open_workbench(&mut self, text: &str, path: Option<PathBuf>) {
        self.workbench = Some(WorkbenchView::new(text, path));
        self.session = None;
        self.screen = Screen::Workbench;
    }

    /// Whether the workbench holds edits not saved to its file.
    pub(super) fn unsaved_script(&self) -> bool {
        self.workbench.as_ref().is_some_and(|w| w.dirty)
    }

    /// Quits, unless the workbench has unsaved edits: then says how to save or discard
    /// them (`force`: `:q!`, discard).
    pub(super) fn request_quit(&mut self, force: bool) {
        if force || !self.unsaved_script() {
            self.quit = true;
        } else {
            self.refuse_unsaved();
        }
    }

    /// Refuses an action that would drop the workbench's unsaved edits, in the status
    /// line and in `:messages`.
    pub(super) fn refuse_unsaved(&mut self) {
        let message = UNSAVED.to_owned();
        self.messages.push(message.clone());
        self.status.message = Some(message);
    }

    fn workbench_mut(&mut self) -> &mut WorkbenchView {
        self.workbench
            .get_or_insert_with(|| WorkbenchView::new(template("all").unwrap_or_default(), None))
    }

    /// Whether keys go to the workbench's editor now.
    pub(super) fn editing(&self) -> bool {
        self.screen == Screen::Workbench
            && self.workbench.as_ref().is_some_and(|w| w.editor_focused)
    }

    /// A key while the editor is focused: it types, but for Ctrl-r (run), Ctrl-s (save),
    /// Ctrl-z/Ctrl-y (undo/redo), Esc (leave the editor) and Ctrl-c (quit).
    pub(super) fn editor_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => self.request_quit(false),
            KeyCode::Char('r') if ctrl => self.run_workbench(),
            KeyCode::Char('s') if ctrl => self.save_workbench(None),
            KeyCode::Esc => self.workbench_mut().editor_focused = false,
            KeyCode::Char('z') if ctrl => {
                self.workbench_mut().editor.undo();
            }
            KeyCode::Char('y') if ctrl => {
                self.workbench_mut().editor.redo();
            }
            _ => {
                let view = self.workbench_mut();
                if view.editor.input(key) {
                    view.dirty = true;
                }
            }
        }
    }

    /// Workbench keys outside the editor; false when not theirs.
    pub(super) fn act_workbench(&mut self, action: Action) -> bool {
        if action == Action::Workbench {
            if self.workbench.is_none() {
                self.workbench_mut();
            }
            self.screen = Screen::Workbench;
            return true;
        }
        if self.screen != Screen::Workbench {
            return false;
        }
        match action {
            Action::Open => self.workbench_mut().editor_focused = true,
            Action::Back => self.screen = Screen::Streams,
            Action::Run => self.run_workbench(),
            Action::Save => self.save_workbench(None),
            Action::Pause => match self.workbench.as_ref().and_then(|w| w.figures) {
                Some(f) if f.status == crate::tui::workbench_session::RunStatus::Paused => {
                    self.session_command(Command::Run)
                }
                Some(_) => self.session_command(Command::Pause),
                None => self.run_workbench(),
            },
            Action::Step => self.session_command(Command::Step),
            Action::StepBack => self.session_command(Command::StepBack),
            Action::Skip => self.skip_fault(),
            Action::MoveCheckpoint => self.command = Some("from ".into()),
            Action::Previous => self.workbench_mut().pick_partition(-1),
            Action::Next => self.workbench_mut().pick_partition(1),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(tree) = self.workbench_mut().tree.as_mut() {
                    let page = super::views::PAGE_STEP;
                    tree.move_by(match action {
                        Action::Up => -1,
                        Action::Down => 1,
                        Action::PageUp => -page,
                        _ => page,
                    });
                }
            }
            Action::Filter => self.command = Some("search ".into()),
            _ => return false,
        }
        true
    }

    fn session_command(&mut self, command: Command) {
        match &self.session {
            Some(session) => {
                if let Some(view) = self.workbench.as_mut() {
                    view.breakpoint_at = None;
                }
                session.send(command)
            }
            None => self.status.message = Some("not running: Ctrl-r runs the projection".into()),
        }
    }

    /// Ctrl-r: runs the editor's script from the start — or, after a fault, resumes: the
    /// (fixed) script re-folds up to the last good event, then runs on.
    /// Ctrl-r: runs the script; after a fault, goes on from the last good event with the
    /// script as it is now (fixed), from where the faulted run began (issue 16, bug 3: it
    /// ran again from the start).
    fn run_workbench(&mut self) {
        let (begin, from) = self
            .workbench
            .as_ref()
            .map_or((Begin::Fresh, None), |view| {
                (Self::after_fault(view).unwrap_or(Begin::Fresh), view.from)
            });
        self.start_session(begin, from, true);
    }

    /// Where a run goes on from after a fault: its kept state, else re-folding to it.
    fn after_fault(view: &WorkbenchView) -> Option<Begin> {
        view.fault.as_ref()?;
        match &view.resume {
            Some(point) => Some(Begin::From(point.clone())),
            None => view.resume_point().map(Begin::RefoldTo),
        }
    }

    fn start_session(&mut self, begin: Begin, from: Option<Position>, run: bool) {
        let Some(fetcher) = self.fetcher.clone() else {
            return;
        };
        let view = self.workbench_mut();
        view.generation += 1;
        view.resume = None;
        view.from = from;
        view.fault = None;
        view.step = None;
        view.breakpoint_at = None;
        view.figures = None;
        view.emitted = 0;
        view.last_emitted.clear();
        view.editor_focused = false;
        let name = view
            .path
            .as_ref()
            .map_or("workbench.js".to_owned(), |p| p.display().to_string());
        let source = crate::script::ScriptSource {
            name,
            code: view.text(),
        };
        let generation = view.generation;
        let breakpoints = view.breakpoints.clone();
        let session = fetcher.workbench_session(source, from, begin, run, generation);
        if !breakpoints.event_types.is_empty() || breakpoints.predicate.is_some() {
            session.send(Command::Breakpoints(breakpoints));
        }
        self.session = Some(session);
    }

    /// `x` after a fault: re-fold to the last good event, pass over the faulting one, run on.
    fn skip_fault(&mut self) {
        let Some((begin, from)) = self
            .workbench
            .as_ref()
            .and_then(|view| Self::after_fault(view).map(|begin| (begin, view.from)))
        else {
            self.status.message =
                Some("x skips the event a fault stopped at (no fault now)".into());
            return;
        };
        self.start_session(begin, from, false);
        self.session_command(Command::SkipNext);
    }

    fn save_workbench(&mut self, path: Option<PathBuf>) {
        let Some(fetcher) = self.fetcher.clone() else {
            return;
        };
        let view = self.workbench_mut();
        if let Some(path) = path {
            view.path = Some(path);
        }
        match view.path.clone() {
            Some(path) => fetcher.save_file(path, view.text()),
            None => self.command = Some("save ".into()),
        }
    }

    /// The workbench's `:` commands; false when not one of them.
    pub(super) fn workbench_command(&mut self, name: &str, argument: &str) -> bool {
        let on_workbench = self.screen == Screen::Workbench;
        match name {
            // A script with unsaved edits is not replaced: `:w` first, or `:open!`/`:new!`.
            "open" | "new" if self.unsaved_script() => self.refuse_unsaved(),
            "open" | "open!" if !argument.is_empty() => {
                if let Some(fetcher) = &self.fetcher {
                    fetcher.open_file(PathBuf::from(argument));
                }
            }
            "open" | "open!" => self.status.message = Some(":open needs a path".into()),
            "new" | "new!" => match template(if argument.is_empty() { "all" } else { argument }) {
                Some(text) => self.open_workbench(text, None),
                None => {
                    self.status.message =
                        Some(":new all | category | partition (a template)".into())
                }
            },
            "save" | "w" if on_workbench => {
                let path = (!argument.is_empty()).then(|| PathBuf::from(argument));
                self.save_workbench(path);
            }
            "runto" if on_workbench => match argument.parse::<Position>() {
                Ok(p) => self.session_command(Command::RunTo(p)),
                Err(_) => self.status.message = Some(":runto needs a position".into()),
            },
            "from" if on_workbench => match argument.parse::<Position>() {
                Ok(p) => self.start_session(Begin::Fresh, Some(p), true),
                Err(_) => self.status.message = Some(":from needs a position".into()),
            },
            "break" | "breakif" | "nobreak" if on_workbench => {
                let view = self.workbench_mut();
                match name {
                    "break" if !argument.is_empty() => {
                        view.breakpoints.event_types.push(argument.to_owned())
                    }
                    "breakif" if !argument.is_empty() => {
                        view.breakpoints.predicate = Some(argument.to_owned())
                    }
                    "nobreak" => view.breakpoints = Breakpoints::default(),
                    _ => {
                        self.status.message = Some(format!(":{name} needs a value"));
                        return true;
                    }
                }
                let breakpoints = view.breakpoints.clone();
                if let Some(session) = &self.session {
                    session.send(Command::Breakpoints(breakpoints));
                }
            }
            "search" if on_workbench => {
                let view = self.workbench_mut();
                let message = match view.editor.set_search_pattern(argument) {
                    Ok(()) => {
                        view.editor_focused = true;
                        (!view.editor.search_forward(false))
                            .then(|| format!("{argument:?} not found"))
                    }
                    Err(e) => Some(format!("search: {e}")),
                };
                if message.is_some() {
                    self.status.message = message;
                }
            }
            _ => return false,
        }
        true
    }

    /// The workbench's messages; false when not one of them.
    pub(super) fn workbench_message(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Workbench(generation, update) => {
                let Some(view) = self
                    .workbench
                    .as_mut()
                    .filter(|w| w.generation == generation)
                else {
                    return false;
                };
                match update {
                    Update::Status(figures) => {
                        view.last_good = figures.position;
                        view.figures = Some(figures);
                    }
                    Update::Emitted(events) => {
                        view.emitted += events.len() as u64;
                        view.last_emitted.extend(events);
                        let excess = view.last_emitted.len().saturating_sub(3);
                        view.last_emitted.drain(..excess);
                    }
                    Update::Result(result) => view.set_result(result),
                    Update::Step(step) => view.set_step(*step),
                    Update::SteppedBack { undone, now } => view.set_stepped_back(undone, now),
                    Update::Resumable(point) => view.resume = Some(point),
                    Update::Breakpoint(at) => view.breakpoint_at = Some(at),
                    Update::Fault(fault) => {
                        // Show the faulting line in the editor.
                        if let Some(line) = fault.line {
                            view.editor.move_cursor(ratatui_textarea::CursorMove::Jump(
                                line.saturating_sub(1).min(u16::MAX as u32) as u16,
                                0,
                            ));
                        }
                        view.fault = Some(fault);
                        self.session = None;
                    }
                }
            }
            Msg::Opened(path, result) => match result {
                Ok(text) => self.open_workbench(&text, Some(path)),
                Err(e) => self.status.message = Some(e),
            },
            Msg::Saved(path, result) => {
                self.status.message = Some(match result {
                    Ok(()) => {
                        if let Some(view) = self.workbench.as_mut() {
                            view.dirty = false;
                        }
                        format!("saved {}", path.display())
                    }
                    Err(e) => e,
                })
            }
            _ => return false,
        }
        true
    }
}
