//! Stepping through a projection: step reports, run-to, breakpoints on a type and on a JS
//! predicate, and stepping back to exactly the state a fresh run reaches.

mod common;

use rewind::projection::{Breakpoints, Debugger, Projection, RunOptions, Stop};
use rewind::script::ScriptSource;
use rewind::store::{ExpectedVersion, NewEvent, Store};
use serde_json::{Value, json};

const SCRIPT: &str = "fromAll().foreachStream().when({\n  $init: () => ({ sum: 0 }),\n  Tick: (s, e) => { s.sum += e.data.n; },\n});";

fn source() -> ScriptSource {
    ScriptSource {
        name: "sum.js".into(),
        code: SCRIPT.into(),
    }
}

/// `count` events: Tick n on A-1 (odd n) and B-1 (even n), and a Boom at position 7.
async fn seed(store: &Store, count: u64) {
    for n in 1..=count {
        let stream = if n % 2 == 1 { "A-1" } else { "B-1" };
        let kind = if n == 7 { "Boom" } else { "Tick" };
        store
            .append(
                stream,
                ExpectedVersion::Any,
                vec![NewEvent::new(kind, json!({"n": n}))],
            )
            .await
            .unwrap();
    }
}

async fn fresh_run_to(store: &Store, position: u64) -> Value {
    let options = RunOptions {
        until_position: Some(position),
        ..Default::default()
    };
    Projection::new(store.clone(), source(), options)
        .run(false, |_| {})
        .await
        .unwrap()
        .result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_reports_state_before_after_and_diff() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    seed(&store, 10).await;
    let mut debugger = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    let first = debugger.step().await.unwrap().unwrap();
    assert_eq!(first.event.global_position, 1);
    assert_eq!(first.partition.as_deref(), Some("A-1"));
    assert_eq!(
        (first.before.clone(), first.after.clone()),
        (Value::Null, json!({"sum": 1}))
    );
    assert!(first.handled);
    debugger.step().await.unwrap();
    let third = debugger.step().await.unwrap().unwrap();
    assert_eq!(
        (third.before.clone(), third.after.clone()),
        (json!({"sum": 1}), json!({"sum": 4}))
    );
    let mut before = third.before.clone();
    json_patch::patch(&mut before, &third.diff).unwrap();
    assert_eq!(before, third.after);
    assert_eq!(debugger.position(), 3);
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 3).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_to_and_breakpoints() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    seed(&store, 12).await;
    let mut debugger = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    assert_eq!(debugger.run_to(5).await.unwrap(), Stop::Reached(5));
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 5).await
    );

    debugger
        .set_breakpoints(Breakpoints {
            event_types: vec!["Boom".into()],
            predicate: None,
        })
        .await
        .unwrap();
    assert_eq!(
        debugger.run(None, usize::MAX).await.unwrap(),
        Stop::Breakpoint(7)
    );
    assert_eq!(debugger.position(), 6, "stopped before the Boom event");
    let boom = debugger.step().await.unwrap().unwrap();
    assert_eq!(
        (boom.event.event_type.as_str(), boom.handled),
        ("Boom", false)
    );

    debugger
        .set_breakpoints(Breakpoints {
            event_types: vec![],
            predicate: Some("(s, e) => e.data.n === 10 && s.sum > 0".into()),
        })
        .await
        .unwrap();
    assert_eq!(
        debugger.run(None, usize::MAX).await.unwrap(),
        Stop::Breakpoint(10)
    );
    debugger
        .set_breakpoints(Breakpoints::default())
        .await
        .unwrap();
    assert_eq!(
        debugger.run(None, usize::MAX).await.unwrap(),
        Stop::Head(12)
    );
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 12).await
    );
    assert!(debugger.step().await.unwrap().is_none());

    let bad = debugger
        .set_breakpoints(Breakpoints {
            event_types: vec![],
            predicate: Some("not js (".into()),
        })
        .await;
    assert!(bad.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stepping_back_restores_exactly_the_earlier_state() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    seed(&store, 600).await;
    let mut debugger = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    debugger.run_to(600).await.unwrap();
    for expected in [599, 598, 597] {
        assert_eq!(debugger.step_back().await.unwrap(), Some(expected));
        assert_eq!(
            debugger.result().await.unwrap(),
            fresh_run_to(&store, expected).await,
            "at {expected}"
        );
    }
    // Across an in-memory checkpoint (one is kept every 256 events).
    debugger.run_to(257).await.unwrap_or(Stop::Head(0));
    let mut fresh = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    fresh.run_to(257).await.unwrap();
    for expected in [256, 255, 254] {
        assert_eq!(fresh.step_back().await.unwrap(), Some(expected));
        assert_eq!(
            fresh.result().await.unwrap(),
            fresh_run_to(&store, expected).await,
            "at {expected}"
        );
    }
    // Back to the very start.
    let mut short = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    short.step().await.unwrap();
    assert_eq!(short.step_back().await.unwrap(), Some(0));
    assert_eq!(short.step_back().await.unwrap(), None);
    assert_eq!(short.result().await.unwrap(), json!({}));
}

/// A fault in the middle of a batch leaves the run at the last good event: its position,
/// count and state (issue 16, bug 2); a fixed script goes on from there, not from the
/// start (bug 3), and faults again where it still fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_leaves_the_run_at_the_last_good_event_and_a_fix_goes_on_from_it() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    seed(&store, 10).await;
    let script = |code: &str| ScriptSource {
        name: "count.js".into(),
        code: code.into(),
    };
    // Counts every event, and mutates the state before throwing at position 7.
    let faulty = "fromAll().when({ $init: () => ({ n: 0 }), \
        $any: (s, e) => { s.n += 1; if (e.position === 7) { s.n = 1000; throw new Error('boom'); } } })";
    let mut debugger = Debugger::start(store.clone(), script(faulty), RunOptions::default())
        .await
        .unwrap();
    let err = debugger.run(None, usize::MAX).await.unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(debugger.position(), 6, "the last good event");
    assert_eq!(debugger.folded(), 6);
    assert_eq!(
        debugger.result().await.unwrap(),
        json!({"n": 6}),
        "its state"
    );
    let point = debugger.resume_point().await.unwrap();

    // The fix counts by ten: going on from the last good event gives 6 + 4 × 10.
    let fixed = "fromAll().when({ $init: () => ({ n: 0 }), $any: (s, e) => { s.n += 10; } })";
    let mut resumed = Debugger::resume(
        store.clone(),
        script(fixed),
        RunOptions::default(),
        Some(point.clone()),
    )
    .await
    .unwrap();
    assert!(matches!(
        resumed.run(None, usize::MAX).await.unwrap(),
        Stop::Head(10)
    ));
    assert_eq!(resumed.result().await.unwrap(), json!({"n": 46}));
    assert_eq!(resumed.folded(), 10);

    // A "fix" that still fails there shows that fault again, from the same point.
    let mut again = Debugger::resume(
        store.clone(),
        script(faulty),
        RunOptions::default(),
        Some(point),
    )
    .await
    .unwrap();
    let err = again.run(None, usize::MAX).await.unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert_eq!(again.position(), 6);
}

/// Over a log longer than a read (the debugger reads ahead while it folds, and spaces its
/// checkpoints by their cost): slices of a run, a breakpoint, steps and steps back each
/// leave exactly the state a fresh run reaches, and no event is folded twice or missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_ahead_keeps_every_event_once_across_slices_breaks_and_steps_back() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    let events: Vec<NewEvent> = (1..=5000u64)
        .map(|n| {
            let kind = if n == 4321 { "Mark" } else { "Tick" };
            NewEvent::new(kind, json!({"n": n}))
        })
        .collect();
    for (i, chunk) in events.chunks(1000).enumerate() {
        let stream = if i % 2 == 0 { "A-1" } else { "B-1" };
        store
            .append(stream, ExpectedVersion::Any, chunk.to_vec())
            .await
            .unwrap();
    }
    let mut debugger = Debugger::start(store.clone(), source(), RunOptions::default())
        .await
        .unwrap();
    // Slices of a run, as the workbench's session folds them.
    assert_eq!(debugger.run(None, 1500).await.unwrap(), Stop::Reached(1500));
    assert_eq!(debugger.run(None, 1500).await.unwrap(), Stop::Reached(3000));
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 3000).await
    );
    // A breakpoint on a type: stops before it, the event read and not folded.
    debugger
        .set_breakpoints(Breakpoints {
            event_types: vec!["Mark".into()],
            predicate: None,
        })
        .await
        .unwrap();
    assert_eq!(
        debugger.run(None, usize::MAX).await.unwrap(),
        Stop::Breakpoint(4321)
    );
    assert_eq!(debugger.next_event().map(|e| e.global_position), Some(4321));
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 4320).await
    );
    let step = debugger.step().await.unwrap().unwrap();
    assert_eq!(step.event.global_position, 4321);
    assert_eq!(debugger.step_back().await.unwrap(), Some(4320));
    assert_eq!(debugger.step_back().await.unwrap(), Some(4319));
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 4319).await
    );
    debugger
        .set_breakpoints(Breakpoints::default())
        .await
        .unwrap();
    assert_eq!(
        debugger.run(None, usize::MAX).await.unwrap(),
        Stop::Head(5000)
    );
    assert_eq!(debugger.folded(), 5000);
    assert_eq!(
        debugger.result().await.unwrap(),
        fresh_run_to(&store, 5000).await
    );
}

/// NaN and Infinity in a state: shown as such (the display result marks them), while
/// the result that is kept or written stays plain JSON (null).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_finite_numbers_are_shown_not_nulled() {
    let s = common::Sandbox::new();
    let store = s.open().await;
    seed(&store, 2).await;
    let source = ScriptSource {
        name: "nan.js".into(),
        code: "fromAll().when({\n  $init: () => ({ r: 0 }),\n  Tick: (s, e) => { s.r = 0 / 0; s.top = 1 / 0; s.low = -1 / 0; },\n});".into(),
    };
    let mut debugger = Debugger::start(store.clone(), source, RunOptions::default())
        .await
        .unwrap();
    debugger.run(None, usize::MAX).await.unwrap();
    assert_eq!(
        debugger.display_result().await.unwrap(),
        json!({
            "r": {"$rewind:number": "NaN"},
            "top": {"$rewind:number": "Infinity"},
            "low": {"$rewind:number": "-Infinity"},
        })
    );
    assert_eq!(
        debugger.result().await.unwrap(),
        json!({"r": null, "top": null, "low": null})
    );
    let step = {
        debugger.step_back().await.unwrap();
        debugger.step().await.unwrap().unwrap()
    };
    assert_eq!(step.after["r"], json!({"$rewind:number": "NaN"}));
}
