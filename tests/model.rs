//! Model-based tests (proptest): random sequences of appends (single and batch, every
//! expected-version kind, repeated event ids), reads, snapshot builds and time-travel
//! queries run against each backend and against a small in-memory model of docs/architecture.md's
//! semantics. Any divergence fails with a shrunk counter-example.
//!
//! CI runs a bounded number of cases; more on demand:
//!   REWIND_MODEL_CASES=2000 cargo test --test model

mod common;

use std::collections::HashMap;

use proptest::prelude::*;
use rewind::replay::{ReducerSpec, Target, TimeTravel};
use rewind::store::{
    AppendSegment, ExpectedVersion, LogQuery, NewEvent, RecordedEvent, Store, StoreError,
    StreamQuery,
};
use serde_json::{Value, json};
use uuid::Uuid;

const STREAMS: [&str; 3] = ["A-1", "A-2", "B-1"];

/// An expected version, relative to what the model holds (so that matches are likely).
#[derive(Debug, Clone, Copy)]
enum Expect {
    Any,
    NoStream,
    Exists,
    /// The stream's current version plus this (-1, 0 or 1).
    Current(i8),
}

#[derive(Debug, Clone)]
struct Ev {
    /// An id from a small pool (so that repeats happen), or a fresh one.
    id: Option<u8>,
    ty: u8,
    value: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<(u8, Expect, Vec<Ev>)>),
    ReadStream {
        stream: u8,
        from: u8,
        backward: bool,
        limit: u8,
    },
    ReadLog {
        after: u8,
        limit: u8,
    },
    BuildSnapshots {
        stream: u8,
        every: u8,
    },
    StateAt {
        stream: u8,
        version: u8,
    },
}

fn expect() -> impl Strategy<Value = Expect> {
    prop_oneof![
        Just(Expect::Any),
        Just(Expect::NoStream),
        Just(Expect::Exists),
        (-1i8..=1).prop_map(Expect::Current),
    ]
}

fn ev() -> impl Strategy<Value = Ev> {
    (prop::option::weighted(0.3, 0u8..6), 0u8..3, 0u8..4).prop_map(|(id, ty, value)| Ev {
        id,
        ty,
        value,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let segment = (0u8..3, expect(), prop::collection::vec(ev(), 1..4));
    prop_oneof![
        4 => prop::collection::vec(segment, 1..3).prop_map(Op::Append),
        1 => (0u8..3, 0u8..6, any::<bool>(), 1u8..5)
            .prop_map(|(stream, from, backward, limit)| Op::ReadStream { stream, from, backward, limit }),
        1 => (0u8..12, 1u8..6).prop_map(|(after, limit)| Op::ReadLog { after, limit }),
        1 => (0u8..3, 1u8..4).prop_map(|(stream, every)| Op::BuildSnapshots { stream, every }),
        1 => (0u8..3, 0u8..8).prop_map(|(stream, version)| Op::StateAt { stream, version }),
    ]
}

/// The ids of the pool, fixed for a run.
fn pool_id(n: u8) -> Uuid {
    Uuid::from_u128(0x5157_0000_0000_7000_8000_0000_0000_0000 | n as u128)
}

/// An event as the model keeps it.
#[derive(Debug, Clone, PartialEq)]
struct Stored {
    id: Uuid,
    stream: String,
    version: u64,
    ty: String,
    data: Value,
}

#[derive(Debug, Default, Clone)]
struct Model {
    log: Vec<Stored>,
    streams: HashMap<String, Vec<usize>>,
    ids: HashMap<Uuid, usize>,
}

/// A segment as the model takes it: stream, expectation, and each event's (given id, id,
/// type, data).
type ModelSegment = (
    String,
    ExpectedVersion,
    Vec<(Option<Uuid>, Uuid, String, Value)>,
);

/// What an append gives back, for comparing: the (stream, version, id) of each envelope,
/// or the error's kind.
#[derive(Debug, PartialEq)]
enum Outcome {
    Stored(Vec<(String, u64, Uuid)>),
    Conflict {
        stream: String,
        expected: ExpectedVersion,
        actual: u64,
    },
    Duplicate(Uuid),
}

impl Model {
    fn version(&self, stream: &str) -> u64 {
        self.streams.get(stream).map_or(0, |v| v.len() as u64)
    }

    /// docs/architecture.md's append: segment by segment, idempotency before the expected version,
    /// the whole batch or nothing.
    fn append(&mut self, segments: &[ModelSegment]) -> Outcome {
        let mut scratch = self.clone();
        let mut out = Vec::new();
        for (stream, expected, events) in segments {
            let given: Vec<Uuid> = events.iter().filter_map(|e| e.0).collect();
            let found: Vec<Option<usize>> = given
                .iter()
                .map(|id| scratch.ids.get(id).copied())
                .collect();
            if let Some(first) = found.iter().position(Option::is_some) {
                // Some ids stored, not all (or not all given): the first stored one is
                // the duplicate. All stored: each must follow the first in this stream;
                // the first that does not is the duplicate.
                if given.len() != events.len() || found.iter().any(Option::is_none) {
                    return Outcome::Duplicate(given[first]);
                }
                let first_version = scratch.log[found[0].unwrap()].version;
                if let Some(breaks) = found.iter().enumerate().position(|(i, f)| {
                    let e = &scratch.log[f.unwrap()];
                    e.stream != *stream || e.version != first_version + i as u64
                }) {
                    return Outcome::Duplicate(given[breaks]);
                }
                for f in found {
                    let e = &scratch.log[f.unwrap()];
                    out.push((e.stream.clone(), e.version, e.id));
                }
                continue;
            }
            let actual = scratch.version(stream);
            if !expected.matches(actual) {
                return Outcome::Conflict {
                    stream: stream.clone(),
                    expected: *expected,
                    actual,
                };
            }
            let mut seen = std::collections::HashSet::new();
            for (given, id, ty, data) in events {
                if given.is_some() && !seen.insert(*id) {
                    return Outcome::Duplicate(*id);
                }
                let version = scratch.version(stream) + 1;
                let index = scratch.log.len();
                scratch.log.push(Stored {
                    id: *id,
                    stream: stream.clone(),
                    version,
                    ty: ty.clone(),
                    data: data.clone(),
                });
                scratch
                    .streams
                    .entry(stream.clone())
                    .or_default()
                    .push(index);
                scratch.ids.insert(*id, index);
                out.push((stream.clone(), version, *id));
            }
        }
        *self = scratch;
        Outcome::Stored(out)
    }

    /// The merge-patch fold of a stream to `version`.
    fn state(&self, stream: &str, version: u64) -> Value {
        let mut state = json!({});
        for &i in self
            .streams
            .get(stream)
            .into_iter()
            .flatten()
            .take(version as usize)
        {
            json_patch::merge(&mut state, &self.log[i].data);
        }
        state
    }
}

fn stored(e: &RecordedEvent) -> Stored {
    Stored {
        id: e.event_id,
        stream: e.stream_id.clone(),
        version: e.version,
        ty: e.event_type.clone(),
        data: serde_json::from_str(e.data.get()).unwrap(),
    }
}

async fn check(store: Store, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    // Fresh ids are made here, so that the model knows them too.
    let mut fresh = 0u128;
    let travel = TimeTravel::new(store.clone(), ReducerSpec::merge_patch(), 2);
    for op in ops {
        match op {
            Op::Append(segments) => {
                let mut for_model = Vec::new();
                let mut for_store = Vec::new();
                for (stream, expect, events) in segments {
                    let stream = STREAMS[stream as usize].to_owned();
                    let current = model.version(&stream);
                    let expected = match expect {
                        Expect::Any => ExpectedVersion::Any,
                        Expect::NoStream => ExpectedVersion::NoStream,
                        Expect::Exists => ExpectedVersion::Exists,
                        Expect::Current(d) => {
                            ExpectedVersion::Exact((current as i64 + d as i64).max(0) as u64)
                        }
                    };
                    let mut model_events = Vec::new();
                    let mut new_events = Vec::new();
                    for e in events {
                        let given = e.id.map(pool_id);
                        let id = given.unwrap_or_else(|| {
                            fresh += 1;
                            Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | fresh)
                        });
                        let ty = format!("T{}", e.ty);
                        let data = json!({ format!("k{}", e.value): e.value, "last": e.ty });
                        // Fresh ids are given too: the model and the store agree on them.
                        model_events.push((given, id, ty.clone(), data.clone()));
                        new_events.push(NewEvent::new(ty, data).with_id(id));
                    }
                    for_model.push((stream.clone(), expected, model_events));
                    for_store.push(AppendSegment::new(stream, expected, new_events));
                }
                let expected = model.append(&for_model);
                let actual = match store.append_batch(for_store).await {
                    Ok(events) => Outcome::Stored(
                        events
                            .iter()
                            .map(|e| (e.stream_id.clone(), e.version, e.event_id))
                            .collect(),
                    ),
                    Err(StoreError::Concurrency {
                        stream_id,
                        expected,
                        actual,
                    }) => Outcome::Conflict {
                        stream: stream_id,
                        expected,
                        actual,
                    },
                    Err(StoreError::DuplicateEventId { event_id, .. }) => {
                        Outcome::Duplicate(event_id)
                    }
                    Err(other) => {
                        return Err(TestCaseError::fail(format!("unexpected error: {other}")));
                    }
                };
                prop_assert_eq!(actual, expected);
            }
            Op::ReadStream {
                stream,
                from,
                backward,
                limit,
            } => {
                let stream = STREAMS[stream as usize];
                let got = store
                    .read_stream(
                        stream,
                        StreamQuery {
                            from: Some(from as u64),
                            direction: if backward {
                                rewind::store::Direction::Backward
                            } else {
                                rewind::store::Direction::Forward
                            },
                            limit: limit as usize,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                let mut want: Vec<Stored> = model
                    .streams
                    .get(stream)
                    .into_iter()
                    .flatten()
                    .map(|&i| model.log[i].clone())
                    .filter(|e| e.version >= (from as u64).max(1))
                    .collect();
                if backward {
                    want.reverse();
                }
                want.truncate(limit as usize);
                prop_assert_eq!(got.iter().map(stored).collect::<Vec<_>>(), want);
            }
            Op::ReadLog { after, limit } => {
                // A cursor on the n-th event of the log (0: the start).
                let all = store
                    .read_log(LogQuery {
                        limit: 10_000,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                prop_assert_eq!(
                    all.iter().map(stored).collect::<Vec<_>>(),
                    model.log.clone()
                );
                let after_index = (after as usize).min(all.len());
                let cursor = if after_index == 0 {
                    0
                } else {
                    all[after_index - 1].global_position
                };
                let page = store
                    .read_log(LogQuery {
                        after: cursor,
                        limit: limit as usize,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                let want: Vec<Stored> = model
                    .log
                    .iter()
                    .skip(after_index)
                    .take(limit as usize)
                    .cloned()
                    .collect();
                prop_assert_eq!(page.iter().map(stored).collect::<Vec<_>>(), want);
            }
            Op::BuildSnapshots { stream, every } => {
                let stream = STREAMS[stream as usize];
                travel.build_snapshots(stream, every as u64).await.unwrap();
                let report = travel.verify_snapshots(stream).await.unwrap();
                prop_assert!(report.drifts.is_empty(), "{:?}", report.drifts);
            }
            Op::StateAt { stream, version } => {
                let stream = STREAMS[stream as usize];
                let current = model.version(stream);
                let answer = travel
                    .state_at(stream, Target::Version(version as u64))
                    .await;
                if version as u64 > current {
                    prop_assert!(answer.is_err(), "a version past the end is an error");
                } else {
                    let answer = answer.unwrap();
                    prop_assert_eq!(answer.state, model.state(stream, version as u64));
                }
            }
        }
    }
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("REWIND_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn sqlite_behaves_like_the_model(ops in prop::collection::vec(op(), 1..25)) {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let store = common::open_store(&dir.path().join("model.db")).await;
            check(store, ops).await
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(16)))]

    #[test]
    fn postgres_behaves_like_the_model(ops in prop::collection::vec(op(), 1..25)) {
        let rt = runtime();
        rt.block_on(async {
            let Some(schema) = common::pg::PgSchema::new().await else {
                return Ok(());
            };
            let store = schema.store().await;
            let result = check(store.clone(), ops).await;
            drop(store);
            drop(schema);
            result
        })?;
    }
}
