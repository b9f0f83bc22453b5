//! The store conformance suite: docs/architecture.md's semantics, written once against the
//! backend-agnostic `Store` and run for every backend: SQLite always, PostgreSQL on the
//! server `REWIND_TEST_PG_URL` names (each test in a fresh schema; skipped, with a notice,
//! when the variable is unset).

mod common;

use std::time::Duration;

use rewind::store::{
    AppendSegment, Direction, ExpectedVersion, LogFilter, LogQuery, NewEvent, Store, StoreError,
    StreamQuery, StreamsQuery,
};
use serde_json::json;
use uuid::Uuid;

/// Keeps a backend's resources alive for the length of one test.
pub struct Fixture {
    pub store: Store,
    _guard: Box<dyn std::any::Any + Send>,
}

async fn sqlite_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(&dir.path().join("store.db")).await;
    Fixture {
        store,
        _guard: Box::new(dir),
    }
}

/// A fresh schema on the test server; None when no server is configured.
async fn postgres_fixture() -> Option<Fixture> {
    let schema = common::pg::PgSchema::new().await?;
    let store = schema.store().await;
    Some(Fixture {
        store,
        _guard: Box::new(schema),
    })
}

async fn some_sqlite_fixture() -> Option<Fixture> {
    Some(sqlite_fixture().await)
}

/// SQLite as a command line process opens it: reads and writes on the caller's thread.
async fn sqlite_on_caller_fixture() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let options = rewind::store::OpenOptions {
        on_caller_thread: true,
        ..Default::default()
    };
    let url = rewind::store::StoreUrl::Sqlite(dir.path().join("store.db"));
    let store = Store::open(&url, options).await.unwrap();
    Some(Fixture {
        store,
        _guard: Box::new(dir),
    })
}

/// Runs each named test (an `async fn(Store)` below) against a fresh store of a backend.
macro_rules! backend_suite {
    ($backend:ident, $fixture:path; $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(fixture) = $fixture().await else {
                        return;
                    };
                    super::$test(fixture.store.clone()).await;
                    // The store's connections close before the schema is dropped.
                    let super::Fixture { store, _guard } = fixture;
                    drop(store);
                    drop(_guard);
                }
            )*
        }
    };
}

macro_rules! conformance {
    ($backend:ident, $fixture:path) => {
        backend_suite!($backend, $fixture;
    versions_and_positions_are_consecutive,
    expected_version_any,
    expected_version_no_stream,
    expected_version_exists,
    expected_version_exact,
    a_batch_is_atomic_across_streams,
    bad_input_writes_nothing,
    idempotent_retry_returns_the_originals,
    partial_or_foreign_ids_are_duplicates,
    stream_reads_page_both_ways,
    log_filters_match_literally,
    log_cursor_and_inclusive_start,
    backward_pages_of_the_log_and_the_streams,
    causation_chains_are_found_both_ways,
    streams_by_last_activity_page_both_ways,
    streams_listing_pages_and_filters,
    stats_count_events_and_streams,
    hostile_names_round_trip_byte_for_byte,
    catch_up_subscription_has_no_gap_and_no_duplicate,
    subscription_filters_live_events,
    import_is_atomic_and_names_the_line,
    import_keeps_everything_but_positions,
    concurrent_writers_each_version_once,
    concurrent_appends_each_get_their_own_answer,
    store_sets_recorded_at_and_stream_type,
    hostile_json_and_bytes_are_refused_and_nothing_is_written,
    where_expressions_match_the_reference,
    aggregates_are_computed_alike,
        );
    };
}

conformance!(sqlite, super::some_sqlite_fixture);
conformance!(sqlite_on_caller, super::sqlite_on_caller_fixture);
conformance!(postgres, super::postgres_fixture);

fn ev(event_type: &str, data: serde_json::Value) -> NewEvent {
    NewEvent::new(event_type, data)
}

async fn all_log(store: &Store) -> Vec<rewind::store::RecordedEvent> {
    store
        .read_log(LogQuery {
            limit: 1_000_000,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn versions_and_positions_are_consecutive(store: Store) {
    let a = store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![ev("T", json!({"n": 1})), ev("T", json!({"n": 2}))],
        )
        .await
        .unwrap();
    let b = store
        .append("B-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let c = store
        .append("A-1", ExpectedVersion::Any, vec![ev("U", json!({"n": 3}))])
        .await
        .unwrap();
    assert_eq!(a.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(b[0].version, 1);
    assert_eq!(c[0].version, 3);
    let positions: Vec<u64> = a
        .iter()
        .chain(&b)
        .chain(&c)
        .map(|e| e.global_position)
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(positions[0] >= 1);
    assert_eq!(store.stream_version("A-1").await.unwrap(), 3);
    assert_eq!(store.stream_version("nope").await.unwrap(), 0);
    let read = store
        .read_stream("A-1", StreamQuery::default())
        .await
        .unwrap();
    assert_eq!(read, a.iter().chain(&c).cloned().collect::<Vec<_>>());
}

fn conflict(e: StoreError) -> (ExpectedVersion, u64) {
    match e {
        StoreError::Concurrency {
            expected, actual, ..
        } => (expected, actual),
        other => panic!("expected a concurrency error, got {other:?}"),
    }
}

async fn expected_version_any(store: Store) {
    for _ in 0..3 {
        store
            .append("S-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
            .await
            .unwrap();
    }
    assert_eq!(store.stream_version("S-1").await.unwrap(), 3);
}

async fn expected_version_no_stream(store: Store) {
    store
        .append("S-1", ExpectedVersion::NoStream, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let e = store
        .append("S-1", ExpectedVersion::NoStream, vec![ev("T", json!({}))])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::NoStream, 1));
    // Exact(0) means the same.
    let e = store
        .append("S-1", ExpectedVersion::Exact(0), vec![ev("T", json!({}))])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::Exact(0), 1));
    store
        .append("S-2", ExpectedVersion::Exact(0), vec![ev("T", json!({}))])
        .await
        .unwrap();
    assert_eq!(store.stream_version("S-1").await.unwrap(), 1);
}

async fn expected_version_exists(store: Store) {
    let e = store
        .append("S-1", ExpectedVersion::Exists, vec![ev("T", json!({}))])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::Exists, 0));
    assert_eq!(store.stream_version("S-1").await.unwrap(), 0);
    store
        .append("S-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    store
        .append("S-1", ExpectedVersion::Exists, vec![ev("T", json!({}))])
        .await
        .unwrap();
    assert_eq!(store.stream_version("S-1").await.unwrap(), 2);
}

async fn expected_version_exact(store: Store) {
    store
        .append(
            "S-1",
            ExpectedVersion::Exact(0),
            vec![ev("T", json!({})), ev("T", json!({}))],
        )
        .await
        .unwrap();
    store
        .append("S-1", ExpectedVersion::Exact(2), vec![ev("T", json!({}))])
        .await
        .unwrap();
    let e = store
        .append("S-1", ExpectedVersion::Exact(2), vec![ev("T", json!({}))])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::Exact(2), 3));
    let e = store
        .append("S-1", ExpectedVersion::Exact(9), vec![ev("T", json!({}))])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::Exact(9), 3));
    assert_eq!(store.stream_version("S-1").await.unwrap(), 3);
    assert_eq!(all_log(&store).await.len(), 3);
}

async fn a_batch_is_atomic_across_streams(store: Store) {
    store
        .append("B-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let e = store
        .append_batch(vec![
            AppendSegment::new(
                "A-1",
                ExpectedVersion::NoStream,
                vec![ev("T", json!({})), ev("T", json!({}))],
            ),
            AppendSegment::new("B-1", ExpectedVersion::Exact(5), vec![ev("T", json!({}))]),
        ])
        .await
        .unwrap_err();
    assert_eq!(conflict(e), (ExpectedVersion::Exact(5), 1));
    assert_eq!(store.stream_version("A-1").await.unwrap(), 0);
    assert_eq!(all_log(&store).await.len(), 1);

    // A later segment's expected version sees what the earlier segments of the batch wrote.
    let stored = store
        .append_batch(vec![
            AppendSegment::new("A-1", ExpectedVersion::NoStream, vec![ev("T", json!({}))]),
            AppendSegment::new("A-1", ExpectedVersion::Exact(1), vec![ev("T", json!({}))]),
            AppendSegment::new("B-1", ExpectedVersion::Exact(1), vec![ev("T", json!({}))]),
        ])
        .await
        .unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|e| (e.stream_id.as_str(), e.version))
            .collect::<Vec<_>>(),
        [("A-1", 1), ("A-1", 2), ("B-1", 2)]
    );
}

async fn bad_input_writes_nothing(store: Store) {
    use serde_json::value::RawValue;
    let not_object = NewEvent {
        data: RawValue::from_string("[1,2]".into()).unwrap(),
        ..ev("T", json!({}))
    };
    let cases: Vec<(&str, Vec<NewEvent>)> = vec![
        ("A-1", vec![ev("T", json!({})), not_object]),
        ("A-1", vec![ev("T", json!({})).with_metadata(json!([1]))]),
        ("A-1", vec![ev("", json!({}))]),
        ("A\n1", vec![ev("T", json!({}))]),
        ("", vec![ev("T", json!({}))]),
        ("A-1", vec![ev("T\u{7}", json!({}))]),
        ("A-1", vec![ev("T", json!({"big": "x".repeat(1_100_000)}))]),
    ];
    let long = "x".repeat(1001);
    for (stream, events) in cases
        .into_iter()
        .chain([(long.as_str(), vec![ev("T", json!({}))])])
    {
        let e = store
            .append(stream, ExpectedVersion::Any, events)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::InvalidInput(_)),
            "{stream:?}: {e:?}"
        );
    }
    assert!(all_log(&store).await.is_empty());
    assert_eq!(store.stats().await.unwrap().streams, 0);
}

async fn idempotent_retry_returns_the_originals(store: Store) {
    let (id1, id2) = (Uuid::now_v7(), Uuid::now_v7());
    let batch = || {
        vec![
            ev("T", json!({"n": 1})).with_id(id1),
            ev("T", json!({"n": 2})).with_id(id2),
        ]
    };
    let first = store
        .append("A-1", ExpectedVersion::NoStream, batch())
        .await
        .unwrap();
    store
        .append("A-1", ExpectedVersion::Any, vec![ev("U", json!({}))])
        .await
        .unwrap();
    // Same batch again, even with an expected version that no longer holds: idempotent.
    let again = store
        .append("A-1", ExpectedVersion::NoStream, batch())
        .await
        .unwrap();
    assert_eq!(first, again);
    let again = store
        .append("A-1", ExpectedVersion::Any, batch())
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(all_log(&store).await.len(), 3);
    // A single event of the batch, retried alone, is also already there.
    let one = store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![ev("T", json!({"n": 2})).with_id(id2)],
        )
        .await
        .unwrap();
    assert_eq!(one, first[1..].to_vec());
}

async fn partial_or_foreign_ids_are_duplicates(store: Store) {
    let (id1, id2, id3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![
                ev("T", json!({})).with_id(id1),
                ev("T", json!({})).with_id(id2),
            ],
        )
        .await
        .unwrap();
    let is_dup = |e: StoreError, id: Uuid| match e {
        StoreError::DuplicateEventId {
            event_id,
            stream_id,
            ..
        } => {
            assert_eq!(event_id, id);
            assert_eq!(stream_id, "A-1");
        }
        other => panic!("expected a duplicate, got {other:?}"),
    };
    // Part of the batch is new.
    let e = store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![
                ev("T", json!({})).with_id(id1),
                ev("T", json!({})).with_id(id3),
            ],
        )
        .await
        .unwrap_err();
    is_dup(e, id1);
    // The id lives in another stream.
    let e = store
        .append(
            "B-1",
            ExpectedVersion::Any,
            vec![ev("T", json!({})).with_id(id2)],
        )
        .await
        .unwrap_err();
    is_dup(e, id2);
    // Out of order.
    let e = store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![
                ev("T", json!({})).with_id(id2),
                ev("T", json!({})).with_id(id1),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::DuplicateEventId { .. }), "{e:?}");
    // The same new id twice in one batch.
    let e = store
        .append(
            "C-1",
            ExpectedVersion::Any,
            vec![
                ev("T", json!({})).with_id(id3),
                ev("T", json!({})).with_id(id3),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::DuplicateEventId { event_id, .. } if event_id == id3),
        "{e:?}"
    );
    assert_eq!(all_log(&store).await.len(), 2);
    assert_eq!(store.stream_version("C-1").await.unwrap(), 0);
}

async fn stream_reads_page_both_ways(store: Store) {
    let events: Vec<NewEvent> = (1..=25).map(|n| ev("T", json!({"n": n}))).collect();
    store
        .append("A-1", ExpectedVersion::Any, events)
        .await
        .unwrap();
    store
        .append("A-10", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let versions = |q: StreamQuery| {
        let store = store.clone();
        async move {
            store
                .read_stream("A-1", q)
                .await
                .unwrap()
                .iter()
                .map(|e| e.version)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        versions(StreamQuery {
            limit: 3,
            ..Default::default()
        })
        .await,
        [1, 2, 3]
    );
    assert_eq!(
        versions(StreamQuery {
            from: Some(10),
            to: Some(12),
            ..Default::default()
        })
        .await,
        [10, 11, 12]
    );
    assert_eq!(
        versions(StreamQuery {
            direction: Direction::Backward,
            limit: 3,
            ..Default::default()
        })
        .await,
        [25, 24, 23]
    );
    assert_eq!(
        versions(StreamQuery {
            direction: Direction::Backward,
            from: Some(4),
            to: Some(6),
            ..Default::default()
        })
        .await,
        [6, 5, 4]
    );
    assert_eq!(
        versions(StreamQuery {
            from: Some(26),
            ..Default::default()
        })
        .await,
        Vec::<u64>::new()
    );
    assert!(
        store
            .read_stream("missing", StreamQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let info = store.stream_info("A-1").await.unwrap().unwrap();
    assert_eq!((info.version, info.last_event_type.as_str()), (25, "T"));
}

async fn log_filters_match_literally(store: Store) {
    store
        .append("A_b-1", ExpectedVersion::Any, vec![ev("Opened", json!({}))])
        .await
        .unwrap();
    store
        .append("Axb-1", ExpectedVersion::Any, vec![ev("Opened", json!({}))])
        .await
        .unwrap();
    store
        .append("A%-1", ExpectedVersion::Any, vec![ev("Open%", json!({}))])
        .await
        .unwrap();
    store
        .append(
            "Order-1",
            ExpectedVersion::Any,
            vec![
                ev("Placed", json!({})).with_metadata(json!({"correlation_id": "c-1"})),
                ev("Shipped", json!({})).with_metadata(json!({"correlation_id": "c_1"})),
            ],
        )
        .await
        .unwrap();
    let streams_of = |filter: LogFilter| {
        let store = store.clone();
        async move {
            store
                .read_log(LogQuery {
                    filter,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_iter()
                .map(|e| format!("{}@{}", e.stream_id, e.version))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        streams_of(LogFilter {
            category: Some("A_b".into()),
            ..Default::default()
        })
        .await,
        ["A_b-1@1"]
    );
    assert_eq!(
        streams_of(LogFilter {
            category: Some("A%".into()),
            ..Default::default()
        })
        .await,
        ["A%-1@1"]
    );
    assert_eq!(
        streams_of(LogFilter {
            event_types: vec!["Open%".into()],
            ..Default::default()
        })
        .await,
        ["A%-1@1"]
    );
    assert_eq!(
        streams_of(LogFilter {
            event_types: vec!["Opened".into(), "Shipped".into()],
            ..Default::default()
        })
        .await,
        ["A_b-1@1", "Axb-1@1", "Order-1@2"]
    );
    assert_eq!(
        streams_of(LogFilter {
            correlation_id: Some("c_1".into()),
            ..Default::default()
        })
        .await,
        ["Order-1@2"]
    );
    assert_eq!(
        streams_of(LogFilter {
            category: Some("opened".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        streams_of(LogFilter {
            streams: vec!["Order-1".into()],
            event_types: vec!["Placed".into()],
            ..Default::default()
        })
        .await,
        ["Order-1@1"]
    );
    assert_eq!(
        streams_of(LogFilter {
            streams: vec!["Order-1".into(), "A%-1".into()],
            ..Default::default()
        })
        .await,
        ["A%-1@1", "Order-1@1", "Order-1@2"]
    );
}

async fn log_cursor_and_inclusive_start(store: Store) {
    let events: Vec<NewEvent> = (0..10).map(|n| ev("T", json!({"n": n}))).collect();
    let stored = store
        .append("A-1", ExpectedVersion::Any, events)
        .await
        .unwrap();
    let p: Vec<u64> = stored.iter().map(|e| e.global_position).collect();
    let positions = |q: LogQuery| {
        let store = store.clone();
        async move {
            store
                .read_log(q)
                .await
                .unwrap()
                .iter()
                .map(|e| e.global_position)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        positions(LogQuery {
            after: p[6],
            ..Default::default()
        })
        .await,
        p[7..]
    );
    assert_eq!(
        positions(LogQuery {
            min_position: Some(p[6]),
            ..Default::default()
        })
        .await,
        p[6..]
    );
    assert_eq!(
        positions(LogQuery {
            after: 0,
            limit: 4,
            ..Default::default()
        })
        .await,
        p[..4]
    );
    assert_eq!(
        positions(LogQuery {
            after: p[9],
            ..Default::default()
        })
        .await,
        Vec::<u64>::new()
    );
}

async fn backward_pages_of_the_log_and_the_streams(store: Store) {
    for n in 0..7 {
        store
            .append(
                &format!("S-{n}"),
                ExpectedVersion::Any,
                vec![ev("T", json!({"n": n}))],
            )
            .await
            .unwrap();
    }
    let all: Vec<u64> = all_log(&store)
        .await
        .iter()
        .map(|e| e.global_position)
        .collect();
    let back = |before: Option<u64>, limit: usize| {
        let store = store.clone();
        async move {
            let q = LogQuery {
                limit,
                ..Default::default()
            };
            store
                .read_log_backward(q, before)
                .await
                .unwrap()
                .iter()
                .map(|e| e.global_position)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(back(None, 3).await, [all[6], all[5], all[4]]);
    assert_eq!(
        back(Some(all[4]), 10).await,
        [all[3], all[2], all[1], all[0]]
    );
    assert_eq!(back(Some(all[0]), 10).await, Vec::<u64>::new());
    let ids = |before: Option<&str>| {
        let store = store.clone();
        let before = before.map(str::to_owned);
        async move {
            let q = StreamsQuery {
                limit: 2,
                ..Default::default()
            };
            store
                .list_streams_backward(q, before)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.stream_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(None).await, ["S-6", "S-5"]);
    assert_eq!(ids(Some("S-1")).await, ["S-0"]);
}

async fn causation_chains_are_found_both_ways(store: Store) {
    let placed = store
        .append(
            "Order-1",
            ExpectedVersion::Any,
            vec![ev("Placed", json!({}))],
        )
        .await
        .unwrap()
        .remove(0);
    let caused = json!({"correlation_id": "c", "causation_id": placed.event_id.to_string()});
    let effects = store
        .append(
            "Account-1",
            ExpectedVersion::Any,
            vec![
                ev("Withdrawn", json!({})).with_metadata(caused.clone()),
                ev("Noted", json!({})).with_metadata(caused),
            ],
        )
        .await
        .unwrap();
    let found = store.caused_by(placed.event_id, 10).await.unwrap();
    assert_eq!(found, effects);
    assert_eq!(
        store.event_by_id(placed.event_id).await.unwrap(),
        Some(placed)
    );
    assert!(store.event_by_id(Uuid::now_v7()).await.unwrap().is_none());
    assert!(
        store
            .caused_by(effects[0].event_id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn streams_by_last_activity_page_both_ways(store: Store) {
    use rewind::store::Direction::{Backward, Forward};
    for n in 0..5 {
        store
            .append(
                &format!("S-{n}"),
                ExpectedVersion::Any,
                vec![ev("T", json!({}))],
            )
            .await
            .unwrap();
    }
    // S-1 becomes the most recently active.
    store
        .append("S-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let ids = |rows: Vec<rewind::store::StreamInfo>| {
        rows.into_iter().map(|s| s.stream_id).collect::<Vec<_>>()
    };
    let newest = store
        .streams_by_activity(None, None, Backward, 2)
        .await
        .unwrap();
    let cursor = newest.last().map(|s| (s.updated_at, s.stream_id.clone()));
    assert_eq!(ids(newest), ["S-1", "S-4"]);
    let older = store
        .streams_by_activity(None, cursor.clone(), Backward, 10)
        .await
        .unwrap();
    assert_eq!(ids(older), ["S-3", "S-2", "S-0"]);
    let newer = store
        .streams_by_activity(None, cursor, Forward, 10)
        .await
        .unwrap();
    assert_eq!(ids(newer), ["S-1"]);
    let oldest = store
        .streams_by_activity(None, None, Forward, 1)
        .await
        .unwrap();
    assert_eq!(ids(oldest), ["S-0"]);
}

async fn streams_listing_pages_and_filters(store: Store) {
    for n in 0..12 {
        let stream = format!("{}-{n:02}", if n % 3 == 0 { "Order" } else { "Account" });
        store
            .append(
                &stream,
                ExpectedVersion::Any,
                vec![ev("T", json!({})); (n % 4) + 1],
            )
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut query = StreamsQuery {
        limit: 5,
        ..Default::default()
    };
    loop {
        let page = store.list_streams(query.clone()).await.unwrap();
        seen.extend(page.iter().map(|s| (s.stream_id.clone(), s.version)));
        match page.last() {
            Some(last) if page.len() == 5 => query.after = Some(last.stream_id.clone()),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 12);
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "ordered by id: {seen:?}"
    );
    assert!(seen.contains(&("Account-05".to_string(), 2)));
    let orders = store
        .list_streams(StreamsQuery {
            category: Some("Order".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        orders
            .iter()
            .map(|s| s.stream_id.as_str())
            .collect::<Vec<_>>(),
        ["Order-00", "Order-03", "Order-06", "Order-09"]
    );
    assert!(
        orders
            .iter()
            .all(|s| s.stream_type == "Order" && s.created_at <= s.updated_at)
    );
}

async fn stats_count_events_and_streams(store: Store) {
    assert_eq!(store.stats().await.unwrap().events, 0);
    store
        .append("A-1", ExpectedVersion::Any, vec![ev("T", json!({})); 3])
        .await
        .unwrap();
    let last = store
        .append("B-1", ExpectedVersion::Any, vec![ev("T", json!({})); 2])
        .await
        .unwrap();
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.events, stats.streams), (5, 2));
    assert_eq!(stats.head_position, last[1].global_position);
}

async fn hostile_names_round_trip_byte_for_byte(store: Store) {
    let names = [
        "quote'd-\"1\"",
        "100%-_x_",
        "star*-\\back\\slash",
        "spaced out-1 2",
        "ünïcødé-日本-🦀",
        "-leading-dash",
    ];
    for name in names {
        let stored = store
            .append(
                name,
                ExpectedVersion::NoStream,
                vec![ev(name, json!({"name": name}))],
            )
            .await
            .unwrap();
        assert_eq!(stored[0].stream_id, name);
        let read = store
            .read_stream(name, StreamQuery::default())
            .await
            .unwrap();
        assert_eq!(read.len(), 1, "{name}");
        assert_eq!(read[0].event_type, name);
        assert_eq!(read[0].data.get(), json!({"name": name}).to_string());
        let by_type = store
            .read_log(LogQuery {
                filter: LogFilter {
                    event_types: vec![name.into()],
                    ..Default::default()
                },
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(by_type.len(), 1, "{name}");
    }
    // `%` and `_` are not wildcards anywhere.
    let wild = store
        .read_log(LogQuery {
            filter: LogFilter {
                category: Some("100%".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(wild.len(), 1);
    assert_eq!(
        store
            .read_stream("100%-_x%", StreamQuery::default())
            .await
            .unwrap()
            .len(),
        0
    );
}

async fn catch_up_subscription_has_no_gap_and_no_duplicate(store: Store) {
    for n in 0..50 {
        store
            .append(
                &format!("P-{}", n % 5),
                ExpectedVersion::Any,
                vec![ev("T", json!({"n": n}))],
            )
            .await
            .unwrap();
    }
    let mut subscription = store.subscribe_with(0, None, LogFilter::default(), 7);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 50..250 {
                store
                    .append(
                        &format!("P-{}", n % 5),
                        ExpectedVersion::Any,
                        vec![ev("T", json!({"n": n}))],
                    )
                    .await
                    .unwrap();
                if n % 20 == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        })
    };
    let mut seen = Vec::new();
    while seen.len() < 250 {
        let batch = tokio::time::timeout(Duration::from_secs(10), subscription.next_batch())
            .await
            .expect("subscription stalled")
            .unwrap();
        seen.extend(batch.into_iter().map(|e| {
            serde_json::from_str::<serde_json::Value>(e.data.get()).unwrap()["n"]
                .as_u64()
                .unwrap()
        }));
    }
    writer.await.unwrap();
    assert_eq!(seen, (0..250).collect::<Vec<u64>>());
    // Nothing more arrives until something is appended.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), subscription.next_batch())
            .await
            .is_err()
    );
}

async fn subscription_filters_live_events(store: Store) {
    store
        .append(
            "A-1",
            ExpectedVersion::Any,
            vec![ev("Keep", json!({"n": 0}))],
        )
        .await
        .unwrap();
    let filter = LogFilter {
        event_types: vec!["Keep".into()],
        ..Default::default()
    };
    let mut subscription = store.subscribe(0, filter);
    let first = subscription.next_batch().await.unwrap();
    assert_eq!(first.len(), 1);
    let waiting = tokio::spawn(async move { subscription.next_batch().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(50)).await;
    store
        .append("A-1", ExpectedVersion::Any, vec![ev("Skip", json!({})); 3])
        .await
        .unwrap();
    store
        .append(
            "B-1",
            ExpectedVersion::Any,
            vec![ev("Keep", json!({"n": 1}))],
        )
        .await
        .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("live event")
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].stream_id.as_str(), next[0].event_type.as_str()),
        ("B-1", "Keep")
    );
}

fn envelope(id: Uuid, stream: &str, version: u64, time: &str) -> String {
    json!({
        "event_id": id, "stream_id": stream, "event_type": "Imported", "version": version,
        "schema_version": 2, "data": {"v": version}, "metadata": {"correlation_id": "imp"},
        "global_position": 999, "recorded_at": time,
    })
    .to_string()
}

async fn import_is_atomic_and_names_the_line(store: Store) {
    store
        .append("A-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    let import = |text: String| {
        let store = store.clone();
        async move { store.import(Box::new(std::io::Cursor::new(text))).await }
    };
    let t = "2026-01-15T10:30:00.123456Z";
    let good = envelope(Uuid::now_v7(), "B-1", 1, t);
    let cases = [
        // A version gap.
        (
            format!("{good}\n{}\n", envelope(Uuid::now_v7(), "B-1", 3, t)),
            2,
        ),
        // A stream already in the store continues at its version + 1.
        (
            format!("{good}\n\n{}\n", envelope(Uuid::now_v7(), "A-1", 1, t)),
            3,
        ),
        // Not JSON.
        (format!("{good}\n{{oops\n"), 2),
        // Data that is not an object.
        (
            format!(
                "{good}\n{}\n",
                envelope(Uuid::now_v7(), "C-1", 1, t).replace(r#""data":{"v":1}"#, r#""data":[1]"#)
            ),
            2,
        ),
        // A duplicate event id.
        (
            format!("{good}\n{}\n", good.replace("\"B-1\"", "\"C-1\"")),
            2,
        ),
        // A bad time.
        (
            format!(
                "{good}\n{}\n",
                envelope(Uuid::now_v7(), "C-1", 1, "yesterday")
            ),
            2,
        ),
    ];
    for (text, line) in cases {
        match import(text.clone()).await.unwrap_err() {
            StoreError::BadLine { line: l, reason } => assert_eq!(l, line, "{reason}\n{text}"),
            other => panic!("expected a bad line, got {other:?}"),
        }
        assert_eq!(all_log(&store).await.len(), 1, "nothing written for {text}");
        assert_eq!(store.stats().await.unwrap().streams, 1);
    }
    let summary = import(format!(
        "{good}\n{}\n",
        envelope(Uuid::now_v7(), "A-1", 2, t)
    ))
    .await
    .unwrap();
    assert_eq!((summary.events, summary.streams), (2, 2));
    assert_eq!(store.stream_version("A-1").await.unwrap(), 2);
}

async fn import_keeps_everything_but_positions(store: Store) {
    let lines = [
        envelope(Uuid::now_v7(), "A-1", 1, "2025-12-01T09:00:00.000001Z"),
        envelope(Uuid::now_v7(), "B-1", 1, "2025-12-02T10:00:00+02:00"),
        envelope(Uuid::now_v7(), "A-1", 2, "2025-12-03T09:00:00Z"),
    ];
    store
        .append("Z-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
        .await
        .unwrap();
    store
        .import(Box::new(std::io::Cursor::new(lines.join("\n"))))
        .await
        .unwrap();
    let log = all_log(&store).await;
    assert_eq!(log.len(), 4);
    for (line, event) in lines.iter().zip(&log[1..]) {
        let original: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut stored = serde_json::to_value(event).unwrap();
        assert_ne!(stored["global_position"], 999);
        assert!(stored["global_position"].as_u64().unwrap() > log[0].global_position);
        stored["global_position"] = json!(999);
        let mut expected = original.clone();
        expected["stream_type"] = json!(rewind::store::category_of(
            original["stream_id"].as_str().unwrap()
        ));
        let time =
            rewind::store::timestamp::parse(original["recorded_at"].as_str().unwrap()).unwrap();
        expected["recorded_at"] = json!(rewind::store::timestamp::format(&time));
        assert_eq!(stored, expected);
    }
    assert_eq!(log[2].recorded_at.to_rfc3339(), "2025-12-02T08:00:00+00:00");
    let b = store.stream_info("B-1").await.unwrap().unwrap();
    assert_eq!(b.created_at, log[2].recorded_at);
}

async fn concurrent_writers_each_version_once(store: Store) {
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for i in 0..EACH {
                loop {
                    let current = store.stream_version("Race-1").await.unwrap();
                    let event = ev("T", json!({"writer": w, "i": i}));
                    match store
                        .append("Race-1", ExpectedVersion::Exact(current), vec![event])
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::Concurrency { .. }) => conflicts += 1,
                        Err(other) => panic!("writer {w}: {other}"),
                    }
                }
            }
            conflicts
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let events = store
        .read_stream(
            "Race-1",
            StreamQuery {
                limit: 10_000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=(WRITERS * EACH) as u64).collect::<Vec<_>>()
    );
    let mut writes: Vec<(u64, u64)> = events
        .iter()
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
            (d["writer"].as_u64().unwrap(), d["i"].as_u64().unwrap())
        })
        .collect();
    writes.sort();
    writes.dedup();
    assert_eq!(writes.len(), WRITERS * EACH, "no write lost or doubled");
}

/// Many appends at once from one process (on PostgreSQL, several share a transaction: see
/// group commit): each is atomic, answered with its own events, and one's conflict fails
/// no other.
async fn concurrent_appends_each_get_their_own_answer(store: Store) {
    let mut tasks = Vec::new();
    for w in 0..40u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let result = match w % 4 {
                // All race to create one stream: one wins.
                0 => {
                    store
                        .append(
                            "Same-1",
                            ExpectedVersion::NoStream,
                            vec![ev("Opened", json!({ "w": w }))],
                        )
                        .await
                }
                // Two streams in one batch, the second expecting what it is.
                1 => {
                    store
                        .append_batch(vec![
                            AppendSegment::new(
                                format!("Pair-{w}"),
                                ExpectedVersion::NoStream,
                                vec![ev("A", json!({ "w": w })), ev("B", json!({ "w": w }))],
                            ),
                            AppendSegment::new(
                                format!("Pair-{w}"),
                                ExpectedVersion::Exact(2),
                                vec![ev("C", json!({ "w": w }))],
                            ),
                            AppendSegment::new(
                                format!("Other-{w}"),
                                ExpectedVersion::Any,
                                vec![ev("D", json!({ "w": w }))],
                            ),
                        ])
                        .await
                }
                // Expects a stream nobody made: always a conflict.
                2 => {
                    store
                        .append(
                            &format!("Missing-{w}"),
                            ExpectedVersion::Exact(3),
                            vec![ev("X", json!({ "w": w }))],
                        )
                        .await
                }
                _ => {
                    store
                        .append(
                            &format!("Solo-{w}"),
                            ExpectedVersion::Any,
                            (0..w).map(|i| ev("S", json!({ "w": w, "i": i }))).collect(),
                        )
                        .await
                }
            };
            (w, result)
        }));
    }
    let mut same_winners = 0;
    for task in tasks {
        let (w, result) = task.await.unwrap();
        let mine = |events: &[rewind::store::RecordedEvent]| {
            events
                .iter()
                .all(|e| serde_json::from_str::<serde_json::Value>(e.data.get()).unwrap()["w"] == w)
        };
        match (w % 4, result) {
            (0, Ok(events)) => {
                same_winners += 1;
                assert_eq!(events.len(), 1);
                assert!(mine(&events));
            }
            (0, Err(e)) => assert_eq!(conflict(e), (ExpectedVersion::NoStream, 1)),
            (1, Ok(events)) => {
                let placed: Vec<(String, u64, String)> = events
                    .iter()
                    .map(|e| (e.stream_id.clone(), e.version, e.event_type.clone()))
                    .collect();
                assert_eq!(
                    placed,
                    [
                        (format!("Pair-{w}"), 1, "A".into()),
                        (format!("Pair-{w}"), 2, "B".into()),
                        (format!("Pair-{w}"), 3, "C".into()),
                        (format!("Other-{w}"), 1, "D".into()),
                    ]
                );
                assert!(mine(&events));
                assert!(
                    events
                        .windows(2)
                        .all(|p| p[0].global_position < p[1].global_position)
                );
            }
            (2, Err(e)) => assert_eq!(conflict(e), (ExpectedVersion::Exact(3), 0)),
            (3, Ok(events)) => {
                assert_eq!(
                    events.iter().map(|e| e.version).collect::<Vec<_>>(),
                    (1..=w).collect::<Vec<_>>()
                );
                assert!(mine(&events));
            }
            (kind, other) => panic!("append {w} (kind {kind}): {other:?}"),
        }
    }
    assert_eq!(same_winners, 1, "exactly one append created Same-1");
    // What was answered is what is stored: 1 + 10 × 4 + 0 + (3 + 7 + … + 39) events.
    let log = all_log(&store).await;
    assert_eq!(
        log.len(),
        1 + 40 + (0..10).map(|k| 4 * k + 3).sum::<usize>()
    );
    assert!(log.iter().all(|e| !e.stream_id.starts_with("Missing-")));
}

async fn store_sets_recorded_at_and_stream_type(store: Store) {
    let before = rewind::store::timestamp::now();
    let stored = store
        .append_batch(vec![
            AppendSegment {
                stream_type: Some("Custom".into()),
                ..AppendSegment::new("x-1", ExpectedVersion::Any, vec![ev("T", json!({}))])
            },
            AppendSegment::new(
                "solo",
                ExpectedVersion::Any,
                vec![ev("T", json!({})).with_schema_version(3)],
            ),
        ])
        .await
        .unwrap();
    let after = rewind::store::timestamp::now();
    assert_eq!(stored[0].stream_type, "Custom");
    assert_eq!(stored[1].stream_type, "solo");
    assert_eq!(stored[1].schema_version, 3);
    assert_eq!(stored[1].metadata.get(), "{}");
    for e in &stored {
        assert!(before <= e.recorded_at && e.recorded_at <= after);
    }
    let read = store
        .read_stream("solo", StreamQuery::default())
        .await
        .unwrap();
    assert_eq!(read[0], stored[1]);
}

/// Deep nesting, numbers beyond 64 bits, lone surrogate escapes (found by fuzzing: they
/// passed validation, then failed every reader) and invalid UTF-8: refused with a clear error,
/// nothing written, on every backend.
async fn hostile_json_and_bytes_are_refused_and_nothing_is_written(store: Store) {
    let raw = |text: String| NewEvent {
        event_id: None,
        event_type: "T".into(),
        data: serde_json::value::RawValue::from_string(text).unwrap(),
        metadata: None,
        schema_version: 1,
    };
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(500), "]".repeat(500));
    for (data, says) in [
        (deep, "nests deeper"),
        (r#"{"n":1e400}"#.to_owned(), "beyond"),
        (
            r#"{"n":123456789012345678901234567890}"#.to_owned(),
            "beyond",
        ),
        (r#"{"s":"\ude00"}"#.to_owned(), "lone UTF-16 surrogate"),
    ] {
        let e = store
            .append("H-1", ExpectedVersion::Any, vec![raw(data)])
            .await
            .unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
        assert_eq!(e.exit_code(), 1);
    }
    let mut file = br#"{"event_id":"01900000-0000-7000-8000-000000000001","stream_id":"H-1","event_type":"T","version":1,"data":{},"recorded_at":"2026-01-01T00:00:00Z"}"#.to_vec();
    file.extend(b"\n{\"event_id\":\"01900000-0000-7000-8000-000000000002\",\"stream_id\":\"H-1\",\"event_type\":\"T\",\"version\":2,\"data\":{\"s\":\"\xff\"},\"recorded_at\":\"2026-01-01T00:00:00Z\"}\n");
    let e = store
        .import(Box::new(std::io::Cursor::new(file)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(all_log(&store).await.is_empty(), "nothing written");
    assert_eq!(store.stream_version("H-1").await.unwrap(), 0);
}

/// Twelve events of every JSON type, for `--where` and `rewind query`.
async fn append_typed_events(store: &Store) {
    let batches: Vec<(&str, Vec<NewEvent>)> = vec![
        (
            "Account-1",
            vec![
                ev(
                    "AccountOpened",
                    json!({"owner": "Ada", "balance": 0, "tags": ["vip"]}),
                )
                .with_metadata(json!({"correlation_id": "c-1"})),
                ev("MoneyDeposited", json!({"amount": 150, "source": "salary"}))
                    .with_metadata(json!({"correlation_id": "c-1", "causation_id": "x"})),
                ev("MoneyDeposited", json!({"amount": 2.5, "source": "cash"})),
            ],
        ),
        (
            "Account-2",
            vec![
                ev("AccountOpened", json!({"owner": "Bob", "balance": 10})).with_schema_version(2),
                ev("MoneyDeposited", json!({"amount": "150"})),
                ev("MoneyWithdrawn", json!({"amount": -20, "note": null})),
            ],
        ),
        (
            "Order-1",
            vec![
                ev(
                    "OrderPlaced",
                    json!({"items": {"0": "first", "count": 2}, "total": 99.99, "discount": "50%_off"}),
                ),
                ev("ItemAdded", json!({"sku": "a*b[c", "flag": true})),
                ev(
                    "OrderCancelled",
                    json!({"reason": "Out of stock", "flag": false}),
                ),
            ],
        ),
        (
            "order-2",
            vec![ev("OrderPlaced", json!({"total": 1e3, "items": ["x"]}))],
        ),
        ("Ünï-1", vec![ev("Named", json!({"name": "Zoë", "B": "b"}))]),
        (
            "Account-1",
            vec![ev(
                "MoneyDeposited",
                json!({"amount": 9007199254740993_u64}),
            )],
        ),
    ];
    for (stream, events) in batches {
        store
            .append(stream, ExpectedVersion::Any, events)
            .await
            .unwrap();
    }
}

/// `--where` gives the same events on every backend as `Where::matches` (the reference),
/// and as many as counted by hand: JSON types kept apart, absent fields matching nothing,
/// exact big integers, byte-order text, case-sensitive `like` with literal escapes, keys
/// that look like array indexes.
async fn where_expressions_match_the_reference(store: Store) {
    use rewind::store::expr::Where;
    append_typed_events(&store).await;
    let all = all_log(&store).await;
    assert_eq!(all.len(), 12);
    let cases: &[(&str, usize)] = &[
        ("type = 'MoneyDeposited'", 4),
        ("type != 'MoneyDeposited'", 8),
        ("type < 'M'", 3),
        ("data.amount = 150", 1),
        ("data.amount = '150'", 1),
        ("data.amount != 150", 4),
        ("data.amount > 100", 2),
        ("data.amount >= 2.5 and data.amount < 200", 2),
        ("data.amount < 0", 1),
        ("data.amount in (150, 2.5, '150')", 3),
        ("data.amount = 9007199254740993", 1),
        ("data.amount = 9007199254740992", 0),
        ("not data.amount = 150", 11),
        ("exists data.note", 1),
        ("data.note = null", 1),
        ("not exists data.amount", 7),
        ("data.owner like 'A%'", 1),
        ("data.owner like 'a%'", 0),
        ("data.discount like '50\\%\\_off'", 1),
        ("data.discount like '50\\%\\_of'", 0),
        ("data.sku = 'a*b[c' and data.sku like 'a*b[c'", 1),
        ("data.sku like 'a_b%'", 1),
        ("data.flag = true", 1),
        ("data.flag = false", 1),
        ("data.flag != true", 1),
        ("data.items.\"0\" = 'first'", 1),
        ("exists data.items.0", 1),
        ("data.items.count >= 2", 1),
        ("data.total > 99.98 and data.total < 100", 1),
        ("data.total = 1000", 1),
        ("data.tags = 'vip'", 0),
        ("category = 'Order'", 3),
        ("category = 'order'", 1),
        ("category in ('Order', 'order')", 4),
        ("category not in ('Account')", 5),
        ("stream like 'Account-%' and version = 1", 2),
        ("stream like '%-1'", 8),
        ("position > 3 and position <= 6", 3),
        ("schema_version = 2", 1),
        ("data.name > 'Z' and data.name = 'Zoë'", 1),
        ("data.B = 'b'", 1),
        ("data.b = 'b'", 0),
        (
            "type = 'OrderPlaced' or type = 'OrderCancelled' and data.flag = false",
            3,
        ),
        ("metadata.correlation_id = 'c-1'", 2),
        ("exists metadata.causation_id", 1),
        ("recorded_at > '2000-01-01'", 12),
        ("recorded_at < '2000-01-01T00:00:00Z'", 0),
    ];
    for (source, count) in cases {
        let matching = Where::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let expected: Vec<u64> = all
            .iter()
            .filter(|e| matching.matches(e))
            .map(|e| e.global_position)
            .collect();
        assert_eq!(expected.len(), *count, "the reference, on {source}");
        let got: Vec<u64> = store
            .read_log(LogQuery {
                filter: LogFilter {
                    matching: Some(matching.clone()),
                    ..Default::default()
                },
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{source}: {e}"))
            .iter()
            .map(|e| e.global_position)
            .collect();
        assert_eq!(got, expected, "{source}");
    }

    // A stream read and the streams listing take the same expressions.
    let big = Where::parse("data.amount > 100").unwrap();
    let versions: Vec<u64> = store
        .read_stream(
            "Account-1",
            StreamQuery {
                matching: Some(big),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, [2, 4]);
    let placed = store
        .list_streams(StreamsQuery {
            matching: Some(Where::parse("type = 'OrderPlaced'").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<&str> = placed.iter().map(|s| s.stream_id.as_str()).collect();
    assert_eq!(ids, ["Order-1", "order-2"]);

    // Filtered pages: a short page still means the end.
    let mut pages = store.pages(
        LogQuery {
            filter: LogFilter {
                matching: Some(Where::parse("category = 'Account'").unwrap()),
                ..Default::default()
            },
            limit: 2,
            ..Default::default()
        },
        None,
    );
    let mut seen = 0;
    while let Some(page) = pages.next_page().await.unwrap() {
        seen += page.len();
    }
    assert_eq!(seen, 7);
}

/// `rewind query`'s aggregates give the same rows on every backend: counts per group
/// (JSON groups by value, absent ones as null), exact integer sums, numeric extremes that
/// pass text by, times as the envelope prints them, and the top N by the answer.
async fn aggregates_are_computed_alike(store: Store) {
    use rewind::store::expr::aggregate::{Aggregate, AggregateQuery};
    use rewind::store::expr::{Where, parse_field};
    append_typed_events(&store).await;
    let run = |aggregate: Aggregate, matching: Option<&str>, group: Option<&str>, top| {
        let store = store.clone();
        let query = AggregateQuery {
            aggregate: aggregate.clone(),
            matching: matching.map(|m| Where::parse(m).unwrap()),
            group_by: group.map(|g| parse_field(g).unwrap()),
            top,
        };
        async move {
            let rows = store.aggregate(query).await.unwrap();
            rows.iter()
                .map(|r| r.to_json(&aggregate))
                .collect::<Vec<_>>()
        }
    };
    let field = |name: &str| parse_field(name).unwrap();
    assert_eq!(
        run(Aggregate::Count, None, None, None).await,
        [json!({"count": 12})]
    );
    assert_eq!(
        run(
            Aggregate::Count,
            Some("category = 'Account'"),
            Some("type"),
            None
        )
        .await,
        [
            json!({"group": "AccountOpened", "count": 2}),
            json!({"group": "MoneyDeposited", "count": 4}),
            json!({"group": "MoneyWithdrawn", "count": 1}),
        ]
    );
    assert_eq!(
        run(Aggregate::Count, None, Some("stream"), Some(2)).await,
        [
            json!({"group": "Account-1", "count": 4}),
            json!({"group": "Account-2", "count": 3}),
        ]
    );
    // Grouped by a data field: by JSON value, absent as null, text apart from numbers.
    assert_eq!(
        run(
            Aggregate::Count,
            Some("category = 'Account'"),
            Some("data.amount"),
            None
        )
        .await,
        [
            json!({"group": null, "count": 2}),
            json!({"group": -20, "count": 1}),
            json!({"group": 2.5, "count": 1}),
            json!({"group": 150, "count": 1}),
            json!({"group": 9007199254740993_u64, "count": 1}),
            json!({"group": "150", "count": 1}),
        ]
    );
    // Sums take numbers only ("150" is text), exactly.
    assert_eq!(
        run(
            Aggregate::Sum(field("data.amount")),
            Some("data.amount < 1000"),
            None,
            None
        )
        .await,
        [json!({"count": 3, "sum": 132.5})]
    );
    assert_eq!(
        run(
            Aggregate::Sum(field("data.amount")),
            Some("data.amount > 1000"),
            None,
            None
        )
        .await,
        [json!({"count": 1, "sum": 9007199254740993_u64})]
    );
    assert_eq!(
        run(
            Aggregate::Min(field("data.amount")),
            None,
            Some("category"),
            None
        )
        .await,
        [
            json!({"group": "Account", "count": 7, "min": -20}),
            json!({"group": "Order", "count": 3, "min": null}),
            json!({"group": "order", "count": 1, "min": null}),
            json!({"group": "Ünï", "count": 1, "min": null}),
        ]
    );
    assert_eq!(
        run(
            Aggregate::Max(field("version")),
            None,
            Some("category"),
            Some(1)
        )
        .await,
        [json!({"group": "Account", "count": 7, "max": 4})]
    );
    assert_eq!(
        run(
            Aggregate::Max(field("type")),
            Some("category = 'Order'"),
            None,
            None
        )
        .await,
        [json!({"count": 3, "max": "OrderPlaced"})]
    );
    let all = all_log(&store).await;
    let last = rewind::store::timestamp::format(&all.last().unwrap().recorded_at);
    assert_eq!(
        run(Aggregate::Max(field("recorded_at")), None, None, None).await,
        [json!({"count": 12, "max": last})]
    );
}
