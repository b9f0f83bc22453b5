//! The App's time-travel (`3`), as-of and snapshots (`4`) screens: their keys, commands
//! and messages. The views own their state; this wires them to the update loop and the
//! background work.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{App, Msg, Screen};
use crate::replay::Target;
use crate::store::{Position, Version};
use crate::tui::fetch::JobKind;
use crate::tui::keymap::Action;
use crate::tui::views::asof::{AsOfView, Moment};
use crate::tui::views::snapshots::{Job, Report};
use crate::tui::views::travel::TravelView;

impl App {
    /// Opens time travel on `stream_id` at `target`.
    pub fn open_travel(&mut self, stream_id: String, target: Target) {
        let mut view = TravelView::new(stream_id, target);
        let generation = view.ask(target);
        self.travel = Some(view);
        self.as_of_active = false;
        self.screen = Screen::TimeTravel;
        if let Some(generation) = generation {
            self.fetch_travel(target, generation);
        }
    }

    fn fetch_travel(&self, target: Target, generation: u64) {
        if let (Some(fetcher), Some(view)) = (&self.fetcher, &self.travel) {
            fetcher.travel(view.stream_id.clone(), target, generation);
        }
    }

    /// Moves the scrubber to `target` (one fold in flight; the newest wins).
    fn travel_to(&mut self, target: Target) {
        let Some(view) = self.travel.as_mut() else {
            return;
        };
        if let Some(generation) = view.ask(target) {
            self.fetch_travel(target, generation);
        }
    }

    /// `3`: time travel on what is selected (a stream, an event), or back to the last one.
    fn enter_travel(&mut self) {
        let picked = match self.screen {
            Screen::Streams => self
                .streams
                .window
                .selected()
                .map(|s| (s.stream_id.clone(), Target::Latest)),
            Screen::Stream => self.stream.as_ref().and_then(|v| {
                v.window
                    .selected()
                    .map(|e| (v.stream_id.clone(), Target::Version(e.version)))
            }),
            Screen::Log => self
                .log
                .window
                .selected()
                .map(|e| (e.stream_id.clone(), Target::Version(e.version))),
            _ => None,
        };
        let same = |view: &TravelView, id: &str| view.stream_id == id;
        match picked {
            Some((stream, target))
                if self.screen != Screen::Streams
                    || !self.travel.as_ref().is_some_and(|v| same(v, &stream)) =>
            {
                self.open_travel(stream, target)
            }
            _ if self.travel.is_some() || self.as_of.is_some() => self.screen = Screen::TimeTravel,
            Some((stream, target)) => self.open_travel(stream, target),
            None => {
                self.status.message = Some(
                    "pick a stream first (Streams view), or :stream ID, or :asof CATEGORY TIME"
                        .into(),
                )
            }
        }
    }

    /// Keys of the time-travel, as-of and snapshots screens; false when not theirs.
    pub(super) fn act_travel(&mut self, action: Action) -> bool {
        match action {
            Action::TimeTravel => {
                self.enter_travel();
                return true;
            }
            Action::Snapshots => {
                self.screen = Screen::Snapshots;
                if self.snapshots.list.rows.is_empty() && !self.snapshots.list.loading {
                    self.fetch_snapshots();
                }
                return true;
            }
            _ => {}
        }
        match self.screen {
            Screen::TimeTravel if self.as_of_active => self.act_as_of(action),
            Screen::TimeTravel => self.act_scrubber(action),
            Screen::Snapshots => self.act_snapshots(action),
            _ => match action {
                Action::Previous
                | Action::Next
                | Action::JumpTime
                | Action::Play
                | Action::Faster
                | Action::Slower
                | Action::Compare => {
                    self.status.message = Some("that key works in Time travel (3)".into());
                    true
                }
                Action::Build | Action::BuildAll | Action::Verify | Action::VerifyAll => {
                    self.status.message = Some("that key works in Snapshots (4)".into());
                    true
                }
                _ => false,
            },
        }
    }

    fn act_scrubber(&mut self, action: Action) -> bool {
        let Some(view) = self.travel.as_mut() else {
            return matches!(action, Action::Previous | Action::Next);
        };
        if view.tree_focused
            && let Some(tree) = view.tree.as_mut()
        {
            let page = super::views::PAGE_STEP;
            match action {
                Action::Up => tree.move_by(-1),
                Action::Down => tree.move_by(1),
                Action::PageUp => tree.move_by(-page),
                Action::PageDown => tree.move_by(page),
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
        let step = |delta: i64, view: &TravelView| view.moved(delta).map(Target::Version);
        let target = match action {
            Action::Previous | Action::Up => step(-1, view),
            Action::Next | Action::Down => step(1, view),
            Action::PageUp => step(-(super::views::PAGE_STEP as i64), view),
            Action::PageDown => step(super::views::PAGE_STEP as i64, view),
            Action::First => Some(Target::Version(1.min(view.last().unwrap_or(0)))),
            Action::Last => Some(Target::Latest),
            Action::NextPane | Action::PrevPane => {
                view.tree_focused = !view.tree_focused;
                return true;
            }
            Action::Play => {
                view.toggle_play();
                return true;
            }
            Action::Faster => {
                view.faster();
                return true;
            }
            Action::Slower => {
                view.slower();
                return true;
            }
            Action::Compare => {
                let on = view.toggle_compare();
                let version = view.version();
                self.status.message = Some(if on {
                    format!("v{version} marked: move to another version to compare (c ends)")
                } else {
                    "comparison ended".into()
                });
                return true;
            }
            Action::JumpTime => {
                self.command = Some("time ".into());
                return true;
            }
            Action::Back => {
                view.playing = false;
                self.screen = Screen::Streams;
                return true;
            }
            _ => return false,
        };
        if let Some(target) = target {
            view.playing = false;
            self.travel_to(target);
        }
        true
    }

    fn act_as_of(&mut self, action: Action) -> bool {
        let Some(view) = self.as_of.as_mut() else {
            return false;
        };
        match action {
            Action::Previous | Action::Next => {
                view.moment = view.moment.step(action == Action::Next);
            }
            Action::Up | Action::Down => {
                view.list
                    .move_selection(if action == Action::Up { -1 } else { 1 });
                return true;
            }
            Action::PageDown => {
                if !view.list.next_page() {
                    return true;
                }
            }
            Action::PageUp => {
                if !view.list.previous_page() {
                    return true;
                }
            }
            Action::Open => {
                if let Some(row) = view.list.selected_row() {
                    let (stream, version) = (row.stream_id.clone(), row.version);
                    self.open_travel(stream, Target::Version(version));
                }
                return true;
            }
            Action::Back => {
                self.as_of_active = false;
                if self.travel.is_none() {
                    self.screen = Screen::Streams;
                }
                return true;
            }
            _ => return false,
        }
        self.fetch_as_of();
        true
    }

    fn fetch_as_of(&mut self) {
        if let Some(view) = self.as_of.as_mut() {
            let generation = view.list.ask();
            if let Some(fetcher) = &self.fetcher {
                fetcher.as_of(
                    view.category.clone(),
                    view.moment,
                    view.list.page_after.clone(),
                    generation,
                );
            }
        }
    }

    fn act_snapshots(&mut self, action: Action) -> bool {
        let view = &mut self.snapshots;
        match action {
            Action::Up => view.list.move_selection(-1),
            Action::Down => view.list.move_selection(1),
            Action::First => view.list.move_selection(isize::MIN / 2),
            Action::Last => view.list.move_selection(isize::MAX / 2),
            Action::PageDown => {
                if view.list.next_page() {
                    self.fetch_snapshots();
                }
            }
            Action::PageUp => {
                if view.list.previous_page() {
                    self.fetch_snapshots();
                }
            }
            Action::Back => match &view.job {
                Some(job) => {
                    job.cancel.store(true, Ordering::Relaxed);
                    self.status.message = Some("cancelling…".into());
                }
                None => self.screen = Screen::Streams,
            },
            Action::Build | Action::BuildAll | Action::Verify | Action::VerifyAll => {
                self.start_job(action)
            }
            Action::Open => {
                if let Some(s) = view.list.selected_row() {
                    let (stream, version) = (s.stream_id.clone(), s.version);
                    self.open_travel(stream, Target::Version(version));
                }
            }
            _ => return false,
        }
        true
    }

    fn start_job(&mut self, action: Action) {
        if self.snapshots.job.is_some() {
            self.status.message = Some("a snapshot job is running (Esc cancels it)".into());
            return;
        }
        let kind = match action {
            Action::Build | Action::BuildAll => JobKind::Build,
            _ => JobKind::Verify,
        };
        let one = matches!(action, Action::Build | Action::Verify);
        let stream = match (one, self.snapshots.list.selected_row()) {
            (false, _) => None,
            (true, Some(s)) => Some(s.stream_id.clone()),
            // Nothing listed yet: the stream open in time travel, if any.
            (true, None) => match self.travel.as_ref() {
                Some(view) => Some(view.stream_id.clone()),
                None => {
                    self.status.message = Some(
                        "select a snapshot's stream, or open one in Time travel (3) first".into(),
                    );
                    return;
                }
            },
        };
        let Some(fetcher) = &self.fetcher else {
            return;
        };
        if kind == JobKind::Build && fetcher.read_only() {
            self.status.message =
                Some("the store is open read-only: building snapshots is a write".into());
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let label = match (kind, &stream) {
            (JobKind::Build, Some(s)) => format!("building snapshots of {s}"),
            (JobKind::Build, None) => "building snapshots of every stream".to_owned(),
            (JobKind::Verify, Some(s)) => format!("verifying the snapshots of {s}"),
            (JobKind::Verify, None) => "verifying every snapshot".to_owned(),
        };
        fetcher.snapshot_job(kind, stream, cancel.clone());
        self.snapshots.report = None;
        self.snapshots.job = Some(Job {
            label,
            done: 0,
            total: 0,
            cancel,
        });
    }

    pub(super) fn fetch_snapshots(&mut self) {
        let generation = self.snapshots.list.ask();
        if let Some(fetcher) = &self.fetcher {
            fetcher.snapshots(self.snapshots.list.page_after.clone(), generation);
        }
    }

    /// `:version`, `:time`, `:stream` and `:asof` on the time-travel screen. False when
    /// the command is not one of these there.
    pub(super) fn travel_command(&mut self, name: &str, argument: &str) -> bool {
        if name == "asof" {
            self.start_as_of(argument);
            return true;
        }
        if self.screen != Screen::TimeTravel || self.as_of_active && name != "stream" {
            return false;
        }
        match name {
            "version" => match argument.parse::<Version>() {
                // Past the end: said at once, and the view stays where it is.
                Ok(v)
                    if self
                        .travel
                        .as_ref()
                        .and_then(|t| t.last())
                        .is_some_and(|l| v > l) =>
                {
                    let last = self.travel.as_ref().and_then(|t| t.last()).unwrap_or(0);
                    let message = format!("v{v} is past the end of the stream (last v{last})");
                    self.messages.push(message.clone());
                    self.status.message = Some(message);
                }
                Ok(v) => self.travel_to(Target::Version(v)),
                Err(_) => self.status.message = Some(":version needs a number".into()),
            },
            "time" => match crate::store::timestamp::parse_user_time(argument) {
                Ok(t) => self.travel_to(Target::Time(t)),
                Err(e) => self.status.message = Some(e),
            },
            "position" => match argument.parse::<Position>() {
                Ok(p) => self.travel_to(Target::Position(p)),
                Err(_) => self.status.message = Some(":position needs a number".into()),
            },
            "stream" if !argument.is_empty() => {
                self.open_travel(argument.to_owned(), Target::Latest)
            }
            _ => return false,
        }
        true
    }

    /// `:asof CATEGORY TIME` or `:asof CATEGORY @POSITION`.
    fn start_as_of(&mut self, argument: &str) {
        let Some((category, moment)) = argument.split_once(' ') else {
            self.status.message = Some(":asof needs a category and a time or @position".into());
            return;
        };
        let moment = moment.trim();
        let moment = match moment.strip_prefix('@') {
            Some(p) => match p.parse::<Position>() {
                Ok(p) => Moment::Position(p),
                Err(_) => {
                    self.status.message = Some(format!("not a position: {p}"));
                    return;
                }
            },
            None => match crate::store::timestamp::parse_user_time(moment) {
                Ok(t) => Moment::Time(t),
                Err(e) => {
                    self.status.message = Some(e);
                    return;
                }
            },
        };
        self.as_of = Some(AsOfView::new(category.trim().to_owned(), moment));
        self.as_of_active = true;
        self.screen = Screen::TimeTravel;
        self.fetch_as_of();
    }

    /// The replay views' messages; returns whether the screen changed.
    pub(super) fn travel_message(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Travel(generation, answer) => {
                let Some(view) = self.travel.as_mut() else {
                    return false;
                };
                if let Some((target, generation)) = view.arrived(generation, answer) {
                    self.fetch_travel(target, generation);
                }
            }
            Msg::AsOf(generation, answer) => match (answer, self.as_of.as_mut()) {
                (Ok(rows), Some(view)) => view.list.arrived(generation, rows),
                (Err(e), _) => {
                    self.messages.push(e.clone());
                    self.status.message = Some(e);
                }
                _ => {}
            },
            Msg::SnapshotRows(generation, rows) => self.snapshots.list.arrived(generation, rows),
            Msg::JobProgress(done, total) => {
                if let Some(job) = self.snapshots.job.as_mut() {
                    job.done = done;
                    job.total = total;
                }
            }
            Msg::JobDone(summary, drifts) => {
                self.snapshots.job = None;
                self.status.message = Some(summary.clone());
                self.snapshots.report = Some(Report::new(summary, drifts));
                self.snapshots.list.rewind();
                self.fetch_snapshots();
            }
            _ => return false,
        }
        true
    }

    /// New events somewhere: the time-travel view asks again for what it shows, so that
    /// its stream's new versions (the scrubber's end, the timeline, and the state when it
    /// is at the latest) appear. Not while playing or a step is in flight.
    pub(super) fn travel_on_append(&mut self) {
        if self.screen != Screen::TimeTravel || self.as_of_active {
            return;
        }
        let Some(view) = self.travel.as_ref() else {
            return;
        };
        if view.playing || view.in_flight.is_some() {
            return;
        }
        let target = view.wanted;
        self.travel_to(target);
    }

    /// A tick: the next version when playing is due. Returns whether to draw.
    pub(super) fn travel_tick(&mut self) -> bool {
        let due = self
            .travel
            .as_mut()
            .filter(|_| self.screen == Screen::TimeTravel)
            .is_some_and(|v| v.play_due());
        if due && let Some(target) = self.travel.as_ref().and_then(|v| v.moved(1)) {
            self.travel_to(Target::Version(target));
        }
        self.travel.as_ref().is_some_and(|v| v.playing) || self.snapshots.job.is_some()
    }

    /// Whether a replay view waits for an answer (the spinner).
    pub(super) fn travel_loading(&self) -> bool {
        self.travel.as_ref().is_some_and(|v| v.in_flight.is_some())
            || self.as_of.as_ref().is_some_and(|v| v.list.loading)
            || self.snapshots.list.loading
            || self.snapshots.job.is_some()
    }
}
