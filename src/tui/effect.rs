//! What screens and overlays ask the app to do: they return effects instead of reaching
//! into the app, and the app applies them in one place — so every message, error and
//! refusal takes one path into the status line and `:messages`.

use super::io::Request;
use super::place::Place;
use crate::store::RecordedEvent;

/// An overlay to open, described: the app builds it (the help from the shown screen's
/// keys, the composer with its version lookup).
pub enum OverlayRequest {
    /// The command line, with this typed.
    CommandLine(String),
    /// The shown screen's filter line (`what` it matches), with this typed.
    Filter { text: String, what: &'static str },
    /// Which of an event's effects to jump to.
    EffectPicker(Vec<RecordedEvent>),
}

pub enum Effect {
    /// Ask the I/O layer.
    Request(Request),
    /// Go to a place (the screen left goes on the back stack).
    Open(Place),
    /// Back where the last `Open` came from.
    Back,
    /// A message for the status line, kept in `:messages`.
    Say(String),
    /// An overlay over the screen.
    Overlay(OverlayRequest),
    /// Put text on the clipboard (`what` names it for the message).
    Copy { what: &'static str, text: String },
    /// The shown screen's filter changed (None: cleared).
    Filter(Option<String>),
    /// Run a `:` command line as typed.
    Command(String),
    /// Quit (`force`: even with unsaved edits).
    Quit { force: bool },
}

/// The effects a handler collects.
#[derive(Default)]
pub struct Effects(Vec<Effect>);

impl Effects {
    pub fn push(&mut self, effect: Effect) {
        self.0.push(effect);
    }

    pub fn request(&mut self, request: Request) {
        self.push(Effect::Request(request));
    }

    pub fn say(&mut self, message: impl Into<String>) {
        self.push(Effect::Say(message.into()));
    }

    pub fn open(&mut self, place: Place) {
        self.push(Effect::Open(place));
    }

    pub fn overlay(&mut self, overlay: OverlayRequest) {
        self.push(Effect::Overlay(overlay));
    }

    /// The command line, opened with `text` typed.
    pub fn command_line(&mut self, text: &str) {
        self.overlay(OverlayRequest::CommandLine(text.to_owned()));
    }

    pub fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.0)
    }
}
