//! The command line, run as a user runs it: every command, its output contract, its exit
//! codes, and bad input that must write nothing.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, json_lines, ok_stdout as ok, run, run_with_stdin};
use serde_json::{Value, json};

fn append(s: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let mut full = vec!["append"];
    full.extend_from_slice(args);
    run(s.rewind(&full))
}

fn event_count(s: &Sandbox) -> usize {
    if !s.db().exists() {
        return 0;
    }
    json_lines(&ok(run(s.rewind(&["log"])))).len()
}

const ENVELOPE_KEYS: [&str; 10] = [
    "event_id",
    "stream_id",
    "stream_type",
    "event_type",
    "version",
    "schema_version",
    "data",
    "metadata",
    "global_position",
    "recorded_at",
];

#[test]
fn append_prints_the_stored_envelope() {
    let s = Sandbox::new();
    let out = ok(append(
        &s,
        &[
            "Account-42",
            "MoneyDeposited",
            "--data",
            r#"{ "amount" : 50 }"#,
            "--metadata",
            r#"{"correlation_id":"c-1"}"#,
            "--expected-version",
            "no-stream",
            "--schema-version",
            "2",
        ],
    ));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let e = &lines[0];
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = ENVELOPE_KEYS.to_vec();
    expected.sort();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    assert_eq!(keys_sorted, expected);
    // The contract's field order, as printed.
    let order: Vec<usize> = ENVELOPE_KEYS
        .iter()
        .map(|k| out.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "field order: {out}");
    assert_eq!(e["stream_type"], "Account");
    assert_eq!(e["version"], 1);
    assert_eq!(e["schema_version"], 2);
    assert_eq!(e["data"], json!({"amount": 50}));
    assert!(
        out.contains(r#""data":{"amount":50}"#),
        "stored compact: {out}"
    );
    assert_eq!(e["metadata"]["correlation_id"], "c-1");
    assert_eq!(e["global_position"], 1);
    let t = e["recorded_at"].as_str().unwrap();
    assert_eq!(t.len(), "2026-01-15T10:30:00.123456Z".len(), "{t}");
    assert!(t.ends_with('Z'));
    assert_eq!(
        uuid::Uuid::parse_str(e["event_id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        7
    );
    // Defaults: data and metadata {}.
    let e = &json_lines(&ok(append(&s, &["solo", "Ping"])))[0];
    assert_eq!(
        (
            e["data"].clone(),
            e["metadata"].clone(),
            e["stream_type"].clone()
        ),
        (json!({}), json!({}), json!("solo"))
    );
}

#[test]
fn append_reads_data_from_stdin_and_honours_event_id() {
    let s = Sandbox::new();
    let id = "0190c3a2-0000-7000-8000-000000000001";
    let (code, out, err) = run_with_stdin(
        s.rewind(&["append", "A-1", "T", "--data", "-", "--event-id", id]),
        "{\"from\": \"stdin\"}\n",
    );
    assert_eq!(code, 0, "{err}");
    let first = json_lines(&out);
    assert_eq!(first[0]["data"], json!({"from": "stdin"}));
    assert_eq!(first[0]["event_id"], id);
    // The same event id again: idempotent, prints the original, writes nothing.
    let again = json_lines(&ok(append(
        &s,
        &[
            "A-1",
            "T",
            "--data",
            r#"{"from":"stdin"}"#,
            "--event-id",
            id,
            "--expected-version",
            "0",
        ],
    )));
    assert_eq!(again, first);
    // The id elsewhere: exit 1, duplicate.
    let (code, _, err) = append(&s, &["B-1", "T", "--event-id", id]);
    assert_eq!(code, 1);
    assert!(err.contains("duplicate event id"), "{err}");
    assert_eq!(event_count(&s), 1);
}

#[test]
fn expected_version_conflicts_exit_3_and_write_nothing() {
    let s = Sandbox::new();
    ok(append(&s, &["A-1", "T", "--expected-version", "no-stream"]));
    for (v, actual) in [("no-stream", "1"), ("0", "1"), ("5", "1")] {
        let (code, out, err) = append(&s, &["A-1", "T", "--expected-version", v]);
        assert_eq!(code, 3, "{err}");
        assert!(out.is_empty());
        assert!(
            err.starts_with("rewind: concurrency conflict on stream A-1"),
            "{err}"
        );
        assert!(err.contains(&format!("actual version {actual}")), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
    let (code, _, err) = append(&s, &["B-1", "T", "--expected-version", "exists"]);
    assert_eq!(code, 3, "{err}");
    ok(append(&s, &["A-1", "T", "--expected-version", "exists"]));
    ok(append(&s, &["A-1", "T", "--expected-version", "2"]));
    ok(append(&s, &["A-1", "T", "--expected-version", "any"]));
    assert_eq!(event_count(&s), 4);
}

#[test]
fn bad_input_exits_1_or_2_and_writes_nothing() {
    let s = Sandbox::new();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["append", "A-1", "T", "--data", "{not json"],
            1,
            "not valid JSON",
        ),
        (
            &["append", "A-1", "T", "--data", "[1,2]"],
            1,
            "must be a JSON object",
        ),
        (
            &["append", "A-1", "T", "--metadata", "\"x\""],
            1,
            "must be a JSON object",
        ),
        (&["append", "A\u{1}1", "T"], 1, "control character"),
        (
            &["append", "A-1", "T", "--expected-version", "soon"],
            2,
            "expected version",
        ),
        (
            &["append", "A-1", "T", "--schema-version", "two"],
            2,
            "invalid value",
        ),
        (
            &["append", "A-1", "T", "--event-id", "not-a-uuid"],
            2,
            "invalid value",
        ),
        (
            &["append", "A-1", "T", "--colour"],
            2,
            "unexpected argument",
        ),
        (&["append", "A-1"], 2, "required"),
        (
            &["append", "A-1", "T", "--format", "xml"],
            2,
            "invalid value",
        ),
        (&["read", "A-1", "--limit", "many"], 2, "invalid value"),
        (
            &["log", "--after", "1", "--from-position", "1"],
            2,
            "cannot be used with",
        ),
        (&["frobnicate"], 2, "unrecognized subcommand"),
    ];
    for (args, code, message) in cases {
        let (got, out, err) = run(s.rewind(args));
        assert_eq!(got, *code, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert!(!s.db().exists(), "bad input must not even create the store");
}

#[test]
fn oversized_events_are_refused_by_config_limit() {
    let s = Sandbox::new();
    std::fs::write(s.config(), "max_event_bytes = 64\n").unwrap();
    let (code, _, err) = append(
        &s,
        &[
            "A-1",
            "T",
            "--data",
            &json!({"x": "y".repeat(100)}).to_string(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("max_event_bytes"), "{err}");
    ok(append(&s, &["A-1", "T", "--data", r#"{"x":1}"#]));
    assert_eq!(event_count(&s), 1);
}

#[test]
fn append_jsonl_is_one_atomic_batch() {
    let s = Sandbox::new();
    let file = s.path("batch.jsonl");
    let write = |lines: &[Value]| {
        std::fs::write(
            &file,
            lines
                .iter()
                .map(|l| l.to_string() + "\n")
                .collect::<String>(),
        )
        .unwrap();
    };
    write(&[
        json!({"stream_id": "A-1", "event_type": "Opened", "data": {"n": 1}, "expected_version": "no-stream"}),
        json!({"stream_id": "A-1", "event_type": "Deposited", "data": {"n": 2}}),
        json!({"stream_id": "B-1", "event_type": "Opened", "data": {"n": 3}, "metadata": {"correlation_id": "k"}, "schema_version": 2}),
        json!({"stream_id": "A-1", "event_type": "Deposited", "data": {"n": 4}, "expected_version": 2}),
    ]);
    let out = json_lines(&ok(run(s.rewind(&[
        "append",
        "--jsonl",
        file.to_str().unwrap(),
    ]))));
    let got: Vec<(String, u64)> = out
        .iter()
        .map(|e| {
            (
                e["stream_id"].as_str().unwrap().into(),
                e["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("A-1".into(), 1),
            ("A-1".into(), 2),
            ("B-1".into(), 1),
            ("A-1".into(), 3)
        ]
    );
    assert_eq!(out[2]["schema_version"], 2);

    // A stale expected version on line 2: exit 3, the line named, nothing written.
    write(&[
        json!({"stream_id": "C-1", "event_type": "T", "data": {}}),
        json!({"stream_id": "A-1", "event_type": "T", "data": {}, "expected_version": 1}),
    ]);
    let (code, _, err) = run(s.rewind(&["append", "--jsonl", file.to_str().unwrap()]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 2"), "{err}");
    // A malformed line 3: exit 1, named, nothing written.
    std::fs::write(
        &file,
        format!(
            "{}\n\n{{\"stream_id\": \"C-1\", \"event_type\": \"T\"\n",
            json!({"stream_id": "C-1", "event_type": "T", "data": {}})
        ),
    )
    .unwrap();
    let (code, _, err) = run(s.rewind(&["append", "--jsonl", file.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 3"), "{err}");
    // An unknown key (a typo of expected_version must not silently drop the check).
    write(&[json!({"stream_id": "C-1", "event_type": "T", "data": {}, "expected_verison": 0})]);
    let (code, _, err) = run(s.rewind(&["append", "--jsonl", file.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 1") && err.contains("expected_verison"),
        "{err}"
    );
    // From stdin.
    let (code, out, err) = run_with_stdin(
        s.rewind(&["append", "--jsonl", "-"]),
        "{\"stream_id\":\"D-1\",\"event_type\":\"T\",\"data\":{}}\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out).len(), 1);
    assert_eq!(event_count(&s), 5);
}

fn seed(s: &Sandbox) {
    for n in 1..=5 {
        ok(append(
            s,
            &[
                "Account-1",
                "Deposited",
                "--data",
                &json!({"n": n}).to_string(),
            ],
        ));
    }
    ok(append(
        s,
        &[
            "Order-1",
            "Placed",
            "--metadata",
            r#"{"correlation_id":"c-9"}"#,
        ],
    ));
    ok(append(s, &["Account_2-x", "Opened"]));
}

#[test]
fn read_pages_a_stream_forward_and_backward() {
    let s = Sandbox::new();
    seed(&s);
    let versions = |args: &[&str]| -> Vec<u64> {
        let mut full = vec!["read", "Account-1"];
        full.extend_from_slice(args);
        json_lines(&ok(run(s.rewind(&full))))
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(versions(&[]), [1, 2, 3, 4, 5]);
    assert_eq!(versions(&["--from", "2", "--to", "4"]), [2, 3, 4]);
    assert_eq!(versions(&["--backward"]), [5, 4, 3, 2, 1]);
    assert_eq!(versions(&["--backward", "--limit", "2"]), [5, 4]);
    assert_eq!(versions(&["--from", "3", "--limit", "1"]), [3]);
    assert_eq!(ok(run(s.rewind(&["read", "Nope-1"]))), "");
    let table = ok(run(s.rewind(&[
        "read",
        "Account-1",
        "--format",
        "table",
        "--limit",
        "1",
    ])));
    assert!(table.starts_with(" POSITION  STREAM@VERSION"), "{table}");
    assert!(
        table.contains("Account-1@1") && table.contains(r#"{"n":1}"#),
        "{table}"
    );
}

#[test]
fn log_filters_and_cursors() {
    let s = Sandbox::new();
    seed(&s);
    let positions = |args: &[&str]| -> Vec<u64> {
        let mut full = vec!["log"];
        full.extend_from_slice(args);
        json_lines(&ok(run(s.rewind(&full))))
            .iter()
            .map(|e| e["global_position"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(positions(&[]), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(positions(&["--after", "5"]), [6, 7]);
    assert_eq!(positions(&["--after", "0", "--limit", "2"]), [1, 2]);
    assert_eq!(positions(&["--from-position", "5"]), [5, 6, 7]);
    assert_eq!(positions(&["--type", "Placed", "--type", "Opened"]), [6, 7]);
    assert_eq!(positions(&["--category", "Account"]), [1, 2, 3, 4, 5]);
    assert_eq!(positions(&["--category", "Account_2"]), [7]);
    assert_eq!(positions(&["--category", "Account%"]), Vec::<u64>::new());
    assert_eq!(positions(&["--correlation", "c-9"]), [6]);
    // Global flags go before or after the subcommand.
    let (code, out, err) = run(s.rewind_bare(&[
        "--db",
        s.db().to_str().unwrap(),
        "--format",
        "table",
        "log",
        "--limit",
        "1",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Account-1@1"));
}

#[test]
fn where_filters_log_read_export_and_streams_and_names_the_column_of_a_mistake() {
    let s = Sandbox::new();
    seed(&s);
    let field = |args: &[&str], name: &str| -> Vec<serde_json::Value> {
        json_lines(&ok(run(s.rewind(args))))
            .iter()
            .map(|e| e[name].clone())
            .collect()
    };
    assert_eq!(
        field(
            &["log", "--where", "data.n >= 2 and data.n < 4"],
            "global_position"
        ),
        [json!(2), json!(3)]
    );
    // With the other filters: both apply.
    assert_eq!(
        field(
            &[
                "log",
                "--category",
                "Account",
                "--where",
                "not data.n in (1, 2)"
            ],
            "global_position"
        ),
        [json!(3), json!(4), json!(5)]
    );
    assert_eq!(
        field(&["read", "Account-1", "--where", "data.n > 3"], "version"),
        [json!(4), json!(5)]
    );
    assert_eq!(
        field(
            &["export", "--where", "metadata.correlation_id = 'c-9'"],
            "stream_id"
        ),
        [json!("Order-1")]
    );
    assert_eq!(
        field(&["streams", "--where", "type like 'Open%'"], "stream_id"),
        [json!("Account_2-x")]
    );
    // A mistake: exit 1, one line naming the column, nothing printed.
    for command in ["log", "export", "streams"] {
        let (code, out, err) = run(s.rewind(&[command, "--where", "data.n >= "]));
        assert_eq!(code, 1, "{command}: {err}");
        assert!(out.is_empty(), "{command}: {out}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("--where: column 11: expected a value"),
            "{err}"
        );
    }
    let (code, _, err) = run(s.rewind(&["read", "Account-1", "--where", "version = 'x'"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("column 11") && err.contains("whole number"),
        "{err}"
    );
}

#[test]
fn query_counts_sums_and_ranks_groups() {
    let s = Sandbox::new();
    seed(&s);
    let lines = |args: &[&str]| {
        let mut full = vec!["query"];
        full.extend_from_slice(args);
        json_lines(&ok(run(s.rewind(&full))))
    };
    assert_eq!(lines(&["count"]), [json!({"count": 7})]);
    assert_eq!(
        lines(&["count", "--group-by", "category", "--top", "1"]),
        [json!({"group": "Account", "count": 5})]
    );
    assert_eq!(
        lines(&["sum", "data.n", "--where", "data.n > 2"]),
        [json!({"count": 3, "sum": 12})]
    );
    assert_eq!(
        lines(&["max", "version", "--group-by", "stream"]),
        [
            json!({"group": "Account-1", "count": 5, "max": 5}),
            json!({"group": "Account_2-x", "count": 1, "max": 1}),
            json!({"group": "Order-1", "count": 1, "max": 1}),
        ]
    );
    let table = ok(run(s.rewind(&[
        "query",
        "count",
        "--group-by",
        "type",
        "--format",
        "table",
    ])));
    assert_eq!(
        table.lines().collect::<Vec<_>>(),
        [
            "GROUP      COUNT",
            "Deposited      5",
            "Opened         1",
            "Placed         1"
        ]
    );
    for (args, wanted) in [
        (vec!["query", "avg"], "no aggregate \"avg\""),
        (vec!["query", "sum"], "sum needs a field"),
        (vec!["query", "sum", "type"], "type is not a number"),
        (
            vec!["query", "count", "--group-by", "dta.x"],
            "no field \"dta\"",
        ),
        (vec!["query", "count", "--where", "type ="], "column 7"),
    ] {
        let (code, out, err) = run(s.rewind(&args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty() && err.contains(wanted), "{args:?}: {err}");
    }
}

#[test]
fn types_catalog_reads_only_new_events_and_flags_a_shape_change() {
    let s = Sandbox::new();
    seed(&s);
    let types = |extra: &[&str]| {
        let mut args = vec!["types"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(s.rewind(&args));
        assert_eq!(code, 0, "{err}");
        (json_lines(&out), err)
    };
    let (first, err) = types(&[]);
    assert!(err.contains("types: 7 events read"), "{err}");
    let names: Vec<&Value> = first.iter().map(|t| &t["event_type"]).collect();
    assert_eq!(
        names,
        [&json!("Deposited"), &json!("Opened"), &json!("Placed")]
    );
    assert_eq!(first[0]["count"], 5);
    assert_eq!(first[0]["categories"], json!({"Account": 5}));
    assert_eq!(
        first[0]["shapes"][0]["fields"]["data.n"]["types"],
        json!({"number": 5})
    );
    let (_, err) = types(&[]);
    assert!(err.contains("types: 0 events read"), "{err}");
    // Deposits whose n turns to text for good, without a schema_version bump.
    for n in ["six", "seven", "eight"] {
        ok(append(
            &s,
            &[
                "Account-1",
                "Deposited",
                "--data",
                &json!({"n": n}).to_string(),
            ],
        ));
    }
    let (after, err) = types(&["--type", "Deposited"]);
    assert!(err.contains("types: 3 events read"), "{err}");
    assert_eq!(after.len(), 1);
    let drift = &after[0]["shapes"][0]["drift"];
    assert_eq!(
        drift,
        &json!([{"field": "data.n", "change": "number → string",
                 "event": {"position": 8, "stream_id": "Account-1", "version": 6}}])
    );
    let (code, table, _) = run(s.rewind(&["types", "--format", "table"]));
    assert_eq!(code, 0);
    assert!(
        table.contains("v1 data.n number → string at Account-1@6 (position 8)"),
        "{table}"
    );
    let (code, _, err) = run(s.rewind(&["--read-only", "types"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 events read"), "{err}");
}

#[test]
fn log_follow_prints_appends_from_another_process() {
    let s = Sandbox::new();
    seed(&s);
    let mut follower = s
        .rewind(&["log", "--after", "6", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = common::stdout_lines(&mut follower);
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the catch-up event");
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["global_position"],
        7
    );
    for n in 0..3 {
        let appended = Instant::now();
        ok(append(
            &s,
            &["Live-1", "Tick", "--data", &json!({"n": n}).to_string()],
        ));
        let line = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("a live event within seconds");
        let e: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            (e["stream_id"].as_str(), e["data"]["n"].as_u64()),
            (Some("Live-1"), Some(n))
        );
        assert!(appended.elapsed() < Duration::from_secs(5));
    }
    follower.kill().unwrap();
    follower.wait().unwrap();
}

#[test]
fn streams_lists_versions_and_times() {
    let s = Sandbox::new();
    seed(&s);
    let all = json_lines(&ok(run(s.rewind(&["streams"]))));
    let ids: Vec<&str> = all
        .iter()
        .map(|e| e["stream_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Account-1", "Account_2-x", "Order-1"]);
    let keys: Vec<&String> = all[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_eq!(all[0]["version"], 5);
    assert!(all[0]["created_at"].as_str().unwrap() < all[0]["updated_at"].as_str().unwrap());
    let orders = json_lines(&ok(run(s.rewind(&["streams", "--category", "Order"]))));
    assert_eq!(orders.len(), 1);
    let table = ok(run(s.rewind(&["streams", "--format", "table"])));
    assert!(
        table.lines().next().unwrap().starts_with("STREAM"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 4);
}

#[test]
fn export_then_import_changes_nothing_but_positions() {
    let s = Sandbox::new();
    seed(&s);
    let exported = s.path("out.jsonl");
    let (code, out, err) = run(s.rewind(&["export", "--out", exported.to_str().unwrap()]));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("exported 7 events"), "{err}");
    let original = json_lines(&std::fs::read_to_string(&exported).unwrap());
    assert_eq!(original.len(), 7);
    assert_eq!(
        ok(run(s.rewind(&["export"]))),
        std::fs::read_to_string(&exported).unwrap()
    );

    let target = Sandbox::new();
    ok(run(target.rewind(&["append", "Other-1", "First"])));
    let summary = json_lines(&ok(run(
        target.rewind(&["import", exported.to_str().unwrap()])
    )));
    assert_eq!(summary[0]["events"], 7);
    assert_eq!(summary[0]["streams"], 3);
    let imported = json_lines(&ok(run(target.rewind(&["log", "--after", "1"]))));
    assert_eq!(imported.len(), 7);
    for (a, b) in original.iter().zip(&imported) {
        let (mut a, mut b) = (a.clone(), b.clone());
        assert_eq!(
            b["global_position"].as_u64().unwrap(),
            a["global_position"].as_u64().unwrap() + 1
        );
        a["global_position"] = json!(0);
        b["global_position"] = json!(0);
        assert_eq!(a, b);
    }
    // Importing the same file again: every id exists, line 1 is named, nothing written.
    let (code, _, err) = run(target.rewind(&["import", exported.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(err.contains("line 1"), "{err}");
    assert_eq!(json_lines(&ok(run(target.rewind(&["log"])))).len(), 8);
}

#[test]
fn import_names_the_bad_line_and_writes_nothing() {
    let s = Sandbox::new();
    seed(&s);
    let exported = ok(run(s.rewind(&["export"])));
    let mut lines: Vec<String> = exported.lines().map(str::to_owned).collect();
    lines[3] = lines[3].replace("\"version\":4", "\"version\":9");
    let file = s.path("bad.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let target = Sandbox::new();
    let (code, out, err) = run(target.rewind(&["import", file.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.starts_with("rewind: line 4: stream Account-1 is at version 3"),
        "{err}"
    );
    assert_eq!(event_count(&target), 0);
    // From stdin, with a line that is not JSON.
    let (code, _, err) = run_with_stdin(
        target.rewind(&["import", "-"]),
        &format!("{}\n{{\n", lines[0]),
    );
    assert_eq!(code, 1);
    assert!(err.contains("line 2"), "{err}");
    assert_eq!(event_count(&target), 0);
}

#[test]
fn read_only_refuses_every_write_with_exit_1() {
    let s = Sandbox::new();
    seed(&s);
    let before = std::fs::read(s.db()).unwrap();
    let exported = s.path("e.jsonl");
    ok(run(s.rewind(&[
        "export",
        "--out",
        exported.to_str().unwrap(),
    ])));
    for args in [
        vec!["append", "A-1", "T", "--read-only"],
        vec!["--read-only", "import", exported.to_str().unwrap()],
    ] {
        let (code, _, err) = run(s.rewind(&args));
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("read-only"), "{err}");
    }
    assert_eq!(
        json_lines(&ok(run(s.rewind(&["log", "--read-only"])))).len(),
        7
    );
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
}

#[test]
fn reading_a_missing_store_is_an_error_not_a_new_file() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["log"]));
    assert_eq!(code, 1);
    assert!(err.contains("no store at"), "{err}");
    assert!(!s.db().exists());
}

#[test]
fn the_store_is_found_through_flag_env_and_config() {
    let s = Sandbox::new();
    // config.toml's db is relative to the config file's folder.
    std::fs::write(s.config(), "db = \"from-config.db\"\n").unwrap();
    ok(run(s.rewind_bare(&["append", "C-1", "T"])));
    assert!(s.path("from-config.db").exists());
    let mut cmd = s.rewind_bare(&["append", "E-1", "T"]);
    cmd.env("REWIND_DB", s.path("from-env.db"));
    ok(run(cmd));
    assert!(s.path("from-env.db").exists());
    let mut cmd = s.rewind_bare(&["append", "F-1", "T", "--db", "sqlite://from-flag.db"]);
    cmd.env("REWIND_DB", s.path("from-env.db"));
    ok(run(cmd));
    assert!(s.path("from-flag.db").exists());
}

#[test]
fn a_malformed_config_is_named_with_its_line() {
    let s = Sandbox::new();
    std::fs::write(s.config(), "db = \"x.db\"\n\nsnapshot_every = \"often\"\n").unwrap();
    let (code, _, err) = run(s.rewind(&["log"]));
    assert_eq!(code, 1);
    assert!(err.contains("config.toml:3:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(s.rewind_raw(&["log", "--config", "/nonexistent/rewind.toml"]));
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/rewind.toml"), "{err}");
}

#[test]
fn help_explains_each_command_with_an_example() {
    let s = Sandbox::new();
    for command in [
        "append", "read", "log", "streams", "export", "import", "demo", "state", "snapshot",
        "project",
    ] {
        let out = ok(run(s.rewind_bare(&[command, "--help"])));
        assert!(out.contains("Examples:"), "{command}: {out}");
        assert!(
            out.contains(&format!("rewind {command}"))
                || command == "demo" && out.contains("rewind demo"),
            "{command}"
        );
    }
    let out = ok(run(s.rewind_bare(&["--help"])));
    assert!(out.contains("Exit codes"), "{out}");
}

#[test]
fn demo_builds_deterministically_and_is_reused() {
    let s = Sandbox::new();
    let (code, out, err) = run(s.rewind_bare(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    let summary = &json_lines(&out)[0];
    assert_eq!(
        (summary["events"].as_u64(), summary["reused"].as_bool()),
        (Some(3000), Some(false))
    );
    let demo_db = s.path("rewind-demo.db");
    assert!(demo_db.exists(), "rewind-demo.db in the current directory");
    let again = &json_lines(&ok(run(s.rewind_bare(&["demo", "--events", "3000"]))))[0];
    assert_eq!(again["reused"], true);

    let export = |db: &std::path::Path| {
        ok(run(s.rewind_bare(&[
            "export",
            "--db",
            db.to_str().unwrap(),
        ])))
    };
    let first = export(&demo_db);
    let other = s.path("other.db");
    ok(run(s.rewind_bare(&[
        "demo",
        "--events",
        "3000",
        "--db",
        other.to_str().unwrap(),
    ])));
    assert_eq!(
        export(&other),
        first,
        "the same seed and size give the same store"
    );

    let events = json_lines(&first);
    let categories: std::collections::BTreeSet<&str> = events
        .iter()
        .map(|e| e["stream_type"].as_str().unwrap())
        .collect();
    // Three domains, and the stream the history plants for the doctor's stream-name rule.
    assert_eq!(
        categories.into_iter().collect::<Vec<_>>(),
        ["Account", "Order", "User", "nightly_audit"]
    );
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["recorded_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "time moves forward with the log"
    );
    let span = rewind::store::timestamp::parse(times[times.len() - 1]).unwrap()
        - rewind::store::timestamp::parse(times[0]).unwrap();
    assert!(span.num_days() > 60, "months of history: {span}");
    assert!(events.iter().any(|e| e["schema_version"] == 2));
    // Placing an order withdraws from the account in the same command.
    let placed = events
        .iter()
        .find(|e| e["event_type"] == "OrderPlaced")
        .expect("an order placed");
    let correlated: Vec<&Value> = events
        .iter()
        .filter(|e| e["metadata"]["correlation_id"] == placed["metadata"]["correlation_id"])
        .collect();
    assert_eq!(correlated.len(), 2);
    assert_eq!(correlated[1]["event_type"], "MoneyWithdrawn");
    assert_eq!(
        correlated[1]["metadata"]["causation_id"],
        placed["event_id"]
    );

    // Another size rebuilds the demo; a store that is not a demo is never touched.
    let rebuilt = &json_lines(&ok(run(s.rewind_bare(&["demo", "--events", "500"]))))[0];
    assert_eq!(
        (rebuilt["events"].as_u64(), rebuilt["reused"].as_bool()),
        (Some(500), Some(false))
    );
    ok(run(s.rewind(&["append", "Mine-1", "Precious"])));
    let (code, _, err) = run(s.rewind(&["demo", "--events", "500"]));
    assert_eq!(code, 1);
    assert!(err.contains("not a rewind demo"), "{err}");
    assert_eq!(event_count(&s), 1);
}

/// Shell completions and the man page come from the clap definitions (issue 18), with no
/// config or store needed.
#[test]
fn completions_and_the_man_page_are_generated() {
    let s = Sandbox::new();
    for (shell, marker) in [
        ("bash", "_rewind()"),
        ("zsh", "#compdef rewind"),
        ("fish", "complete -c rewind"),
    ] {
        let (code, out, err) = run(s.rewind_raw(&["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(
            out.contains("state") && out.contains("workbench"),
            "{shell} names the commands"
        );
    }
    let (code, out, err) = run(s.rewind_raw(&["man"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".TH rewind 1") && out.contains("completions"),
        "{out}"
    );
    let (code, _, err) = run(s.rewind_raw(&["completions", "tcsh"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("possible values"), "{err}");
}

/// `--version` alone takes a short cut past clap (issue 18): it must print what clap
/// prints for the same flag among others.
#[test]
fn the_version_short_cut_prints_what_clap_prints() {
    let s = Sandbox::new();
    let (code, short_cut, err) = run(s.rewind_raw(&["--version"]));
    assert_eq!(code, 0, "{err}");
    let (_, short_flag, _) = run(s.rewind_raw(&["-V"]));
    // With another flag beside it, clap parses and answers.
    let (code, through_clap, err) = run(s.rewind_raw(&["--read-only", "--version"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(short_cut, through_clap);
    assert_eq!(short_flag, through_clap);
    assert_eq!(short_cut, format!("rewind {}\n", env!("CARGO_PKG_VERSION")));
}
