//! Group commit on PostgreSQL: appends one process makes at once share a transaction,
//! and still each gets its own answer — a conflict or content PostgreSQL refuses fails
//! only its own append — and a call held up by a locked stream does not hold up the rest.
//! Each test has a schema of its own on `REWIND_TEST_PG_URL`; all skip when it is unset.

mod common;

use std::time::Duration;

use common::pg::PgSchema;
use rewind::store::{ExpectedVersion, NewEvent, RecordedEvent, Store, StoreError};
use serde_json::json;
use sqlx::{Connection, Row};

fn event(data: serde_json::Value) -> NewEvent {
    NewEvent::new("T", data)
}

/// Transaction ids of the stored events with these positions.
async fn transactions(schema: &PgSchema, events: &[RecordedEvent]) -> Vec<String> {
    let pool = schema.pool().await;
    let positions: Vec<i64> = events.iter().map(|e| e.global_position as i64).collect();
    let rows = sqlx::query(
        "SELECT DISTINCT tx_id::text FROM events WHERE global_position = ANY($1) ORDER BY 1",
    )
    .bind(&positions)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter().map(|r| r.get(0)).collect()
}

/// Holds the append lock of a stream, as another process's open append would.
struct Gate {
    conn: sqlx::PgConnection,
}

impl Gate {
    async fn close(schema: &PgSchema, stream: &str) -> Gate {
        let mut conn = sqlx::PgConnection::connect(&schema.url()).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(stream)
            .execute(&mut conn)
            .await
            .unwrap();
        Gate { conn }
    }

    async fn open(mut self) {
        sqlx::query("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .unwrap();
    }
}

/// Starts an append that will wait behind the gate, and waits until it is stuck there.
async fn stuck_append(store: &Store, stream: &str) -> tokio::task::JoinHandle<RecordedEvent> {
    let store_ = store.clone();
    let stream_ = stream.to_owned();
    let stuck = tokio::spawn(async move {
        store_
            .append(&stream_, ExpectedVersion::Any, vec![event(json!({}))])
            .await
            .unwrap()
            .remove(0)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!stuck.is_finished(), "the gate holds the append");
    stuck
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_made_at_once_share_transactions() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let store = schema.store().await;
    store.migrate().await.unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(
                        &format!("W-{w}"),
                        ExpectedVersion::NoStream,
                        vec![event(json!({ "w": w }))],
                    )
                    .await
                    .unwrap()
                    .remove(0)
            })
        })
        .collect();
    let mut answered = Vec::new();
    for (w, task) in tasks.into_iter().enumerate() {
        let e = task.await.unwrap();
        assert_eq!((e.stream_id.as_str(), e.version), (&*format!("W-{w}"), 1));
        answered.push(e);
    }
    let txs = transactions(&schema, &answered).await;
    assert!(
        txs.len() <= 16,
        "32 appends at once took {} transactions",
        txs.len()
    );
    drop(store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_append_fails_only_itself_and_a_held_up_call_holds_up_nothing_else() {
    let Some(schema) = PgSchema::new().await else {
        return;
    };
    let store = schema.store().await;
    store
        .append("Exists-1", ExpectedVersion::Any, vec![event(json!({}))])
        .await
        .unwrap();
    let gate = Gate::close(&schema, "Gate-1").await;
    let stuck = stuck_append(&store, "Gate-1").await;

    // Two rounds behind the held-up call, each sent as one call by the append that
    // finds itself waiting: a conflict among good appends, then content PostgreSQL
    // refuses (a NUL character: jsonb cannot hold it) among good appends.
    for round in ["conflict", "refused"] {
        let tasks: Vec<_> = (0..15)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    match (w, round) {
                        (7, "conflict") => {
                            store
                                .append(
                                    "Exists-1",
                                    ExpectedVersion::NoStream,
                                    vec![event(json!({}))],
                                )
                                .await
                        }
                        (7, _) => {
                            store
                                .append(
                                    "Bad-1",
                                    ExpectedVersion::Any,
                                    vec![event(json!({ "s": "a\u{0}b" }))],
                                )
                                .await
                        }
                        _ => {
                            store
                                .append(
                                    &format!("{round}-{w}"),
                                    ExpectedVersion::Any,
                                    vec![event(json!({ "w": w })), event(json!({ "w": w }))],
                                )
                                .await
                        }
                    }
                })
            })
            .collect();
        let mut good = Vec::new();
        for (w, task) in tasks.into_iter().enumerate() {
            let answer = tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .expect("answered while the gate is closed")
                .unwrap();
            match (w, answer) {
                (7, Err(e)) if round == "conflict" => assert!(
                    matches!(&e, StoreError::Concurrency { stream_id, actual: 1, .. } if stream_id == "Exists-1"),
                    "{e}"
                ),
                (7, Err(e)) => assert!(
                    matches!(&e, StoreError::InvalidInput(m) if m.contains("PostgreSQL refused the content")),
                    "{e}"
                ),
                (_, Ok(events)) => {
                    assert_eq!(
                        events
                            .iter()
                            .map(|e| (e.stream_id.clone(), e.version))
                            .collect::<Vec<_>>(),
                        [(format!("{round}-{w}"), 1), (format!("{round}-{w}"), 2)]
                    );
                    good.extend(events);
                }
                (w, other) => panic!("{round} round, append {w}: {other:?}"),
            }
        }
        assert_eq!(good.len(), 28);
        if round == "conflict" {
            // The others went on together without the conflicting append.
            assert_eq!(transactions(&schema, &good).await.len(), 1);
        }
        assert!(!stuck.is_finished(), "all of it while the gate was closed");
    }
    assert_eq!(store.stream_version("Bad-1").await.unwrap(), 0);
    assert_eq!(store.stream_version("Exists-1").await.unwrap(), 1);

    gate.open().await;
    let gated = stuck.await.unwrap();
    assert_eq!((gated.stream_id.as_str(), gated.version), ("Gate-1", 1));
    drop(store);
}
