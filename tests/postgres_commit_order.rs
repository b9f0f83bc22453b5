//! Commit-order safety on PostgreSQL. A transaction that drew position N and has not
//! committed holds back every commit-safe reader in the cluster, so these tests live in a
//! test binary of their own (cargo runs test binaries one after another) and run one at a
//! time within it. Skipped when `REWIND_TEST_PG_URL` is unset.

mod common;

use std::time::Duration;

use common::pg::PgSchema;
use rewind::store::{
    ExpectedVersion, LogFilter, LogQuery, NewEvent, OpenOptions, RecordedEvent, Store,
};
use serde_json::json;
use sqlx::Row;
use tokio::sync::Mutex;

/// One test at a time: each holds a transaction open on purpose.
static SERIAL: Mutex<()> = Mutex::const_new(());

async fn insert_raw(conn: &mut sqlx::PgConnection, stream: &str, version: i64) -> u64 {
    let row = sqlx::query(
        "INSERT INTO events (id, stream_id, stream_type, event_type, event_data, version) \
         VALUES (gen_random_uuid(), $1, 'Slow', 'T', '{}', $2) RETURNING global_position",
    )
    .bind(stream)
    .bind(version)
    .fetch_one(conn)
    .await
    .unwrap();
    row.get::<i64, _>(0) as u64
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.global_position).collect()
}

async fn read_pages(store: &Store, after: u64, page: usize) -> Vec<u64> {
    let mut cursor = after;
    let mut all = Vec::new();
    loop {
        let batch = store
            .read_log(LogQuery {
                after: cursor,
                limit: page,
                ..Default::default()
            })
            .await
            .unwrap();
        let Some(last) = batch.last() else {
            return all;
        };
        cursor = last.global_position;
        all.extend(positions(&batch));
    }
}

/// The scenario: N drawn, not committed; N+1.. committed by others. Neither a
/// following subscriber nor a paged `--after` reader passes N; once N commits, both deliver
/// every event exactly once, N included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_transaction_holds_readers_back_and_nothing_is_skipped() {
    let _serial = SERIAL.lock().await;
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let writer = schema.store().await;
    let setup = writer
        .append(
            "Setup-1",
            ExpectedVersion::Any,
            vec![NewEvent::new("T", json!({}))],
        )
        .await
        .unwrap();
    let start = setup[0].global_position;
    let reader = schema.store().await;

    let collected = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let follower = {
        let mut subscription = reader.subscribe(start, LogFilter::default());
        let collected = collected.clone();
        tokio::spawn(async move {
            loop {
                let batch = subscription.next_batch().await.unwrap();
                collected.lock().unwrap().extend(positions(&batch));
            }
        })
    };

    let pool = schema.pool().await;
    let mut slow = pool.begin().await.unwrap();
    let n = insert_raw(&mut slow, "Slow-1", 1).await;
    let fast = writer
        .append(
            "Fast-1",
            ExpectedVersion::Any,
            (0..3)
                .map(|i| NewEvent::new("T", json!({"i": i})))
                .collect(),
        )
        .await
        .unwrap();
    let above = positions(&fast);
    assert!(above.iter().all(|p| *p > n), "{above:?} drawn after {n}");

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        collected.lock().unwrap().is_empty(),
        "the follower must not pass the open transaction: {:?}",
        collected.lock().unwrap()
    );
    assert!(
        read_pages(&reader, start, 2).await.is_empty(),
        "a paged reader must not pass it either"
    );

    slow.commit().await.unwrap();
    let expected: Vec<u64> = std::iter::once(n).chain(above).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while collected.lock().unwrap().len() < expected.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        *collected.lock().unwrap(),
        expected,
        "each exactly once, N first"
    );
    assert_eq!(read_pages(&reader, start, 2).await, expected);
    // A cursor on N continues after N in log order: the events drawn above it.
    assert_eq!(read_pages(&reader, n, 2).await, expected[1..]);
    follower.abort();
    pool.close().await;
}

async fn foreign_table(schema: &PgSchema) -> sqlx::PgPool {
    let pool = schema.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE events (
            id uuid PRIMARY KEY, stream_id text NOT NULL, stream_type text NOT NULL,
            event_type text NOT NULL, event_data jsonb NOT NULL,
            metadata jsonb NOT NULL DEFAULT '{}', version integer NOT NULL,
            global_position bigserial UNIQUE, created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, version))",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

async fn foreign_store(schema: &PgSchema, gap_wait_ms: u64) -> Store {
    schema
        .store_with(OpenOptions {
            create: false,
            gap_wait_ms,
            ..Default::default()
        })
        .await
}

/// A table without `tx_id`: the reader stops before a gap while it is young, delivers it
/// when it fills, and passes one that never fills after `gap_wait_ms`, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tx_id_a_reader_waits_at_gaps_then_passes_them() {
    let _serial = SERIAL.lock().await;
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let pool = foreign_table(&schema).await;
    let mut conn = pool.acquire().await.unwrap();
    let first = insert_raw(&mut conn, "Slow-0", 1).await;

    // A gap that fills: the reader waits for it.
    let mut slow = pool.begin().await.unwrap();
    let n = insert_raw(&mut slow, "Slow-1", 1).await;
    let after_gap = insert_raw(&mut conn, "Slow-2", 1).await;
    let store = foreign_store(&schema, 20_000).await;
    assert!(
        store.notices().iter().any(|n| n.contains("without tx_id")),
        "{:?}",
        store.notices()
    );
    let reading = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .read_log(LogQuery {
                    after: first,
                    ..Default::default()
                })
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!reading.is_finished(), "the reader waits at the young gap");
    slow.commit().await.unwrap();
    let page = tokio::time::timeout(Duration::from_secs(10), reading)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(positions(&page), [n, after_gap]);

    // A gap that never fills (a rollback): passed after gap_wait_ms, and said so.
    let mut doomed = pool.begin().await.unwrap();
    let gap = insert_raw(&mut doomed, "Slow-3", 1).await;
    doomed.rollback().await.unwrap();
    let last = insert_raw(&mut conn, "Slow-4", 1).await;
    let store = foreign_store(&schema, 300).await;
    let started = std::time::Instant::now();
    let page = store
        .read_log(LogQuery {
            after: after_gap,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(positions(&page), [last]);
    assert!(started.elapsed() < Duration::from_secs(5));
    let notices = store.notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains(&format!("passed a gap at position {gap}"))),
        "{notices:?}"
    );
    drop(conn);
    pool.close().await;
}
