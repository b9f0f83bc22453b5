//! The keys: one table that both dispatches keys and writes the `?` help, so the help can
//! never disagree with what a key does. Remappable in config.toml's `[keys]`.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Streams,
    Log,
    TimeTravel,
    Snapshots,
    Previous,
    Next,
    JumpTime,
    Play,
    Faster,
    Slower,
    Compare,
    Build,
    BuildAll,
    Verify,
    VerifyAll,
    Compose,
    Workbench,
    Run,
    Save,
    Pause,
    Step,
    StepBack,
    Skip,
    MoveCheckpoint,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Open,
    Back,
    Follow,
    Cause,
    Effect,
    Copy,
    Sort,
    Filter,
    NextPane,
    PrevPane,
    Raw,
    Command,
    Help,
}

impl Action {
    /// The name config.toml's `[keys]` uses.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Streams => "streams",
            Action::Log => "log",
            Action::TimeTravel => "time_travel",
            Action::Snapshots => "snapshots",
            Action::Previous => "previous",
            Action::Next => "next",
            Action::JumpTime => "jump_time",
            Action::Play => "play",
            Action::Faster => "faster",
            Action::Slower => "slower",
            Action::Compare => "compare",
            Action::Build => "build",
            Action::BuildAll => "build_all",
            Action::Verify => "verify",
            Action::VerifyAll => "verify_all",
            Action::Compose => "compose",
            Action::Workbench => "workbench",
            Action::Run => "run",
            Action::Save => "save",
            Action::Pause => "pause",
            Action::Step => "step",
            Action::StepBack => "step_back",
            Action::Skip => "skip",
            Action::MoveCheckpoint => "move_checkpoint",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::First => "first",
            Action::Last => "last",
            Action::Open => "open",
            Action::Back => "back",
            Action::Follow => "follow",
            Action::Command => "command",
            Action::Cause => "cause",
            Action::Copy => "copy",
            Action::Sort => "sort",
            Action::Filter => "filter",
            Action::NextPane => "next_pane",
            Action::Raw => "raw",
            Action::PrevPane => "previous_pane",
            Action::Effect => "effect",
            Action::Help => "help",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Streams => "Streams view",
            Action::Log => "Log view (global, by position)",
            Action::TimeTravel => "Time travel: a stream version by version",
            Action::Snapshots => "Snapshots view",
            Action::Previous => "previous version; earlier moment (as-of)",
            Action::Next => "next version; later moment (as-of)",
            Action::JumpTime => "jump to a time",
            Action::Play => "play / pause through the versions",
            Action::Faster => "play faster",
            Action::Slower => "play slower",
            Action::Compare => "compare: mark this version (again: end)",
            Action::Build => "build the selected stream's snapshots",
            Action::BuildAll => "build every stream's snapshots",
            Action::Verify => "verify the selected stream's snapshots",
            Action::VerifyAll => "verify every snapshot (Esc cancels)",
            Action::Compose => "append an event (the composer)",
            Action::Workbench => "Projections workbench",
            Action::Run => "run the projection (after a fault: resume)",
            Action::Save => "save the script",
            Action::Pause => "pause / resume the run",
            Action::Step => "step one event",
            Action::StepBack => "step back one event",
            Action::Skip => "after a fault: skip the event, run on",
            Action::MoveCheckpoint => "move the checkpoint (:from P)",
            Action::Up => "previous row",
            Action::Down => "next row",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::First => "first row",
            Action::Last => "last row",
            Action::Open => "open the selected row; fold a tree node",
            Action::Back => "back",
            Action::Follow => "follow new events live (Log)",
            Action::Cause => "jump to the event that caused this one",
            Action::Copy => "copy the event: JSON, id or stream@version",
            Action::Sort => "sort streams by name / by last activity",
            Action::Filter => "fuzzy-filter the streams (Esc clears)",
            Action::NextPane => "next pane (list / tree)",
            Action::Raw => "the event as a folding tree / raw JSON",
            Action::PrevPane => "previous pane",
            Action::Effect => "jump to the first event this one caused",
            Action::Command => "command line (Tab completes; see README)",
            Action::Help => "this help",
        }
    }

    const ALL: [Action; 44] = [
        Action::Streams,
        Action::Log,
        Action::TimeTravel,
        Action::Snapshots,
        Action::Previous,
        Action::Next,
        Action::JumpTime,
        Action::Play,
        Action::Faster,
        Action::Slower,
        Action::Compare,
        Action::Build,
        Action::BuildAll,
        Action::Verify,
        Action::VerifyAll,
        Action::Compose,
        Action::Workbench,
        Action::Run,
        Action::Save,
        Action::Pause,
        Action::Step,
        Action::StepBack,
        Action::Skip,
        Action::MoveCheckpoint,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::Open,
        Action::Back,
        Action::Follow,
        Action::Cause,
        Action::Effect,
        Action::Copy,
        Action::Sort,
        Action::Filter,
        Action::NextPane,
        Action::PrevPane,
        Action::Raw,
        Action::Command,
        Action::Help,
        Action::Quit,
    ];
}

/// A key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    /// `q`, `G`, `?`, `enter`, `esc`, `tab`, `up`, `pgdn`, `ctrl-c`, ...
    pub fn parse(text: &str) -> Result<Key, String> {
        let (modifiers, name) = match text.strip_prefix("ctrl-") {
            Some(rest) => (KeyModifiers::CONTROL, rest),
            None => (KeyModifiers::NONE, text),
        };
        let code = match name {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            one if one.chars().count() == 1 => KeyCode::Char(one.chars().next().expect("one char")),
            other => return Err(format!("unknown key {other:?}")),
        };
        Ok(Key { code, modifiers })
    }

    fn label(self) -> String {
        let name = match self.code {
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "Shift-Tab".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{name}")
        } else {
            name
        }
    }
}

pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCode::*;
        let bindings = vec![
            (Key::plain(Char('1')), Action::Streams),
            (Key::plain(Char('2')), Action::Log),
            (Key::plain(Char('3')), Action::TimeTravel),
            (Key::plain(Char('4')), Action::Snapshots),
            (Key::plain(Left), Action::Previous),
            (Key::plain(Char('h')), Action::Previous),
            (Key::plain(Right), Action::Next),
            (Key::plain(Char('l')), Action::Next),
            (Key::plain(Char('t')), Action::JumpTime),
            (Key::plain(Char('p')), Action::Play),
            (Key::plain(Char('+')), Action::Faster),
            (Key::plain(Char('-')), Action::Slower),
            (Key::plain(Char('c')), Action::Compare),
            (Key::plain(Char('b')), Action::Build),
            (Key::plain(Char('B')), Action::BuildAll),
            (Key::plain(Char('v')), Action::Verify),
            (Key::plain(Char('V')), Action::VerifyAll),
            (Key::plain(Char('a')), Action::Compose),
            (Key::plain(Char('5')), Action::Workbench),
            (Key::ctrl('r'), Action::Run),
            (Key::ctrl('s'), Action::Save),
            (Key::plain(Char(' ')), Action::Pause),
            (Key::plain(Char('n')), Action::Step),
            (Key::plain(Char('N')), Action::StepBack),
            (Key::plain(Char('x')), Action::Skip),
            (Key::plain(Char('m')), Action::MoveCheckpoint),
            (Key::plain(Char('k')), Action::Up),
            (Key::plain(Up), Action::Up),
            (Key::plain(Char('j')), Action::Down),
            (Key::plain(Down), Action::Down),
            (Key::plain(PageUp), Action::PageUp),
            (Key::ctrl('u'), Action::PageUp),
            (Key::plain(PageDown), Action::PageDown),
            (Key::ctrl('d'), Action::PageDown),
            (Key::plain(Char('g')), Action::First),
            (Key::plain(Home), Action::First),
            (Key::plain(Char('G')), Action::Last),
            (Key::plain(End), Action::Last),
            (Key::plain(Enter), Action::Open),
            (Key::plain(Esc), Action::Back),
            (Key::plain(Char('f')), Action::Follow),
            (Key::plain(Char(':')), Action::Command),
            (Key::plain(Char('[')), Action::Cause),
            (Key::plain(Char('y')), Action::Copy),
            (Key::plain(Char('s')), Action::Sort),
            (Key::plain(Char('/')), Action::Filter),
            (Key::plain(Tab), Action::NextPane),
            (Key::plain(BackTab), Action::PrevPane),
            (Key::plain(Char('r')), Action::Raw),
            (Key::plain(Char(']')), Action::Effect),
            (Key::plain(Char('?')), Action::Help),
            (Key::plain(Char('q')), Action::Quit),
            (Key::ctrl('c'), Action::Quit),
        ];
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with config's `[keys]` (action name -> key) applied: the named action's
    /// first default key is replaced.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, String> {
        let mut keymap = Keymap::default();
        for (name, key) in overrides {
            let action = Action::ALL
                .into_iter()
                .find(|a| a.name() == name)
                .ok_or_else(|| format!("[keys]: unknown action {name:?}"))?;
            let key = Key::parse(key).map_err(|e| format!("[keys] {name}: {e}"))?;
            // The key now means this action only.
            keymap.bindings.retain(|(k, a)| *k != key || *a == action);
            match keymap.bindings.iter().position(|(_, a)| *a == action) {
                Some(slot) => keymap.bindings[slot].0 = key,
                None => keymap.bindings.push((key, action)),
            }
        }
        Ok(keymap)
    }

    pub fn action(&self, event: KeyEvent) -> Option<Action> {
        // Shifted letters arrive with SHIFT set; the binding names the letter itself.
        let modifiers = event.modifiers - KeyModifiers::SHIFT;
        self.bindings
            .iter()
            .find(|(key, _)| key.code == event.code && key.modifiers == modifiers)
            .map(|(_, action)| *action)
    }

    /// The key the footer shows for `action`: `usual` while it is still bound to it, else
    /// the first key bound now (a `[keys]` remap), or "" when none is.
    pub fn shown_key(&self, action: Action, usual: &str) -> String {
        let mut bound = self.bindings.iter().filter(|(_, a)| *a == action);
        if bound.clone().any(|(k, _)| k.label() == usual) {
            return usual.to_owned();
        }
        bound.next().map(|(k, _)| k.label()).unwrap_or_default()
    }

    /// (keys, description) for every action, in help order.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        self.help_for(|_| true)
    }

    /// (keys, description) for the actions `applies` picks (a view's keys).
    pub fn help_for(&self, applies: impl Fn(Action) -> bool) -> Vec<(String, &'static str)> {
        Action::ALL
            .into_iter()
            .filter(|a| applies(*a))
            .map(|action| {
                let keys: Vec<String> = self
                    .bindings
                    .iter()
                    .filter(|(_, a)| *a == action)
                    .map(|(k, _)| k.label())
                    .collect();
                (keys.join(" "), action.describe())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn defaults_and_overrides() {
        let keymap = Keymap::default();
        assert_eq!(keymap.action(press(KeyCode::Char('q'))), Some(Action::Quit));
        assert_eq!(
            keymap.action(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Last)
        );
        let overrides = BTreeMap::from([("quit".to_owned(), "x".to_owned())]);
        let keymap = Keymap::with_overrides(&overrides).unwrap();
        assert_eq!(keymap.action(press(KeyCode::Char('x'))), Some(Action::Quit));
        assert_eq!(keymap.action(press(KeyCode::Char('q'))), None);
        assert!(
            keymap
                .help()
                .iter()
                .any(|(keys, what)| keys.starts_with('x') && *what == "quit")
        );
        assert!(
            Keymap::with_overrides(&BTreeMap::from([("fly".to_owned(), "x".to_owned())])).is_err()
        );
    }
}
