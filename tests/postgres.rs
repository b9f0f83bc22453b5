//! PostgreSQL beyond the conformance suite: reading never changes the database, someone
//! else's table of the common schema, `rewind migrate`, read-only mode, SQLite → PostgreSQL
//! → SQLite round trips, and live updates that survive a lost LISTEN connection.
//! Each test has a schema of its own on `REWIND_TEST_PG_URL`; all skip when it is unset.

mod common;

use std::process::Command;
use std::time::Duration;

use common::pg::PgSchema;
use common::{Sandbox, json_lines, run, run_with_stdin};
use rewind::store::{ExpectedVersion, LogFilter, NewEvent};
use serde_json::{Value, json};
use sqlx::Row;

fn cli(sandbox: &Sandbox, url: &str, args: &[&str]) -> Command {
    let mut cmd = sandbox.rewind_bare(args);
    cmd.arg("--db").arg(url);
    cmd
}

async fn tables(schema: &PgSchema) -> Vec<String> {
    let pool = schema.pool().await;
    let rows = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    )
    .bind(&schema.name)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter().map(|r| r.get(0)).collect()
}

async fn count_events(schema: &PgSchema) -> i64 {
    let pool = schema.pool().await;
    let n: i64 = sqlx::query("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_never_changes_the_database_and_read_only_refuses_writes() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = schema.url();
    for args in [
        &["log"][..],
        &["streams"],
        &["read", "A-1"],
        &["state", "A-1"],
        &["export"],
    ] {
        let (code, _, err) = run(cli(&sandbox, &url, args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("no event store"), "{args:?}: {err}");
    }
    assert!(tables(&schema).await.is_empty(), "reading created nothing");

    // --read-only refuses the first write too, and creates nothing.
    let (code, _, err) = run(cli(&sandbox, &url, &["--read-only", "append", "A-1", "T"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("read-only"), "{err}");
    assert!(tables(&schema).await.is_empty());

    // The first write creates rewind's schema.
    let (code, out, err) = run(cli(
        &sandbox,
        &url,
        &["append", "A-1", "T", "--data", "{\"n\":1}"],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out)[0]["version"], 1);
    assert_eq!(
        tables(&schema).await,
        [
            "checkpoints",
            "events",
            "rewind_meta",
            "rewind_schema",
            "snapshots",
            "streams"
        ]
    );

    // Read-only sessions: every kind of write refused with exit 1, nothing written.
    for args in [
        &["--read-only", "append", "A-1", "T"][..],
        &["--read-only", "snapshot", "build", "A-1"],
        &["--read-only", "import", "-"],
    ] {
        let (code, _, err) = run(cli(&sandbox, &url, args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("read-only"), "{args:?}: {err}");
    }
    assert_eq!(count_events(&schema).await, 1);
    // A state query on PostgreSQL saves no snapshots (reading changes nothing).
    let lines: String = (2..=150)
        .map(|n| format!("{{\"stream_id\":\"A-1\",\"event_type\":\"T\",\"data\":{{\"n\":{n}}}}}\n"))
        .collect();
    let (code, _, err) = run_with_stdin(cli(&sandbox, &url, &["append", "--jsonl", "-"]), &lines);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(cli(&sandbox, &url, &["state", "A-1"]));
    assert_eq!(code, 0);
    assert_eq!(json_lines(&out)[0]["state"]["n"], 150);
    let (_, out, _) = run(cli(&sandbox, &url, &["snapshot", "list", "--all"]));
    assert!(out.trim().is_empty(), "no snapshot saved by a read: {out}");
}

/// A table of the common schema made by plain SQL, rows inserted by SQL: rewind reads it,
/// time-travels it and projects it; the first write applies rewind's additive migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_table_of_the_common_schema() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let pool = schema.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE events (
            id uuid PRIMARY KEY,
            stream_id text NOT NULL,
            stream_type text NOT NULL,
            event_type text NOT NULL,
            event_data jsonb NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}',
            version integer NOT NULL,
            global_position bigserial UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, version));
         INSERT INTO events (id, stream_id, stream_type, event_type, event_data, version, created_at) VALUES
          (gen_random_uuid(), 'Account-1', 'Account', 'Opened', '{\"owner\": \"ann\"}', 1, '2026-01-01T10:00:00Z'),
          (gen_random_uuid(), 'Account-1', 'Account', 'Deposited', '{\"balance\": 50}', 2, '2026-01-02T10:00:00Z'),
          (gen_random_uuid(), 'Order-9', 'Order', 'Placed', '{\"total\": 12}', 1, '2026-01-02T11:00:00Z'),
          (gen_random_uuid(), 'Account-1', 'Account', 'Deposited', '{\"balance\": 75}', 3, '2026-01-03T10:00:00Z');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let url = schema.url();

    let (code, out, err) = run(cli(&sandbox, &url, &["read", "Account-1"]));
    assert_eq!(code, 0, "{err}");
    let events = json_lines(&out);
    assert_eq!(events.len(), 3);
    assert_eq!(events[1]["data"], json!({"balance": 50}));
    assert_eq!(events[1]["recorded_at"], "2026-01-02T10:00:00.000000Z");

    let (_, out, _) = run(cli(&sandbox, &url, &["log"]));
    let types: Vec<Value> = json_lines(&out)
        .iter()
        .map(|e| e["event_type"].clone())
        .collect();
    assert_eq!(types, ["Opened", "Deposited", "Placed", "Deposited"]);

    let (code, out, err) = run(cli(
        &sandbox,
        &url,
        &["state", "Account-1", "--at-time", "2026-01-02T12:00:00Z"],
    ));
    assert_eq!(code, 0, "{err}");
    let state = &json_lines(&out)[0];
    assert_eq!(state["version"], 2);
    assert_eq!(state["state"], json!({"owner": "ann", "balance": 50}));

    std::fs::write(
        sandbox.path("count.js"),
        "fromAll().when({ $init: () => ({ n: 0, types: {} }), \
         $any: (s, e) => { s.n += 1; s.types[e.eventType] = (s.types[e.eventType] || 0) + 1; } })",
    )
    .unwrap();
    let (code, out, err) = run(cli(&sandbox, &url, &["project", "run", "count.js"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json_lines(&out)[0],
        json!({"n": 4, "types": {"Opened": 1, "Deposited": 2, "Placed": 1}})
    );
    assert_eq!(tables(&schema).await, ["events"], "reading added nothing");

    // A writing command applies rewind's additive migration first (docs/architecture.md: "on
    // PostgreSQL only when a command writes"); the rows stay as they were.
    let (code, out, err) = run(cli(
        &sandbox,
        &url,
        &[
            "append",
            "Account-1",
            "Deposited",
            "--expected-version",
            "5",
        ],
    ));
    assert_eq!(code, 3, "a conflict, after migrating: {out} {err}");
    assert_eq!(count_events(&schema).await, 4);
    assert!(
        tables(&schema).await.contains(&"rewind_schema".to_owned()),
        "migrated by the write"
    );

    // Migrating again is a no-op that says the version.
    let (code, out, err) = run(cli(&sandbox, &url, &["migrate"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json_lines(&out)[0]["schema_version"],
        rewind::store::postgres::SCHEMA_VERSION
    );
    let (code, out, err) = run(cli(
        &sandbox,
        &url,
        &[
            "append",
            "Account-1",
            "Deposited",
            "--data",
            "{\"balance\":80}",
            "--expected-version",
            "3",
        ],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out)[0]["version"], 4);
    let (_, out, _) = run(cli(&sandbox, &url, &["log"]));
    let log = json_lines(&out);
    assert_eq!(log.len(), 5);
    assert_eq!(
        log[..4]
            .iter()
            .map(|e| e["version"].clone())
            .collect::<Vec<_>>(),
        [1, 2, 1, 3]
    );
    assert_eq!(log[4]["data"], json!({"balance": 80}));
    let (_, out, _) = run(cli(&sandbox, &url, &["streams"]));
    let streams = json_lines(&out);
    assert_eq!(streams.len(), 2);
    assert_eq!(streams[0]["version"], 4);
    pool.close().await;
}

/// Every event of a SQLite demo store goes to PostgreSQL and back unchanged but for its
/// global position (data compared as JSON values: jsonb keeps objects in its own key order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_to_sqlite_round_trip() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = schema.url();
    let a = sandbox.path("a.db");
    let c = sandbox.path("c.db");
    let db = |p: &std::path::Path| p.display().to_string();
    let steps: Vec<Vec<String>> = vec![
        vec![
            "--db".into(),
            db(&a),
            "demo".into(),
            "--events".into(),
            "3000".into(),
        ],
        vec![
            "--db".into(),
            db(&a),
            "export".into(),
            "--out".into(),
            "a.jsonl".into(),
        ],
        vec![
            "--db".into(),
            url.clone(),
            "import".into(),
            "a.jsonl".into(),
        ],
        vec![
            "--db".into(),
            url.clone(),
            "export".into(),
            "--out".into(),
            "b.jsonl".into(),
        ],
        vec!["--db".into(), db(&c), "import".into(), "b.jsonl".into()],
        vec![
            "--db".into(),
            db(&c),
            "export".into(),
            "--out".into(),
            "c.jsonl".into(),
        ],
    ];
    for step in steps {
        let args: Vec<&str> = step.iter().map(String::as_str).collect();
        let (code, _, err) = run(sandbox.rewind_bare(&args));
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let read = |name: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(sandbox.path(name)).unwrap();
        json_lines(&text)
            .into_iter()
            .map(|mut e| {
                e.as_object_mut().unwrap().remove("global_position");
                e
            })
            .collect()
    };
    let (first, middle, last) = (read("a.jsonl"), read("b.jsonl"), read("c.jsonl"));
    assert!(first.len() >= 3000);
    assert_eq!(first, middle, "SQLite → PostgreSQL");
    assert_eq!(first, last, "→ SQLite again");
}

async fn next(sub: &mut rewind::store::Subscription) -> Vec<rewind::store::RecordedEvent> {
    tokio::time::timeout(Duration::from_secs(10), sub.next_batch())
        .await
        .expect("an event within 10 s")
        .unwrap()
}

/// A follower keeps receiving after its LISTEN connection is killed: the listener
/// reconnects, and nothing is lost or repeated meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_survive_a_lost_listen_connection() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let writer = schema.store().await;
    writer
        .append(
            "W-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("T", json!({"n": 0}))],
        )
        .await
        .unwrap();
    let reader = schema.store().await;
    let mut subscription = reader.subscribe(0, LogFilter::default());
    let mut seen = Vec::new();
    seen.extend(next(&mut subscription).await);
    let pool = schema.pool().await;
    for n in 1..=6 {
        if n % 2 == 0 {
            // Kill every LISTEN connection of this database.
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
        writer
            .append(
                "W-1",
                ExpectedVersion::Any,
                vec![NewEvent::new("T", json!({"n": n}))],
            )
            .await
            .unwrap();
        while seen.len() < n + 1 {
            seen.extend(next(&mut subscription).await);
        }
    }
    let ns: Vec<i64> = seen
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e.data.get()).unwrap()["n"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ns, (0..=6).collect::<Vec<_>>());
    pool.close().await;
}

/// Appends announce themselves with a NOTIFY sent after their commit, off the append's
/// path: a library append is announced, a burst of concurrent appends is announced, and
/// a `rewind append` process that exits at once still announces its event before it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_are_announced_even_by_a_process_that_exits_at_once() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let store = schema.store().await;
    let pool = schema.pool().await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener
        .listen(rewind::store::postgres::CHANNEL)
        .await
        .unwrap();
    let announced = async |listener: &mut sqlx::postgres::PgListener| {
        tokio::time::timeout(Duration::from_secs(3), listener.recv())
            .await
            .is_ok_and(|n| n.is_ok())
    };

    store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("T", json!({}))],
        )
        .await
        .unwrap();
    assert!(announced(&mut listener).await, "a library append");

    let burst: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let event = vec![NewEvent::new("T", json!({}))];
                store
                    .append(&format!("B-{i}"), ExpectedVersion::Any, event)
                    .await
            })
        })
        .collect();
    for append in burst {
        append.await.unwrap().unwrap();
    }
    store.flush().await;
    let mut notifications = 0;
    while tokio::time::timeout(Duration::from_millis(300), listener.recv())
        .await
        .is_ok()
    {
        notifications += 1;
    }
    // How many depends on timing; at least one, and typically far fewer than 50.
    eprintln!("50 concurrent appends: {notifications} notifications");
    assert!(notifications >= 1, "the burst was announced");

    let sandbox = Sandbox::new();
    let (code, _, err) = run(cli(&sandbox, &schema.url(), &["append", "A-2", "T"]));
    assert_eq!(code, 0, "{err}");
    assert!(announced(&mut listener).await, "a process that exited");
    // The listener holds one of the pool's connections: close waits for it.
    drop(listener);
    pool.close().await;
}

/// A store rewind made at schema version 1 (its `rewind_append` ran statements per
/// segment): reading changes nothing; the first write brings it to the current version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_store_is_read_as_it_is_and_upgraded_by_the_first_write() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let pool = schema.pool().await;
    sqlx::raw_sql(include_str!(
        "../src/store/migrations/postgres_001_initial.sql"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE rewind_schema (version integer NOT NULL); \
         INSERT INTO rewind_schema VALUES (1); \
         SELECT * FROM rewind_append(ARRAY['Old-1'], ARRAY['Old'], ARRAY[0], ARRAY[0::int8], \
         ARRAY[2], ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['A', 'B'], \
         ARRAY['{\"n\": 1}'::jsonb, '{\"n\": 2}'], ARRAY['{}'::jsonb, '{}'], ARRAY[1, 1]);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let function = || async {
        let body: String = sqlx::query(
            "SELECT prosrc FROM pg_proc WHERE proname = 'rewind_append' \
             AND pronamespace = current_schema()::regnamespace",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
        let version: i32 = sqlx::query("SELECT version FROM rewind_schema")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        (body.contains("ev_versions"), version)
    };

    let store = schema.store().await;
    let old = store
        .read_stream("Old-1", Default::default())
        .await
        .unwrap();
    assert_eq!(
        old.iter().map(|e| e.data.get()).collect::<Vec<_>>(),
        [r#"{"n":1}"#, r#"{"n":2}"#]
    );
    assert_eq!(function().await, (false, 1), "reading changed nothing");

    let stored = store
        .append(
            "Old-1",
            ExpectedVersion::Exact(2),
            vec![NewEvent::new("C", json!({"n": 3}))],
        )
        .await
        .unwrap();
    assert_eq!(stored[0].version, 3);
    assert_eq!(
        function().await,
        (true, rewind::store::postgres::SCHEMA_VERSION as i32),
        "the first write migrated"
    );
    let all = store
        .read_stream("Old-1", Default::default())
        .await
        .unwrap();
    assert_eq!(all.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        store.stream_info("Old-1").await.unwrap().unwrap().version,
        3
    );
    drop(store);
    pool.close().await;
}

/// A PostgreSQL user who may read but not write: reading works, an append says the user
/// lacks the privilege, exits 1 and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_write_rights_gets_a_clear_error_and_nothing_is_written() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = schema.url();
    let (code, _, err) = run(cli(&sandbox, &url, &["append", "A-1", "T", "--data", "{}"]));
    assert_eq!(code, 0, "{err}");
    let role = format!("{}_reader", schema.name);
    let pool = schema.pool().await;
    for statement in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA {} TO {role}", schema.name),
        format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {role}",
            schema.name
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&pool)
            .await
            .unwrap();
    }
    // The same server and schema, as the reader.
    let reader_url = url.replacen("://postgres@", &format!("://{role}@"), 1);
    if reader_url == url {
        // Another user or a password in the URL: this test needs trust auth as `postgres`.
        eprintln!(
            "note: REWIND_TEST_PG_URL is not postgres://postgres@…: read-only user test skipped"
        );
        return;
    }
    let (code, out, err) = run(cli(&sandbox, &reader_url, &["read", "A-1"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&out).len(), 1);
    let (code, _, err) = run(cli(
        &sandbox,
        &reader_url,
        &["append", "A-1", "T", "--data", "{}"],
    ));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("permission denied") && err.contains("nothing written"),
        "{err}"
    );
    assert_eq!(count_events(&schema).await, 1);
    for statement in [
        format!(
            "REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {role}",
            schema.name
        ),
        format!("REVOKE USAGE ON SCHEMA {} FROM {role}", schema.name),
        format!("DROP ROLE {role}"),
    ] {
        let _ = sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&pool)
            .await;
    }
    pool.close().await;
}

/// `rewind demo` on an empty PostgreSQL database builds the demo there (it used to stop
/// at "no events table"), and a second run reuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_builds_on_an_empty_database() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let url = schema.url();
    let (code, out, err) = run(cli(&sandbox, &url, &["demo", "--events", "500"]));
    assert_eq!(code, 0, "{err}");
    assert!(!out.is_empty(), "a summary off a terminal");
    assert_eq!(count_events(&schema).await, 500);
    let (code, _, err) = run(cli(&sandbox, &url, &["demo", "--events", "500"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(count_events(&schema).await, 500, "reused, not built twice");
    let info = &json_lines(&run(cli(&sandbox, &url, &["info"])).1)[0];
    assert_eq!(info["kind"], "rewind");
    assert_eq!(info["writable"], true);
}

/// A server that refuses the connection is reported at once, with the cause (it used to
/// take the pool's 30 s acquire timeout and say only "pool timed out").
#[test]
fn a_refused_connection_is_reported_at_once() {
    let sandbox = Sandbox::new();
    let started = std::time::Instant::now();
    let (code, _, err) = run(cli(&sandbox, "postgres://x@127.0.0.1:1/x", &["streams"]));
    assert_eq!(code, 1);
    assert!(err.contains("Connection refused"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// `--where` equality on a data field is pushed down as containment, so a GIN index on
/// `event_data` serves it: the index's scan count rises and the one matching event of
/// 5,000 comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_equality_on_data_is_served_by_a_gin_index() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let store = schema.store().await;
    for batch in 0..5 {
        let events = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                let kind = if n == 3210 { "rare" } else { "common" };
                NewEvent::new("Noted", json!({"n": n, "kind": kind}))
            })
            .collect();
        store
            .append(&format!("Note-{batch}"), ExpectedVersion::Any, events)
            .await
            .unwrap();
    }
    let pool = schema.pool().await;
    sqlx::raw_sql(
        "CREATE INDEX events_data_gin ON events USING gin (event_data jsonb_path_ops); \
         ANALYZE events",
    )
    .execute(&pool)
    .await
    .unwrap();
    let scans = |pool: sqlx::PgPool| async move {
        sqlx::query(
            "SELECT coalesce(idx_scan, 0)::int8 FROM pg_stat_user_indexes \
             WHERE indexrelname = 'events_data_gin' AND schemaname = current_schema()",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
    };
    let before = scans(pool.clone()).await;
    let found = store
        .read_log(rewind::store::LogQuery {
            filter: LogFilter {
                matching: Some(rewind::store::expr::Where::parse("data.kind = 'rare'").unwrap()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stream_id, "Note-3");
    // A backend reports its index statistics when idle for a while or when it exits:
    // closing the store's connections makes it now.
    drop(store);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while scans(pool.clone()).await == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the GIN index was never scanned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool.close().await;
}
