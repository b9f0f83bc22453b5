//! Time travel against a real store: every version of a 300-event stream against an
//! independent fold (merge patch and a JS reducer), with and without snapshots; diffs;
//! time and position edges; faulty scripts; upcasters; snapshot history and drift.

mod common;

use std::time::Duration;

use rewind::replay::{ReducerKind, ReducerSpec, ReplayError, Target, TimeTravel};
use rewind::script::{ScriptErrorKind, ScriptLimits, ScriptSource};
use rewind::store::{
    ExpectedVersion, NewEvent, OpenOptions, RecordedEvent, Store, StoreUrl, StreamQuery,
};
use serde_json::{Value, json};

const EVENTS: u64 = 300;

/// A stream whose events set, overwrite and delete keys (merge patch) and move a balance.
async fn seed(store: &Store) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    for n in 0..EVENTS {
        let data = match n % 5 {
            0 => json!({"amount": n, "note": format!("n{n}")}),
            1 => json!({"amount": n, "tags": {"odd": n % 2 == 1, "n": n}}),
            2 => json!({"amount": n, "note": null}),
            3 => json!({"amount": n, "tags": {"n": null}}),
            _ => json!({"amount": n, "list": [n, n + 1]}),
        };
        let kind = if n % 3 == 0 { "Withdrawn" } else { "Deposited" };
        events.push(NewEvent::new(kind, data));
    }
    store
        .append("Acc-1", ExpectedVersion::NoStream, events)
        .await
        .unwrap();
    store
        .read_stream(
            "Acc-1",
            StreamQuery {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

const REDUCER: &str = "when({\n  $init: () => ({ balance: 0, count: 0 }),\n  Deposited: (s, e) => { s.balance += e.data.amount; s.count++; },\n  Withdrawn: (s, e) => ({ ...s, balance: s.balance - e.data.amount, count: s.count + 1, last: e.sequenceNumber }),\n});";

fn js_reducer(code: &str) -> ReducerSpec {
    ReducerSpec::new(
        ReducerKind::Script(ScriptSource {
            name: "reducer.js".into(),
            code: code.into(),
        }),
        Vec::new(),
        ScriptLimits {
            event_timeout: Duration::from_millis(300),
            memory_limit_bytes: 32 << 20,
        },
    )
}

/// The same fold as REDUCER, written in Rust.
fn rust_fold(events: &[RecordedEvent]) -> Value {
    let mut state = json!({"balance": 0, "count": 0});
    for e in events {
        let amount = serde_json::from_str::<Value>(e.data.get()).unwrap()["amount"]
            .as_i64()
            .unwrap();
        let balance = state["balance"].as_i64().unwrap();
        let count = state["count"].as_i64().unwrap();
        if e.event_type == "Deposited" {
            state["balance"] = json!(balance + amount);
            state["count"] = json!(count + 1);
        } else {
            state["balance"] = json!(balance - amount);
            state["count"] = json!(count + 1);
            // The script API's sequenceNumber counts from 0, as EventStoreDB's does.
            state["last"] = json!(e.version - 1);
        }
    }
    state
}

fn merge_fold(events: &[RecordedEvent]) -> Value {
    let mut state = json!({});
    for e in events {
        json_patch::merge(&mut state, &serde_json::from_str(e.data.get()).unwrap());
    }
    state
}

async fn check_every_version(
    travel: &TimeTravel,
    events: &[RecordedEvent],
    fold: fn(&[RecordedEvent]) -> Value,
) {
    for v in 0..=EVENTS {
        let answer = travel.state_at("Acc-1", Target::Version(v)).await.unwrap();
        let expected = if v == 0 {
            json!({})
        } else {
            fold(&events[..v as usize])
        };
        assert_eq!(answer.state, expected, "version {v}");
        assert_eq!(answer.version, v);
        if v > 0 {
            let diff = travel.diff_at("Acc-1", v).await.unwrap();
            let mut before = if v == 1 {
                json!({})
            } else {
                fold(&events[..v as usize - 1])
            };
            json_patch::patch(&mut before, &diff.patch).unwrap();
            assert_eq!(before, expected, "diff at {v}");
            assert_eq!((diff.from_version, diff.to_version), (v - 1, v));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_version_equals_an_independent_fold_with_and_without_snapshots() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    let events = seed(&store).await;
    for (spec, fold) in [
        (
            ReducerSpec::merge_patch(),
            merge_fold as fn(&[RecordedEvent]) -> Value,
        ),
        (js_reducer(REDUCER), rust_fold),
    ] {
        // A huge snapshot_every: no query saves snapshots, so this is the plain replay.
        let plain = TimeTravel::new(store.clone(), spec.clone(), 1_000_000);
        check_every_version(&plain, &events, fold).await;
        assert!(
            store
                .snapshots_of("Acc-1", &spec.id)
                .await
                .unwrap()
                .is_empty()
        );
        // Snapshots every 7 versions; queries start from them.
        let snapped = TimeTravel::new(store.clone(), spec.clone(), 7);
        let built = snapped.build_snapshots("Acc-1", 7).await.unwrap();
        assert_eq!(built.snapshots, EVENTS / 7);
        check_every_version(&snapped, &events, fold).await;
        let answer = snapped
            .state_at("Acc-1", Target::Version(100))
            .await
            .unwrap();
        assert_eq!((answer.snapshot_version, answer.replayed), (Some(98), 2));
        assert!(
            snapped
                .verify_snapshots("Acc-1")
                .await
                .unwrap()
                .drifts
                .is_empty()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_and_position_edges() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    let lines: Vec<String> = (1..=3)
        .map(|v| {
            json!({"event_id": uuid::Uuid::now_v7(), "stream_id": "T-1", "event_type": "Set", "version": v,
                   "data": {"v": v}, "recorded_at": format!("2026-01-0{v}T10:00:00Z")})
            .to_string()
        })
        .collect();
    store
        .append(
            "Other-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("X", json!({}))],
        )
        .await
        .unwrap();
    store
        .import(Box::new(std::io::Cursor::new(lines.join("\n"))))
        .await
        .unwrap();
    let travel = TimeTravel::new(store.clone(), ReducerSpec::merge_patch(), 100);
    let at_time = |t: &str| {
        let travel = travel.clone();
        let t = rewind::store::timestamp::parse(t).unwrap();
        async move { travel.state_at("T-1", Target::Time(t)).await.unwrap() }
    };
    let before = at_time("2025-12-31T00:00:00Z").await;
    assert_eq!((before.version, before.state), (0, json!({})));
    assert_eq!(
        at_time("2026-01-01T10:00:00Z").await.version,
        1,
        "at the exact time"
    );
    assert_eq!(
        at_time("2026-01-02T09:59:59.999999Z").await.version,
        1,
        "between two events"
    );
    let after = at_time("2027-01-01T00:00:00Z").await;
    assert_eq!((after.version, after.state), (3, json!({"v": 3})));

    // Positions: Other-1 holds position 1, T-1 holds 2, 3, 4.
    let at_position = |p: u64| {
        let travel = travel.clone();
        async move {
            travel
                .state_at("T-1", Target::Position(p))
                .await
                .unwrap()
                .version
        }
    };
    assert_eq!(at_position(1).await, 0, "before the stream's first event");
    assert_eq!(at_position(2).await, 1);
    assert_eq!(at_position(3).await, 2);
    assert_eq!(at_position(1_000).await, 3, "after the last");
    match travel
        .state_at("T-1", Target::Version(4))
        .await
        .unwrap_err()
    {
        ReplayError::VersionPastEnd {
            requested: 4,
            current: 3,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        travel.diff_at("T-1", 0).await.unwrap_err(),
        ReplayError::NoEventAtZero { .. }
    ));
    let missing = travel.state_at("Nope-1", Target::Latest).await.unwrap();
    assert_eq!((missing.version, missing.state), (0, json!({})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_reducers_are_stopped_with_clear_errors() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    seed(&store).await;
    let cases = [
        (
            "when({\n  Deposited: (s, e) => {\n    if (e.sequenceNumber === 4) throw new Error('bad deposit');\n  },\n});",
            ScriptErrorKind::Exception,
            Some(3),
        ),
        (
            "when({ Deposited: (s, e) => { if (e.sequenceNumber === 4) for (;;) {} } });",
            ScriptErrorKind::Timeout,
            None,
        ),
        (
            "when({ Deposited: (s, e) => { const a = []; for (;;) a.push(new Array(1000).fill(e)); } });",
            ScriptErrorKind::OutOfMemory,
            None,
        ),
    ];
    for (code, kind, line) in cases {
        let travel = TimeTravel::new(store.clone(), js_reducer(code), 1_000_000);
        match travel.state_at("Acc-1", Target::Latest).await.unwrap_err() {
            ReplayError::Script(e) => {
                assert!(
                    e.kind == kind
                        || (kind == ScriptErrorKind::OutOfMemory
                            && e.kind == ScriptErrorKind::Timeout),
                    "{e}"
                );
                if let Some(line) = line {
                    assert_eq!(e.line, Some(line), "{e}");
                    assert_eq!(e.event.as_deref(), Some("Acc-1@5"), "{e}");
                    assert_eq!(e.position, Some(5));
                }
            }
            other => panic!("expected a script error, got {other:?}"),
        }
        // The next query works.
        let healthy = TimeTravel::new(store.clone(), js_reducer(REDUCER), 1_000_000);
        assert_eq!(
            healthy
                .state_at("Acc-1", Target::Version(3))
                .await
                .unwrap()
                .state["count"],
            3
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upcasters_change_what_reducers_see_never_the_stored_event() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    store
        .append(
            "Acc-1",
            ExpectedVersion::Any,
            vec![
                NewEvent::new("Deposited", json!({"amount": 5})),
                NewEvent::new(
                    "Deposited",
                    json!({"amount": {"value": 7, "currency": "EUR"}}),
                )
                .with_schema_version(2),
            ],
        )
        .await
        .unwrap();
    let upcaster = ScriptSource {
        name: "up.js".into(),
        code: "function upcast(d, v) { return v >= 2 ? d : { amount: { value: d.amount, currency: 'EUR' } }; }".into(),
    };
    let reducer = ScriptSource { name: "r.js".into(), code: "when({ $init: () => ({ t: 0 }), Deposited: (s, e) => { s.t += e.data.amount.value; } })".into() };
    let js = ReducerSpec::new(
        ReducerKind::Script(reducer.clone()),
        vec![("Deposited".into(), upcaster.clone())],
        ScriptLimits::default(),
    );
    let travel = TimeTravel::new(store.clone(), js.clone(), 100);
    assert_eq!(
        travel
            .state_at("Acc-1", Target::Latest)
            .await
            .unwrap()
            .state,
        json!({"t": 12})
    );
    // Merge patch sees the upcast shape too.
    let merge = ReducerSpec::new(
        ReducerKind::MergePatch,
        vec![("Deposited".into(), upcaster)],
        ScriptLimits::default(),
    );
    let state = TimeTravel::new(store.clone(), merge, 100)
        .state_at("Acc-1", Target::Version(1))
        .await
        .unwrap()
        .state;
    assert_eq!(state, json!({"amount": {"value": 5, "currency": "EUR"}}));
    let stored = store
        .read_stream("Acc-1", StreamQuery::default())
        .await
        .unwrap();
    assert_eq!(stored[0].data.get(), r#"{"amount":5}"#);
    // Another reducer id (no upcaster) never reuses the first one's snapshots.
    travel.build_snapshots("Acc-1", 1).await.unwrap();
    let bare = ReducerSpec::new(
        ReducerKind::Script(reducer),
        vec![],
        ScriptLimits::default(),
    );
    assert_ne!(bare.id, js.id);
    let without = TimeTravel::new(store.clone(), bare, 100)
        .state_at("Acc-1", Target::Latest)
        .await
        .unwrap();
    // Without the upcaster, schema 1's amount.value is undefined: NaN, printed as null.
    assert_eq!(
        (without.state, without.snapshot_version, without.replayed),
        (json!({"t": null}), None, 2)
    );
    let with = travel.state_at("Acc-1", Target::Latest).await.unwrap();
    assert_eq!((with.snapshot_version, with.replayed), (Some(2), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_queries_save_snapshots_unless_read_only() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    seed(&store).await;
    let travel = TimeTravel::new(store.clone(), ReducerSpec::merge_patch(), 50);
    let first = travel
        .state_at("Acc-1", Target::Version(260))
        .await
        .unwrap();
    assert_eq!((first.snapshot_version, first.replayed), (None, 260));
    let saved: Vec<u64> = store
        .snapshots_of("Acc-1", &first.reducer)
        .await
        .unwrap()
        .iter()
        .map(|s| s.version)
        .collect();
    assert_eq!(saved, [50, 100, 150, 200, 250]);
    let second = travel
        .state_at("Acc-1", Target::Version(299))
        .await
        .unwrap();
    assert_eq!((second.snapshot_version, second.replayed), (Some(250), 49));

    let read_only = Store::open(
        &StoreUrl::Sqlite(sandbox.db()),
        OpenOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let other = ReducerSpec::new(
        ReducerKind::Script(ScriptSource {
            name: "x.js".into(),
            code: REDUCER.into(),
        }),
        vec![],
        ScriptLimits::default(),
    );
    let answer = TimeTravel::new(read_only, other.clone(), 50)
        .state_at("Acc-1", Target::Latest)
        .await
        .unwrap();
    assert_eq!(answer.replayed, 300);
    assert!(
        store
            .snapshots_of("Acc-1", &other.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A scrubber's step on a long stream saves snapshots as it replays, as a state query
/// does (issue 16: on 1M events each ← replayed the whole of Account-1 until snapshots
/// were built by hand), so the next step near it starts close by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrubber_steps_save_snapshots_as_they_replay() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    seed(&store).await;
    let travel = TimeTravel::new(store.clone(), ReducerSpec::merge_patch(), 50);
    let first = travel.step_at("Acc-1", 230).await.unwrap();
    assert_eq!(
        (
            first.state.snapshot_version,
            first.state.replayed,
            first.saved_snapshots
        ),
        (None, 230, 4)
    );
    let saved: Vec<u64> = store
        .snapshots_of("Acc-1", &first.state.reducer)
        .await
        .unwrap()
        .iter()
        .map(|s| s.version)
        .collect();
    assert_eq!(saved, [50, 100, 150, 200]);
    // The step before starts from the snapshot below it, and saves nothing new.
    let back = travel.step_at("Acc-1", 229).await.unwrap();
    assert_eq!(
        (
            back.state.snapshot_version,
            back.state.replayed,
            back.saved_snapshots
        ),
        (Some(200), 29, 0)
    );
    assert_eq!(
        back.state.state,
        travel
            .state_at("Acc-1", Target::Version(229))
            .await
            .unwrap()
            .state
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_a_snapshot_altered_by_sql() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    seed(&store).await;
    let travel = TimeTravel::new(store.clone(), js_reducer(REDUCER), 100);
    travel.build_snapshots("Acc-1", 100).await.unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    conn.execute(
        "UPDATE snapshots SET state = json_set(state, '$.count', 1) WHERE version = 200",
        [],
    )
    .unwrap();
    drop(conn);
    let store = sandbox.open().await;
    let travel = TimeTravel::new(store, js_reducer(REDUCER), 100);
    let report = travel.verify_snapshots("Acc-1").await.unwrap();
    assert_eq!(report.checked, 3);
    assert_eq!(report.drifts.len(), 1);
    assert_eq!(
        (report.drifts[0].version, report.drifts[0].path.as_str()),
        (200, "/count")
    );
    assert_eq!(report.drifts[0].replayed["count"], 200);
}

/// A reducer's NaN shows as NaN in time travel's frame, while the state a query answers
/// (and a snapshot keeps) stays plain JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_finite_state_is_shown_as_such() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    seed(&store).await;
    let reducer = js_reducer(
        "when({\n  $init: () => ({ ratio: 0 }),\n  $any: (s, e) => { s.ratio = 0 / 0; },\n});",
    );
    let travel = TimeTravel::new(store.clone(), reducer, 100);
    let step = travel.step_at("Acc-1", 2).await.unwrap();
    assert_eq!(step.shown, json!({"ratio": {"$rewind:number": "NaN"}}));
    assert_eq!(step.state.state, json!({"ratio": null}));
}
