//! The keys: one table that both dispatches keys and writes the `?` help, so the help can
//! never disagree with what a key does. Remappable in config.toml's `[keys]`.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Declares `Action` from one table: each action's variant, the name config.toml's
/// `[keys]` uses, and the help's description. The order is the help's order.
macro_rules! actions {
    ($($variant:ident => $name:literal, $describe:literal;)*) => {
        /// Something a key does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The name config.toml's `[keys]` uses.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// What the help says it does.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Action::$variant => $describe,)*
                }
            }
        }
    };
}

actions! {
    Streams => "streams", "Streams view";
    Log => "log", "Log view (global, by position)";
    TimeTravel => "time_travel", "Time travel: a stream version by version";
    Snapshots => "snapshots", "Snapshots view";
    Workbench => "workbench", "Projections workbench";
    Types => "types", "Types view: every event type and its shape";
    Health => "health", "Health view: the doctor's findings";
    Refresh => "refresh", "read again (new events, the rules once more)";
    Previous => "previous", "previous version; earlier moment (as-of)";
    Next => "next", "next version; later moment (as-of)";
    JumpTime => "jump_time", "jump to a time";
    Play => "play", "play / pause through the versions";
    Faster => "faster", "play faster";
    Slower => "slower", "play slower";
    Compare => "compare", "compare: mark this version (again: end)";
    Build => "build", "build the selected stream's snapshots";
    BuildAll => "build_all", "build every stream's snapshots";
    Verify => "verify", "verify the selected stream's snapshots";
    VerifyAll => "verify_all", "verify every snapshot (Esc cancels)";
    Compose => "compose", "append an event (the composer)";
    Run => "run", "run the projection (after a fault: resume)";
    Save => "save", "save the script";
    Undo => "undo", "undo the last edit";
    Redo => "redo", "redo the edit undone";
    Pause => "pause", "pause / resume the run";
    Step => "step", "step one event";
    StepBack => "step_back", "step back one event";
    Skip => "skip", "after a fault: skip the event, run on";
    MoveCheckpoint => "move_checkpoint", "move the checkpoint (:from P)";
    Up => "up", "previous row";
    Down => "down", "next row";
    PageUp => "page_up", "page up";
    PageDown => "page_down", "page down";
    First => "first", "first row";
    Last => "last", "last row";
    Open => "open", "open the selected row; fold a tree node";
    Edit => "edit", "edit the script";
    Back => "back", "back where you came from";
    Follow => "follow", "follow new events live";
    Cause => "cause", "jump to the event that caused this one";
    Effect => "effect", "jump to an event this one caused";
    Copy => "copy", "copy the event: JSON, id, stream@version, path";
    Sort => "sort", "sort streams by name / by last activity";
    Filter => "filter", "filter the list (stream ids, partitions); search the script";
    NextPane => "next_pane", "next pane";
    PrevPane => "previous_pane", "previous pane";
    Raw => "raw", "the event as a folding tree / raw JSON";
    Command => "command", "command line (Tab completes)";
    Help => "help", "this help";
    Quit => "quit", "quit";
}

impl Action {
    /// Whether the action's key still acts while text is being typed (the workbench's
    /// editor): keys that type no character do, so `q` types a q but Ctrl-s saves.
    pub fn acts_while_typing(self) -> bool {
        matches!(
            self,
            Action::Run | Action::Save | Action::Undo | Action::Redo | Action::Back | Action::Quit
        )
    }
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
            (Key::plain(Char('6')), Action::Types),
            (Key::plain(Char('7')), Action::Health),
            (Key::plain(Char('R')), Action::Refresh),
            (Key::ctrl('r'), Action::Run),
            (Key::ctrl('s'), Action::Save),
            (Key::ctrl('z'), Action::Undo),
            (Key::ctrl('y'), Action::Redo),
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
            (Key::plain(Char('i')), Action::Edit),
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
                .iter()
                .copied()
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

    /// Every key bound to `action`, as the help shows them ("" for none).
    pub fn keys_for(&self, action: Action) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.label())
            .collect();
        keys.join(" ")
    }

    /// (keys, description) for every action, in help order.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        self.help_for(|_| true)
    }

    /// (keys, description) for the actions `applies` picks (a view's keys).
    pub fn help_for(&self, applies: impl Fn(Action) -> bool) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| applies(*a))
            .map(|action| (self.keys_for(action), action.describe()))
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
