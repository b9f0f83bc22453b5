//! Real OS processes against one store file: racing writers, and processes killed with
//! SIGKILL in the middle of an import or an append.

mod common;

use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, json_lines, run};

fn actual_version(stderr: &str) -> u64 {
    let tail = stderr
        .split("actual version ")
        .nth(1)
        .unwrap_or_else(|| panic!("no actual version in {stderr:?}"));
    tail.trim().parse().unwrap()
}

/// 8 processes append to one stream, each retrying on exit code 3 with the actual version
/// the conflict reported: the stream ends with versions exactly 1..N, every write once.
#[test]
fn eight_processes_racing_on_one_stream() {
    let sandbox = Sandbox::new();
    race(&|args| sandbox.rewind(args));
}

/// The same race against PostgreSQL (a schema of its own on the test server).
#[test]
fn eight_processes_racing_on_one_postgres_stream() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(schema) = runtime.block_on(common::pg::PgSchema::new()) else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = schema.url();
    race(&|args| {
        let mut cmd = sandbox.rewind_bare(args);
        cmd.arg("--db").arg(&url);
        cmd
    });
}

/// Runs the race with `rewind(args)` building each command (store and config included).
fn race(rewind: &(dyn Fn(&[&str]) -> std::process::Command + Sync)) {
    const WORKERS: usize = 8;
    const EACH: usize = 12;
    let conflicts: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                scope.spawn(move || {
                    let mut known = 0u64;
                    let mut conflicts = 0;
                    for i in 0..EACH {
                        loop {
                            let data = format!(r#"{{"worker":{w},"i":{i}}}"#);
                            let expected = known.to_string();
                            let (code, out, err) = run(rewind(&[
                                "append",
                                "Race-1",
                                "Tick",
                                "--data",
                                &data,
                                "--expected-version",
                                &expected,
                            ]));
                            match code {
                                0 => {
                                    known = json_lines(&out)[0]["version"].as_u64().unwrap();
                                    break;
                                }
                                3 => {
                                    conflicts += 1;
                                    known = actual_version(&err);
                                }
                                other => panic!("worker {w}: exit {other}: {err}"),
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let events = json_lines(&run(rewind(&["read", "Race-1"])).1);
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (1..=(WORKERS * EACH) as u64).collect::<Vec<_>>());
    let writes: HashSet<(u64, u64)> = events
        .iter()
        .map(|e| {
            (
                e["data"]["worker"].as_u64().unwrap(),
                e["data"]["i"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        writes.len(),
        WORKERS * EACH,
        "no duplicate and no lost write"
    );
    eprintln!("{} appends, {conflicts} conflicts retried", WORKERS * EACH);
}

fn integrity_ok(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

/// An import killed half-way leaves the store exactly as it was.
#[test]
fn an_import_killed_mid_way_writes_nothing() {
    let sandbox = Sandbox::new();
    for n in 0..10 {
        run(sandbox.rewind(&[
            "append",
            "Before-1",
            "T",
            "--data",
            &format!(r#"{{"n":{n}}}"#),
        ]));
    }
    let before = run(sandbox.rewind(&["export"])).1;
    assert_eq!(before.lines().count(), 10);
    let file = sandbox.path("big.jsonl");
    let mut text = String::with_capacity(60 << 20);
    for n in 0..300_000u64 {
        let id = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n as u128);
        text.push_str(&format!(
            r#"{{"event_id":"{id}","stream_id":"Big-{}","event_type":"Filled","version":{},"data":{{"n":{n},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}},"metadata":{{}},"recorded_at":"2026-01-01T00:00:00Z"}}"#,
            n % 100,
            n / 100 + 1
        ));
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    let mut child = sandbox
        .rewind(&["import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import should still be running"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(run(sandbox.rewind(&["export"])).1, before);
    integrity_ok(&sandbox.db());
    // The store still takes writes.
    let (code, _, err) = run(sandbox.rewind(&["append", "After-1", "T"]));
    assert_eq!(code, 0, "{err}");
}

/// Appending processes are killed at random moments: every append that reported success
/// is in the store, each stream's versions stay consecutive, the file stays sound.
#[test]
fn appends_killed_at_random_lose_nothing_reported() {
    let sandbox = Sandbox::new();
    run(sandbox.rewind(&["append", "Kill-0", "Start"]));
    let sandbox = &sandbox;
    let deadline = Instant::now() + Duration::from_secs(4);
    let (reported, killed): (Vec<String>, usize) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2u64)
            .map(|w| {
                scope.spawn(move || {
                    let mut reported = Vec::new();
                    let mut killed = 0;
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        n += 1;
                        let mut child = sandbox
                            .rewind(&[
                                "append",
                                &format!("Kill-{w}"),
                                "T",
                                "--data",
                                &format!(r#"{{"n":{n}}}"#),
                            ])
                            .stdout(Stdio::piped())
                            .stderr(Stdio::null())
                            .spawn()
                            .unwrap();
                        // Vary the moment of the kill across the process's life.
                        std::thread::sleep(Duration::from_micros(
                            (n * 7919 + w * 104_729) % 25_000,
                        ));
                        let _ = child.kill();
                        let output = child.wait_with_output().unwrap();
                        if output.status.success() {
                            let out = String::from_utf8(output.stdout).unwrap();
                            reported
                                .push(json_lines(&out)[0]["event_id"].as_str().unwrap().to_owned());
                        } else {
                            killed += 1;
                        }
                    }
                    (reported, killed)
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).fold(
            (Vec::new(), 0),
            |(mut r, k), (r2, k2)| {
                r.extend(r2);
                (r, k + k2)
            },
        )
    });
    assert!(killed > 0, "some appends were killed");
    integrity_ok(&sandbox.db());
    let log = json_lines(&run(sandbox.rewind(&["log"])).1);
    let present: HashSet<&str> = log
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    for id in &reported {
        assert!(
            present.contains(id.as_str()),
            "reported event {id} is missing"
        );
    }
    for stream in ["Kill-0", "Kill-1"] {
        let versions: Vec<u64> = log
            .iter()
            .filter(|e| e["stream_id"] == stream)
            .map(|e| e["version"].as_u64().unwrap())
            .collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "{stream}"
        );
    }
    eprintln!("{} appends reported, {killed} killed", reported.len());
}
