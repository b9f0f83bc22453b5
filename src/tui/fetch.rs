//! Every store query the TUI makes runs here, in a background task whose answer comes
//! back as a message: the render path never waits on I/O.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::app::Msg;
use super::views::{StreamKey, StreamOrder};
use super::window::{Fetch, PAGE};
use crate::store::{LogFilter, LogQuery, Position, Store, StreamInfo, StreamQuery, StreamsQuery};

/// The paused Log counts at most this many new events ("10000+ new").
pub(super) const NEW_COUNT_CAP: u64 = 10_000;

/// How many streams a fuzzy search shows.
pub const FUZZY_RESULTS: usize = 200;

#[path = "fetch_replay.rs"]
mod replay;

pub use replay::{JobKind, Replay};

#[derive(Clone)]
pub struct Fetcher {
    store: Store,
    tx: UnboundedSender<Msg>,
    /// Reducers and snapshot settings, for the time-travel and snapshots views.
    replay: Option<Arc<Replay>>,
}

impl Fetcher {
    pub fn new(store: Store, tx: UnboundedSender<Msg>) -> Fetcher {
        Fetcher {
            store,
            tx,
            replay: None,
        }
    }

    /// With the config's reducers, upcasters and snapshot spacing for the replay views.
    pub fn with_replay(mut self, replay: Replay) -> Fetcher {
        self.replay = Some(Arc::new(replay));
        self
    }

    /// Whether the store refuses writes (snapshot builds are writes).
    pub fn read_only(&self) -> bool {
        self.store.is_read_only()
    }

    fn spawn(&self, work: impl Future<Output = Result<Msg, String>> + Send + 'static) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = work.await.unwrap_or_else(Msg::Failed);
            let _ = tx.send(msg);
        });
    }

    pub fn log(&self, fetch: Fetch<Position>, filter: LogFilter) {
        let store = self.store.clone();
        self.spawn(async move {
            let q = LogQuery {
                limit: PAGE,
                filter,
                ..Default::default()
            };
            let rows = match &fetch {
                Fetch::First => store.read_log(q).await,
                Fetch::After(p) | Fetch::From(p) => {
                    store.read_log(LogQuery { after: *p, ..q }).await
                }
                Fetch::Last => store.read_log_backward(q, None).await,
                Fetch::Before(p) => store.read_log_backward(q, Some(*p)).await,
            }
            .map_err(|e| e.to_string())?;
            Ok(Msg::LogRows(fetch, rows))
        });
    }

    pub fn streams(&self, fetch: Fetch<StreamKey>, category: Option<String>, order: StreamOrder) {
        let store = self.store.clone();
        self.spawn(async move {
            use crate::store::Direction::{Backward, Forward};
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
                            store
                                .list_streams(StreamsQuery {
                                    after: Some(id.clone()),
                                    ..q
                                })
                                .await
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
                        Fetch::First => (None, Backward),
                        Fetch::After(k) | Fetch::From(k) => (Some(k.clone()), Backward),
                        Fetch::Last => (None, Forward),
                        Fetch::Before(k) => (Some(k.clone()), Forward),
                    };
                    store
                        .streams_by_activity(category, cursor, direction, PAGE)
                        .await
                }
            }
            .map_err(|e| e.to_string())?;
            Ok(Msg::StreamRows(fetch, rows))
        });
    }

    pub fn stream_events(&self, stream: String, fetch: Fetch<u64>) {
        let store = self.store.clone();
        self.spawn(async move {
            use crate::store::Direction::{Backward, Forward};
            let query = |from, to, direction| StreamQuery {
                from,
                to,
                direction,
                limit: PAGE,
            };
            let rows = match &fetch {
                Fetch::First => store.read_stream(&stream, query(None, None, Forward)).await,
                Fetch::After(v) | Fetch::From(v) => {
                    store
                        .read_stream(&stream, query(Some(v + 1), None, Forward))
                        .await
                }
                Fetch::Last => {
                    store
                        .read_stream(&stream, query(None, None, Backward))
                        .await
                }
                Fetch::Before(v) => {
                    store
                        .read_stream(&stream, query(None, Some(v.saturating_sub(1)), Backward))
                        .await
                }
            }
            .map_err(|e| e.to_string())?;
            Ok(Msg::StreamEvents(stream, fetch, rows))
        });
    }

    /// Fuzzy-matches `query` against every stream id (paging through the listing in the
    /// background) and answers with the best `FUZZY_RESULTS`, best first. A newer search
    /// (a higher `generation` in `latest`) stops this one.
    pub fn fuzzy_streams(
        &self,
        query: String,
        category: Option<String>,
        generation: u64,
        latest: Arc<AtomicU64>,
    ) {
        let store = self.store.clone();
        self.spawn(async move {
            use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
            use nucleo_matcher::{Config, Matcher, Utf32Str};
            let pattern = Pattern::parse(&query, CaseMatching::Smart, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            let mut best: Vec<(u32, StreamInfo)> = Vec::new();
            // Every match counts, though only the best are kept: "200 of 424".
            let mut matched = 0u64;
            let mut buf = Vec::new();
            let mut pages = store.pages(
                StreamsQuery {
                    category,
                    limit: 2000,
                    ..Default::default()
                },
                None,
            );
            while let Some(page) = pages.next_page().await.map_err(|e| e.to_string())? {
                if latest.load(Ordering::Relaxed) != generation {
                    return Ok(Msg::FuzzyStreams(generation, Vec::new(), 0)); // outdated: ignored
                }
                for stream in page {
                    if let Some(score) =
                        pattern.score(Utf32Str::new(&stream.stream_id, &mut buf), &mut matcher)
                    {
                        matched += 1;
                        best.push((score, stream));
                    }
                }
                // Keep memory bounded: only the best survive each page.
                if best.len() > FUZZY_RESULTS * 4 {
                    best.sort_by(|a, b| {
                        b.0.cmp(&a.0)
                            .then_with(|| a.1.stream_id.cmp(&b.1.stream_id))
                    });
                    best.truncate(FUZZY_RESULTS);
                }
            }
            best.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.stream_id.cmp(&b.1.stream_id))
            });
            best.truncate(FUZZY_RESULTS);
            Ok(Msg::FuzzyStreams(
                generation,
                best.into_iter().map(|(_, s)| s).collect(),
                matched,
            ))
        });
    }

    /// Writes events to `path` as envelope JSONL in the background (the log with `filter`,
    /// or one stream), reporting progress; the file appears whole or not at all.
    pub fn export(&self, path: std::path::PathBuf, filter: LogFilter, stream: Option<String>) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        self.spawn(async move {
            use std::io::Write;
            let partial = path.with_extension("jsonl.partial");
            // Every failure ends the export with ExportFailed, which frees it for the next.
            let file = match std::fs::File::create(&partial) {
                Ok(file) => file,
                Err(e) => {
                    return Ok(Msg::ExportFailed(format!(
                        "export failed: cannot create {}: {e}",
                        partial.display()
                    )));
                }
            };
            let mut out = std::io::BufWriter::new(file);
            let mut written = 0u64;
            let write_page = |page: &[crate::store::RecordedEvent],
                              out: &mut std::io::BufWriter<std::fs::File>|
             -> Result<(), String> {
                for event in page {
                    serde_json::to_writer(&mut *out, event).map_err(|e| e.to_string())?;
                    out.write_all(b"\n").map_err(|e| e.to_string())?;
                }
                Ok(())
            };
            let result: Result<(), String> = async {
                match stream {
                    Some(stream_id) => {
                        let query = StreamQuery {
                            limit: 1000,
                            ..Default::default()
                        };
                        let mut pages =
                            store.pages(crate::store::StreamPages { stream_id, query }, None);
                        while let Some(page) = pages.next_page().await.map_err(|e| e.to_string())? {
                            write_page(&page, &mut out)?;
                            written += page.len() as u64;
                            let _ = tx.send(Msg::ExportProgress(written));
                        }
                    }
                    None => {
                        let mut pages = store.pages(
                            LogQuery {
                                filter,
                                limit: 1000,
                                ..Default::default()
                            },
                            None,
                        );
                        while let Some(page) = pages.next_page().await.map_err(|e| e.to_string())? {
                            write_page(&page, &mut out)?;
                            written += page.len() as u64;
                            let _ = tx.send(Msg::ExportProgress(written));
                        }
                    }
                }
                out.flush().map_err(|e| e.to_string())?;
                std::fs::rename(&partial, &path)
                    .map_err(|e| format!("cannot rename to {}: {e}", path.display()))
            }
            .await;
            if let Err(e) = result {
                let _ = std::fs::remove_file(&partial);
                return Ok(Msg::ExportFailed(format!("export failed: {e}")));
            }
            Ok(Msg::ExportDone(path, written))
        });
    }

    /// Counts the events after the one at `from` (in log order) that `filter` matches, up
    /// to `NEW_COUNT_CAP`: the paused Log's "N new" after the event `shown`.
    pub fn count_new(&self, shown: Position, from: Position, filter: LogFilter) {
        let store = self.store.clone();
        self.spawn(async move {
            let mut pages = store.pages(
                LogQuery {
                    after: from,
                    filter,
                    limit: PAGE,
                    ..Default::default()
                },
                Some(NEW_COUNT_CAP as usize + 1),
            );
            let (mut count, mut last) = (0u64, from);
            while let Some(page) = pages.next_page().await.map_err(|e| e.to_string())? {
                count += page.len() as u64;
                last = page.last().map_or(last, |e| e.global_position);
            }
            Ok(Msg::NewInLog(super::views::NewCount {
                shown,
                from,
                count: count.min(NEW_COUNT_CAP),
                last,
                capped: count > NEW_COUNT_CAP,
            }))
        });
    }

    /// The first stream id after `prefix` that starts with it (`:stream` completion).
    pub fn complete_stream(&self, prefix: String) {
        let store = self.store.clone();
        self.spawn(async move {
            let query = StreamsQuery {
                after: Some(prefix.clone()),
                limit: 1,
                ..Default::default()
            };
            let next = store.list_streams(query).await.map_err(|e| e.to_string())?;
            let id = next
                .into_iter()
                .next()
                .map(|s| s.stream_id)
                .filter(|id| id.starts_with(&prefix));
            Ok(Msg::Completion(prefix, id))
        });
    }

    /// The stream's events per day, for the Streams view's sparkline.
    pub fn activity(&self, stream_id: String) {
        let store = self.store.clone();
        self.spawn(async move {
            let days = store
                .activity_per_day(&stream_id)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Msg::Activity(stream_id, days))
        });
    }

    /// The event that caused `event` (by its `causation_id`) and the events it caused.
    pub fn chain(&self, event: &crate::store::RecordedEvent) {
        let store = self.store.clone();
        let event_id = event.event_id;
        let cause_id =
            crate::store::causation_id(event).and_then(|c| uuid::Uuid::parse_str(&c).ok());
        self.spawn(async move {
            let cause = match cause_id {
                Some(id) => store.event_by_id(id).await.map_err(|e| e.to_string())?,
                None => None,
            };
            let effects = store
                .caused_by(event_id, 20)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Msg::Chain(event_id, cause, effects))
        });
    }

    /// The first event recorded at or after `time` (for `:time`).
    pub fn position_at(&self, time: chrono::DateTime<chrono::Utc>) {
        let store = self.store.clone();
        self.spawn(async move {
            store
                .position_at_time(time)
                .await
                .map(Msg::PositionAt)
                .map_err(|e| e.to_string())
        });
    }

    pub fn stats(&self) {
        let store = self.store.clone();
        self.spawn(async move {
            store
                .stats()
                .await
                .map(Msg::Stats)
                .map_err(|e| e.to_string())
        });
    }

    /// Reads a script for the workbench.
    pub fn open_file(&self, path: std::path::PathBuf) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let text = tokio::fs::read_to_string(&path)
                .await
                .map_err(|e| format!("cannot open {}: {e}", path.display()));
            let _ = tx.send(Msg::Opened(path, text));
        });
    }

    /// Writes the workbench's script (to a temporary file, then renamed over the old one).
    pub fn save_file(&self, path: std::path::PathBuf, text: String) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let temp = path.with_extension("rewind-save");
            let result = async {
                tokio::fs::write(&temp, text).await?;
                tokio::fs::rename(&temp, &path).await
            }
            .await
            .map_err(|e| format!("cannot save {}: {e}", path.display()));
            let _ = tx.send(Msg::Saved(path, result));
        });
    }

    /// A workbench run of `source` (see `workbench_session::Session::start`).
    pub fn workbench_session(
        &self,
        source: crate::script::ScriptSource,
        from: Option<Position>,
        begin: super::workbench_session::Begin,
        run: bool,
        generation: u64,
    ) -> super::workbench_session::Session {
        let (limits, upcasters) = self
            .replay
            .as_ref()
            .map(|r| r.script_settings())
            .unwrap_or_default();
        let options = crate::projection::RunOptions {
            from_position: from,
            limits,
            upcasters,
            ..Default::default()
        };
        super::workbench_session::Session::start(
            self.store.clone(),
            source,
            options,
            begin,
            run,
            self.tx.clone(),
            generation,
        )
    }

    /// A stream's current version, for the composer's expected version.
    pub fn composer_version(&self, stream: String) {
        let store = self.store.clone();
        self.spawn(async move {
            let version = store
                .stream_version(&stream)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Msg::ComposerVersion(stream, version))
        });
    }

    /// The composer's append; a conflict comes back as such (nothing was written).
    pub fn compose(
        &self,
        stream: String,
        expected: crate::store::ExpectedVersion,
        event: crate::store::NewEvent,
    ) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = store
                .append(&stream, expected, vec![event])
                .await
                .map(|mut stored| stored.remove(0))
                .map_err(|e| {
                    let conflict = matches!(e, crate::store::StoreError::Concurrency { .. });
                    (e.to_string(), conflict)
                });
            let _ = tx.send(Msg::Composed(result));
        });
    }

    /// What the store says about how it is read (not I/O: kept in memory).
    pub fn notices(&self) -> Vec<String> {
        self.store.notices()
    }

    /// Forwards every change of the store's head (any process's appends).
    pub fn watch_head(&self) -> JoinHandle<()> {
        let mut head = self.store.head_watch();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while head.changed().await.is_ok() {
                let position = *head.borrow_and_update();
                if tx.send(Msg::Head(position)).is_err() {
                    break;
                }
            }
        })
    }

    /// Follows the log (or one stream of it) live from `after`, forwarding each batch.
    pub fn follow(&self, after: Position, stream: Option<String>) -> JoinHandle<()> {
        let filter = LogFilter {
            streams: stream.iter().cloned().collect(),
            ..Default::default()
        };
        let mut subscription = self.store.subscribe(after, filter);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                let msg = match subscription.next_batch().await {
                    Ok(batch) => Msg::Live(stream.clone(), batch),
                    Err(e) => Msg::Failed(e.to_string()),
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        })
    }
}
