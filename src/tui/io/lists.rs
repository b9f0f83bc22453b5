//! Reads for the lists and panes: pages of the log, of the streams and of one stream,
//! fuzzy search, counts, completions, chains, figures; the composer's append; the live
//! head and follows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::task::JoinHandle;

use super::{
    FUZZY_RESULTS, Fetch, NEW_COUNT_CAP, NewCount, PAGE, Response, StreamKey, StreamOrder, Worker,
};
use crate::store::expr::Where;
use crate::store::{
    Direction, ExpectedVersion, LogFilter, LogQuery, NewEvent, Position, RecordedEvent, StreamInfo,
    StreamQuery, StreamsQuery,
};

pub(super) fn log(w: &Worker, fetch: Fetch<Position>, filter: LogFilter) {
    let store = w.store.clone();
    w.spawn(async move {
        let q = LogQuery {
            limit: PAGE,
            filter,
            ..Default::default()
        };
        let rows = match &fetch {
            Fetch::First => store.read_log(q).await,
            Fetch::After(p) | Fetch::From(p) => store.read_log(LogQuery { after: *p, ..q }).await,
            Fetch::Last => store.read_log_backward(q, None).await,
            Fetch::Before(p) => store.read_log_backward(q, Some(*p)).await,
        }?;
        Ok(Response::LogRows(fetch, rows))
    });
}

pub(super) fn streams(
    w: &Worker,
    fetch: Fetch<StreamKey>,
    category: Option<String>,
    order: StreamOrder,
) {
    let store = w.store.clone();
    w.spawn(async move {
        let rows = match order {
            StreamOrder::Name => {
                let q = StreamsQuery {
                    limit: PAGE,
                    category,
                    ..Default::default()
                };
                match &fetch {
                    Fetch::First => store.list_streams(q).await,
                    Fetch::After((_, id)) | Fetch::From((_, id)) => {
                        let after = Some(id.clone());
                        store.list_streams(StreamsQuery { after, ..q }).await
                    }
                    Fetch::Last => store.list_streams_backward(q, None).await,
                    Fetch::Before((_, id)) => {
                        store.list_streams_backward(q, Some(id.clone())).await
                    }
                }
            }
            // Newest activity first: "after" a row means older than it.
            StreamOrder::Activity => {
                let (cursor, direction) = match &fetch {
                    Fetch::First => (None, Direction::Backward),
                    Fetch::After(k) | Fetch::From(k) => (Some(k.clone()), Direction::Backward),
                    Fetch::Last => (None, Direction::Forward),
                    Fetch::Before(k) => (Some(k.clone()), Direction::Forward),
                };
                store
                    .streams_by_activity(category, cursor, direction, PAGE)
                    .await
            }
        }?;
        Ok(Response::StreamRows(fetch, rows))
    });
}

pub(super) fn stream_events(
    w: &Worker,
    stream: String,
    fetch: Fetch<u64>,
    matching: Option<Where>,
) {
    let store = w.store.clone();
    w.spawn(async move {
        let query = |from, to, direction| StreamQuery {
            from,
            to,
            direction,
            limit: PAGE,
            matching: matching.clone(),
        };
        let (from, to, direction) = match &fetch {
            Fetch::First => (None, None, Direction::Forward),
            Fetch::After(v) | Fetch::From(v) => (Some(v + 1), None, Direction::Forward),
            Fetch::Last => (None, None, Direction::Backward),
            Fetch::Before(v) => (None, Some(v.saturating_sub(1)), Direction::Backward),
        };
        let rows = store
            .read_stream(&stream, query(from, to, direction))
            .await?;
        Ok(Response::StreamEvents(stream, fetch, rows))
    });
}

/// Fuzzy-matches `query` against every stream id (paging through the listing) and
/// answers with the best `FUZZY_RESULTS`, best first, and how many matched in all.
pub(super) fn fuzzy_streams(
    w: &Worker,
    query: String,
    category: Option<String>,
    generation: u64,
    latest: Arc<AtomicU64>,
) {
    let store = w.store.clone();
    w.spawn(async move {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        use nucleo_matcher::{Config, Matcher, Utf32Str};
        let pattern = Pattern::parse(&query, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut best: Vec<(u32, StreamInfo)> = Vec::new();
        let mut matched = 0u64;
        let mut buf = Vec::new();
        let by_score = |a: &(u32, StreamInfo), b: &(u32, StreamInfo)| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.stream_id.cmp(&b.1.stream_id))
        };
        let mut pages = store.pages(
            StreamsQuery {
                category,
                limit: 2000,
                ..Default::default()
            },
            None,
        );
        while let Some(page) = pages.next_page().await? {
            if latest.load(Ordering::Relaxed) != generation {
                // Outdated: the app drops it by its generation.
                return Ok(Response::FuzzyStreams {
                    generation,
                    rows: Vec::new(),
                    matched: 0,
                });
            }
            for stream in page {
                if let Some(score) =
                    pattern.score(Utf32Str::new(&stream.stream_id, &mut buf), &mut matcher)
                {
                    matched += 1;
                    best.push((score, stream));
                }
            }
            // Memory stays bounded: only the best survive each page.
            if best.len() > FUZZY_RESULTS * 4 {
                best.sort_by(by_score);
                best.truncate(FUZZY_RESULTS);
            }
        }
        best.sort_by(by_score);
        best.truncate(FUZZY_RESULTS);
        Ok(Response::FuzzyStreams {
            generation,
            rows: best.into_iter().map(|(_, s)| s).collect(),
            matched,
        })
    });
}

/// Counts the events after the one at `from` (in log order) that `filter` matches, up
/// to `NEW_COUNT_CAP`: the paused Log's "N new" after the event `shown`.
pub(super) fn count_new(w: &Worker, shown: Position, from: Position, filter: LogFilter) {
    let store = w.store.clone();
    w.spawn(async move {
        let query = LogQuery {
            after: from,
            filter,
            limit: PAGE,
            ..Default::default()
        };
        let mut pages = store.pages(query, Some(NEW_COUNT_CAP as usize + 1));
        let (mut count, mut last) = (0u64, from);
        while let Some(page) = pages.next_page().await? {
            count += page.len() as u64;
            last = page.last().map_or(last, |e| e.global_position);
        }
        Ok(Response::NewInLog(NewCount {
            shown,
            from,
            count: count.min(NEW_COUNT_CAP),
            last,
            capped: count > NEW_COUNT_CAP,
        }))
    });
}

/// The first stream id after `prefix` that starts with it (`:stream` completion).
pub(super) fn complete_stream(w: &Worker, prefix: String) {
    let store = w.store.clone();
    w.spawn(async move {
        let query = StreamsQuery {
            after: Some(prefix.clone()),
            limit: 1,
            ..Default::default()
        };
        let id = store
            .list_streams(query)
            .await?
            .into_iter()
            .next()
            .map(|s| s.stream_id)
            .filter(|id| id.starts_with(&prefix));
        Ok(Response::Completion(prefix, id))
    });
}

pub(super) fn activity(w: &Worker, stream_id: String) {
    let store = w.store.clone();
    w.spawn(async move {
        let days = store.activity_per_day(&stream_id).await?;
        Ok(Response::Activity(stream_id, days))
    });
}

/// The event that caused `event` (by its `causation_id`) and the events it caused.
pub(super) fn chain(w: &Worker, event: &RecordedEvent) {
    let store = w.store.clone();
    let event_id = event.event_id;
    let cause_id = crate::store::causation_id(event).and_then(|c| uuid::Uuid::parse_str(&c).ok());
    w.spawn(async move {
        let cause = match cause_id {
            Some(id) => store.event_by_id(id).await?,
            None => None,
        };
        let effects = store.caused_by(event_id, 20).await?;
        Ok(Response::Chain(event_id, cause, effects))
    });
}

pub(super) fn position_at(w: &Worker, time: chrono::DateTime<chrono::Utc>) {
    let store = w.store.clone();
    w.spawn(async move { Ok(Response::PositionAt(store.position_at_time(time).await?)) });
}

pub(super) fn stats(w: &Worker) {
    let store = w.store.clone();
    w.spawn(async move { Ok(Response::Stats(store.stats().await?)) });
}

pub(super) fn stream_version(w: &Worker, stream: String) {
    let store = w.store.clone();
    w.spawn(async move {
        let version = store.stream_version(&stream).await?;
        Ok(Response::StreamVersion(stream, version))
    });
}

/// The composer's append; a conflict comes back as one (nothing was written).
pub(super) fn append(w: &Worker, stream: String, expected: ExpectedVersion, event: NewEvent) {
    let store = w.store.clone();
    let tx = w.tx.clone();
    tokio::spawn(async move {
        let result = store
            .append(&stream, expected, vec![event])
            .await
            .map_err(Into::into)
            .and_then(|stored| {
                stored
                    .into_iter()
                    .next()
                    .ok_or_else(|| super::IoError::Worker("the append stored nothing".into()))
            });
        let _ = tx.send(Response::Appended(result));
    });
}

/// Forwards every change of the store's head.
pub(super) fn watch_head(w: &Worker) -> JoinHandle<()> {
    let mut head = w.store.head_watch();
    let tx = w.tx.clone();
    tokio::spawn(async move {
        while head.changed().await.is_ok() {
            let position = *head.borrow_and_update();
            if tx.send(Response::Head(position)).is_err() {
                break;
            }
        }
    })
}

/// Follows the log (or one stream of it) live from `after`, forwarding each batch.
pub(super) fn follow(w: &Worker, after: Position, stream: Option<String>) -> JoinHandle<()> {
    let filter = LogFilter {
        streams: stream.iter().cloned().collect(),
        ..Default::default()
    };
    let mut subscription = w.store.subscribe(after, filter);
    let tx = w.tx.clone();
    tokio::spawn(async move {
        loop {
            let response = match subscription.next_batch().await {
                Ok(batch) => Response::Live(stream.clone(), batch),
                Err(e) => Response::Failed(e.into()),
            };
            if tx.send(response).is_err() {
                break;
            }
        }
    })
}
