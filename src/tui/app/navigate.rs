//! Going places: opening a screen (the one left goes on the back stack), Esc back where
//! one came from, and `3`'s choice of what to time-travel.

use super::App;
use crate::tui::effect::Effects;
use crate::tui::screens::stream::StreamScreen;
use crate::tui::screens::travel::TravelScreen;
use crate::tui::screens::workbench::{WorkbenchScreen, template};
use crate::tui::screens::{Place, ScreenId};

/// How many places the back stack keeps.
const BACK_DEPTH: usize = 64;

impl App {
    /// Goes to `place`; the place left goes on the back stack.
    pub(super) fn go(&mut self, place: Place, fx: &mut Effects) {
        let from = self.current().place();
        if self.arrive(place, fx) {
            let to = self.current().place();
            if from != to && self.back.last() != Some(&from) {
                self.back.push(from);
                if self.back.len() > BACK_DEPTH {
                    self.back.remove(0);
                }
            }
        }
    }

    /// Esc: back where the last move came from (at the start: Streams).
    pub(super) fn go_back(&mut self, fx: &mut Effects) {
        while let Some(place) = self.back.pop() {
            if self.arrive(place, fx) {
                return;
            }
        }
        if self.screen != ScreenId::Streams {
            self.arrive(Place::Screen(ScreenId::Streams), fx);
        }
    }

    /// Shows `place`, opening its screen when needed; false when there is nothing there.
    fn arrive(&mut self, place: Place, fx: &mut Effects) -> bool {
        let id = match &place {
            Place::Screen(id) => *id,
            Place::Stream { .. } => ScreenId::Stream,
            Place::Travel { .. } => ScreenId::TimeTravel,
        };
        match place {
            Place::Screen(ScreenId::Workbench) => {
                if self.screens.workbench.is_none() {
                    let text = template("all").unwrap_or_default();
                    self.screens.workbench = Some(WorkbenchScreen::new(text, None));
                }
            }
            Place::Screen(ScreenId::Snapshots) => self.screens.snapshots.shown(fx),
            Place::Screen(ScreenId::Types) => self.screens.types.shown(fx),
            Place::Screen(ScreenId::Health) => self.screens.health.shown(fx),
            Place::Screen(id) if self.screens.get(id).is_none() => return false,
            Place::Screen(_) => {}
            Place::Stream { stream, version } => self.arrive_stream(stream, version, fx),
            Place::Travel { stream, target } => {
                match self.screens.travel.as_mut() {
                    Some(travel) if travel.stream_id == stream => travel.travel_to(target, fx),
                    _ => self.screens.travel = Some(TravelScreen::open(stream.clone(), target, fx)),
                }
                self.screens.snapshots.travel_stream = Some(stream);
            }
        }
        self.screen = id;
        true
    }

    fn arrive_stream(&mut self, stream: String, version: Option<u64>, fx: &mut Effects) {
        if let Some(open) = self.screens.stream.as_mut()
            && open.stream_id == stream
        {
            let at = open.window.selected().map(|e| e.version);
            if version.is_some() && version != at {
                let command = crate::tui::command::Command::Version(version.unwrap_or(1));
                crate::tui::screens::Screen::command(open, &command, fx);
            }
            return;
        }
        if let Some(mut old) = self.screens.stream.take() {
            old.close(fx);
        }
        self.screens.stream = Some(StreamScreen::open(stream, version, fx));
    }

    /// `3`: time travel on what is selected (a stream, an event), or back to the last one.
    pub(super) fn enter_travel(&mut self, fx: &mut Effects) {
        let picked = self.current().travel_target();
        let open = self.screens.travel.as_ref().map(|t| t.stream_id.clone());
        match picked {
            // From the Streams list, `3` on the stream already open goes back to it as it was.
            Some((stream, _))
                if self.screen == ScreenId::Streams && open.as_deref() == Some(stream.as_str()) =>
            {
                self.go(Place::Screen(ScreenId::TimeTravel), fx)
            }
            Some((stream, target)) => self.go(Place::Travel { stream, target }, fx),
            None if open.is_some() => self.go(Place::Screen(ScreenId::TimeTravel), fx),
            None if self.screens.as_of.is_some() => self.go(Place::Screen(ScreenId::AsOf), fx),
            None => {
                fx.say("pick a stream first (Streams view), or :stream ID, or :asof CATEGORY TIME")
            }
        }
    }

    /// Opens time travel on `stream` at `target` (benchmarks and tests drive it so).
    pub fn open_travel(&mut self, stream: String, target: crate::replay::Target) {
        let mut fx = Effects::default();
        self.go(Place::Travel { stream, target }, &mut fx);
        self.apply(fx);
    }

    /// Opens the workbench with `text` (from `path`).
    pub fn open_workbench(&mut self, text: &str, path: Option<std::path::PathBuf>) {
        self.screens.workbench = Some(WorkbenchScreen::new(text, path));
        let mut fx = Effects::default();
        self.go(Place::Screen(ScreenId::Workbench), &mut fx);
        self.apply(fx);
    }
}
