//! Store benchmarks, each beside a plain rusqlite loop running the same SQL in the same
//! run, so the ratio shows what rewind's threads and channels cost.
//!
//!   cargo bench --bench store
//!
//! Workloads: single-event appends (each its own transaction with a version check),
//! batches of 100, reading a 100,000-event stream with its JSON decoded, and reading a
//! 1,000,000-event log in pages of 1,000. Reads go through `Store::pages`, which the CLI
//! and the TUI use: the next page is fetched while the caller works on the current one.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rewind::store::sqlite::sql;
use rewind::store::{
    ExpectedVersion, LogQuery, NewEvent, RecordedEvent, StreamPages, StreamQuery, timestamp,
};
use rusqlite::{Connection, params};
use serde_json::json;

mod common;

const PAGE: usize = 1000;

// The same allocator as the binary, for rewind and the plain loop alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A plain connection on a store file, with the same settings rewind uses.
fn plain(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(60)).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "cache_size", -32_768).unwrap();
    conn.pragma_update(None, "mmap_size", 0).unwrap();
    conn
}

/// The plain loop's append: the same statements rewind's append runs.
fn plain_append(conn: &mut Connection, stream: &str, expected: u64, count: usize) -> u64 {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let current: u64 = tx
        .prepare_cached("SELECT version FROM streams WHERE stream_id = ?1")
        .unwrap()
        .query_row([stream], |r| r.get::<_, i64>(0))
        .map(|v| v as u64)
        .unwrap_or(0);
    assert_eq!(current, expected);
    let now = timestamp::format(&timestamp::now());
    let mut version = current;
    {
        let mut insert = tx.prepare_cached(sql::INSERT_EVENT).unwrap();
        for n in 0..count {
            version += 1;
            let data = json!({"amount": n, "note": "benchmark deposit"}).to_string();
            insert
                .execute(params![
                    uuid::Uuid::now_v7().as_bytes(),
                    stream,
                    "Bench",
                    "MoneyDeposited",
                    version as i64,
                    1,
                    data,
                    "{}",
                    None::<String>,
                    None::<String>,
                    now
                ])
                .unwrap();
        }
    }
    tx.prepare_cached(sql::UPSERT_STREAM)
        .unwrap()
        .execute(params![
            stream,
            "Bench",
            version as i64,
            "MoneyDeposited",
            now,
            now
        ])
        .unwrap();
    tx.commit().unwrap();
    version
}

fn events(count: usize) -> Vec<NewEvent> {
    (0..count)
        .map(|n| {
            NewEvent::new(
                "MoneyDeposited",
                json!({"amount": n, "note": "benchmark deposit"}),
            )
        })
        .collect()
}

fn appends(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = common::open(&rt, &dir.path().join("rewind.db"));
    let plain_path = dir.path().join("plain.db");
    drop(common::open(&rt, &plain_path)); // the same schema, made by rewind's migrations
    let mut conn = plain(&plain_path);

    for batch in [1usize, 100] {
        let mut group = c.benchmark_group(if batch == 1 {
            "append_single"
        } else {
            "append_batch_100"
        });
        group.throughput(Throughput::Elements(batch as u64));
        group.measurement_time(Duration::from_secs(5));
        let stream = format!("Bench-{batch}");
        let mut version = 0;
        group.bench_function(BenchmarkId::new("rewind", batch), |b| {
            b.iter(|| {
                let stored = rt
                    .block_on(store.append(&stream, ExpectedVersion::Exact(version), events(batch)))
                    .unwrap();
                version = stored.last().unwrap().version;
            })
        });
        let mut plain_version = 0;
        group.bench_function(BenchmarkId::new("plain_rusqlite", batch), |b| {
            b.iter(|| plain_version = plain_append(&mut conn, &stream, plain_version, batch))
        });
        group.finish();
    }
}

/// Decodes every event's data, as a fold would.
fn decode(events: &[RecordedEvent]) -> u64 {
    events
        .iter()
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(e.data.get()).unwrap()["amount"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum()
}

fn read_stream(c: &mut Criterion) {
    const EVENTS: usize = 100_000;
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.db");
    // Built on first use, so that a filtered run (`cargo bench -- append`) skips it.
    let fixture = std::cell::OnceCell::new();
    let setup = || {
        let store = common::open(&rt, &path);
        for chunk in 0..EVENTS / 1000 {
            rt.block_on(store.append(
                "Big-1",
                ExpectedVersion::Exact((chunk * 1000) as u64),
                events(1000),
            ))
            .unwrap();
        }
        let conn = plain(&path);
        (store, conn)
    };
    let mut group = c.benchmark_group("read_stream_100k");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("rewind", |b| {
        let (store, _) = fixture.get_or_init(setup);
        b.iter(|| {
            let (mut sum, mut read) = (0, 0);
            let query = StreamPages {
                stream_id: "Big-1".into(),
                query: StreamQuery {
                    limit: PAGE,
                    ..Default::default()
                },
            };
            rt.block_on(async {
                let mut pages = store.pages(query, None);
                while let Some(page) = pages.next_page().await.unwrap() {
                    sum += decode(&page);
                    read += page.len();
                }
            });
            assert_eq!(read, EVENTS);
            sum
        })
    });
    let sql = format!(
        "SELECT {} FROM events WHERE stream_id = ?1 AND version >= ?2 AND version <= ?3 ORDER BY version ASC LIMIT ?4",
        sql::EVENT_COLUMNS
    );
    group.bench_function("plain_rusqlite", |b| {
        let (_, conn) = fixture.get_or_init(setup);
        b.iter(|| {
            let (mut from, mut sum, mut read) = (1i64, 0, 0);
            let mut stmt = conn.prepare_cached(&sql).unwrap();
            loop {
                let page: Vec<RecordedEvent> = stmt
                    .query_map(
                        params!["Big-1", from, i64::MAX, PAGE as i64],
                        sql::event_from_row,
                    )
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                sum += decode(&page);
                read += page.len();
                match page.last() {
                    Some(last) if page.len() == PAGE => from = last.version as i64 + 1,
                    _ => break,
                }
            }
            assert_eq!(read, EVENTS);
            sum
        })
    });
    group.finish();
}

fn read_log(c: &mut Criterion) {
    const EVENTS: u64 = 1_000_000;
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    let fixture = std::cell::OnceCell::new();
    let setup = || {
        common::build_demo(&rt, &path, EVENTS);
        let store = common::open(&rt, &path);
        let conn = plain(&path);
        (store, conn)
    };
    let mut group = c.benchmark_group("read_log_1m");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    group.bench_function("rewind", |b| {
        let (store, _) = fixture.get_or_init(setup);
        b.iter(|| {
            let mut read = 0u64;
            rt.block_on(async {
                let mut pages = store.pages(
                    LogQuery {
                        limit: PAGE,
                        ..Default::default()
                    },
                    None,
                );
                while let Some(page) = pages.next_page().await.unwrap() {
                    read += page.len() as u64;
                }
            });
            assert_eq!(read, EVENTS);
        })
    });
    let sql = format!(
        "SELECT {} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?",
        sql::EVENT_COLUMNS
    );
    group.bench_function("plain_rusqlite", |b| {
        let (_, conn) = fixture.get_or_init(setup);
        b.iter(|| {
            let mut stmt = conn.prepare_cached(&sql).unwrap();
            let (mut after, mut read) = (0i64, 0u64);
            loop {
                let page: Vec<RecordedEvent> = stmt
                    .query_map(params![after, PAGE as i64], sql::event_from_row)
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                read += page.len() as u64;
                match page.last() {
                    Some(last) if page.len() == PAGE => after = last.global_position as i64,
                    _ => break,
                }
            }
            assert_eq!(read, EVENTS);
        })
    });
    group.finish();
}

criterion_group!(benches, appends, read_stream, read_log);
criterion_main!(benches);
