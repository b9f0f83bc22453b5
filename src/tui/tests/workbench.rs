//! Render tests of the projection workbench: fed keys and a run's reports by hand.

use crossterm::event::KeyCode;
use serde_json::json;

use super::{app, press, screen, screen_sized, type_text};
use crate::tui::app::Msg;
use crate::tui::io::Response;
use crate::tui::io::session::{Fault, RunFigures, RunStatus, Update};
use crate::tui::screens::ScreenId;

/// A step over `event` that took a count from 6 to 7.
fn step_of(event: crate::store::RecordedEvent) -> crate::projection::StepReport {
    crate::projection::StepReport {
        event,
        partition: None,
        before: json!({"count": 6}),
        after: json!({"count": 7}),
        diff: json_patch::diff(&json!({"count": 6}), &json!({"count": 7})),
        handled: true,
    }
}

#[test]
fn the_workbench_edits_runs_and_shows_status_result_and_faults() {
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.screen, ScreenId::Workbench);
    let text = screen(&app);
    for expected in [
        "5 Workbench",
        " 1 // Counts every event by type.",
        " 2 fromAll()",
        "Enter edits",
        "not running",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    // It opens in normal mode: Enter edits, and then keys type (q and digits too); Esc
    // leaves the editor, and q is a view key again.
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("editing"));
    type_text(&mut app, "q5");
    assert!(!app.quit && app.screen == ScreenId::Workbench);
    assert!(
        app.screens
            .workbench
            .as_ref()
            .unwrap()
            .text()
            .starts_with("q5//")
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        screen(&app).contains("* · Enter edits"),
        "dirty and not editing"
    );

    // A partitioned run's reports.
    let generation = app.screens.workbench.as_ref().unwrap().generation;
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Status(RunFigures {
            status: RunStatus::CaughtUp,
            position: 3000,
            head: 3000,
            processed: 3000,
            events_per_second: 250_000.0,
            eta_seconds: None,
            partitioned: true,
            checkpoint: 2816,
        }),
    )));
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Result(json!({"Account-1": {"balance": 10}, "Account-2": {"balance": 20}})),
    )));
    let text = screen(&app);
    for expected in [
        "caught up (following live)",
        "position   3000 / head 3000",
        "250,000 events/s",
        "partitions 2",
        "at 2816",
        "Result · 2 of 2 partitions",
        "▶ Account-1",
        "  Account-2",
        "balance: 10",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    press(&mut app, KeyCode::Right);
    assert!(screen(&app).contains("balance: 20"));
    // `/` filters the partition keys; the selection stays on a key still listed.
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "t-2");
    let text = screen_sized(&app, 160, 30);
    assert!(
        text.contains("1 of 2 partitions matching \"t-2\""),
        "{text}"
    );
    assert!(
        text.contains("▶ Account-2") && !text.contains("Account-1 "),
        "{text}"
    );
    assert!(text.contains("balance: 20"), "{text}");
    type_text(&mut app, "x");
    assert!(screen_sized(&app, 160, 30).contains("no partition matches"));
    press(&mut app, KeyCode::Esc);
    assert!(screen_sized(&app, 160, 30).contains("2 of 2 partitions"));

    // A fault: at its line, with the event, and the recovery keys.
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Fault(Fault {
            message: "Error: no notes".into(),
            line: Some(3),
            column: Some(7),
            position: Some(3001),
            event: Some("Account-1@44".into()),
        }),
    )));
    let text = screen(&app);
    for expected in [
        "FAULT at line 3, column 7 · event Account-1@44 at position",
        "x skip event",
        "faulted",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert_eq!(
        app.screens.workbench.as_ref().unwrap().resume_point(),
        Some(3000)
    );
    // The editor's cursor went to the faulting line.
    assert_eq!(app.screens.workbench.as_ref().unwrap().editor.cursor().0, 2);
}

#[test]
fn templates_and_breakpoints_from_the_command_line() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "new partition");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("partitionBy"));
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "break OrderPlaced");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "breakif e.data.total > 100");
    press(&mut app, KeyCode::Enter);
    let text = screen(&app);
    assert!(
        text.contains("breaks     OrderPlaced, if e.data.total > 100"),
        "{text}"
    );
}

/// `q`, Ctrl-c and `:q` keep a workbench with unsaved edits open, and so do `:open` and
/// `:new` (which would replace it): each says how to save or discard, in the status line
/// and in `:messages`. `:q!` discards and quits; `:open!` replaces.
#[test]
fn unsaved_edits_are_not_dropped() {
    use crossterm::event::{Event, KeyEvent, KeyModifiers};
    let ctrl_c = || {
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    };
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "// mine");
    // Ctrl-c in the editor.
    app.update(ctrl_c());
    assert!(!app.quit, "Ctrl-c in the editor with unsaved edits");
    assert!(screen(&app).contains("unsaved changes (:w saves, :q! discards)"));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "q with unsaved edits");
    app.update(ctrl_c());
    assert!(!app.quit, "Ctrl-c outside the editor");
    for command in ["q", "open other.js", "new partition"] {
        press(&mut app, KeyCode::Char(':'));
        type_text(&mut app, command);
        press(&mut app, KeyCode::Enter);
        assert!(!app.quit, ":{command}");
        assert!(
            app.screens
                .workbench
                .as_ref()
                .unwrap()
                .text()
                .starts_with("// mine"),
            ":{command} kept the edits"
        );
        assert!(screen(&app).contains("unsaved changes"), ":{command}");
    }
    assert!(
        app.messages
            .iter()
            .filter(|m| m.contains("unsaved"))
            .count()
            >= 5,
        "kept in :messages: {:?}",
        app.messages
    );
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "new! partition");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("partitionBy"), ":new! replaces");
    // A fresh template is not an edit: q quits.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);

    let mut app = super::app();
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Char('i'));
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "q!");
    press(&mut app, KeyCode::Enter);
    assert!(app.quit, ":q! discards");
}

/// After `N` the step pane no longer shows the undone step (issue 16, bug 14): it says
/// what was undone and where the state is now.
#[test]
fn the_step_pane_follows_a_step_back() {
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    let generation = app.screens.workbench.as_ref().unwrap().generation;
    let step = step_of(super::event(7, "Account-1", 3, "MoneyDeposited"));
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Step(Box::new(step)),
    )));
    assert!(screen(&app).contains("Account-1@3"), "{}", screen(&app));
    app.update(Msg::Io(Response::Run(
        generation,
        Update::SteppedBack { undone: 7, now: 6 },
    )));
    let text = screen(&app);
    assert!(
        text.contains("stepped back: undid the event at position 7"),
        "{text}"
    );
    assert!(text.contains("as after position 6"), "{text}");
    assert!(
        !text.contains("Account-1@3"),
        "the undone step is gone: {text}"
    );
}

/// A breakpoint shows the event it stopped before (which `n` folds), and a step shows
/// its patch first, then the states.
#[test]
fn a_breakpoint_shows_its_event_and_a_step_its_patch_first() {
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    let generation = app.screens.workbench.as_ref().unwrap().generation;
    let next = super::event(7, "Order-7", 3, "OrderPlaced");
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Status(RunFigures {
            status: RunStatus::Paused,
            position: 6,
            head: 9,
            processed: 6,
            events_per_second: 0.0,
            eta_seconds: None,
            partitioned: false,
            checkpoint: 0,
        }),
    )));
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Breakpoint(7, Some(Box::new(next))),
    )));
    let text = screen_sized(&app, 180, 40);
    assert!(
        text.contains("stopped at a breakpoint before position 7: Order-7@3 OrderPlaced"),
        "{text}"
    );
    assert!(
        text.contains("next: Order-7@3 OrderPlaced · position 7"),
        "{text}"
    );
    assert!(text.contains("\"amount\": 7"), "the event's data: {text}");

    let step = step_of(super::event(7, "Order-7", 3, "OrderPlaced"));
    app.update(Msg::Io(Response::Run(
        generation,
        Update::Step(Box::new(step)),
    )));
    let text = screen_sized(&app, 180, 40);
    let patch = text.find("~ /count = 7").expect("the patch");
    let before = text.find("before {\"count\":6}").expect("the state before");
    assert!(patch < before, "the patch comes first: {text}");
}

/// The editor's keys go through the keymap: a `[keys]` remap of run works while typing,
/// and the remapped key types no character.
#[test]
fn the_editor_keys_follow_the_keymap() {
    use crossterm::event::{Event, KeyEvent, KeyModifiers};
    let keys = std::collections::BTreeMap::from([("run".to_owned(), "ctrl-e".to_owned())]);
    let mut app = crate::tui::app::App::new(
        crate::tui::keymap::Keymap::with_overrides(&keys).unwrap(),
        Default::default(),
        None,
    );
    app.start();
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "q");
    let ctrl = |c| {
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    };
    app.update(ctrl('e'));
    let view = app.screens.workbench.as_ref().unwrap();
    assert!(
        view.running && !view.editor_focused,
        "Ctrl-e ran the script"
    );
    assert!(view.text().starts_with("q//"), "{}", view.text());
    // Ctrl-z undoes through the keymap too.
    press(&mut app, KeyCode::Enter);
    app.update(ctrl('z'));
    assert!(
        app.screens
            .workbench
            .as_ref()
            .unwrap()
            .text()
            .starts_with("//")
    );
}
