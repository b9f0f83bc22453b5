//! The projection runner: an EventStoreDB-style script run over the global log, from a
//! checkpoint (or the start) to the head, then live. The log is read in pages on the
//! store's threads while the script runs on a thread of its own; the script's source is
//! pushed down to the store (`fromCategory` reads only that category).

mod debugger;
mod fold_thread;
pub mod links;

pub use debugger::{Breakpoints, Debugger, Resume, StepReport, Stop};

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::script::{Definition, ScriptError, ScriptLimits, ScriptSource, Source};
use crate::store::{
    AppendSegment, Checkpoint, DEFAULT_PAGE, ExpectedVersion, LogFilter, LogQuery, NewEvent,
    Position, RecordedEvent, Store, StoreError, timestamp,
};
use fold_thread::{FoldReply, FoldThread};

/// How a run goes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Process events from this position on (inclusive, log order).
    pub from_position: Option<Position>,
    /// Stop after the event at this position (inclusive, log order).
    pub until_position: Option<Position>,
    /// Resume from (and save to) this named checkpoint.
    pub checkpoint: Option<String>,
    /// Start over: drop the checkpoint first.
    pub reset: bool,
    /// Events not to process (poison events), recorded in the checkpoint.
    pub skip_positions: Vec<Position>,
    /// Let `emit`/`linkTo` append their events to the store (otherwise they are only
    /// recorded in the run's state).
    pub emit: bool,
    /// Limits on each handler call (time, memory).
    pub limits: ScriptLimits,
    /// Event type -> upcaster.
    pub upcasters: Vec<(String, ScriptSource)>,
}

/// Where a run stands, and what it produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunState {
    /// The state, or partition key -> state for a partitioned projection.
    pub result: Value,
    /// The last event processed (0: none).
    pub position: Position,
    /// Events read (handled or not), skipped ones excluded.
    pub processed: u64,
    /// Events a handler took.
    pub handled: u64,
    /// Positions of events skipped on request.
    pub skipped: Vec<Position>,
    /// What `emit`/`linkTo` asked for in this run (never written by the runner).
    pub emitted: Vec<Value>,
    /// What the script's `log(...)` wrote, in order.
    pub logged: Vec<String>,
}

/// A checkpoint's JSON.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    result: Value,
    processed: u64,
    handled: u64,
    skipped: Vec<Position>,
    /// Moves of the checkpoint by hand (`rewind project checkpoint --move-to`).
    #[serde(default)]
    moves: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
/// Why a projection run failed.
pub enum ProjectionError {
    #[error(transparent)]
    /// The store failed to read or write.
    Store(#[from] StoreError),
    /// The script faulted; the checkpoint (if any) holds the state after the last good event.
    #[error("{error}")]
    Faulted {
        /// What the script did wrong, and at which event.
        error: Box<ScriptError>,
        /// Where the saved checkpoint stands, if the run had one.
        checkpoint_position: Option<Position>,
    },
    #[error("the projection stopped unexpectedly: {0}")]
    /// The script's thread stopped without answering (it panicked or was dropped).
    Worker(String),
}

impl ProjectionError {
    /// The exit code the command line gives this error (the store's own, else 1).
    pub fn exit_code(&self) -> i32 {
        match self {
            ProjectionError::Store(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// A projection script bound to a store.
pub struct Projection {
    store: Store,
    source: ScriptSource,
    options: RunOptions,
    definition: Option<Definition>,
    progress: Option<ProgressSink>,
    /// Checkpoint moves read at the start, kept in every save.
    moves: Vec<Value>,
    started: std::time::Instant,
    processed_at_start: u64,
    /// The result last written to each result stream this run (`outputState` with
    /// `--emit`): a result is written again only when it changed.
    results_written: std::collections::HashMap<String, String>,
}

/// Where progress reports go.
type ProgressSink = Box<dyn FnMut(&Progress) + Send>;

/// How far a run has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    /// The last event processed.
    pub position: Position,
    /// The head of the log when last looked at.
    pub head: Position,
    /// Events processed this run.
    pub processed: u64,
    /// Events per second since the run started.
    pub events_per_second: f64,
    /// Seconds to the head at this rate (positions stand in for events: an estimate).
    pub eta_seconds: Option<f64>,
}

impl Projection {
    /// A projection of `source` over `store`'s log, run as `options` say.
    pub fn new(store: Store, source: ScriptSource, options: RunOptions) -> Projection {
        Projection {
            store,
            source,
            options,
            definition: None,
            progress: None,
            moves: Vec::new(),
            started: std::time::Instant::now(),
            processed_at_start: 0,
            results_written: Default::default(),
        }
    }

    /// Calls `report` after every page folded.
    pub fn on_progress(&mut self, report: impl FnMut(&Progress) + Send + 'static) {
        self.progress = Some(Box::new(report));
    }

    fn report(&mut self, state: &RunState) {
        let Some(report) = self.progress.as_mut() else {
            return;
        };
        let head = self.store.known_head().max(state.position);
        let seconds = self.started.elapsed().as_secs_f64().max(1e-6);
        let rate = (state.processed - self.processed_at_start) as f64 / seconds;
        let eta = (rate > 0.0).then(|| (head - state.position) as f64 / rate);
        report(&Progress {
            position: state.position,
            head,
            processed: state.processed,
            events_per_second: rate,
            eta_seconds: eta,
        });
    }

    /// Runs from the checkpoint (or the start) to the head of the log, or to
    /// `until_position`; then, with `follow`, keeps folding new events, calling
    /// `on_update` after the catch-up and after each live batch. Returns the final state.
    pub async fn run(
        &mut self,
        follow: bool,
        mut on_update: impl FnMut(&RunState),
    ) -> Result<RunState, ProjectionError> {
        let mut state = RunState {
            result: Value::Null,
            position: 0,
            processed: 0,
            handled: 0,
            skipped: Vec::new(),
            emitted: Vec::new(),
            logged: Vec::new(),
        };
        let mut resume: Option<String> = None;
        if let Some(name) = &self.options.checkpoint {
            if self.options.reset {
                self.store.delete_checkpoint(name).await?;
            } else if let Some(saved) = self.store.load_checkpoint(name).await? {
                let parsed: Saved = serde_json::from_str(saved.state.get()).map_err(|e| {
                    ProjectionError::Worker(format!("checkpoint {name} is not readable: {e}"))
                })?;
                state.position = saved.position;
                state.processed = parsed.processed;
                state.handled = parsed.handled;
                state.skipped = parsed.skipped;
                self.moves = parsed.moves;
                resume = Some(parsed.result.to_string());
            }
        }
        let (thread, definition) = FoldThread::start(
            &self.source,
            &self.options.upcasters,
            self.options.limits,
            resume,
        )?;
        self.definition = Some(definition.clone());
        let skip: BTreeSet<Position> = self.options.skip_positions.iter().copied().collect();
        let filter = pushdown(&definition.source);
        let min_position = self.options.from_position;
        let until = self.options.until_position;

        // Catch-up: pages of the log, the next one read while the script folds this one.
        let query = LogQuery {
            after: state.position,
            min_position,
            filter: filter.clone(),
            limit: DEFAULT_PAGE,
        };
        let mut pages = self.store.pages(query, None);
        let mut done = false;
        self.started = std::time::Instant::now();
        self.processed_at_start = state.processed;
        while let Some(page) = pages.next_page().await? {
            let (batch, reached_until) = select(page, until);
            self.fold(&thread, batch, &skip, &mut state).await?;
            self.report(&state);
            if reached_until {
                done = true;
                break;
            }
        }
        drop(pages);
        self.finish_batch(&thread, &mut state).await?;
        self.write_results(&state).await?;
        on_update(&state);
        if !follow || done {
            return Ok(state);
        }

        // Live: the store's catch-up subscription from where the catch-up ended.
        let mut subscription =
            self.store
                .subscribe_with(state.position, min_position, filter, DEFAULT_PAGE);
        loop {
            let page = subscription.next_batch().await?;
            let (batch, reached_until) = select(page, until);
            self.fold(&thread, batch, &skip, &mut state).await?;
            self.finish_batch(&thread, &mut state).await?;
            self.write_results(&state).await?;
            on_update(&state);
            if reached_until {
                return Ok(state);
            }
        }
    }

    /// What the script declared (after `run` has started).
    pub fn definition(&self) -> Option<&Definition> {
        self.definition.as_ref()
    }

    async fn fold(
        &self,
        thread: &FoldThread,
        batch: Vec<RecordedEvent>,
        skip: &BTreeSet<Position>,
        state: &mut RunState,
    ) -> Result<(), ProjectionError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (kept, skipped): (Vec<RecordedEvent>, Vec<RecordedEvent>) = batch
            .into_iter()
            .partition(|e| !skip.contains(&e.global_position));
        state
            .skipped
            .extend(skipped.iter().map(|e| e.global_position));
        let last = kept
            .last()
            .map(|e| e.global_position)
            .into_iter()
            .chain(skipped.last().map(|e| e.global_position))
            .max();
        // Links are read through (or left out) after the batch's place in the log is
        // known: a link left out still moves the run past it.
        let kept = match &self.definition {
            Some(definition) => links::resolve(&self.store, &definition.source, kept).await?,
            None => kept,
        };
        let reply = thread.fold(kept, self.options.checkpoint.is_some()).await?;
        match reply {
            FoldReply::Folded {
                handled,
                processed,
                emitted,
            } => {
                state.handled += handled;
                state.processed += processed;
                let (logged, emitted) = split_logs(emitted);
                state.logged.extend(logged);
                if self.options.emit && !emitted.is_empty() {
                    self.store
                        .append_batch(
                            emitted
                                .iter()
                                .map(|record| {
                                    emitted_segment(&projection_name(&self.source), record)
                                })
                                .collect(),
                        )
                        .await?;
                }
                state.emitted.extend(emitted);
                if let Some(last) = last {
                    state.position = last;
                }
                Ok(())
            }
            FoldReply::Faulted {
                error,
                good_result,
                good_position,
                handled,
                processed,
            } => {
                state.handled += handled;
                state.processed += processed;
                let mut checkpoint_position = None;
                if let (Some(result), Some(name)) = (good_result, &self.options.checkpoint) {
                    let position = good_position.unwrap_or(state.position);
                    state.position = position;
                    self.save(name, state, result).await?;
                    checkpoint_position = Some(position);
                }
                Err(ProjectionError::Faulted {
                    error: Box::new(error),
                    checkpoint_position,
                })
            }
        }
    }

    /// `outputState` with `--emit`: the result written as a `Result` event, as
    /// EventStoreDB writes it — to `$projections-{name}-result` (or `outputTo`'s stream,
    /// or `resultStreamName`), each partition's to `$projections-{name}-{partition}-result`
    /// (or `outputTo`'s pattern, `{0}` the partition) — when it changed. A result that is
    /// no object (null: filtered out) is not written. Each event's id comes from the
    /// projection, the stream, the events handled and the result, so a re-run writes
    /// nothing twice.
    async fn write_results(&mut self, state: &RunState) -> Result<(), ProjectionError> {
        let Some(definition) = &self.definition else {
            return Ok(());
        };
        if !self.options.emit || !definition.output {
            return Ok(());
        }
        let name = projection_name(&self.source);
        let results: Vec<(String, &Value)> = match (definition.partition.as_str(), &state.result) {
            ("none", result) => {
                let stream = definition
                    .result_stream
                    .clone()
                    .unwrap_or_else(|| format!("$projections-{name}-result"));
                vec![(stream, result)]
            }
            (_, Value::Object(partitions)) => partitions
                .iter()
                .map(|(key, result)| {
                    let stream = match &definition.partition_result_stream {
                        Some(pattern) => pattern.replace("{0}", key),
                        None => format!("$projections-{name}-{key}-result"),
                    };
                    (stream, result)
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut segments = Vec::new();
        let mut written = Vec::new();
        for (stream, result) in results {
            let text = result.to_string();
            if !result.is_object() || self.results_written.get(&stream) == Some(&text) {
                continue;
            }
            // The events handled so far, not the position: a source the prelude narrows
            // (fromCategories) reads past events it does not fold, result events too.
            let id = uuid::Uuid::new_v5(
                &EMITTED_IDS,
                format!("{name}\nresult\n{stream}\n{}\n{text}", state.handled).as_bytes(),
            );
            let event = NewEvent::new("Result", result.clone()).with_id(id);
            segments.push(AppendSegment::new(
                stream.clone(),
                ExpectedVersion::Any,
                vec![event],
            ));
            written.push((stream, text));
        }
        if !segments.is_empty() {
            self.store.append_batch(segments).await?;
            self.results_written.extend(written);
        }
        Ok(())
    }

    /// Fetches the result (and checkpoints it, with a checkpoint name).
    async fn finish_batch(
        &self,
        thread: &FoldThread,
        state: &mut RunState,
    ) -> Result<(), ProjectionError> {
        let result = thread.result().await?;
        if let Some(name) = &self.options.checkpoint {
            self.save(name, state, result.clone()).await?;
        }
        // With transformBy/filterBy the output is made from the state (which the
        // checkpoint keeps as it is).
        state.result = match thread.transforms() {
            0 => result,
            _ => thread.output().await?,
        };
        Ok(())
    }

    async fn save(
        &self,
        name: &str,
        state: &RunState,
        result: Value,
    ) -> Result<(), ProjectionError> {
        if self.store.is_read_only() {
            return Err(StoreError::ReadOnly("checkpoint").into());
        }
        let saved = Saved {
            result,
            processed: state.processed,
            handled: state.handled,
            skipped: state.skipped.clone(),
            moves: self.moves.clone(),
        };
        let checkpoint = Checkpoint {
            name: name.to_owned(),
            position: state.position,
            state: serde_json::value::to_raw_value(&saved).expect("serializes"),
            updated_at: timestamp::now(),
        };
        Ok(self.store.save_checkpoint(checkpoint).await?)
    }
}

/// The script's `log(...)` lines apart from its emits (the prelude records both in order).
pub fn split_logs(records: Vec<Value>) -> (Vec<String>, Vec<Value>) {
    let (logs, emits): (Vec<Value>, Vec<Value>) =
        records.into_iter().partition(|r| r["kind"] == "log");
    let logs = logs
        .into_iter()
        .map(|r| r["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    (logs, emits)
}

/// A projection's name for its emitted events' ids: its script's file name without the
/// folder (the same script run from another folder emits the same ids).
fn projection_name(source: &ScriptSource) -> String {
    std::path::Path::new(&source.name)
        .file_stem()
        .map_or_else(|| source.name.clone(), |s| s.to_string_lossy().into_owned())
}

/// The namespace of emitted events' ids (a v5 uuid of a name in it).
const EMITTED_IDS: uuid::Uuid = uuid::uuid!("5f1d0b6c-2a47-4c3e-9d7a-0e6b8f3c2a91");

/// The id of the `index`th event a projection (by its script's name) emitted while
/// handling the event `caused_by`: the same on every run, so a re-run's appends are
/// idempotent (the store takes an event id it already holds in that place as done).
pub fn emitted_event_id(projection: &str, caused_by: &str, index: u64) -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &EMITTED_IDS,
        format!("{projection}\n{caused_by}\n{index}").as_bytes(),
    )
}

/// An `emit`/`linkTo` record as an append: `emit`'s body (the prelude checked it is an
/// object), `linkTo` as a `$>` event naming `N@stream`; its id derived from the event
/// that caused it.
fn emitted_segment(projection: &str, record: &Value) -> AppendSegment {
    let stream = record["streamId"].as_str().unwrap_or_default().to_owned();
    let event_type = record["eventType"].as_str().unwrap_or("$>").to_owned();
    let data = match &record["data"] {
        Value::String(link) if record["kind"] == "linkTo" => serde_json::json!({ "link": link }),
        Value::String(stream) if record["kind"] == "linkStreamTo" => {
            serde_json::json!({ "stream": stream })
        }
        other => other.clone(),
    };
    let mut event = NewEvent::new(event_type, data);
    if let (Some(caused_by), Some(index)) = (record["causedBy"].as_str(), record["index"].as_u64())
    {
        event = event.with_id(emitted_event_id(projection, caused_by, index));
    }
    if record["metadata"].is_object() {
        event = event.with_metadata(record["metadata"].clone());
    }
    AppendSegment::new(stream, ExpectedVersion::Any, vec![event])
}

/// The store-side filter for the script's source: `fromCategory` reads only that
/// category, `fromStream(s)` only those streams.
fn pushdown(source: &Source) -> LogFilter {
    match source {
        // The store's category filter takes one; the prelude picks the categories.
        Source::All | Source::Categories { .. } => LogFilter::default(),
        Source::Category { category } => LogFilter {
            category: Some(category.clone()),
            ..Default::default()
        },
        Source::Streams { streams } => LogFilter {
            streams: streams.clone(),
            ..Default::default()
        },
    }
}

/// The events of a page up to `until` (inclusive); true once `until` was reached.
fn select(page: Vec<RecordedEvent>, until: Option<Position>) -> (Vec<RecordedEvent>, bool) {
    let Some(until) = until else {
        return (page, false);
    };
    let reached = page.iter().any(|e| e.global_position >= until);
    (
        page.into_iter()
            .take_while(|e| e.global_position <= until)
            .collect(),
        reached,
    )
}
