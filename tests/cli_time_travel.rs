//! `rewind state` and `rewind snapshot` as a user runs them, on the demo store with the
//! shipped config.toml (its reducers and upcasters).

mod common;

use common::{Sandbox, json_lines, run};
use serde_json::json;

fn ok((code, out, err): (i32, String, String)) -> String {
    assert_eq!(code, 0, "stderr: {err}");
    out
}

/// The repository's config.toml, with its paths (assets/...) resolved against the repo.
fn shipped_config() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml").to_owned()
}

#[test]
fn state_on_the_demo_store_uses_the_shipped_reducers() {
    let s = Sandbox::new();
    ok(run(s.rewind(&["demo", "--events", "3000"])));
    let config = shipped_config();
    let state = |args: &[&str]| {
        let mut full = vec!["state"];
        full.extend_from_slice(args);
        let mut cmd = s.rewind_raw(&full);
        cmd.arg("--config").arg(&config).arg("--db").arg(s.db());
        json_lines(&ok(run(cmd))).remove(0)
    };
    let account = state(&["Account-2", "--at-version", "10"]);
    assert_eq!(account["version"], 10);
    assert!(
        account["reducer"].as_str().unwrap().starts_with("account@"),
        "{account}"
    );
    let st = &account["state"];
    assert_eq!(st["status"], "open");
    assert!(
        st["balance"].is_number() && st["history"].as_array().unwrap().len() == 5,
        "{st}"
    );
    // Keys in the order the reducer created them.
    let keys: Vec<&String> = st.as_object().unwrap().keys().collect();
    assert_eq!(keys[..3], ["status", "owner", "currency"]);

    let user = state(&["User-1"]);
    assert!(
        user["state"]["first_name"].is_string(),
        "upcast registrations: {user}"
    );

    let diff = state(&["Account-2", "--at-version", "10", "--diff"]);
    assert_eq!(
        (diff["from_version"].as_u64(), diff["to_version"].as_u64()),
        (Some(9), Some(10))
    );
    assert!(
        diff["patch"]
            .as_array()
            .unwrap()
            .iter()
            .any(|op| op["path"] == "/balance"),
        "{diff}"
    );

    let before = state(&["Account-2", "--at-time", "2020-01-01"]);
    assert_eq!(
        (before["version"].clone(), before["state"].clone()),
        (json!(0), json!({}))
    );
}

#[test]
fn state_errors_and_exit_codes() {
    let s = Sandbox::new();
    ok(run(s.rewind(&[
        "append",
        "A-1",
        "Set",
        "--data",
        r#"{"x":1}"#,
    ])));
    let out = json_lines(&ok(run(s.rewind(&["state", "A-1"]))));
    assert_eq!(
        out[0],
        json!({"stream_id": "A-1", "version": 1, "state": {"x": 1},
        "reducer": "merge-patch@cbf29ce484222325", "snapshot_version": null, "replayed": 1})
    );
    let (code, _, err) = run(s.rewind(&["state", "A-1", "--at-version", "2"]));
    assert_eq!(code, 1);
    assert!(err.contains("past its end"), "{err}");
    let (code, _, err) = run(s.rewind(&["state", "A-1", "--at-time", "someday"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(s.rewind(&["state", "A-1", "--at-version", "1", "--at-position", "1"]));
    assert_eq!(code, 2);
    let script = s.path("bad.js");
    std::fs::write(
        &script,
        "when({\n  Set: (s, e) => { throw new Error('nope'); },\n});\n",
    )
    .unwrap();
    let (code, _, err) = run(s.rewind(&["state", "A-1", "--reducer", script.to_str().unwrap()]));
    assert_eq!(code, 1);
    assert!(
        err.contains("line 2") && err.contains("nope") && err.contains("A-1@1"),
        "{err}"
    );
    let (code, _, err) = run(s.rewind(&["state", "A-1", "--reducer", "/nonexistent.js"]));
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent.js"), "{err}");
}

#[test]
fn snapshot_build_list_verify_and_drift() {
    let s = Sandbox::new();
    for n in 0..30 {
        ok(run(s.rewind(&[
            "append",
            "A-1",
            "Set",
            "--data",
            &json!({"n": n}).to_string(),
        ])));
    }
    ok(run(s.rewind(&["append", "B-1", "Set", "--data", "{}"])));
    let built = json_lines(&ok(run(
        s.rewind(&["snapshot", "build", "--all", "--every", "10"])
    )));
    assert_eq!(built.len(), 2);
    assert_eq!(built[0]["snapshots"], 3);
    let listed = json_lines(&ok(run(s.rewind(&["snapshot", "list", "A-1"]))));
    let versions: Vec<u64> = listed
        .iter()
        .map(|l| l["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [10, 20, 30]);
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["stream_id", "version", "reducer", "created_at", "bytes"]
    );
    let (code, out, err) = run(s.rewind(&["snapshot", "verify", "--all"]));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("3 snapshots match"), "{err}");

    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute(
        "UPDATE snapshots SET state = '{\"n\":99}' WHERE version = 20",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, out, err) = run(s.rewind(&["snapshot", "verify", "A-1"]));
    assert_eq!(code, 1, "{err}");
    let drift = json_lines(&out);
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (drift[0]["version"].as_u64(), drift[0]["path"].as_str()),
        (Some(20), Some("/n"))
    );
    assert!(err.contains("1 of 3 snapshots differ"), "{err}");

    let (code, _, err) = run(s.rewind(&["snapshot", "build", "A-1", "--read-only"]));
    assert_eq!(code, 1);
    assert!(err.contains("read-only"), "{err}");
    let (code, _, _) = run(s.rewind(&["snapshot", "build"]));
    assert_eq!(code, 2, "a stream or --all is required");
}

/// From a folder with no config naming the demo's scripts (issue 18: the demo's accounts
/// folded with merge patch outside the project folder), a demo store folds with the
/// reducers and upcasters built into the binary; a store that is not a demo does not.
#[test]
fn a_demo_store_folds_with_its_built_in_reducers_anywhere() {
    let s = Sandbox::new();
    ok(run(s.rewind(&["demo", "--events", "3000"])));
    let state = |args: &[&str]| json_lines(&ok(run(s.rewind(args)))).remove(0);
    let account = state(&["state", "Account-2", "--at-version", "10"]);
    assert!(
        account["reducer"].as_str().unwrap().starts_with("account@"),
        "{account}"
    );
    assert!(account["state"]["balance"].is_number(), "{account}");
    // The built-in reducer is the shipped one: the same id as the repository's config.
    let mut cmd = s.rewind_raw(&["state", "Account-2", "--at-version", "10"]);
    cmd.arg("--config")
        .arg(shipped_config())
        .arg("--db")
        .arg(s.db());
    let shipped = json_lines(&ok(run(cmd))).remove(0);
    assert_eq!(account["reducer"], shipped["reducer"]);
    assert_eq!(account["state"], shipped["state"]);
    let user = state(&["state", "User-1"]);
    assert!(user["state"]["first_name"].is_string(), "upcast: {user}");

    let other = Sandbox::new();
    ok(run(other.rewind(&[
        "append",
        "Account-1",
        "Opened",
        "--data",
        r#"{"owner":"ada"}"#,
    ])));
    let plain = json_lines(&ok(run(other.rewind(&["state", "Account-1"])))).remove(0);
    assert!(
        plain["reducer"]
            .as_str()
            .unwrap()
            .starts_with("merge-patch"),
        "not a demo: {plain}"
    );
}
