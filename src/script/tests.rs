use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;
use crate::store::RecordedEvent;

fn event(version: u64, event_type: &str, data: Value) -> RecordedEvent {
    serde_json::from_value(json!({
        "event_id": uuid::Uuid::now_v7(), "stream_id": "Account-1", "stream_type": "Account",
        "event_type": event_type, "version": version, "schema_version": 1, "data": data,
        "metadata": {"correlation_id": "c"}, "global_position": version * 10,
        "recorded_at": "2026-01-15T10:30:00Z",
    }))
    .unwrap()
}

fn runtime(code: &str) -> Result<ScriptRuntime, ScriptError> {
    let mut rt = ScriptRuntime::new(ScriptLimits {
        event_timeout: Duration::from_millis(200),
        memory_limit_bytes: 32 << 20,
    })?;
    rt.load(&ScriptSource {
        name: "test.js".into(),
        code: code.into(),
    })?;
    rt.reset(None)?;
    Ok(rt)
}

fn state(rt: &mut ScriptRuntime) -> Value {
    serde_json::from_str(&rt.state().unwrap()).unwrap()
}

const ACCOUNT: &str = r#"
fromCategory('Account')
  .foreachStream()
  .when({
    $init: () => ({ balance: 0, events: 0 }),
    Deposited: (s, e) => { s.balance += e.data.amount; },
    Withdrawn: (s, e) => ({ ...s, balance: s.balance - e.body.amount }),
    $any: (s, e) => { s.events += 1; s.last = e.eventType + '@' + e.sequenceNumber + ' ' + e.streamId + ' ' + e.position + ' ' + e.metadata.correlation_id + ' ' + e.recordedAt; },
  })
  .outputState();
"#;

#[test]
fn folds_with_typed_handlers_any_and_returned_state() {
    let mut rt = runtime(ACCOUNT).unwrap();
    rt.fold(&[
        event(1, "Deposited", json!({"amount": 50})),
        event(2, "Withdrawn", json!({"amount": 20})),
        event(3, "Other", json!({})),
    ])
    .unwrap();
    assert_eq!(
        state(&mut rt),
        json!({"balance": 30, "events": 1, "last": "Other@2 Account-1 30 c 2026-01-15T10:30:00.000000Z"})
    );
    rt.reset(Some(r#"{"balance":5,"events":0}"#)).unwrap();
    rt.fold(&[event(4, "Deposited", json!({"amount": 1}))])
        .unwrap();
    assert_eq!(state(&mut rt)["balance"], 6);
}

#[test]
fn reads_the_definition() {
    let mut rt = ScriptRuntime::new(ScriptLimits::default()).unwrap();
    let definition = rt
        .load(&ScriptSource {
            name: "a.js".into(),
            code: ACCOUNT.into(),
        })
        .unwrap();
    assert_eq!(
        definition.source,
        Source::Category {
            category: "Account".into()
        }
    );
    assert_eq!(definition.partition, "stream");
    assert!(definition.output);
    let mut rt = ScriptRuntime::new(ScriptLimits::default()).unwrap();
    let bare = rt
        .load(&ScriptSource {
            name: "b.js".into(),
            code: "when({ X: (s) => s })".into(),
        })
        .unwrap();
    assert_eq!(
        (bare.source, bare.partition.as_str()),
        (Source::All, "none")
    );
    let mut rt = ScriptRuntime::new(ScriptLimits::default()).unwrap();
    let e = rt
        .load(&ScriptSource {
            name: "c.js".into(),
            code: "fromAll()".into(),
        })
        .unwrap_err();
    assert!(e.message.contains("no handlers"), "{e}");
}

#[test]
fn a_throwing_handler_names_line_column_and_event() {
    let code = "fromAll().when({\n  $init: () => ({}),\n  Boom: (s, e) => { throw new Error('bad ' + e.data.n); },\n});";
    let mut rt = runtime(code).unwrap();
    let e = rt.fold(&[event(7, "Boom", json!({"n": 1}))]).unwrap_err();
    assert_eq!(e.kind, ScriptErrorKind::Exception);
    assert_eq!(e.message, "bad 1");
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.column.is_some(), "{e}");
    assert_eq!(e.position, Some(70));
    assert_eq!(
        e.to_string(),
        format!(
            "script test.js line 3, column {}: bad 1 (at event Account-1@7, global position 70)",
            e.column.unwrap()
        )
    );
    // A TypeError keeps its name.
    let mut rt = runtime("when({ X: (s, e) => e.data.missing.deeper })").unwrap();
    let e = rt.fold(&[event(1, "X", json!({}))]).unwrap_err();
    assert!(e.message.starts_with("TypeError"), "{e}");
}

#[test]
fn a_syntax_error_names_its_line() {
    let e = runtime("when({\n  X: (s, e) => {\n    s.x = ;\n  }\n})")
        .err()
        .unwrap();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("SyntaxError"), "{e}");
}

#[test]
fn an_endless_loop_is_stopped_and_the_runtime_recovers() {
    let mut rt =
        runtime("when({ Loop: (s) => { for (;;) {} }, Ok: (s) => { s.ok = true; } })").unwrap();
    let started = Instant::now();
    let e = rt.fold(&[event(1, "Loop", json!({}))]).unwrap_err();
    assert_eq!(e.kind, ScriptErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.message.contains("200 ms"), "{e}");
    rt.fold(&[event(2, "Ok", json!({}))]).unwrap();
    assert_eq!(state(&mut rt), json!({"ok": true}));
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let mut rt = runtime(
        "when({ Grow: (s) => { const a = []; for (;;) a.push('x'.repeat(1000) + a.length); } })",
    )
    .unwrap();
    let e = rt.fold(&[event(1, "Grow", json!({}))]).unwrap_err();
    assert!(
        matches!(
            e.kind,
            ScriptErrorKind::OutOfMemory | ScriptErrorKind::Timeout
        ),
        "{e}"
    );
    // A fresh runtime works (the process stays healthy).
    let mut again = runtime(ACCOUNT).unwrap();
    again
        .fold(&[event(1, "Deposited", json!({"amount": 1}))])
        .unwrap();
}

#[test]
fn deep_recursion_is_a_clear_error() {
    let mut rt =
        runtime("function f(n) { return f(n + 1) + 1; }\nwhen({ R: (s) => { f(0); } })").unwrap();
    let e = rt.fold(&[event(1, "R", json!({}))]).unwrap_err();
    assert_eq!(e.kind, ScriptErrorKind::StackOverflow, "{e}");
}

#[test]
fn the_sandbox_has_no_io_clock_or_randomness() {
    for probe in [
        "typeof require",
        "typeof std",
        "typeof os",
        "typeof process",
        "typeof fetch",
        "typeof XMLHttpRequest",
        "typeof Deno",
    ] {
        let code = format!("when({{ P: (s) => {{ s.r = {probe}; }} }})");
        let mut rt = runtime(&code).unwrap();
        rt.fold(&[event(1, "P", json!({}))]).unwrap();
        assert_eq!(state(&mut rt)["r"], "undefined", "{probe}");
    }
    for probe in ["Date.now()", "new Date()", "Math.random()"] {
        let code = format!("when({{ P: (s) => {{ s.r = {probe}; }} }})");
        let mut rt = runtime(&code).unwrap();
        let e = rt.fold(&[event(1, "P", json!({}))]).unwrap_err();
        assert!(e.message.contains("not available"), "{probe}: {e}");
    }
    // Dates from data still work.
    let mut rt =
        runtime("when({ P: (s, e) => { s.day = new Date(e.recordedAt).getUTCDate(); } })").unwrap();
    rt.fold(&[event(1, "P", json!({}))]).unwrap();
    assert_eq!(state(&mut rt)["day"], 15);
    // Module loading is refused.
    let e = runtime("import fs from 'fs'; when({})").err().unwrap();
    assert_eq!(e.kind, ScriptErrorKind::Exception, "{e}");
}

#[test]
fn upcasters_change_what_handlers_see() {
    let mut rt = ScriptRuntime::new(ScriptLimits::default()).unwrap();
    let upcaster = "function upcast(data, schemaVersion) {\n  return schemaVersion === 1 ? { amount: { value: data.amount, currency: 'EUR' } } : data;\n}";
    rt.load_upcaster(
        "Deposited",
        &ScriptSource {
            name: "up.js".into(),
            code: upcaster.into(),
        },
    )
    .unwrap();
    rt.load(&ScriptSource { name: "r.js".into(), code: "when({ $init: () => ({ total: 0 }), Deposited: (s, e) => { s.total += e.data.amount.value; } })".into() }).unwrap();
    rt.reset(None).unwrap();
    rt.fold(&[event(1, "Deposited", json!({"amount": 5}))])
        .unwrap();
    assert_eq!(state(&mut rt), json!({"total": 5}));
    let e = event(1, "Deposited", json!({"amount": 5}));
    assert_eq!(
        rt.upcast(&e).unwrap(),
        r#"{"amount":{"value":5,"currency":"EUR"}}"#
    );
    assert_eq!(
        e.data.get(),
        r#"{"amount":5}"#,
        "the stored event is untouched"
    );
}
