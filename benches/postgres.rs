//! PostgreSQL benchmarks, each beside plain sqlx running the same SQL in the same run.
//!
//!   REWIND_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench postgres
//!
//! Workloads: single-event appends on one connection (synchronous_commit on: each waits for
//! its WAL flush); single appends by 8 concurrent writers on distinct streams (sharing one
//! store, and with a store each; beside the bare append statement and a bare one-row
//! INSERT); batches of 100; a 100,000-event stream read with its JSON decoded; the log
//! read in pages of 1,000 through the commit-order filter (REWIND_BENCH_LOG_EVENTS events, default 1,000,000, the
//! demo generator's). Each run works in a schema of its own, dropped at the end.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rewind::store::postgres::statements;
use rewind::store::{
    ExpectedVersion, LogQuery, NewEvent, OpenOptions, RecordedEvent, Store, StoreUrl, StreamPages,
    StreamQuery,
};
use serde_json::json;
use sqlx::PgPool;

mod common;

const PAGE: usize = 1000;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A schema of its own on the server, dropped when the benchmark ends.
struct Schema {
    server: String,
    name: String,
    rt: tokio::runtime::Runtime,
}

impl Schema {
    fn new() -> Option<Schema> {
        let Ok(server) = std::env::var("REWIND_TEST_PG_URL") else {
            eprintln!("REWIND_TEST_PG_URL is unset: PostgreSQL benchmarks skipped");
            return None;
        };
        let rt = common::runtime();
        let name = format!("rewind_bench_{}", uuid::Uuid::new_v4().simple());
        rt.block_on(async {
            let pool = PgPool::connect(&server).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&pool)
                .await
                .unwrap();
        });
        Some(Schema { server, name, rt })
    }

    fn url(&self) -> String {
        format!("{}?options[search_path]={}", self.server, self.name)
    }

    fn store(&self) -> Store {
        let url = StoreUrl::parse(&self.url()).unwrap();
        let store = self
            .rt
            .block_on(Store::open(&url, OpenOptions::default()))
            .unwrap();
        self.rt.block_on(store.migrate()).unwrap();
        store
    }

    fn pool(&self, size: u32) -> PgPool {
        self.rt.block_on(async {
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(size)
                .connect(&self.url())
                .await
                .unwrap()
        })
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        self.rt.block_on(async {
            let pool = PgPool::connect(&self.server).await.unwrap();
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA {} CASCADE",
                self.name
            )))
            .execute(&pool)
            .await;
        });
    }
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

/// The plain loop's append: the one statement rewind's append of new events runs (the
/// `rewind_append` function its migration installs), and nothing else — no validation, no
/// NOTIFY (rewind sends one per run of appends, off the append's path).
async fn plain_append(pool: &PgPool, stream: &str, count: usize) {
    let mut conn = pool.acquire().await.unwrap();
    let rows = sqlx::query(
        "SELECT o_position FROM rewind_append($1::text[], $2::text[], $3::int4[], $4::int8[], \
         $5::int4[], $6::text[]::uuid[], $7::text[], $8::text[]::jsonb[], $9::text[]::jsonb[], \
         $10::int4[])",
    )
    .bind(vec![stream.to_owned()])
    .bind(vec!["Bench".to_owned()])
    .bind(vec![0i32])
    .bind(vec![0i64])
    .bind(vec![count as i32])
    .bind(
        (0..count)
            .map(|_| uuid::Uuid::now_v7().to_string())
            .collect::<Vec<_>>(),
    )
    .bind(vec!["MoneyDeposited".to_owned(); count])
    .bind(
        (0..count)
            .map(|i| format!(r#"{{"amount":{i},"note":"benchmark deposit"}}"#))
            .collect::<Vec<_>>(),
    )
    .bind(vec!["{}".to_owned(); count])
    .bind(vec![1i32; count])
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), count);
}

fn appends(c: &mut Criterion) {
    let Some(schema) = Schema::new() else {
        return;
    };
    let store = schema.store();
    let pool = schema.pool(10);
    let rt = &schema.rt;
    for batch in [1usize, 100] {
        let mut group = c.benchmark_group(if batch == 1 {
            "pg_append_single"
        } else {
            "pg_append_batch_100"
        });
        group.throughput(Throughput::Elements(batch as u64));
        group.measurement_time(Duration::from_secs(5));
        let stream = format!("Bench-{batch}");
        group.bench_function(BenchmarkId::new("rewind", batch), |b| {
            b.iter(|| {
                rt.block_on(store.append(&stream, ExpectedVersion::Any, events(batch)))
                    .unwrap();
            })
        });
        let plain_stream = format!("Plain-{batch}");
        group.bench_function(BenchmarkId::new("plain_sqlx", batch), |b| {
            b.iter(|| rt.block_on(plain_append(&pool, &plain_stream, batch)))
        });
        group.finish();
    }

    // 8 writers at once, each on its own stream; one iteration = 8 × ROUNDS appends.
    let mut group = c.benchmark_group("pg_append_single_8_writers");
    group.throughput(Throughput::Elements((WRITERS * ROUNDS) as u64));
    group.sample_size(10);
    // One store shared by the writers, as a service's tasks would: group commit.
    group.bench_function("rewind", |b| {
        b.iter(|| rt.block_on(writers(|w| single_appends(store.clone(), format!("W-{w}")))))
    });
    // A store each, as 8 processes would have: no group commit between them.
    let stores: Vec<Store> = (0..WRITERS).map(|_| schema.store()).collect();
    group.bench_function("rewind_8_stores", |b| {
        b.iter(|| {
            rt.block_on(writers(|w| {
                single_appends(stores[w].clone(), format!("S-{w}"))
            }))
        })
    });
    // The bare append statement, a connection each.
    group.bench_function("plain_sqlx", |b| {
        b.iter(|| {
            rt.block_on(writers(|w| {
                let pool = pool.clone();
                async move {
                    for _ in 0..ROUNDS {
                        plain_append(&pool, &format!("P-{w}"), 1).await;
                    }
                }
            }))
        })
    });
    // A one-row INSERT into `events` and nothing else (no expected-version check, no
    // streams row, no locks): the floor of what any writer pays a commit.
    let mut next_version = 0;
    group.bench_function("plain_insert", |b| {
        b.iter(|| {
            next_version += ROUNDS as i64;
            let first = next_version - ROUNDS as i64 + 1;
            rt.block_on(writers(|w| {
                let pool = pool.clone();
                async move {
                    for version in first..first + ROUNDS as i64 {
                        plain_insert(&pool, &format!("I-{w}"), version).await;
                    }
                }
            }))
        })
    });
    group.finish();
}

const WRITERS: usize = 8;
const ROUNDS: usize = 25;

/// Runs one writer task for each of `WRITERS`, made by `writer(w)`, to the end.
async fn writers<F, W>(writer: W)
where
    W: Fn(usize) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = (0..WRITERS).map(|w| tokio::spawn(writer(w))).collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// One writer: ROUNDS one-event appends to its stream.
async fn single_appends(store: Store, stream: String) {
    for _ in 0..ROUNDS {
        store
            .append(&stream, ExpectedVersion::Any, events(1))
            .await
            .unwrap();
    }
}

/// One event as a bare INSERT, in a transaction of its own.
async fn plain_insert(pool: &PgPool, stream: &str, version: i64) {
    sqlx::query(
        "INSERT INTO events (id, stream_id, stream_type, event_type, event_data, metadata, \
         version) VALUES ($1::text::uuid, $2, 'Bench', 'MoneyDeposited', $3::text::jsonb, '{}', $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(stream)
    .bind(format!(r#"{{"amount":{version},"note":"benchmark deposit"}}"#))
    .bind(version)
    .execute(pool)
    .await
    .unwrap();
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

/// The plain loop's paged read: `sql` takes (`stream`,) the cursor and the page size; each
/// page is decoded as rewind decodes rows and handed to `each`; returns the events read.
async fn plain_pages(
    pool: &PgPool,
    sql: &str,
    stream: Option<&str>,
    cursor: fn(&RecordedEvent) -> i64,
    mut each: impl FnMut(&[RecordedEvent]),
) -> usize {
    let (mut after, mut read) = (0i64, 0usize);
    loop {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        if let Some(stream) = stream {
            query = query.bind(stream.to_owned());
        }
        let rows = query
            .bind(after)
            .bind(PAGE as i64)
            .fetch_all(pool)
            .await
            .unwrap();
        let page: Vec<RecordedEvent> = rows
            .iter()
            .map(|r| statements::event_from_row(r).unwrap())
            .collect();
        each(&page);
        read += page.len();
        match page.last() {
            Some(last) if page.len() == PAGE => after = cursor(last),
            _ => return read,
        }
    }
}

fn read_stream(c: &mut Criterion) {
    const EVENTS: usize = 100_000;
    let Some(schema) = Schema::new() else {
        return;
    };
    let rt = &schema.rt;
    // Written when a benchmark of the group first runs (see `read_log`).
    let fixture = std::cell::OnceCell::new();
    let setup = || {
        let store = schema.store();
        for _ in 0..EVENTS / 1000 {
            rt.block_on(store.append("Big-1", ExpectedVersion::Any, events(1000)))
                .unwrap();
        }
        store
    };
    let pool = schema.pool(2);
    let mut group = c.benchmark_group("pg_read_stream_100k");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("rewind", |b| {
        let store = fixture.get_or_init(setup);
        b.iter(|| {
            let sum = rt.block_on(async {
                let mut pages = store.pages(
                    StreamPages {
                        stream_id: "Big-1".into(),
                        query: StreamQuery {
                            limit: PAGE,
                            ..Default::default()
                        },
                    },
                    None,
                );
                let mut sum = 0;
                while let Some(page) = pages.next_page().await.unwrap() {
                    sum += decode(&page);
                }
                sum
            });
            assert!(sum > 0);
        })
    });
    let sql = format!(
        "SELECT {} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version LIMIT $3",
        statements::event_columns()
    );
    group.bench_function("plain_sqlx", |b| {
        fixture.get_or_init(setup);
        b.iter(|| {
            rt.block_on(async {
                let read = plain_pages(
                    &pool,
                    &sql,
                    Some("Big-1"),
                    |e| e.version as i64,
                    |page| {
                        decode(page);
                    },
                )
                .await;
                assert_eq!(read, EVENTS);
            })
        })
    });
    group.finish();
}

fn read_log(c: &mut Criterion) {
    let events_wanted: u64 = std::env::var("REWIND_BENCH_LOG_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    if events_wanted == 0 {
        return;
    }
    let Some(schema) = Schema::new() else {
        return;
    };
    let rt = &schema.rt;
    // Built when a benchmark of the group first runs: a filtered run that skips the group
    // (`-- pg_append`) skips the minute of importing too.
    let fixture = std::cell::OnceCell::new();
    let setup = || {
        let store = schema.store();
        eprintln!("building the {events_wanted}-event demo store on PostgreSQL ...");
        let started = Instant::now();
        rt.block_on(rewind::demo::build(
            &store,
            rewind::demo::DemoSpec {
                seed: 42,
                events: events_wanted,
            },
        ))
        .unwrap();
        let total = rt.block_on(store.stats()).unwrap().events;
        eprintln!(
            "built {total} events in {:.1} s ({:.0} events/s through import)",
            started.elapsed().as_secs_f64(),
            total as f64 / started.elapsed().as_secs_f64()
        );
        let analyze = schema.pool(1);
        rt.block_on(async {
            sqlx::query("ANALYZE events")
                .execute(&analyze)
                .await
                .unwrap()
        });
        (store, total)
    };
    let pool = schema.pool(2);
    let mut group = c.benchmark_group("pg_read_log");
    group.throughput(Throughput::Elements(events_wanted));
    group.sample_size(10);
    group.bench_function("rewind", |b| {
        let (store, total) = fixture.get_or_init(setup);
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
            assert_eq!(read, *total);
        })
    });
    let columns = statements::event_columns();
    let commit_order = format!(
        "SELECT {columns} FROM events WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         AND (tx_id, global_position) > (coalesce((SELECT tx_id FROM events WHERE global_position = $1), '0'::xid8), $1) \
         ORDER BY tx_id, global_position LIMIT $2"
    );
    let by_position = format!(
        "SELECT {columns} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2"
    );
    for (name, sql) in [
        ("plain_sqlx", commit_order),
        ("plain_sqlx_by_position", by_position),
    ] {
        group.bench_function(name, |b| {
            let total = fixture.get_or_init(setup).1;
            b.iter(|| {
                rt.block_on(async {
                    let read = plain_pages(&pool, &sql, None, |e| e.global_position as i64, |_| {})
                        .await as u64;
                    assert_eq!(read, total);
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, appends, read_stream, read_log);
criterion_main!(benches);
