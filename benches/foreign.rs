//! The log of each foreign PostgreSQL kind read by rewind, beside a plain sqlx page loop
//! over the same table in the same run (keyset on the kind's position column, decoding the
//! same columns the same way).
//!
//! `REWIND_TEST_PG_URL=… cargo bench --bench foreign` (needs `npm ci` in tests/foreign for
//! Message DB's install script). `REWIND_BENCH_FOREIGN_EVENTS` (default 1,000,000) sets
//! the log's size, `REWIND_BENCH_RUNS` (default 5) the runs; after one untimed warm-up
//! read, each run reads with rewind and with the plain loop, and the figure is the median
//! of the runs' ratios. Emmett's tables have no index on their log order (its own reader sorts the
//! table per page), so both read its first `REWIND_BENCH_EMMETT_EVENTS` (default 100,000).

use std::process::Command;
use std::time::Instant;

use rewind::store::postgres::statements;
use rewind::store::{LogQuery, OpenOptions, RecordedEvent, Store, StoreUrl};
use sqlx::PgPool;

mod common;

use common::median;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PAGE: usize = 1000;
const STREAMS: u64 = 10_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Kind {
    name: &'static str,
    /// Creates the tables and fills them with `events` events.
    build: fn(&Database, u64),
    /// The plain loop's page: (cursor, page size) -> rows in `event_from_row`'s order.
    plain: &'static str,
    /// How much of the log is read (Emmett's unindexed log: a prefix).
    read: fn(u64) -> u64,
}

struct Database {
    server: String,
    name: String,
    rt: tokio::runtime::Runtime,
}

impl Database {
    fn new(server: &str, kind: &str) -> Database {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let name = format!("rewind_bench_{kind}_{}", std::process::id());
        rt.block_on(async {
            let pool = PgPool::connect(server).await.unwrap();
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .unwrap();
        });
        Database {
            server: server.to_owned(),
            name,
            rt,
        }
    }

    fn url(&self) -> String {
        let base = self.server.split('?').next().unwrap();
        format!("{}/{}", base.rsplit_once('/').unwrap().0, self.name)
    }

    fn sql(&self, sql: &str) {
        self.rt.block_on(async {
            let pool = PgPool::connect(&self.url()).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        self.rt.block_on(async {
            if let Ok(pool) = PgPool::connect(&server).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await;
            }
        });
    }
}

/// Inserts `events` rows in transactions of 10,000, `row` giving the SELECT list over
/// `i` (the event's number from 0) for `insert` (the INSERT … head).
fn fill(db: &Database, events: u64, insert: &str, row: &str) {
    let mut start = 0;
    while start < events {
        let end = (start + 10_000).min(events) - 1;
        db.sql(&format!(
            "{insert} SELECT {row} FROM generate_series({start}::int8, {end}::int8) AS g(i)"
        ));
        start = end + 1;
    }
    db.sql("ANALYZE");
}

fn message_db(db: &Database, events: u64) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/foreign/node_modules/@eventide/message-db/database/install.sh"
    );
    let rest = db.server.split_once("://").unwrap().1;
    let (user, host) = rest.split_once('@').unwrap_or(("postgres", rest));
    let host = host.split(['/', '?']).next().unwrap();
    let (host, port) = host.split_once(':').unwrap_or((host, "5432"));
    let out = Command::new("bash")
        .arg(script)
        .env("PGHOST", host)
        .env("PGPORT", port)
        .env("PGUSER", user)
        .env("DATABASE_NAME", &db.name)
        .env("CREATE_DATABASE", "off")
        .output()
        .expect("bash runs Message DB's install.sh (npm ci in tests/foreign first)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fill(
        db,
        events,
        "INSERT INTO message_store.messages (id, stream_name, type, position, data, metadata, time)",
        &format!(
            "gen_random_uuid(), 'Account-' || (i % {STREAMS}), 'Deposited', i / {STREAMS}, \
             jsonb_build_object('amount', i % 100), '{{}}'::jsonb, now() AT TIME ZONE 'utc'"
        ),
    );
}

fn emmett(db: &Database, events: u64) {
    // Emmett creates its own schema on its first append.
    let out = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/foreign/emmett.mjs"
        ))
        .arg(db.url())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"{\"stream\":\"Setup-1\",\"type\":\"Created\",\"data\":{}}\n")?;
            child.wait_with_output()
        })
        .expect("node runs Emmett (npm ci in tests/foreign first)");
    assert!(out.status.success());
    fill(
        db,
        events,
        "INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, \
         message_data, message_metadata, message_schema_version, message_type, message_id, \
         is_archived, transaction_id, created)",
        &format!(
            "'Account-' || (i % {STREAMS}), i / {STREAMS} + 1, 'emt:default', 'E', \
             jsonb_build_object('amount', i % 100), '{{}}'::jsonb, '1', 'Deposited', \
             gen_random_uuid()::text, false, pg_current_xact_id(), now()"
        ),
    );
}

fn marten(db: &Database, events: u64) {
    db.sql(include_str!("../tests/foreign/marten.sql"));
    db.sql(&format!(
        "INSERT INTO mt_streams (id, type, version) SELECT \
         ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'account', {} \
         FROM generate_series(0, {}) AS g(i)",
        events / STREAMS,
        STREAMS - 1
    ));
    fill(
        db,
        events,
        "INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, timestamp, \
         tenant_id, mt_dotnet_type)",
        &format!(
            "nextval('mt_events_sequence'), gen_random_uuid(), \
             ('00000000-0000-4000-8000-' || lpad(to_hex(i % {STREAMS}), 12, '0'))::uuid, \
             i / {STREAMS} + 1, jsonb_build_object('amount', i % 100), 'deposited', now(), \
             '*DEFAULT*', 'Bank.Deposited, Bank'"
        ),
    );
}

fn eventuous(db: &Database, events: u64) {
    db.sql(include_str!("../tests/foreign/eventuous.sql"));
    db.sql(&format!(
        "INSERT INTO eventuous.streams (stream_name, version) SELECT 'Account-' || i, {} \
         FROM generate_series(0, {}) AS g(i)",
        events / STREAMS - 1,
        STREAMS - 1
    ));
    fill(
        db,
        events,
        "INSERT INTO eventuous.messages (message_id, message_type, stream_id, stream_position, \
         json_data, json_metadata, created)",
        &format!(
            "gen_random_uuid(), 'Deposited', i % {STREAMS} + 1, i / {STREAMS}, \
             jsonb_build_object('amount', i % 100), '{{}}'::jsonb, now() AT TIME ZONE 'utc'"
        ),
    );
}

fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "message-db",
            build: message_db,
            plain: "SELECT global_position, id, stream_name, split_part(stream_name, '-', 1), type, \
                    position + 1, 1::int4, data, metadata, time FROM message_store.messages \
                    WHERE global_position > $1 ORDER BY global_position LIMIT $2",
            read: |events| events,
        },
        Kind {
            name: "emmett",
            build: emmett,
            // As Emmett's own readMessagesBatch: below the oldest running transaction, in
            // (transaction_id, global_position) order.
            plain: "SELECT global_position, message_id, stream_id, split_part(stream_id, '-', 1), \
                    message_type, stream_position, 1::int4, message_data, message_metadata, created \
                    FROM emt_messages WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
                    AND global_position > $1 ORDER BY transaction_id, global_position LIMIT $2",
            read: |events| events.min(env_number("REWIND_BENCH_EMMETT_EVENTS", 100_000)),
        },
        Kind {
            name: "marten",
            build: marten,
            plain: "SELECT seq_id, id, stream_id::text, 'account', type, version, 1::int4, data, \
                    coalesce(headers, '{}'::jsonb), timestamp FROM mt_events WHERE seq_id > $1 \
                    ORDER BY seq_id LIMIT $2",
            read: |events| events,
        },
        Kind {
            name: "eventuous",
            build: eventuous,
            plain: "SELECT m.global_position, m.message_id, s.stream_name, \
                    split_part(s.stream_name, '-', 1), m.message_type, (m.stream_position + 1)::int8, 1::int4, \
                    m.json_data, m.json_metadata, m.created FROM eventuous.messages m \
                    JOIN eventuous.streams s ON s.stream_id = m.stream_id \
                    WHERE m.global_position > $1 ORDER BY m.global_position LIMIT $2",
            read: |events| events,
        },
    ]
}

async fn plain_read(pool: &PgPool, sql: &str, total: u64) -> u64 {
    let (mut after, mut read) = (0i64, 0u64);
    while read < total {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(after)
            .bind(PAGE.min((total - read) as usize) as i64)
            .fetch_all(pool)
            .await
            .unwrap();
        let page: Vec<RecordedEvent> = rows
            .iter()
            .map(|r| statements::event_from_row(r).unwrap())
            .collect();
        read += page.len() as u64;
        match page.last() {
            Some(last) => after = last.global_position as i64,
            None => break,
        }
    }
    read
}

async fn rewind_read(store: &Store, total: u64) -> u64 {
    let mut pages = store.pages(
        LogQuery {
            limit: PAGE,
            ..Default::default()
        },
        Some(total as usize),
    );
    let mut read = 0u64;
    while let Some(page) = pages.next_page().await.unwrap() {
        read += page.len() as u64;
    }
    read
}

fn main() {
    let Ok(server) = std::env::var("REWIND_TEST_PG_URL") else {
        eprintln!("REWIND_TEST_PG_URL is unset: foreign-store benchmarks skipped");
        return;
    };
    // `cargo bench` passes --bench; a filter word picks kinds.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let events = env_number("REWIND_BENCH_FOREIGN_EVENTS", 1_000_000);
    let runs = env_number("REWIND_BENCH_RUNS", 5).max(1);
    for kind in kinds() {
        if !filter.is_empty() && !filter.iter().any(|f| kind.name.contains(f.as_str())) {
            continue;
        }
        let db = Database::new(&server, &kind.name.replace('-', "_"));
        let started = Instant::now();
        (kind.build)(&db, events);
        eprintln!(
            "{}: built {events} events in {:.1} s",
            kind.name,
            started.elapsed().as_secs_f64()
        );
        let total = (kind.read)(events);
        let sidecars = tempfile::tempdir().unwrap();
        let options = OpenOptions {
            create: false,
            sidecar_dir: Some(sidecars.path().to_path_buf()),
            ..OpenOptions::default()
        };
        let store = db
            .rt
            .block_on(Store::open(&StoreUrl::parse(&db.url()).unwrap(), options))
            .unwrap();
        let pool = db
            .rt
            .block_on(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&db.url()),
            )
            .unwrap();
        // One untimed read first, so that neither side pays for a cold cache.
        db.rt.block_on(plain_read(&pool, kind.plain, total));
        let (mut ratios, mut rewind_rates, mut plain_rates) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            let read = db.rt.block_on(rewind_read(&store, total));
            let rewind_s = t.elapsed().as_secs_f64();
            assert_eq!(read, total, "{}: rewind read the whole log", kind.name);
            let t = Instant::now();
            let read = db.rt.block_on(plain_read(&pool, kind.plain, total));
            let plain_s = t.elapsed().as_secs_f64();
            assert_eq!(
                read, total,
                "{}: the plain loop read the whole log",
                kind.name
            );
            rewind_rates.push(total as f64 / rewind_s);
            plain_rates.push(total as f64 / plain_s);
            ratios.push(plain_s / rewind_s);
        }
        println!(
            "{:<11} log of {events} events, {total} read: rewind {:>9.0} events/s, plain sqlx \
             {:>9.0} events/s, ratio {:.2} (median of {runs} runs; each {:?})",
            kind.name,
            median(rewind_rates),
            median(plain_rates),
            median(ratios.clone()),
            ratios
                .iter()
                .map(|r| (r * 100.0).round() / 100.0)
                .collect::<Vec<_>>()
        );
        db.rt.block_on(pool.close());
        drop(store);
    }
}
