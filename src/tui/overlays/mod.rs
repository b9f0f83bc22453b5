//! Overlays: what opens over a screen and sees a key before it — help, messages, the copy
//! menu, the effect picker, the composer, and the command and filter lines. The app keeps
//! them on one stack; the top one takes each key.

pub mod command_line;
pub mod composer;
mod menus;
mod popups;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::effect::{Effect, Effects};
use super::io::Response;
use super::keymap::{Action, Keymap};
use super::theme::Theme;
pub use command_line::CommandLine;
pub use composer::Composer;
pub use menus::{CopyMenu, EffectPicker};
pub use popups::HelpPage;

pub enum Overlay {
    Help(HelpPage),
    Messages,
    Copy(CopyMenu),
    Effects(EffectPicker),
    Composer(Box<Composer>),
    CommandLine(CommandLine),
    /// A screen's filter being typed, and what it matches.
    Filter(String, &'static str),
}

/// After a key: whether the overlay stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Open,
    Close,
}

/// What an overlay draws with.
pub struct OverlayContext<'a> {
    pub theme: &'a Theme,
    pub messages: &'a [String],
    /// The footer's line (the command and filter lines draw there).
    pub footer: Rect,
    /// The line above it (the command line's candidates).
    pub above: Rect,
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

impl Overlay {
    pub fn command_line(text: &str) -> Overlay {
        Overlay::CommandLine(CommandLine::new(text))
    }

    /// A key while this overlay is on top.
    pub fn key(&mut self, key: KeyEvent, keymap: &Keymap, fx: &mut Effects) -> Keep {
        if is_ctrl_c(&key) {
            fx.push(Effect::Quit { force: false });
            return Keep::Open;
        }
        match self {
            // Any key closes a page; the quit key quits as well.
            Overlay::Help(_) | Overlay::Messages => {
                if keymap.action(key) == Some(Action::Quit) {
                    fx.push(Effect::Quit { force: false });
                }
                Keep::Close
            }
            Overlay::Copy(menu) => {
                menu.key(key, fx);
                Keep::Close
            }
            Overlay::Effects(picker) => {
                picker.key(key, fx);
                Keep::Close
            }
            Overlay::Composer(composer) => composer.overlay_key(key, fx),
            Overlay::CommandLine(line) => line.key(key, fx),
            Overlay::Filter(query, _) => filter_key(query, key, fx),
        }
    }

    /// A response; given back when it is not this overlay's (or others want it too).
    pub fn response(&mut self, response: Response, fx: &mut Effects) -> Option<Response> {
        match self {
            Overlay::Composer(composer) => composer.response(response, fx),
            Overlay::CommandLine(line) => line.response(response, fx),
            _ => Some(response),
        }
    }

    /// Whether it is done and closes itself (the composer after its append).
    pub fn finished(&self) -> bool {
        matches!(self, Overlay::Composer(composer) if composer.finished)
    }

    pub fn busy(&self) -> bool {
        match self {
            Overlay::Composer(composer) => composer.sending,
            _ => false,
        }
    }

    /// Whether it draws on the footer's line (the hints and messages give way).
    pub fn takes_footer(&self) -> bool {
        matches!(self, Overlay::CommandLine(_) | Overlay::Filter(..))
    }

    pub fn draw(&self, frame: &mut Frame, cx: &OverlayContext) {
        match self {
            Overlay::Help(page) => page.draw(frame),
            Overlay::Messages => popups::draw_messages(frame, cx.messages),
            Overlay::Copy(menu) => menu.draw(frame),
            Overlay::Effects(picker) => picker.draw(frame),
            Overlay::Composer(composer) => composer.render(frame, cx.theme),
            Overlay::CommandLine(line) => line.draw(frame, cx.footer, cx.above),
            Overlay::Filter(query, what) => popups::draw_filter(frame, cx.footer, query, what),
        }
    }
}

/// Keys type the fuzzy filter; each change starts a new search.
fn filter_key(query: &mut String, key: KeyEvent, fx: &mut Effects) -> Keep {
    match key.code {
        KeyCode::Esc => {
            fx.push(Effect::Filter(None));
            return Keep::Close;
        }
        KeyCode::Enter => return Keep::Close,
        KeyCode::Backspace => {
            query.pop();
        }
        KeyCode::Char(c) => query.push(c),
        _ => return Keep::Open,
    }
    fx.push(Effect::Filter(
        Some(query.clone()).filter(|q| !q.is_empty()),
    ));
    Keep::Open
}
