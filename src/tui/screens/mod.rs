//! The screens. Each owns its state, handles its own actions, commands and responses
//! (returning effects for the app to apply), draws from `&self`, and lists its own key
//! hints and help from the keymap.

pub mod asof;
pub mod health;
pub mod log;
pub mod set;
pub mod snapshots;
pub mod stream;
pub mod streams;
pub mod travel;
pub mod types;
pub mod workbench;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::Rect;

pub use super::chrome::Hint;
use super::command::{Command, CommandKind};
use super::effect::Effects;
use super::io::Response;
use super::keymap::{Action, Keymap};
pub use super::place::{Place, ScreenId};
use super::theme::Theme;
pub use super::widgets::window::Move;
use crate::replay::Target;
use crate::store::{Position, RecordedEvent};

/// Draw-time context the app lends its screens.
pub struct DrawContext<'a> {
    pub theme: &'a Theme,
}

pub const MOVE: Hint = Hint::Keys(&[(Action::Up, "↑"), (Action::Down, "↓")], "", "move");
pub const FIRST_LAST: Hint = Hint::Keys(
    &[(Action::First, "g"), (Action::Last, "G")],
    "/",
    "first/last",
);
pub const BACK: Hint = Hint::Keys(&[(Action::Back, "Esc")], "", "back");
pub const HELP: Hint = Hint::Keys(&[(Action::Help, "?")], "", "help");
pub const QUIT: Hint = Hint::Keys(&[(Action::Quit, "q")], "", "quit");

/// The keys every screen answers (the app's own), listed in each screen's help.
pub const GLOBAL_KEYS: &[Action] = &[
    Action::Streams,
    Action::Log,
    Action::TimeTravel,
    Action::Snapshots,
    Action::Workbench,
    Action::Types,
    Action::Health,
    Action::Compose,
    Action::Command,
    Action::Back,
    Action::Help,
    Action::Quit,
];

/// The `:` commands every screen takes.
pub const GLOBAL_COMMANDS: &[CommandKind] = &[
    CommandKind::Stream,
    CommandKind::Position,
    CommandKind::Time,
    CommandKind::Type,
    CommandKind::Category,
    CommandKind::Correlation,
    CommandKind::Where,
    CommandKind::Clear,
    CommandKind::AsOf,
    CommandKind::Open,
    CommandKind::New,
    CommandKind::Messages,
    CommandKind::Quit,
];

pub trait Screen {
    fn id(&self) -> ScreenId;

    /// A key before the keymap sees it (a text editor takes the keys that type);
    /// true when taken.
    fn key(&mut self, _key: KeyEvent, _keymap: &Keymap, _fx: &mut Effects) -> bool {
        false
    }

    /// An action while the screen is shown; false when it is not one of its own.
    fn action(&mut self, action: Action, fx: &mut Effects) -> bool;

    /// A `:` command while the screen is shown; false when it is not one of its own.
    fn command(&mut self, _command: &Command, _fx: &mut Effects) -> bool {
        false
    }

    /// The filter line changed (None: cleared).
    fn filter(&mut self, _query: Option<String>, _fx: &mut Effects) {}

    /// A response; given back when it is not this screen's.
    fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response>;

    /// The store's head moved (appends, here or in another process).
    fn head_moved(&mut self, _head: Position, _shown: bool, _fx: &mut Effects) {}

    /// The wheel or a click; false when nothing changed.
    fn mouse(&mut self, _mouse: MouseEvent, _fx: &mut Effects) -> bool {
        false
    }

    /// A beat of the clock (play, spinners); true when the screen needs drawing.
    fn tick(&mut self, _fx: &mut Effects) -> bool {
        false
    }

    /// Whether it waits for an answer (the spinner shows).
    fn busy(&self) -> bool {
        false
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawContext);

    /// The footer's hints.
    fn hints(&self) -> &'static [Hint];

    /// Its own keys, for `?` (the app's global keys are added).
    fn keys(&self) -> &'static [Action];

    /// Its own `:` commands, for `?` (the global ones are added).
    fn commands(&self) -> &'static [CommandKind] {
        &[]
    }

    /// How to come back here (the back stack).
    fn place(&self) -> Place {
        Place::Screen(self.id())
    }

    /// Text after the tabs (the open stream's id).
    fn tab_note(&self) -> Option<String> {
        None
    }

    /// Whether it follows new events live (the status line says so).
    fn following(&self) -> bool {
        false
    }

    /// The event selected, when the screen shows events.
    fn selected_event(&self) -> Option<&RecordedEvent> {
        None
    }

    /// The stream the screen is about (the composer's, `3`'s).
    fn stream_in_context(&self) -> Option<String> {
        self.selected_event().map(|e| e.stream_id.clone())
    }

    /// What `3` opens from here.
    fn travel_target(&self) -> Option<(String, Target)> {
        self.selected_event()
            .map(|e| (e.stream_id.clone(), Target::Version(e.version)))
    }

    /// The JSON path under a tree cursor, for the copy menu.
    fn copy_path(&self) -> Option<String> {
        None
    }
}

/// A cursor over `len` rows after `step` (for lists held whole, not windows).
pub fn moved(cursor: usize, len: usize, step: Move) -> usize {
    let last = len.saturating_sub(1);
    match step {
        Move::By(n) => (cursor as isize + n).clamp(0, last as isize) as usize,
        Move::First => 0,
        Move::Last => last,
    }
}

/// Rows a PgUp/PgDn moves.
pub const PAGE_STEP: isize = 20;

/// The list move a navigation key makes.
pub fn step_of(action: Action) -> Option<Move> {
    Move::of(action, PAGE_STEP)
}
