//! `rewind doctor` on the demo, whose history plants one of each finding the issue names
//! (a command-named type, a badly named stream, a shape change without a schema_version
//! bump, a dangling causation, an oversized event): it finds exactly those, names their
//! events, exits 1 for the error among them, and follows config.toml's `[doctor]`.
//! On PostgreSQL the same demo gives the same findings.

mod common;

use common::{Sandbox, json_lines, run};
use serde_json::{Value, json};

/// (rule, level, the event type and stream category each names first).
fn planted() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("dangling-causation", "error", "Account"),
        ("past-tense", "warning", "Order"),
        ("stream-name", "warning", "nightly_audit"),
        ("oversized", "warning", "Order"),
        ("shape-drift", "warning", "Account"),
    ]
}

fn check_demo_findings(s: &Sandbox, db: &str) {
    let (code, out, err) = run(s.rewind_bare(&["doctor", "--db", db]));
    assert_eq!(code, 1, "an error-level finding: {err}");
    assert!(
        err.contains("doctor: error-level findings: dangling-causation"),
        "{err}"
    );
    let findings = json_lines(&out);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["level"].as_str().unwrap()))
        .collect();
    let wanted: Vec<(&str, &str)> = planted().iter().map(|(r, l, _)| (*r, *l)).collect();
    assert_eq!(got, wanted, "{findings:#?}");
    for (finding, (rule, _, stream_prefix)) in findings.iter().zip(planted()) {
        assert_eq!(finding["count"], 1, "{rule}: {finding}");
        let event = &finding["events"][0];
        assert!(
            event["stream_id"]
                .as_str()
                .unwrap()
                .starts_with(stream_prefix),
            "{rule}: {finding}"
        );
        // The event it names is there, at that position: `read` finds it.
        let stream = event["stream_id"].as_str().unwrap();
        let version = event["version"].to_string();
        let (code, read, err) = run(s.rewind_bare(&[
            "read", stream, "--from", &version, "--to", &version, "--db", db,
        ]));
        assert_eq!(code, 0, "{err}");
        let read = json_lines(&read);
        assert_eq!(read[0]["global_position"], event["position"], "{rule}");
        let expect_type = match rule {
            "past-tense" => Some("ShipOrder"),
            "shape-drift" => Some("MoneyDeposited"),
            "oversized" => Some("OrderImported"),
            "stream-name" => Some("AuditCompleted"),
            _ => None,
        };
        if let Some(t) = expect_type {
            assert_eq!(read[0]["event_type"], t, "{rule}");
        }
    }
    let drift = &findings[4]["events"][0]["note"];
    assert_eq!(drift, &json!("MoneyDeposited v2: data.channel appeared"));
}

#[test]
fn the_demo_s_planted_findings_are_found_exactly() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    check_demo_findings(&s, s.db().to_str().unwrap());

    // The table for people: errors first, each with the event it names.
    let (code, table, _) = run(s.rewind(&["doctor", "--format", "table"]));
    assert_eq!(code, 1);
    let first = table.lines().next().unwrap();
    assert!(first.starts_with("error    dangling-causation"), "{table}");
    assert!(table.contains("→ nightly_audit@1 (position "), "{table}");

    // Every rule listed.
    let rules = json_lines(&common::ok_stdout(run(s.rewind(&["doctor", "--rules"]))));
    assert_eq!(rules.len(), 12);
    assert!(rules.iter().any(|r| r["rule"] == "after-terminal"));
}

#[test]
fn doctor_rules_follow_the_config() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    // The error disabled, a warning raised to an error, a name let pass, a lower limit.
    std::fs::write(
        s.config(),
        "[doctor]\ndisable = [\"dangling-causation\"]\npast_tense_ok = [\"ShipOrder\"]\n\
         max_event_bytes = 1000000\nterminal_types = [\"AccountClosed\"]\n\
         [doctor.levels]\nstream-name = \"error\"\n",
    )
    .unwrap();
    let (code, out, err) = run(s.rewind(&["doctor"]));
    assert_eq!(code, 1, "stream-name is an error now: {err}");
    let rules: Vec<Value> = json_lines(&out).iter().map(|f| f["rule"].clone()).collect();
    assert_eq!(rules, [json!("stream-name"), json!("shape-drift")]);

    // Events after a terminal type: one appended to a closed account.
    let closed = json_lines(&common::ok_stdout(run(s.rewind(&[
        "log",
        "--type",
        "AccountClosed",
        "--limit",
        "1",
    ]))));
    let stream = closed[0]["stream_id"].as_str().unwrap().to_owned();
    let (code, _, err) = run(s.rewind(&["append", &stream, "MoneyDeposited", "--data", "{}"]));
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(s.rewind(&["doctor"]));
    let after = json_lines(&out)
        .into_iter()
        .find(|f| f["rule"] == "after-terminal")
        .expect("an after-terminal finding");
    assert_eq!(after["level"], "error");
    assert_eq!(after["events"][0]["stream_id"], stream);
    assert!(
        after["events"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("MoneyDeposited after the terminal event"),
        "{after}"
    );

    // A rule config names that does not exist: one line, exit 1.
    std::fs::write(s.config(), "[doctor]\ndisable = [\"past-tence\"]\n").unwrap();
    let (code, out, err) = run(s.rewind(&["doctor"]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("no rule \"past-tence\""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_demo_on_postgres_gives_the_same_findings() {
    if common::pg::server_url().is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let schema = runtime.block_on(common::pg::PgSchema::new()).unwrap();
    let s = Sandbox::new();
    let url = schema.url();
    let (code, _, err) = run(s.rewind_bare(&["demo", "--events", "3000", "--db", &url]));
    assert_eq!(code, 0, "{err}");
    check_demo_findings(&s, &url);
    drop(schema);
}

/// The rules the demo does not plant: blob-like fields, events without ids, and snapshots
/// that differ from a full replay.
#[test]
fn blobs_missing_ids_and_drifted_snapshots_are_found() {
    let s = Sandbox::new();
    let append = |stream: &str, event_type: &str, data: &Value, metadata: &Value| {
        let (code, _, err) = run(s.rewind(&[
            "append",
            stream,
            event_type,
            "--data",
            &data.to_string(),
            "--metadata",
            &metadata.to_string(),
        ]));
        assert_eq!(code, 0, "{err}");
    };
    let ids = json!({"correlation_id": "c-1", "causation_id": "c-1"});
    for n in 1..=30 {
        append("Note-1", "NoteTaken", &json!({"n": n}), &ids);
    }
    let blob = "QUJD".repeat(100);
    append("Note-2", "PhotoAttached", &json!({"image": blob}), &ids);
    append("Note-2", "NoteTaken", &json!({"n": 0}), &json!({}));
    let (code, out, err) = run(s.rewind(&["doctor"]));
    assert_eq!(code, 0, "warnings only: {err}");
    let findings = json_lines(&out);
    let rule = |name: &str| findings.iter().find(|f| f["rule"] == name).cloned();
    let blobs = rule("blob-field").expect("blob-field");
    assert_eq!(blobs["events"][0]["stream_id"], "Note-2");
    assert!(
        blobs["events"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("PhotoAttached data.image"),
        "{blobs}"
    );
    let missing = rule("missing-ids").expect("missing-ids");
    assert_eq!(missing["count"], 1);
    assert_eq!(missing["events"][0]["version"], 2);
    assert!(rule("snapshot-drift").is_none());

    // Snapshots, one of them tampered with: an error-level finding at its version.
    let (code, _, err) = run(s.rewind(&["snapshot", "build", "Note-1", "--every", "10"]));
    assert_eq!(code, 0, "{err}");
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute(
        "UPDATE snapshots SET state = '{\"n\":99}' WHERE version = 20",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, out, err) = run(s.rewind(&["doctor"]));
    assert_eq!(code, 1, "{err}");
    let drift = json_lines(&out)
        .into_iter()
        .find(|f| f["rule"] == "snapshot-drift")
        .expect("snapshot-drift");
    assert_eq!(drift["level"], "error");
    assert_eq!(drift["count"], 1);
    assert_eq!(drift["events"][0]["stream_id"], "Note-1");
    assert_eq!(drift["events"][0]["version"], 20);
}
