//! Where the app can be: which screen, and a place on one (a stream at a version, time
//! travel at a target). Screens name places in their effects; the app goes there.

use crate::replay::Target;

/// Which screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenId {
    Streams,
    Log,
    Stream,
    TimeTravel,
    /// A temporal query across a category (`:asof`), under the Time travel tab.
    AsOf,
    Snapshots,
    Workbench,
    Types,
    Health,
}

impl ScreenId {
    /// The tab it shows under (as-of shares Time travel's).
    pub fn tab(self) -> ScreenId {
        match self {
            ScreenId::AsOf => ScreenId::TimeTravel,
            other => other,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ScreenId::Streams => "Streams",
            ScreenId::Log => "Log",
            ScreenId::Stream => "a stream",
            ScreenId::TimeTravel => "Time travel",
            ScreenId::AsOf => "an :asof query",
            ScreenId::Snapshots => "Snapshots",
            ScreenId::Workbench => "the Workbench",
            ScreenId::Types => "Types",
            ScreenId::Health => "Health",
        }
    }
}

/// A place to go to: a screen as it is, or one opened on something.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// The screen as it was left.
    Screen(ScreenId),
    /// A stream, at a version (None: its start).
    Stream {
        stream: String,
        version: Option<u64>,
    },
    /// Time travel on a stream.
    Travel { stream: String, target: Target },
}
