//! Time travel and snapshots in the real binary, in a real terminal (tmux), on the demo
//! store: scrubbing, the patch against `rewind state --diff`, a jump to a time, and
//! verify showing drift after a snapshot was altered by plain SQL.

mod common;

use common::tmux::Tmux;
use common::{Sandbox, json_lines, run};

fn demo() -> Sandbox {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    s
}

/// The version line of the time-travel view, e.g. "v3 of 17".
fn at(version: u64, last: u64) -> String {
    format!("v{version} of {last}")
}

#[test]
fn scrub_a_stream_see_each_patch_and_jump_to_a_time() {
    let s = demo();
    let (_, out, _) = run(s.rewind(&["read", "Account-1"]));
    let events = json_lines(&out);
    let last = events.len() as u64;
    assert!(last >= 4, "Account-1 has {last} events");

    // Tall enough for the demo reducer's whole patch (its history shifts five lines).
    let tui = Tmux::start_sized(&s, &[], true, "", (140, 50));
    tui.expect("Account-1 ");
    tui.keys(&[":", "stream Account-1", "Enter"]);
    tui.expect("Version");
    // 3 on a stream's event: time travel at that event's version (the first).
    tui.keys(&["3"]);
    let first = tui.expect(&at(1, last));
    assert!(first.contains("state at v1"), "{first}");

    // Forward and back: the state and the version follow.
    tui.keys(&["Right", "Right"]);
    let third = tui.expect(&at(3, last));
    tui.keys(&["Left"]);
    let second = tui.expect(&at(2, last));
    assert!(second.contains("state at v2") && third.contains("state at v3"));

    // The patch shown for a version is `rewind state --diff` for it.
    for version in [2, 3, last] {
        tui.keys(&[":", &format!("version {version}"), "Enter"]);
        let screen = tui.expect(&at(version, last));
        let v = version.to_string();
        let (code, out, err) = run(s.rewind(&["state", "Account-1", "--at-version", &v, "--diff"]));
        assert_eq!(code, 0, "{err}");
        let patch = json_lines(&out)[0]["patch"].as_array().unwrap().clone();
        assert!(!patch.is_empty());
        for op in patch {
            let sign = match op["op"].as_str().unwrap() {
                "add" => "+",
                "remove" => "-",
                _ => "~",
            };
            let line = format!("{sign} {}", op["path"].as_str().unwrap());
            assert!(
                screen.contains(&line),
                "v{version}: {line:?} from `state --diff` not on screen:\n{screen}"
            );
        }
    }

    // g / G: the first and the last version.
    tui.keys(&["g"]);
    tui.expect(&at(1, last));
    tui.keys(&["G"]);
    tui.expect(&at(last, last));

    // t: a time. The moment of event 2 lands on version 2 (or later events that share it).
    let time = events[1]["recorded_at"].as_str().unwrap();
    tui.keys(&["t", time, "Enter"]);
    let screen = tui.expect("state at v");
    let expected = events
        .iter()
        .filter(|e| e["recorded_at"].as_str().unwrap() <= time)
        .count() as u64;
    tui.expect(&at(expected, last));
    assert!(!screen.contains("error"), "{screen}");

    // Another process appends to the stream: the view reacts (at the latest, it moves on).
    tui.keys(&["G"]);
    tui.expect(&at(last, last));
    let (code, _, err) =
        run(s.rewind(&["append", "Account-1", "Noted", "--data", "{\"seen\":true}"]));
    assert_eq!(code, 0, "{err}");
    let screen = tui.expect(&at(last + 1, last + 1));
    // (The demo's account reducer keeps no `seen`: the new event is what shows.)
    assert!(
        screen.contains(&format!("event v{}: Noted", last + 1))
            && screen.contains("\"seen\": true"),
        "{screen}"
    );
    tui.keys(&["q"]);
}

#[test]
fn verify_in_the_snapshots_view_shows_drift_made_by_sql() {
    let s = demo();
    let (code, _, err) = run(s.rewind(&["snapshot", "build", "Account-1", "--every", "2"]));
    assert_eq!(code, 0, "{err}");
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let changed = conn
        .execute(
            "UPDATE snapshots SET state = '{\"tampered\":true}' WHERE stream_id = 'Account-1' AND version = 2",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    // Tall enough for the whole drift patch (the demo reducer's state has ten keys).
    let tui = Tmux::start_sized(&s, &[], true, "", (120, 60));
    tui.expect("Account-1 ");
    tui.keys(&["4"]);
    let listed = tui.expect("Account-1");
    // A demo store folds with the demo's own reducer, config or not.
    assert!(
        listed.contains("Snapshots") && listed.contains("account@"),
        "{listed}"
    );
    tui.keys(&["V"]);
    tui.expect("drifted");
    // Wait for the whole report (a capture can catch the terminal mid-redraw): the patch
    // from the stored snapshot to the replayed state removes the tampered key.
    let screen = tui.expect("- /tampered");
    assert!(screen.contains("DRIFT Account-1@2"), "{screen}");
    tui.keys(&["q"]);
}

#[test]
fn the_composer_shows_a_stale_expected_version_as_a_conflict_and_writes_nothing() {
    let s = demo();
    let count = |s: &Sandbox| json_lines(&run(s.rewind(&["read", "Account-1"])).1).len();
    let before = count(&s);
    let tui = Tmux::start(&s, &[], true, "");
    tui.expect("Account-1 ");
    tui.keys(&["a"]);
    tui.expect("Append an event");
    // The expected version is prefilled with the stream's.
    let current = before.to_string();
    let screen = tui.expect(&format!("│{current} "));
    assert!(screen.contains("Account-1"), "{screen}");
    tui.keys(&["Noted", "Tab"]);
    for _ in 0..current.len() {
        tui.keys(&["BSpace"]);
    }
    let stale = (before - 1).to_string();
    tui.keys(&[&stale, "Tab", "\"note\": \"from the composer\"", "C-s"]);
    let screen = tui.expect("CONCURRENCY CONFLICT");
    assert!(
        screen.contains(&format!("expected version {stale}")),
        "{screen}"
    );
    assert_eq!(count(&s), before, "a conflict writes nothing");

    // With the current version it goes through, and says where.
    tui.keys(&["BTab"]);
    for _ in 0..stale.len() {
        tui.keys(&["BSpace"]);
    }
    tui.keys(&[&current, "C-s"]);
    tui.expect("appended Noted to Account-1@");
    assert_eq!(count(&s), before + 1);
    let (_, out, _) = run(s.rewind(&["read", "Account-1", "--backward", "--limit", "1"]));
    assert_eq!(
        json_lines(&out)[0]["data"],
        serde_json::json!({"note": "from the composer"})
    );
    tui.keys(&["q"]);
}

/// An event appended by the composer shows in the open stream at once (issue 16, bug 10:
/// only after `f`).
#[test]
fn a_composed_event_shows_in_the_open_stream() {
    let s = demo();
    let before = json_lines(&run(s.rewind(&["read", "Account-1"])).1).len();
    // Tall enough for the demo reducer's whole patch (its history shifts five lines).
    let tui = Tmux::start_sized(&s, &[], true, "", (140, 50));
    tui.expect("Account-1 ");
    tui.keys(&[":", "stream Account-1", "Enter"]);
    tui.expect("Version");
    tui.keys(&["G"]);
    tui.keys(&["a"]);
    tui.expect("Append an event");
    tui.keys(&["Noted", "Tab", "Tab", "\"note\": \"composed\"", "C-s"]);
    tui.expect("appended Noted to Account-1@");
    tui.expect(&format!("Noted @ {}", before + 1));
    tui.keys(&["q"]);
}
