//! SQLite-specific behaviour: files, read-only mode, other processes' appends, and files
//! that are not (current) rewind stores.

mod common;

use std::time::{Duration, Instant};

use rewind::store::{
    ExpectedVersion, LogFilter, LogQuery, NewEvent, OpenOptions, Store, StoreError, StoreUrl,
};
use serde_json::json;

fn url(path: &std::path::Path) -> StoreUrl {
    StoreUrl::Sqlite(path.to_path_buf())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_writes_and_changes_nothing() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("T", json!({}))],
        )
        .await
        .unwrap();
    drop(store);
    let bytes_before = std::fs::read(sandbox.db()).unwrap();
    let read_only = OpenOptions {
        read_only: true,
        ..Default::default()
    };
    let store = Store::open(&url(&sandbox.db()), read_only.clone())
        .await
        .unwrap();
    assert!(store.is_read_only());
    let e = store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("T", json!({}))],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly("append")), "{e:?}");
    let e = store
        .import(Box::new(std::io::Cursor::new(String::new())))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly("import")), "{e:?}");
    assert_eq!(store.stats().await.unwrap().events, 1);
    drop(store);
    assert_eq!(std::fs::read(sandbox.db()).unwrap(), bytes_before);
    // A missing file is not created in read-only mode.
    let missing = sandbox.path("missing.db");
    let e = Store::open(&url(&missing), read_only).await.err().unwrap();
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    assert!(!missing.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_connection_s_append_is_noticed_within_100ms() {
    let sandbox = common::Sandbox::new();
    // Two independent stores on one file: separate connections, as two processes have.
    let writer = sandbox.open().await;
    let reader = sandbox.open().await;
    let mut subscription = reader.subscribe(0, LogFilter::default());
    let mut delays = Vec::new();
    for n in 0..5 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let waiting = tokio::spawn(async move {
            let batch = subscription.next_batch().await.unwrap();
            (subscription, batch, Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let appended = Instant::now();
        writer
            .append(
                "A-1",
                ExpectedVersion::Any,
                vec![NewEvent::new("T", json!({"n": n}))],
            )
            .await
            .unwrap();
        let (s, batch, seen) = tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .unwrap()
            .unwrap();
        subscription = s;
        assert_eq!(batch.len(), 1);
        delays.push(seen - appended);
    }
    delays.sort();
    // The median, not the worst case: the machine is shared and noisy.
    assert!(delays[2] < Duration::from_millis(100), "{delays:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_rewind_stores_are_refused() {
    let sandbox = common::Sandbox::new();
    let open = |path: std::path::PathBuf| async move {
        Store::open(&url(&path), OpenOptions::default()).await
    };

    let text = sandbox.path("text.db");
    std::fs::write(
        &text,
        "this is not a database, just some text that is long enough".repeat(100),
    )
    .unwrap();
    let e = open(text.clone()).await.err().unwrap();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e:?}");
    assert!(e.to_string().contains("not a SQLite database"), "{e}");

    let foreign = sandbox.path("foreign.db");
    rusqlite_exec(&foreign, "CREATE TABLE people (name TEXT)");
    let e = open(foreign).await.err().unwrap();
    assert!(e.to_string().contains("tables of its own"), "{e}");

    let newer = sandbox.path("newer.db");
    drop(open(newer.clone()).await.unwrap());
    rusqlite_exec(&newer, "PRAGMA user_version = 999");
    let e = open(newer).await.err().unwrap();
    assert!(
        matches!(e, StoreError::NewerSchema { found: 999, .. }),
        "{e:?}"
    );

    let truncated = sandbox.path("truncated.db");
    let store = open(truncated.clone()).await.unwrap();
    let events: Vec<NewEvent> = (0..2000)
        .map(|n| NewEvent::new("T", json!({"pad": "x".repeat(100), "n": n})))
        .collect();
    store
        .append("A-1", ExpectedVersion::Any, events)
        .await
        .unwrap();
    drop(store);
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let result = match open(truncated).await {
        Err(e) => Err(e),
        Ok(store) => store
            .read_stream("A-1", Default::default())
            .await
            .map(|_| ()),
    };
    let e = result.unwrap_err();
    assert!(
        matches!(e, StoreError::NotAStore { .. } | StoreError::Database(_)),
        "a truncated file is an error, not a panic: {e:?}"
    );
}

/// Plain SQL through the sqlite3 library, as a person poking at the file would.
fn rusqlite_exec(path: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn many_threads_opening_a_new_file_at_once_do_not_race() {
    let sandbox = common::Sandbox::new();
    let path = sandbox.path("fresh.db");
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let store = Store::open(&url(&path), OpenOptions::default())
                        .await
                        .unwrap();
                    store
                        .append(
                            &format!("S-{n}"),
                            ExpectedVersion::NoStream,
                            vec![NewEvent::new("T", json!({}))],
                        )
                        .await
                        .unwrap();
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stats = runtime.block_on(async { common::open_store(&path).await.stats().await.unwrap() });
    assert_eq!((stats.events, stats.streams), (8, 8));
}

/// A store opens only the connection its first use needs (a reader for a command that
/// reads, the writer for one that writes) and starts the other on demand: both kinds of
/// open must then serve reads and writes alike, on the current thread too, and leave a
/// single file behind when they close.
#[tokio::test(flavor = "current_thread")]
async fn connections_started_on_demand_serve_reads_and_writes_and_leave_one_file() {
    let sandbox = common::Sandbox::new();
    let db = sandbox.db();
    let event = || vec![NewEvent::new("Opened", json!({"n": 1}))];
    drop(sandbox.open().await);
    for (create, stream) in [(false, "Read-first"), (true, "Write-first")] {
        let options = OpenOptions {
            create,
            ..Default::default()
        };
        let store = Store::open(&url(&db), options).await.unwrap();
        // A read first, then a write (the writer starts), then reads again.
        let before = store.stats().await.unwrap().events;
        store
            .append(stream, ExpectedVersion::NoStream, event())
            .await
            .unwrap();
        let e = store
            .append(stream, ExpectedVersion::NoStream, event())
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Concurrency { .. }), "{e:?}");
        assert_eq!(store.stats().await.unwrap().events, before + 1);
        // Several reads at once: more readers start, and every read is answered.
        let reads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.read_log(Default::default()).await })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap().len() as u64, before + 1);
        }
        drop(store);
        let mut files: Vec<String> = std::fs::read_dir(db.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("store.db"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 1, "after {stream}: {files:?}");
    }
    // A command that only reads starts no writer; its reader still tidies up at the end.
    let store = Store::open(&url(&db), OpenOptions::default())
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().events, 2);
    drop(store);
    for suffix in ["-wal", "-shm"] {
        let side = db.with_file_name(format!("store.db{suffix}"));
        assert!(
            !side.exists(),
            "{} left behind by a reading command",
            side.display()
        );
    }
    // Opened for writing, a store whose file holds nothing of rewind's yet still reads.
    let fresh = sandbox.path("fresh.db");
    let store = Store::open(
        &url(&fresh),
        OpenOptions {
            create: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(store.stats().await.unwrap().events, 0);
}

/// The plan SQLite makes for a page of the log (the shape of `read_log_in`'s query).
fn log_page_plan(path: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT * FROM events \
             WHERE global_position > ?1 ORDER BY global_position LIMIT ?2",
        )
        .unwrap();
    let rows = stmt.query_map([0, 100], |r| r.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
}

#[tokio::test(flavor = "current_thread")]
async fn planner_statistics_of_earlier_builds_are_dropped_at_the_next_open() {
    let sandbox = common::Sandbox::new();
    let one = |n: u64| vec![NewEvent::new("T", json!({ "n": n }))];
    let store = sandbox.open().await;
    let batch: Vec<NewEvent> = (0..2000).flat_map(one).collect();
    store
        .append("A-1", ExpectedVersion::Any, batch)
        .await
        .unwrap();
    drop(store);
    // What an earlier build's `PRAGMA optimize` left after a store's first append, and
    // kept for ever: statistics of one-row tables. With them a page of the log scans the
    // whole table.
    rusqlite_exec(
        &sandbox.db(),
        "ANALYZE; DELETE FROM sqlite_stat1; INSERT INTO sqlite_stat1 VALUES \
         ('events', 'events_stream_type', '1 1'), ('events', 'events_event_type', '1 1'), \
         ('events', 'events_stream_version', '1 1 1'), ('events', 'events_event_id', '1 1'), \
         ('streams', 'streams_stream_type', '1 1 1'), ('streams', 'streams', '1 1')",
    );
    let stale = log_page_plan(&sandbox.db());
    assert!(!stale.contains("INTEGER PRIMARY KEY"), "{stale}");

    let store = sandbox.open().await;
    let first_page = LogQuery {
        limit: 10,
        ..LogQuery::default()
    };
    let page = store.read_log(first_page).await.unwrap();
    assert_eq!(page.len(), 10);
    drop(store);
    let plan = log_page_plan(&sandbox.db());
    assert!(
        plan.contains("USING INTEGER PRIMARY KEY (rowid>?)"),
        "{plan}"
    );
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let stats: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stats, 0, "statistics left behind");
    // And no command adds them again.
    let store = sandbox.open().await;
    store
        .append("A-3", ExpectedVersion::Any, one(9))
        .await
        .unwrap();
    drop(store);
    assert!(log_page_plan(&sandbox.db()).contains("INTEGER PRIMARY KEY"));
}
