//! Projections over a real store: the example projections against independent
//! computations on the demo store, checkpoints and resume, faults and skipping a poison
//! event, run-to positions, and catch-up then live with appends from another process.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use common::{Sandbox, json_lines, run};
use serde_json::{Value, json};

fn ok((code, out, err): (i32, String, String)) -> String {
    assert_eq!(code, 0, "stderr: {err}");
    out
}

fn asset(path: &str) -> String {
    format!("{}/assets/projections/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// `rewind project run` with the shipped config (its upcasters) on the sandbox store.
fn project(s: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let mut full = vec!["project", "run"];
    full.extend_from_slice(args);
    let mut cmd = s.rewind_raw(&full);
    cmd.arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"))
        .arg("--db")
        .arg(s.db());
    run(cmd)
}

fn demo_log(s: &Sandbox) -> Vec<Value> {
    ok(run(s.rewind(&["demo", "--events", "4000"])));
    json_lines(&ok(run(s.rewind(&["log"]))))
}

/// The deposit amount in either schema.
fn deposit(e: &Value) -> i64 {
    let amount = &e["data"]["amount"];
    amount["value"]
        .as_i64()
        .or_else(|| amount.as_i64())
        .unwrap()
}

#[test]
fn example_projections_equal_independent_computations() {
    let s = Sandbox::new();
    let log = demo_log(&s);

    let mut balances: BTreeMap<String, i64> = BTreeMap::new();
    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    let mut revenue: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut status: BTreeMap<String, &str> = BTreeMap::new();
    let mut joined: BTreeMap<String, (Value, Value)> = BTreeMap::new();
    for e in &log {
        let stream = e["stream_id"].as_str().unwrap().to_owned();
        let correlation = e["metadata"]["correlation_id"].as_str().unwrap().to_owned();
        match e["event_type"].as_str().unwrap() {
            // No handler takes AccountOpened: a partition starts with its first handled event.
            "MoneyDeposited" => *balances.entry(stream).or_insert(0) += deposit(e),
            "MoneyWithdrawn" => {
                *balances.entry(stream.clone()).or_insert(0) -=
                    e["data"]["amount"].as_i64().unwrap();
                if e["data"]["reason"] == "order" {
                    joined
                        .entry(correlation)
                        .or_insert((Value::Null, Value::Null))
                        .1 = json!([stream, e["data"]["amount"]]);
                }
            }
            "UserRegistered" | "EmailChanged" => {
                emails.insert(stream, e["data"]["email"].as_str().unwrap().into());
            }
            "OrderCreated" => {
                status.insert(stream, "cart");
            }
            "OrderPlaced" => {
                status.insert(stream.clone(), "placed");
                let day = e["recorded_at"].as_str().unwrap()[..10].to_owned();
                let entry = revenue.entry(day).or_insert((0, 0));
                entry.0 += e["data"]["total"].as_i64().unwrap();
                entry.1 += 1;
                joined
                    .entry(correlation)
                    .or_insert((Value::Null, Value::Null))
                    .0 = json!([stream, e["data"]["total"]]);
            }
            "OrderShipped" => {
                status.insert(stream, "shipped");
            }
            "OrderCancelled" => {
                status.insert(stream, "cancelled");
            }
            _ => {}
        }
    }
    let result = |name: &str| json_lines(&ok(project(&s, &[&asset(name)]))).remove(0);

    let got = result("balance_per_account.js");
    let expected: serde_json::Map<String, Value> = balances
        .iter()
        .map(|(k, v)| (k.clone(), json!({"balance": v})))
        .collect();
    assert_eq!(got, Value::Object(expected));

    let got = result("user_emails.js");
    assert_eq!(got.as_object().unwrap().len(), emails.len());
    for (user, email) in &emails {
        assert_eq!(got[user]["email"], json!(email), "{user}");
    }

    let got = result("revenue_per_day.js");
    assert_eq!(got.as_object().unwrap().len(), revenue.len());
    for (day, (total, orders)) in &revenue {
        assert_eq!(
            got[day],
            json!({"revenue": total, "orders": orders}),
            "{day}"
        );
    }

    let got = result("orders_per_status.js");
    for name in ["cart", "placed", "shipped", "cancelled"] {
        let count = status.values().filter(|s| **s == name).count();
        assert_eq!(got["counts"][name], json!(count), "{name}");
    }

    let got = result("order_payments.js");
    assert_eq!(got.as_object().unwrap().len(), joined.len());
    for (correlation, (order, payment)) in &joined {
        let row = &got[correlation];
        assert_eq!(json!([row["order"], row["total"]]), *order);
        assert_eq!(json!([row["account"], row["paid"]]), *payment);
        assert_eq!(row["total"], row["paid"], "an order's payment is its total");
    }
}

#[test]
fn resuming_from_a_checkpoint_equals_a_run_from_scratch() {
    let s = Sandbox::new();
    let log = demo_log(&s);
    let script = asset("balance_per_account.js");
    let full = ok(project(&s, &[&script]));
    let middle = log[log.len() / 2]["global_position"]
        .as_u64()
        .unwrap()
        .to_string();
    let partial = ok(project(
        &s,
        &[&script, "--checkpoint", "bal", "--until-position", &middle],
    ));
    assert_ne!(partial, full);
    let resumed = ok(project(&s, &[&script, "--checkpoint", "bal"]));
    assert_eq!(resumed, full);
    // Resuming again at the head changes nothing; a reset rebuilds the same.
    assert_eq!(ok(project(&s, &[&script, "--checkpoint", "bal"])), full);
    assert_eq!(
        ok(project(&s, &[&script, "--checkpoint", "bal", "--reset"])),
        full
    );
}

#[test]
fn run_to_a_position_and_from_a_position_are_inclusive() {
    let s = Sandbox::new();
    for n in 1..=6 {
        ok(run(s.rewind(&[
            "append",
            "C-1",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("sum.js");
    std::fs::write(&script, "fromAll().when({ $init: () => ({ seen: [] }), Tick: (s, e) => { s.seen.push(e.data.n); } })").unwrap();
    let script = script.to_str().unwrap();
    let seen = |args: &[&str]| {
        let mut full = vec![script];
        full.extend_from_slice(args);
        json_lines(&ok(project(&s, &full))).remove(0)["seen"].clone()
    };
    assert_eq!(seen(&[]), json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(seen(&["--until-position", "3"]), json!([1, 2, 3]));
    assert_eq!(seen(&["--from-position", "4"]), json!([4, 5, 6]));
    assert_eq!(
        seen(&["--from-position", "2", "--until-position", "2"]),
        json!([2])
    );
}

#[test]
fn a_fault_keeps_the_checkpoint_at_the_last_good_event_and_skipping_it_finishes() {
    let s = Sandbox::new();
    for n in 1..=5 {
        ok(run(s.rewind(&[
            "append",
            "P-1",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("poison.js");
    std::fs::write(
        &script,
        "fromAll().when({\n  $init: () => ({ sum: 0 }),\n  Tick: (s, e) => {\n    if (e.data.n === 4) throw new Error('poison ' + e.data.n);\n    s.sum += e.data.n;\n  },\n});\n",
    )
    .unwrap();
    let script = script.to_str().unwrap();
    let (code, out, err) = project(&s, &[script, "--checkpoint", "p"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("line 4") && err.contains("poison 4") && err.contains("global position 4"),
        "{err}"
    );
    assert!(err.contains("checkpoint p kept at position 3"), "{err}");
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let (position, state): (i64, String) = conn
        .query_row(
            "SELECT position, state FROM checkpoints WHERE name = 'p'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(position, 3);
    assert_eq!(
        serde_json::from_str::<Value>(&state).unwrap()["result"],
        json!({"sum": 6})
    );

    // Fixing nothing, but skipping the poison event: the run finishes and records the skip.
    let result = json_lines(&ok(project(
        &s,
        &[script, "--checkpoint", "p", "--skip-position", "4"],
    )))
    .remove(0);
    assert_eq!(result, json!({"sum": 11}));
    let state: String = conn
        .query_row("SELECT state FROM checkpoints WHERE name = 'p'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&state).unwrap()["skipped"],
        json!([4])
    );
}

#[test]
fn catch_up_then_live_has_no_gap_and_no_duplicate() {
    let s = Sandbox::new();
    for n in 1..=50 {
        ok(run(s.rewind(&[
            "append",
            &format!("L-{}", n % 3),
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("live.js");
    std::fs::write(&script, "fromAll().when({ $init: () => ({ seen: [] }), Tick: (s, e) => { s.seen.push(e.data.n); } })").unwrap();
    let mut cmd = s.rewind_raw(&["project", "run", script.to_str().unwrap(), "--follow"]);
    cmd.arg("--config").arg(s.config()).arg("--db").arg(s.db());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = common::stdout_lines(&mut child);
    let first: Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(20)).unwrap()).unwrap();
    assert_eq!(first["seen"], json!((1..=50).collect::<Vec<_>>()));
    // Appends from other processes while the projection follows.
    for n in 51..=60 {
        ok(run(s.rewind(&[
            "append",
            "L-live",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let mut last = Value::Null;
    while last["seen"].as_array().map_or(0, Vec::len) < 60 {
        last = serde_json::from_str(
            &rx.recv_timeout(Duration::from_secs(10))
                .expect("a live update"),
        )
        .unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(last["seen"], json!((1..=60).collect::<Vec<_>>()));
}

#[test]
fn emit_is_only_listed_unless_allowed() {
    let s = Sandbox::new();
    for n in 1..=3 {
        ok(run(s.rewind(&[
            "append",
            "Src-1",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("emit.js");
    std::fs::write(
        &script,
        "fromStream('Src-1').when({ Tick: (s, e) => { if (e.data.n === 2) { emit('Out-1', 'Doubled', { n: 4 }); linkTo('Links-1', e); } } })",
    )
    .unwrap();
    let script = script.to_str().unwrap();
    let (code, _, err) = project(&s, &[script]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("would emit") && err.contains("Out-1"), "{err}");
    assert_eq!(
        ok(run(s.rewind(&["read", "Out-1"]))),
        "",
        "nothing written without --emit"
    );

    ok(project(&s, &[script, "--emit"]));
    let out = json_lines(&ok(run(s.rewind(&["read", "Out-1"]))));
    assert_eq!(
        (
            out.len(),
            out[0]["event_type"].as_str(),
            out[0]["data"].clone()
        ),
        (1, Some("Doubled"), json!({"n": 4}))
    );
    let links = json_lines(&ok(run(s.rewind(&["read", "Links-1"]))));
    assert_eq!(
        (links[0]["event_type"].as_str(), links[0]["data"].clone()),
        (Some("$>"), json!({"link": "1@Src-1"}))
    );
    let (code, _, err) = project(&s, &[script, "--emit", "--read-only"]);
    assert_eq!(code, 1);
    assert!(err.contains("read-only"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_reported_as_data() {
    let s = Sandbox::new();
    let store = s.open().await;
    for n in 0..2500u64 {
        let event = rewind::store::NewEvent::new("Tick", json!({"n": n}));
        store
            .append("P-1", rewind::store::ExpectedVersion::Any, vec![event])
            .await
            .unwrap();
    }
    let source = rewind::script::ScriptSource {
        name: "p.js".into(),
        code: "fromAll().when({ Tick: (s) => s })".into(),
    };
    let mut projection = rewind::projection::Projection::new(store, source, Default::default());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    projection.on_progress(move |p| sink.lock().unwrap().push(*p));
    projection.run(false, |_| {}).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "one report a page of 1,000");
    let last = seen.last().unwrap();
    assert_eq!(
        (last.position, last.head, last.processed),
        (2500, 2500, 2500)
    );
    assert!(last.events_per_second > 0.0);
    assert_eq!(last.eta_seconds, Some(0.0));
    assert_eq!(seen[0].position, 1000);
}

#[test]
fn a_checkpoint_can_be_moved_past_events() {
    let s = Sandbox::new();
    for n in 1..=8 {
        ok(run(s.rewind(&[
            "append",
            "M-1",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("seen.js");
    std::fs::write(&script, "fromAll().when({ $init: () => ({ seen: [] }), Tick: (s, e) => { s.seen.push(e.data.n); } })").unwrap();
    let script = script.to_str().unwrap();
    ok(project(
        &s,
        &[script, "--checkpoint", "m", "--until-position", "3"],
    ));
    let moved = json_lines(&ok(run(s.rewind(&[
        "project",
        "checkpoint",
        "m",
        "--move-to",
        "5",
    ]))))
    .remove(0);
    assert_eq!(moved["position"], 5);
    assert_eq!(moved["state"]["moves"], json!([{"from": 3, "to": 5}]));
    let result = json_lines(&ok(project(&s, &[script, "--checkpoint", "m"]))).remove(0);
    assert_eq!(
        result["seen"],
        json!([1, 2, 3, 6, 7, 8]),
        "events 4 and 5 were moved past"
    );
    let shown = json_lines(&ok(run(s.rewind(&["project", "checkpoint", "m"])))).remove(0);
    assert_eq!(
        (shown["position"].clone(), shown["state"]["moves"].clone()),
        (json!(8), json!([{"from": 3, "to": 5}]))
    );
    let (code, _, err) = run(s.rewind(&["project", "checkpoint", "nope"]));
    assert_eq!(code, 1);
    assert!(err.contains("no checkpoint named nope"), "{err}");
}

#[test]
fn a_runaway_handler_faults_on_the_time_budget() {
    let s = Sandbox::new();
    for n in 1..=3 {
        ok(run(s.rewind(&[
            "append",
            "R-1",
            "Tick",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    let script = s.path("loop.js");
    std::fs::write(
        &script,
        "fromAll().when({\n  Tick: (s, e) => { if (e.data.n === 3) { for (;;) {} } },\n});\n",
    )
    .unwrap();
    let (code, _, err) = project(&s, &[script.to_str().unwrap(), "--checkpoint", "l"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("time budget") && err.contains("global position 3"),
        "{err}"
    );
    assert!(err.contains("checkpoint l kept at position 2"), "{err}");
}
