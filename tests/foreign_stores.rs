//! Stores written by other projects' own code, opened by rewind read-only with every read
//! command working: Message DB (installed by its own install.sh, written with its
//! `write_message`), Emmett on PostgreSQL (written by `appendToStream` in Node.js), Marten
//! and Eventuous (their published DDL, rows as their writers produce them: there is no
//! .NET here), and a hand-made table mapped in config.toml's `[source]`.
//!
//! Each kind gets a database of its own (detection looks in every schema), the same
//! logical history, and the same checks: info, streams, reads, the log and its cursor,
//! time travel with a reducer, projections, snapshots into the sidecar, refused writes,
//! live follow of an append by the foreign writer, a SELECT-only role, and the foreign
//! tables unchanged at the end.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pg::server_url;
use common::tmux::Tmux;
use common::{Sandbox, json_lines, run, stdout_lines};
use serde_json::{Value, json};
use sqlx::Row;

/// A database of its own on the test server, dropped on drop.
struct ForeignDb {
    server: String,
    name: String,
}

impl ForeignDb {
    async fn new(tag: &str) -> Option<ForeignDb> {
        let server = server_url()?;
        let name = format!(
            "rewind_f_{tag}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let pool = sqlx::PgPool::connect(&server)
            .await
            .expect("the test server answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create a test database");
        pool.close().await;
        Some(ForeignDb { server, name })
    }

    /// The URL of this database, as `user` (None: the server URL's user).
    fn url_as(&self, user: Option<&str>) -> String {
        let base = self.server.split('?').next().unwrap_or(&self.server);
        let (prefix, _) = base.rsplit_once('/').expect("a database in the URL");
        let prefix = match user {
            Some(user) => {
                let (scheme, rest) = prefix.split_once("://").unwrap();
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                format!("{scheme}://{user}@{host}")
            }
            None => prefix.to_owned(),
        };
        format!("{prefix}/{}", self.name)
    }

    fn url(&self) -> String {
        self.url_as(None)
    }

    async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.url()).await.expect("connect")
    }

    /// A role that may only read: CONNECT, USAGE on every schema, SELECT on every table.
    async fn select_only_role(&self) -> String {
        let role = format!("{}_ro", self.name);
        let pool = self.pool().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {role} LOGIN;
             GRANT CONNECT ON DATABASE {db} TO {role};
             DO $$ DECLARE s text; BEGIN
               FOR s IN SELECT nspname FROM pg_namespace
                        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
                 EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', s);
                 EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {role}', s);
               END LOOP; END $$;",
            db = self.name
        )))
        .execute(&pool)
        .await
        .expect("a select-only role");
        pool.close().await;
        role
    }

    /// Every table in the database (any schema) with its row count.
    async fn tables_and_counts(&self) -> Vec<(String, i64)> {
        let pool = self.pool().await;
        let names: Vec<String> = sqlx::query(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
        let mut counts = Vec::new();
        for name in names {
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {name}")))
                .fetch_one(&pool)
                .await
                .unwrap()
                .get(0);
            counts.push((name, n));
        }
        pool.close().await;
        counts
    }
}

/// host, port and user of the server (`server`), for psql.
fn pg_env(server: &str, command: &mut Command) {
    let rest = server.split_once("://").unwrap().1;
    let (user, host) = rest.split_once('@').unwrap_or(("postgres", rest));
    let host = host.split(['/', '?']).next().unwrap();
    let (host, port) = host.split_once(':').unwrap_or((host, "5432"));
    command
        .env("PGHOST", host)
        .env("PGPORT", port)
        .env("PGUSER", user.split(':').next().unwrap());
}

impl Drop for ForeignDb {
    fn drop(&mut self) {
        // Two calls: DROP DATABASE refuses to run in a transaction, which is what several
        // statements in one call become.
        let name = &self.name;
        common::pg::run_on_server(
            &self.server,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        common::pg::run_on_server(&self.server, format!("DROP ROLE IF EXISTS {name}_ro"));
    }
}

/// tests/foreign, with the writers' npm packages installed (`.ci/run` runs `npm ci`; a
/// machine without them gets them here, once).
fn writers_dir() -> &'static Path {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/foreign");
    let dir: &'static Path = Box::leak(dir.into_boxed_path());
    INSTALL.call_once(|| {
        if !dir.join("node_modules/@eventide/message-db").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir)
                .status()
                .expect("npm runs (node and npm are needed for these tests)");
            assert!(status.success(), "npm ci in tests/foreign");
        }
    });
    dir
}

/// One event of the shared history.
struct Planned {
    stream: &'static str,
    event_type: &'static str,
    data: Value,
}

/// The history every kind holds: Account-1 (3 events) and Order-9 (1), interleaved.
fn history() -> Vec<Planned> {
    vec![
        Planned {
            stream: "Account-1",
            event_type: "Opened",
            data: json!({"owner": "ann"}),
        },
        Planned {
            stream: "Account-1",
            event_type: "Deposited",
            data: json!({"amount": 50}),
        },
        Planned {
            stream: "Order-9",
            event_type: "Placed",
            data: json!({"total": 12}),
        },
        Planned {
            stream: "Account-1",
            event_type: "Deposited",
            data: json!({"amount": 25}),
        },
    ]
}

/// What a kind's test knows about the store it wrote.
struct Expect {
    kind: &'static str,
    /// How the status bar names the kind.
    title: &'static str,
    /// The order stream's event type as the store writes it.
    placed: &'static str,
    /// The stream ids as the store names them (Marten's are uuids).
    account: String,
    order: String,
    /// The category of the account stream.
    category: String,
    /// Appends one more event to the account stream with the store's own writer.
    append_one: Box<dyn Fn() + Send>,
    /// More config for the store (a `[source]` mapping).
    config: &'static str,
}

/// Runs a writer's future to completion from a test thread (the checks run the binary
/// synchronously on a runtime worker): on a thread of its own, on `runtime`.
fn blocking(runtime: &tokio::runtime::Handle, work: impl std::future::Future<Output = ()> + Send) {
    std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(work));
    });
}

/// A reducer for the account stream that works whatever the store calls its types.
const REDUCER: &str = "when({ $init: () => ({ balance: 0, n: 0 }), \
    $any: (s, e) => { if (e.data.owner) s.owner = e.data.owner; \
    if (e.data.amount) s.balance += e.data.amount; s.n += 1; } })";

const COUNTER: &str = "fromAll().when({ $init: () => ({ n: 0, types: {} }), \
    $any: (s, e) => { s.n += 1; s.types[e.eventType] = (s.types[e.eventType] || 0) + 1; } })";

/// A sandbox whose config maps `category` to the reducer, keeps sidecars inside it, and
/// adds `extra` (a `[source]` section, say).
fn sandbox_for(category: &str, extra: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::write(sandbox.path("account.js"), REDUCER).unwrap();
    std::fs::write(sandbox.path("count.js"), COUNTER).unwrap();
    std::fs::write(
        sandbox.config(),
        format!(
            "sidecar_dir = \"sidecars\"\ngap_wait_ms = 500\n{extra}\n[reducers]\n\"{category}\" = \"account.js\"\n"
        ),
    )
    .unwrap();
    sandbox
}

fn rw(sandbox: &Sandbox, url: &str, args: &[&str]) -> (i32, String, String) {
    let mut cmd = sandbox.rewind_bare(args);
    cmd.arg("--db").arg(url);
    run(cmd)
}

fn ok(sandbox: &Sandbox, url: &str, args: &[&str]) -> Vec<Value> {
    let (code, out, err) = rw(sandbox, url, args);
    assert_eq!(code, 0, "rewind {args:?}: {err}");
    json_lines(&out)
}

/// Every read view on `url`, checked against the shared history.
fn check_reads(sandbox: &Sandbox, url: &str, e: &Expect) {
    let info = &ok(sandbox, url, &["info"])[0];
    assert_eq!(info["kind"], e.kind, "{info}");
    assert_eq!(info["writable"], false, "{info}");
    assert_eq!(info["events"], 4, "{info}");
    assert!(info["sidecar"].as_str().is_some(), "{info}");

    // Streams, with versions from 1.
    let streams = ok(sandbox, url, &["streams"]);
    let version_of = |id: &str| {
        streams
            .iter()
            .find(|s| s["stream_id"] == id)
            .map(|s| s["version"].clone())
    };
    assert_eq!(version_of(&e.account), Some(json!(3)), "{streams:?}");
    assert_eq!(version_of(&e.order), Some(json!(1)), "{streams:?}");

    // Reads forwards, backwards and in ranges.
    let events = ok(sandbox, url, &["read", &e.account]);
    let versions: Vec<&Value> = events.iter().map(|v| &v["version"]).collect();
    assert_eq!(versions, [&json!(1), &json!(2), &json!(3)]);
    assert_eq!(events[1]["data"], json!({"amount": 50}));
    assert_eq!(events[0]["stream_type"], e.category.as_str());
    let back = ok(
        sandbox,
        url,
        &["read", &e.account, "--backward", "--limit", "2"],
    );
    assert_eq!(back[0]["version"], 3);
    assert_eq!(back[1]["version"], 2);
    let range = ok(
        sandbox,
        url,
        &["read", &e.account, "--from", "2", "--to", "2"],
    );
    assert_eq!(range.len(), 1);
    assert_eq!(range[0]["data"], json!({"amount": 50}));

    // The log in order, and its cursor.
    let log = ok(sandbox, url, &["log"]);
    let data: Vec<&Value> = log.iter().map(|v| &v["data"]).collect();
    let planned: Vec<Value> = history().into_iter().map(|p| p.data).collect();
    assert_eq!(data, planned.iter().collect::<Vec<_>>(), "log order");
    let second = log[1]["global_position"].to_string();
    let after = ok(sandbox, url, &["log", "--after", &second]);
    assert_eq!(after.len(), 2);
    assert_eq!(after[0]["data"], json!({"total": 12}));
    let by_category = ok(sandbox, url, &["log", "--category", &e.category]);
    assert_eq!(by_category.len(), 3);

    // Time travel with the mapped reducer: at a version, a time and a position.
    let state = &ok(sandbox, url, &["state", &e.account, "--at-version", "2"])[0];
    assert_eq!(
        state["state"],
        json!({"balance": 50, "n": 2, "owner": "ann"})
    );
    assert_ne!(state["reducer"].as_str().unwrap_or(""), "");
    let at = events[1]["recorded_at"].as_str().unwrap();
    let expected_version = events
        .iter()
        .filter(|ev| ev["recorded_at"].as_str().unwrap() <= at)
        .map(|ev| ev["version"].as_u64().unwrap())
        .max()
        .unwrap();
    let state = &ok(sandbox, url, &["state", &e.account, "--at-time", at])[0];
    assert_eq!(state["version"], expected_version);
    let position = events[1]["global_position"].to_string();
    let state = &ok(
        sandbox,
        url,
        &["state", &e.account, "--at-position", &position],
    )[0];
    assert_eq!(state["version"], 2);
    let state = &ok(sandbox, url, &["state", &e.account])[0];
    assert_eq!(state["state"]["balance"], 75);
    let diff = &ok(
        sandbox,
        url,
        &["state", &e.account, "--at-version", "3", "--diff"],
    )[0];
    assert_eq!(diff["from_version"], 2);

    // Projections.
    let result = &ok(sandbox, url, &["project", "run", "count.js"])[0];
    assert_eq!(result["n"], 4, "{result}");

    // Export streams every event in log order.
    let exported = ok(sandbox, url, &["export"]);
    assert_eq!(exported.len(), 4);

    check_queries_and_types(sandbox, url, e);
}

/// `--where`, `rewind query` and the type catalog on the kind: pushed down to its tables,
/// the catalog kept in the sidecar so that a second run reads nothing.
fn check_queries_and_types(sandbox: &Sandbox, url: &str, e: &Expect) {
    let big = ok(sandbox, url, &["log", "--where", "data.amount > 30"]);
    assert_eq!(big.len(), 1, "{big:?}");
    assert_eq!(big[0]["data"], json!({"amount": 50}));
    let placed = format!("type = '{}'", e.placed);
    let streams = ok(sandbox, url, &["streams", "--where", &placed]);
    let ids: Vec<&Value> = streams.iter().map(|s| &s["stream_id"]).collect();
    assert_eq!(ids, [&json!(e.order)]);
    let in_account = format!("category = '{}'", e.category);
    let sum = ok(
        sandbox,
        url,
        &["query", "sum", "data.amount", "--where", &in_account],
    );
    assert_eq!(sum, [json!({"count": 3, "sum": 75})]);

    let (code, out, err) = rw(sandbox, url, &["types"]);
    assert_eq!(code, 0, "{err}");
    let types = common::json_lines(&out);
    let count_of = |name: &str| {
        types
            .iter()
            .find(|t| t["event_type"] == name)
            .map(|t| t["count"].clone())
    };
    assert_eq!(count_of(e.placed), Some(json!(1)), "{types:?}");
    // The deposits (a kind may name the type in its own case): data.amount, a number in
    // both, whatever schema versions the writer gave them.
    let amounts: Vec<(u64, &Value)> = types
        .iter()
        .flat_map(|t| t["shapes"].as_array().unwrap())
        .filter_map(|shape| {
            let field = &shape["fields"]["data.amount"];
            field["present"]
                .as_u64()
                .map(|n| (n, &field["types"]["number"]))
        })
        .collect();
    assert_eq!(amounts.iter().map(|(n, _)| n).sum::<u64>(), 2, "{types:?}");
    assert!(
        amounts
            .iter()
            .all(|(n, numbers)| numbers.as_u64() == Some(*n)),
        "{types:?}"
    );
    let (code, _, err) = rw(sandbox, url, &["types"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("types: 0 events read"),
        "kept in the sidecar: {err}"
    );
}

/// Snapshots go to the sidecar; writes into the foreign store are refused, exit 1.
fn check_state_and_refusals(sandbox: &Sandbox, url: &str, e: &Expect) {
    let (code, _, err) = rw(
        sandbox,
        url,
        &["snapshot", "build", &e.account, "--every", "1"],
    );
    assert_eq!(code, 0, "{err}");
    let list = ok(sandbox, url, &["snapshot", "list", &e.account]);
    assert_eq!(list.len(), 3, "{list:?}");
    let (code, _, err) = rw(sandbox, url, &["snapshot", "verify", &e.account]);
    assert_eq!(code, 0, "{err}");
    let info = &ok(sandbox, url, &["info"])[0];
    let sidecar = info["sidecar"].as_str().unwrap();
    assert!(Path::new(sidecar).is_file(), "{sidecar}");
    assert!(
        Path::new(sidecar).starts_with(sandbox.path("sidecars")),
        "the config's sidecar_dir: {sidecar}"
    );
    let state = &ok(sandbox, url, &["state", &e.account])[0];
    assert_eq!(
        state["snapshot_version"], 3,
        "read from the sidecar: {state}"
    );

    for args in [
        vec![
            "append",
            e.account.as_str(),
            "Deposited",
            "--data",
            "{\"amount\":1}",
        ],
        vec!["project", "run", "count.js", "--emit"],
    ] {
        let (code, _, err) = rw(sandbox, url, &args);
        assert_eq!(code, 1, "{args:?} refused: {err}");
        assert!(
            err.contains("never writes") && err.lines().count() == 1,
            "one line naming why: {err}"
        );
    }
    let line = "{\"event_id\":\"0190a1b2-0000-7000-8000-000000000001\",\"stream_id\":\"X-1\",\
        \"stream_type\":\"X\",\"event_type\":\"T\",\"version\":1,\"schema_version\":1,\"data\":{},\
        \"metadata\":{},\"global_position\":1,\"recorded_at\":\"2026-01-01T00:00:00.000000Z\"}\n";
    std::fs::write(sandbox.path("one.jsonl"), line).unwrap();
    let (code, _, err) = rw(sandbox, url, &["import", "one.jsonl"]);
    assert_eq!(code, 1, "import refused: {err}");
    assert!(err.contains("never writes"), "{err}");
}

/// `log --follow` shows an append by the foreign writer within a second.
fn check_follow(sandbox: &Sandbox, url: &str, e: &Expect) {
    let head = ok(sandbox, url, &["info"])[0]["head_position"].to_string();
    let mut cmd = sandbox.rewind_bare(&["log", "--follow", "--after", &head]);
    cmd.arg("--db").arg(url).stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let lines = stdout_lines(&mut child);
    std::thread::sleep(Duration::from_millis(700));
    (e.append_one)();
    let appended = Instant::now();
    let line = lines.recv_timeout(Duration::from_secs(5));
    let latency = appended.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("the foreign append arrives");
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["stream_id"], e.account.as_str());
    assert_eq!(event["version"], 4);
    eprintln!(
        "{}: follow noticed the foreign append after {latency:?}",
        e.kind
    );
    assert!(latency < Duration::from_millis(1500), "{latency:?}");
}

/// Every view of the TUI on the store: Streams, a stream and its event, Log, time
/// travel, Snapshots (what the sidecar holds), the workbench running a projection.
fn check_tui(sandbox: &Sandbox, url: &str, e: &Expect) {
    let config = sandbox.config().display().to_string();
    let tui = Tmux::start(sandbox, &["--config", &config, "--db", url], false, "");
    let screen = tui.expect(&e.account);
    assert!(
        screen.contains(e.title),
        "the status bar names the kind: {screen}"
    );
    // The figures arrive from a background query after the first frame.
    tui.expect("4 events");
    tui.keys(&[":", &format!("stream {}", e.account), "Enter"]);
    tui.expect("\"owner\"");
    tui.keys(&["3"]);
    tui.expect("v1 of 3");
    tui.keys(&["Right"]);
    let screen = tui.expect("v2 of 3");
    assert!(
        screen.contains("balance"),
        "the mapped reducer's state: {screen}"
    );
    tui.keys(&["2"]);
    tui.expect(e.placed);
    tui.keys(&["4"]);
    tui.expect("account@");
    tui.keys(&["q"]);
    // The workbench, its script loaded, runs the projection over the foreign log.
    let script = sandbox.path("count.js").display().to_string();
    let tui = Tmux::start(
        sandbox,
        &["--config", &config, "--db", url, "workbench", &script],
        false,
        "",
    );
    tui.expect("5 Workbench");
    tui.keys(&["C-r"]);
    tui.expect("n: 4");
    tui.keys(&["Escape", "q"]);
}

/// The whole check, for one kind.
async fn check_kind(db: &ForeignDb, e: Expect) {
    let sandbox = sandbox_for(&e.category, e.config);
    let url = db.url();
    let before = db.tables_and_counts().await;
    check_reads(&sandbox, &url, &e);
    check_state_and_refusals(&sandbox, &url, &e);
    check_tui(&sandbox, &url, &e);
    assert_eq!(db.tables_and_counts().await, before, "nothing written");

    // A role with SELECT only reads every view (and keeps state in its sidecar).
    let role = db.select_only_role().await;
    let ro_url = db.url_as(Some(&role));
    let ro_sandbox = sandbox_for(&e.category, e.config);
    check_reads(&ro_sandbox, &ro_url, &e);
    let (code, _, err) = rw(&ro_sandbox, &ro_url, &["snapshot", "build", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(db.tables_and_counts().await, before, "nothing written");

    check_follow(&sandbox, &url, &e);
}

// --- Message DB ---------------------------------------------------------------------

/// Writes one message with Message DB's own `write_message`.
fn message_db_write(server: &str, database: &str, stream: &str, event_type: &str, data: &Value) {
    let sql = format!(
        "SELECT message_store.write_message(gen_random_uuid()::text, '{stream}', '{event_type}', \
         '{data}'::jsonb, '{{}}'::jsonb)"
    );
    let mut psql = Command::new("psql");
    pg_env(server, &mut psql);
    let out = psql
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", &sql])
        // Message DB's functions find each other on its schema.
        .env("PGOPTIONS", "-c search_path=message_store")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_db() {
    let Some(db) = ForeignDb::new("mdb").await else {
        return;
    };
    let dir = writers_dir().join("node_modules/@eventide/message-db/database");
    let mut install = Command::new("bash");
    pg_env(&db.server, &mut install);
    let out = install
        .arg(dir.join("install.sh"))
        .env("DATABASE_NAME", &db.name)
        .env("CREATE_DATABASE", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Message DB's install.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in history() {
        message_db_write(&db.server, &db.name, p.stream, p.event_type, &p.data);
    }
    let (server, name) = (db.server.clone(), db.name.clone());
    let append_one = Box::new(move || {
        message_db_write(
            &server,
            &name,
            "Account-1",
            "Deposited",
            &json!({"amount": 1}),
        );
    });
    check_kind(
        &db,
        Expect {
            kind: "message-db",
            title: "Message DB",
            placed: "Placed",
            account: "Account-1".into(),
            order: "Order-9".into(),
            category: "Account".into(),
            config: "",
            append_one,
        },
    )
    .await;
    // A write rolled back leaves a gap in global_position: readers wait gap_wait_ms
    // (500 in these tests) for it, then pass it, and the TUI's status line says so.
    let mut psql = Command::new("psql");
    pg_env(&db.server, &mut psql);
    let out = psql
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &db.name])
        .args([
            "-c",
            "BEGIN; SELECT message_store.write_message(gen_random_uuid()::text, 'Gap-1', 'T', \
             '{}'::jsonb); ROLLBACK;",
        ])
        .env("PGOPTIONS", "-c search_path=message_store")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    message_db_write(
        &db.server,
        &db.name,
        "After-1",
        "T",
        &json!({"after": true}),
    );
    std::thread::sleep(Duration::from_millis(600));
    let sandbox = sandbox_for("Account", "");
    let log = ok(&sandbox, &db.url(), &["log"]);
    assert_eq!(
        log.last().unwrap()["stream_id"],
        "After-1",
        "read past the gap"
    );
    let config = sandbox.config().display().to_string();
    let url = db.url();
    // Wide enough for the whole status line (at 80 columns it is cut: issue 16).
    let tui = Tmux::start_sized(
        &sandbox,
        &["--config", &config, "--db", &url],
        false,
        "",
        (240, 30),
    );
    tui.expect("Account-1");
    tui.keys(&["2"]);
    tui.expect("passed a gap at position");
    tui.keys(&["q"]);

    // Message DB's category() keeps a `:type` qualifier out of the id part only.
    let sandbox = sandbox_for("Account", "");
    message_db_write(
        &db.server,
        &db.name,
        "Account:command-7",
        "Deposit",
        &json!({"amount": 3}),
    );
    let streams = ok(
        &sandbox,
        &db.url(),
        &["streams", "--category", "Account:command"],
    );
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(streams[0]["version"], 1);
}

// --- Emmett on PostgreSQL -----------------------------------------------------------

/// Runs one of Emmett's writer scripts on `target` (a URL or a file), one JSON line per
/// event on its stdin: (stream, type, data).
fn emmett_write(script: &Path, target: &str, events: &[(&str, &str, Value)]) {
    let mut node = Command::new("node")
        .arg(script)
        .arg(target)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    {
        let stdin = node.stdin.as_mut().unwrap();
        for (stream, event_type, data) in events {
            let line = json!({"stream": stream, "type": event_type, "data": data});
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = node.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "Emmett's appendToStream ({}): {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn emmett_append(url: &str, events: &[(&str, &str, Value)]) {
    emmett_write(&writers_dir().join("emmett.mjs"), url, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emmett_postgresql() {
    let Some(db) = ForeignDb::new("emt").await else {
        return;
    };
    let url = db.url();
    // One appendToStream call per run of one stream's events, as an application would.
    let planned: Vec<(&str, &str, Value)> = history()
        .into_iter()
        .map(|p| (p.stream, p.event_type, p.data))
        .collect();
    emmett_append(&url, &planned);
    let writer_url = url.clone();
    check_kind(
        &db,
        Expect {
            kind: "emmett",
            title: "Emmett",
            placed: "Placed",
            account: "Account-1".into(),
            order: "Order-9".into(),
            category: "Account".into(),
            config: "",
            append_one: Box::new(move || {
                emmett_append(
                    &writer_url,
                    &[("Account-1", "Deposited", json!({"amount": 1}))],
                );
            }),
        },
    )
    .await;
}

// --- Marten -------------------------------------------------------------------------

/// Appends as Marten's QuickAppend does: the stream row, then events numbered from the
/// stream's version with seq_id from mt_events_sequence, type as its alias (snake case).
async fn marten_append(
    pool: &sqlx::PgPool,
    stream: &str,
    aggregate: &str,
    events: &[(&str, Value)],
) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO mt_streams (id, type, version, timestamp, created, tenant_id) \
         VALUES ($1::uuid, $2, 0, now(), now(), '*DEFAULT*') ON CONFLICT (id) DO NOTHING",
    )
    .bind(stream)
    .bind(aggregate)
    .execute(&mut *tx)
    .await
    .unwrap();
    let version: i64 = sqlx::query("SELECT version FROM mt_streams WHERE id = $1::uuid FOR UPDATE")
        .bind(stream)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
        .get(0);
    for (i, (event_type, data)) in events.iter().enumerate() {
        sqlx::query(
            "INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, timestamp, \
             tenant_id, mt_dotnet_type, correlation_id, causation_id, headers) \
             VALUES (nextval('mt_events_sequence'), gen_random_uuid(), $1::uuid, $2, $3::jsonb, \
             $4, now(), '*DEFAULT*', $5, 'corr-1', NULL, NULL)",
        )
        .bind(stream)
        .bind(version + 1 + i as i64)
        .bind(data.to_string())
        .bind(event_type)
        .bind(format!("Bank.{event_type}, Bank"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE mt_streams SET version = $2, timestamp = now() WHERE id = $1::uuid")
        .bind(stream)
        .bind(version + events.len() as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

const ACCOUNT_GUID: &str = "7d3a5c1e-2b4f-4e6a-9c8d-1f2e3d4c5b6a";
const ORDER_GUID: &str = "0b9c8d7e-6f5a-4b3c-8d2e-1a0f9e8d7c6b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marten() {
    let Some(db) = ForeignDb::new("mt").await else {
        return;
    };
    let pool = db.pool().await;
    sqlx::raw_sql(include_str!("foreign/marten.sql"))
        .execute(&pool)
        .await
        .expect("Marten's DDL");
    for p in history() {
        let (id, aggregate) = if p.stream.starts_with("Account") {
            (ACCOUNT_GUID, "account")
        } else {
            (ORDER_GUID, "order")
        };
        let alias = match p.event_type {
            "Opened" => "opened",
            "Deposited" => "deposited",
            _ => "placed",
        };
        marten_append(&pool, id, aggregate, &[(alias, p.data)]).await;
    }
    let writer = pool.clone();
    let runtime = tokio::runtime::Handle::current();
    check_kind(
        &db,
        Expect {
            kind: "marten",
            title: "Marten",
            placed: "placed",
            account: ACCOUNT_GUID.into(),
            order: ORDER_GUID.into(),
            category: "account".into(),
            config: "",
            append_one: Box::new(move || {
                blocking(&runtime, async {
                    marten_append(
                        &writer,
                        ACCOUNT_GUID,
                        "account",
                        &[("deposited", json!({"amount": 1}))],
                    )
                    .await
                })
            }),
        },
    )
    .await;
    // A stream id that is not a uuid names no stream (no error).
    let sandbox = sandbox_for("account", "");
    assert!(ok(&sandbox, &db.url(), &["read", "Account-1"]).is_empty());
    let event = &ok(&sandbox, &db.url(), &["read", ACCOUNT_GUID, "--limit", "1"])[0];
    assert_eq!(event["metadata"]["correlation_id"], "corr-1", "{event}");
    assert_eq!(event["metadata"]["tenant_id"], "*DEFAULT*", "{event}");
    pool.close().await;
}

// --- Eventuous ----------------------------------------------------------------------

async fn eventuous_append(pool: &sqlx::PgPool, stream: &str, events: &[(&str, Value)]) {
    let types: Vec<String> = events.iter().map(|(t, _)| t.to_string()).collect();
    let data: Vec<String> = events.iter().map(|(_, d)| d.to_string()).collect();
    sqlx::query(
        "SELECT * FROM eventuous.append_events($1, -2, (now() AT TIME ZONE 'utc'), \
         ARRAY(SELECT ROW(gen_random_uuid(), t, d::jsonb, '{}'::jsonb)::eventuous.stream_message \
               FROM unnest($2::text[], $3::text[]) AS m(t, d)))",
    )
    .bind(stream)
    .bind(&types)
    .bind(&data)
    .fetch_all(pool)
    .await
    .expect("append_events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventuous() {
    let Some(db) = ForeignDb::new("evt").await else {
        return;
    };
    let pool = db.pool().await;
    sqlx::raw_sql(include_str!("foreign/eventuous.sql"))
        .execute(&pool)
        .await
        .expect("Eventuous's DDL");
    for p in history() {
        eventuous_append(&pool, p.stream, &[(p.event_type, p.data)]).await;
    }
    let writer = pool.clone();
    let runtime = tokio::runtime::Handle::current();
    check_kind(
        &db,
        Expect {
            kind: "eventuous",
            title: "Eventuous",
            placed: "Placed",
            account: "Account-1".into(),
            order: "Order-9".into(),
            category: "Account".into(),
            config: "",
            append_one: Box::new(move || {
                blocking(&runtime, async {
                    eventuous_append(&writer, "Account-1", &[("Deposited", json!({"amount": 1}))])
                        .await
                })
            }),
        },
    )
    .await;
    pool.close().await;
}

// --- A hand-made table, mapped in config.toml ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_mapped_in_config() {
    let Some(db) = ForeignDb::new("map").await else {
        return;
    };
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE SCHEMA app;
         CREATE TABLE app.domain_events (
           seq bigserial PRIMARY KEY, uid uuid NOT NULL DEFAULT gen_random_uuid(),
           aggregate text NOT NULL, kind text NOT NULL, n integer NOT NULL,
           body jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now(), UNIQUE (aggregate, n));",
    )
    .execute(&pool)
    .await
    .unwrap();
    async fn insert(pool: &sqlx::PgPool, stream: &str, kind: &str, data: &Value) {
        sqlx::query(
            "INSERT INTO app.domain_events (aggregate, kind, n, body) VALUES ($1, $2, \
             (SELECT coalesce(max(n), -1) + 1 FROM app.domain_events WHERE aggregate = $1), $3::jsonb)",
        )
        .bind(stream)
        .bind(kind)
        .bind(data.to_string())
        .execute(pool)
        .await
        .unwrap();
    }
    for p in history() {
        insert(&pool, p.stream, p.event_type, &p.data).await;
    }
    let writer = pool.clone();
    let runtime = tokio::runtime::Handle::current();
    check_kind(
        &db,
        Expect {
            kind: "custom",
            title: "mapped table",
            placed: "Placed",
            account: "Account-1".into(),
            order: "Order-9".into(),
            category: "Account".into(),
            config: MAPPING,
            // The table's own writer is whatever inserts rows: here, plain SQL.
            append_one: Box::new(move || {
                blocking(&runtime, async {
                    insert(&writer, "Account-1", "Deposited", &json!({"amount": 1})).await
                })
            }),
        },
    )
    .await;

    // What the table's missing constraints let in, and `rewind doctor` finds: a version
    // gap, an event id stored twice, positions skipped.
    sqlx::raw_sql(
        "INSERT INTO app.domain_events (aggregate, kind, n, body) SELECT 'Account-1', \
           'Deposited', max(n) + 5, '{}' FROM app.domain_events WHERE aggregate = 'Account-1';
         INSERT INTO app.domain_events (uid, aggregate, kind, n, body) SELECT uid, 'Order-9', \
           'Shipped', 1, '{}' FROM app.domain_events WHERE aggregate = 'Account-1' AND n = 0;
         SELECT setval('app.domain_events_seq_seq', (SELECT max(seq) + 5 FROM app.domain_events));
         INSERT INTO app.domain_events (aggregate, kind, n, body) VALUES ('Order-9', 'Delivered', 2, '{}');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let sandbox = sandbox_for("Account", MAPPING);
    // A one-shot read right after a gap appeared waits it out (500 ms here) and goes on
    // past it: the event after the gap is in the log, not cut off by a short page.
    let log = ok(&sandbox, &db.url(), &["log"]);
    assert_eq!(log.last().unwrap()["event_type"], "Delivered", "{log:?}");
    let (code, out, err) = rw(&sandbox, &db.url(), &["doctor"]);
    assert_eq!(code, 1, "{err}");
    let findings = common::json_lines(&out);
    let of = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {findings:#?}"))
    };
    assert_eq!(of("version-gap")["events"][0]["stream_id"], "Account-1");
    assert_eq!(of("version-gap")["level"], "error");
    assert_eq!(of("duplicate-id")["events"][0]["stream_id"], "Order-9");
    assert_eq!(of("position-gap")["events"][0]["stream_id"], "Order-9");
    assert!(
        of("position-gap")["events"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("5 positions missing"),
        "{findings:#?}"
    );
    pool.close().await;
}

/// The `[source]` mapping of `app.domain_events`.
const MAPPING: &str = "[source]\ntable = \"app.domain_events\"\nid = \"uid\"\n\
    stream = \"aggregate\"\ntype = \"kind\"\nversion = \"n\"\nfirst_version = 0\n\
    position = \"seq\"\ntime = \"at\"\ndata = \"body\"\n";

/// `--source` forces a kind; one that is not there is a one-line error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_forces_a_kind() {
    let Some(db) = ForeignDb::new("src").await else {
        return;
    };
    let pool = db.pool().await;
    sqlx::raw_sql(include_str!("foreign/eventuous.sql"))
        .execute(&pool)
        .await
        .unwrap();
    eventuous_append(&pool, "A-1", &[("T", json!({"a": 1}))]).await;
    let sandbox = sandbox_for("A", "");
    let url = db.url();
    let info = &ok(&sandbox, &url, &["--source", "eventuous", "info"])[0];
    assert_eq!(info["kind"], "eventuous");
    let (code, _, err) = rw(&sandbox, &url, &["--source", "marten", "streams"]);
    assert_eq!(code, 1);
    assert!(err.contains("no Marten tables"), "{err}");
    let (code, _, err) = rw(&sandbox, &url, &["--source", "kafka", "streams"]);
    assert_eq!(code, 2, "a usage error: {err}");
    pool.close().await;
}

// --- Emmett on SQLite -----------------------------------------------------------------

/// tests/foreign/sqlite, with emmett-sqlite installed (its own lock file).
fn sqlite_writer_dir() -> &'static Path {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/foreign/sqlite");
    let dir: &'static Path = Box::leak(dir.into_boxed_path());
    INSTALL.call_once(|| {
        if !dir
            .join("node_modules/@event-driven-io/emmett-sqlite")
            .exists()
        {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir)
                .status()
                .expect("npm runs (node and npm are needed for these tests)");
            assert!(status.success(), "npm ci in tests/foreign/sqlite");
        }
    });
    dir
}

fn emmett_sqlite_append(file: &Path, events: &[(&str, &str, Value)]) {
    let script = sqlite_writer_dir().join("emmett-sqlite.mjs");
    emmett_write(&script, &file.display().to_string(), events);
}

/// An Emmett SQLite file (SQLite: no server needed) written by Emmett itself: every read
/// view, the TUI, the sidecar, refused writes, live follow; the file's bytes unchanged.
#[test]
fn emmett_sqlite() {
    let sandbox = sandbox_for("Account", "");
    let file = sandbox.path("emmett.db");
    let planned: Vec<(&str, &str, Value)> = history()
        .into_iter()
        .map(|p| (p.stream, p.event_type, p.data))
        .collect();
    emmett_sqlite_append(&file, &planned);
    let before = std::fs::read(&file).unwrap();
    let url = file.display().to_string();
    let writer_file = file.clone();
    let e = Expect {
        kind: "emmett",
        title: "Emmett",
        placed: "Placed",
        account: "Account-1".into(),
        order: "Order-9".into(),
        category: "Account".into(),
        config: "",
        append_one: Box::new(move || {
            emmett_sqlite_append(
                &writer_file,
                &[("Account-1", "Deposited", json!({"amount": 1}))],
            );
        }),
    };
    check_reads(&sandbox, &url, &e);
    check_state_and_refusals(&sandbox, &url, &e);
    check_tui(&sandbox, &url, &e);
    // Emmett keeps its file in WAL mode: readers share its -shm index, and a read-only
    // connection cannot checkpoint, so the database file stays as Emmett left it.
    assert!(
        std::fs::read(&file).unwrap() == before,
        "the file is unchanged"
    );
    check_follow(&sandbox, &url, &e);
}

/// Marten with `StreamIdentity.AsString`: text stream ids, found by their index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marten_with_string_stream_ids() {
    let Some(db) = ForeignDb::new("mts").await else {
        return;
    };
    let pool = db.pool().await;
    let ddl = include_str!("foreign/marten.sql")
        .replace(
            "id                  uuid                        NOT NULL,",
            "id                  varchar                     NOT NULL,",
        )
        .replace(
            "stream_id           uuid                        NULL,",
            "stream_id           varchar                     NULL,",
        );
    assert!(
        ddl.contains("stream_id           varchar"),
        "the DDL changed"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
        .execute(&pool)
        .await
        .expect("Marten's DDL, string identity");
    sqlx::raw_sql(
        "INSERT INTO mt_streams (id, type, version) VALUES ('Account-1', 'account', 2);
         INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, tenant_id) VALUES
           (nextval('mt_events_sequence'), gen_random_uuid(), 'Account-1', 1, '{\"owner\": \"ann\"}', 'opened', '*DEFAULT*'),
           (nextval('mt_events_sequence'), gen_random_uuid(), 'Account-1', 2, '{\"amount\": 5}', 'deposited', '*DEFAULT*');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let sandbox = sandbox_for("account", "");
    let url = db.url();
    let info = &ok(&sandbox, &url, &["info"])[0];
    assert_eq!(info["kind"], "marten");
    let events = ok(&sandbox, &url, &["read", "Account-1"]);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["version"], 2);
    assert_eq!(events[1]["stream_type"], "account", "the aggregate's type");
    let streams = ok(&sandbox, &url, &["streams", "--category", "account"]);
    assert_eq!(streams.len(), 1);
    assert_eq!(
        ok(&sandbox, &url, &["log", "--category", "account"]).len(),
        2
    );
    let state = &ok(&sandbox, &url, &["state", "Account-1"])[0];
    assert_eq!(
        state["state"],
        json!({"balance": 5, "n": 2, "owner": "ann"})
    );
    pool.close().await;
}
