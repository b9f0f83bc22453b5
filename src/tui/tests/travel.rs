//! Render tests of the time-travel, as-of and snapshots views: the app fed messages by
//! hand (no store), drawn on ratatui's TestBackend, asserted on the buffer's text.

use std::time::Duration;

use crossterm::event::KeyCode;
use serde_json::json;

use super::{app, command_line, event, failure, press, screen, type_text};
use crate::replay::{Drift, Target};
use crate::store::SnapshotInfo;
use crate::tui::app::{App, Msg};
use crate::tui::io::{AsOfRow, JobKind, JobProgress, JobReport, Response, TravelFrame};
use crate::tui::screens::ScreenId;

fn frame(version: u64, state: serde_json::Value, patch: serde_json::Value) -> TravelFrame {
    TravelFrame {
        saved_snapshots: 0,
        stream_id: "Account-1".into(),
        version,
        last: 42,
        state,
        event: (version > 0).then(|| event(100 + version, "Account-1", version, "MoneyDeposited")),
        patch: serde_json::from_value(patch).unwrap(),
        snapshot_version: Some(version / 10 * 10).filter(|v| *v > 0),
        replayed: version % 10,
        reducer: "account@1a2b3c4d".into(),
        elapsed: Duration::from_micros(1500),
        timeline: (1..=12)
            .map(|v| event(100 + v, "Account-1", v, "MoneyDeposited"))
            .collect(),
    }
}

/// The app on the time-travel view of Account-1, its first step answered.
fn travelling() -> App {
    let mut app = app();
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.screen, ScreenId::TimeTravel);
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Ok(Box::new(frame(
            12,
            json!({"balance": 120, "owner": "ada"}),
            json!([{"op": "replace", "path": "/balance", "value": 120}]),
        ))),
    )));
    app
}

#[test]
fn time_travel_shows_state_event_patch_and_timeline() {
    let app = travelling();
    let text = screen(&app);
    for expected in [
        "3 Time travel",
        "Account-1 · v12 of 42",
        "from snapshot v10 · replayed 2",
        "reducer account@1a2b3c4d",
        "state at v12",
        "balance",
        "120",
        "event v12: MoneyDeposited",
        "what v12 changed",
        "~ /balance = 120",
        "▶    12 MoneyDeposited",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

#[test]
fn arrows_step_one_version_at_a_time_and_the_newest_wins() {
    let mut app = travelling();
    press(&mut app, KeyCode::Right);
    let view = app.screens.travel.as_ref().unwrap();
    let first = view.in_flight.expect("a step asked for");
    assert_eq!(view.wanted, Target::Version(13));
    // Two more presses while the step is in flight queue one target, not two folds.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    let view = app.screens.travel.as_ref().unwrap();
    assert_eq!(view.in_flight, Some(first));
    assert_eq!(view.queued, Some(Target::Version(15)));
    // The answer for 13 arrives; 15 goes out next.
    app.update(Msg::Io(Response::Travel(
        first,
        Ok(Box::new(frame(13, json!({"balance": 130}), json!([])))),
    )));
    let view = app.screens.travel.as_ref().unwrap();
    assert_eq!(view.version(), 13);
    assert!(view.in_flight.is_some_and(|g| g != first));
    assert_eq!(view.wanted, Target::Version(15));
    let text = screen(&app);
    assert!(
        text.contains("v13 of 42") && text.contains("(no change)"),
        "{text}"
    );
    // A stale answer is dropped.
    app.update(Msg::Io(Response::Travel(
        first,
        Ok(Box::new(frame(1, json!({}), json!([])))),
    )));
    assert_eq!(app.screens.travel.as_ref().unwrap().version(), 13);
}

#[test]
fn commands_and_keys_jump_to_versions_and_times() {
    let mut app = travelling();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "version 7");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Version(7)
    );
    let mut app = travelling();
    press(&mut app, KeyCode::Char('t'));
    assert_eq!(command_line(&app), Some("time "));
    type_text(&mut app, "2026-01-15");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Time(_)
    ));
    let mut app = travelling();
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.screens.travel.as_ref().unwrap().wanted, Target::Latest);
}

#[test]
fn compare_shows_two_versions_side_by_side_with_their_patch() {
    let mut app = travelling();
    press(&mut app, KeyCode::Char('c'));
    press(&mut app, KeyCode::Char('g'));
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Ok(Box::new(frame(1, json!({"owner": "ada"}), json!([])))),
    )));
    let text = screen(&app);
    for expected in ["v12 (marked)", "state at v1", "v12 → v1", "- /balance"] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    press(&mut app, KeyCode::Char('c'));
    assert!(!screen(&app).contains("(marked)"));
}

#[test]
fn play_steps_on_ticks_and_stops_at_the_end() {
    let mut app = travelling();
    press(&mut app, KeyCode::Char('p'));
    for _ in 0..4 {
        press(&mut app, KeyCode::Char('+'));
    }
    assert!(screen(&app).contains("▶ playing every 50 ms"));
    std::thread::sleep(Duration::from_millis(60));
    app.update(Msg::Tick);
    assert_eq!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Version(13)
    );
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Ok(Box::new(TravelFrame {
            last: 13,
            ..frame(13, json!({}), json!([]))
        })),
    )));
    std::thread::sleep(Duration::from_millis(60));
    app.update(Msg::Tick);
    assert!(
        !app.screens.travel.as_ref().unwrap().playing,
        "stops at the last version"
    );
}

#[test]
fn a_failed_step_is_shown_and_the_keys_keep_working() {
    let mut app = travelling();
    press(&mut app, KeyCode::Right);
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Err(failure("reducer threw at line 3")),
    )));
    assert!(screen(&app).contains("reducer threw at line 3"));
    press(&mut app, KeyCode::Left);
    assert!(app.screens.travel.as_ref().unwrap().in_flight.is_some());
}

#[test]
fn as_of_lists_each_stream_at_the_moment_and_moves_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "asof Account 2026-03-01");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, ScreenId::AsOf);
    let generation = app.screens.as_of.as_ref().unwrap().list.generation;
    app.update(Msg::Io(Response::AsOf(
        generation,
        Ok(vec![
            AsOfRow {
                stream_id: "Account-1".into(),
                version: 4,
                state: r#"{"balance":40}"#.into(),
            },
            AsOfRow {
                stream_id: "Account-2".into(),
                version: 0,
                state: "{}".into(),
            },
        ]),
    )));
    let text = screen(&app);
    for expected in [
        "Account streams as of 2026-03-01 00:00:00 UTC",
        "Account-1",
        r#"{"balance":40}"#,
        "Account-2",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    press(&mut app, KeyCode::Right);
    assert!(screen(&app).contains("as of 2026-03-02"));
    assert!(app.screens.as_of.as_ref().unwrap().list.generation > generation);
    // Enter opens the selected stream in time travel at its version then.
    let generation = app.screens.as_of.as_ref().unwrap().list.generation;
    app.update(Msg::Io(Response::AsOf(
        generation,
        Ok(vec![AsOfRow {
            stream_id: "Account-1".into(),
            version: 5,
            state: "{}".into(),
        }]),
    )));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Version(5)
    );
}

fn snapshot(stream: &str, version: u64) -> SnapshotInfo {
    SnapshotInfo {
        stream_id: stream.into(),
        version,
        reducer: "account@1a2b3c4d".into(),
        created_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        bytes: 1234,
    }
}

#[test]
fn snapshots_view_lists_builds_with_progress_and_shows_drift() {
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.screen, ScreenId::Snapshots);
    let generation = app.screens.snapshots.list.generation;
    app.update(Msg::Io(Response::SnapshotRows(
        generation,
        vec![snapshot("Account-1", 100), snapshot("Account-1", 200)],
    )));
    let text = screen(&app);
    for expected in [
        "4 Snapshots",
        "Account-1",
        "200",
        "account@1a2b3c4d",
        "5m",
        "1,234 B",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    // A job's progress (no fetcher here: set by hand, as the job's messages would).
    app.screens.snapshots.job = Some(crate::tui::screens::snapshots::Job {
        label: "verifying every snapshot".into(),
        progress: JobProgress {
            done: 0,
            total: 0,
            streams_per_second: 0.0,
        },
        cancel: Default::default(),
    });
    app.update(Msg::Io(Response::JobProgress(JobProgress {
        done: 3,
        total: 12,
        streams_per_second: 1.5,
    })));
    let text = screen(&app);
    assert!(
        text.contains("verifying every snapshot · Esc cancels"),
        "{text}"
    );
    assert!(
        text.contains("3 / 12 streams · 1 streams/s · ETA 6 s"),
        "{text}"
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        app.screens
            .snapshots
            .job
            .as_ref()
            .unwrap()
            .cancel
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    app.update(Msg::Io(Response::JobDone(Ok(JobReport {
        kind: JobKind::Verify,
        stream: None,
        streams: 1,
        snapshots: 2,
        cancelled: false,
        seconds: 0.0,
        drifts: vec![Drift {
            stream_id: "Account-1".into(),
            version: 200,
            reducer: "account@1a2b3c4d".into(),
            path: "/balance".into(),
            snapshot: json!({"balance": 999}),
            replayed: json!({"balance": 200}),
        }],
    }))));
    let text = screen(&app);
    for expected in [
        "1 drifted",
        "DRIFT Account-1@200",
        "first differs at /balance",
        "~ /balance = 200",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

/// `:version` past the end (issue 16, bug 9) says so and stays; the next ← moves from the
/// version shown, as does one after a failed step.
#[test]
fn a_version_past_the_end_leaves_the_cursor_where_it_was() {
    let mut app = travelling();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "version 99999");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("v99999 is past the end of Account-1 (last v42)"));
    assert!(
        app.screens.travel.as_ref().unwrap().in_flight.is_none(),
        "nothing asked"
    );
    press(&mut app, KeyCode::Left);
    assert_eq!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Version(11)
    );
    // A step that fails (the stream shrank under a filter, say) leaves moves relative to
    // what is shown.
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Err(failure("version 11 is past the end")),
    )));
    press(&mut app, KeyCode::Left);
    assert_eq!(
        app.screens.travel.as_ref().unwrap().wanted,
        Target::Version(11)
    );
}

/// While a fold runs the scrubber says so; a step that saved snapshots says how many.
#[test]
fn a_running_fold_says_computing_and_saved_snapshots_show() {
    let mut app = app();
    press(&mut app, KeyCode::Char('3'));
    assert!(screen(&app).contains("computing the state…"));
    let generation = app.screens.travel.as_ref().unwrap().in_flight.unwrap();
    app.update(Msg::Io(Response::Travel(
        generation,
        Ok(Box::new(TravelFrame {
            saved_snapshots: 4,
            ..frame(12, json!({"balance": 120}), json!([]))
        })),
    )));
    let text = screen(&app);
    assert!(
        text.contains("saved 4 snapshots") && !text.contains("computing"),
        "{text}"
    );
    press(&mut app, KeyCode::Left);
    assert!(screen(&app).contains("computing…"));
}

/// A snapshot job's summary names the stream, and says when nothing new was written.
#[test]
fn snapshot_summaries_name_the_stream() {
    let report = |stream: Option<&str>, streams, snapshots| JobReport {
        kind: JobKind::Build,
        stream: stream.map(str::to_owned),
        streams,
        snapshots,
        drifts: vec![],
        cancelled: false,
        seconds: 2.0,
    };
    assert_eq!(
        report(Some("Account-1"), 1, 3).summary(),
        "built 3 snapshots of Account-1"
    );
    assert_eq!(
        report(Some("Account-7"), 1, 0).summary(),
        "built no new snapshots of Account-7: each is shorter than the snapshot spacing"
    );
    assert_eq!(
        report(None, 500, 40).summary(),
        "built 40 snapshots of 500 streams in 2.0 s (250 streams/s)"
    );
}
