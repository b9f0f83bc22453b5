//! Stepping through a projection, for the workbench: step one event (with its partition's
//! state before and after, and the diff), run to a position, run until a breakpoint (an
//! event type or a JS predicate over (state, event)), and step back — re-run from the
//! nearest in-memory checkpoint, so it is fast. Pausing is the caller's: it decides when to
//! ask for the next step or run.

use std::collections::VecDeque;
use std::time::Instant;

use tokio::task::JoinHandle;

use serde::Serialize;
use serde_json::Value;

use super::fold_thread::FoldThread;
use super::{ProjectionError, RunOptions, pushdown};
use crate::script::{Definition, ScriptSource};
use crate::store::{LogFilter, LogQuery, Position, RecordedEvent, Store, StoreError};

/// In-memory checkpoints at least this many folded events apart.
const KEEP_EVERY: u64 = 256;
/// The share of a run's time checkpoints may take: saving the result costs more as the
/// partitions grow, so checkpoints space out to keep a long run within this (with one
/// every 256 events, a run over 1M events with thousands of partitions spent most of
/// its time saving results).
const KEEP_SHARE: f64 = 0.05;
/// How many in-memory checkpoints are kept (older ones are dropped; stepping back past
/// them re-runs from the start).
const KEEP_AT_MOST: usize = 64;
/// A read under way: where it ended in the log, and its events to fold.
type ReadAhead = JoinHandle<Result<(Position, Vec<RecordedEvent>), StoreError>>;

/// Events a log read brings (the next one is read while the script folds these).
const PAGE: usize = 2048;

/// Where a run stood (its result, the event it was after, how many it folded), for a
/// fixed script to go on from.
#[derive(Debug, Clone)]
pub struct Resume {
    /// The result (state, or partition key -> state) after `position`.
    pub result: Value,
    /// The last event folded (0: none).
    pub position: Position,
    /// How many events were folded to get here.
    pub folded: u64,
}

/// What one step did.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The event folded.
    pub event: RecordedEvent,
    /// The event's partition (None: `partitionBy` gave no key, so it was skipped).
    pub partition: Option<String>,
    /// The partition's state before the event (null: it did not exist yet).
    pub before: Value,
    /// The partition's state after the event.
    pub after: Value,
    /// RFC 6902 patch from `before` to `after`.
    pub diff: json_patch::Patch,
    /// Whether a handler took the event.
    pub handled: bool,
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// At an event a breakpoint picked, before folding it.
    Breakpoint(Position),
    /// After the event at the position asked for (or the last one before it).
    Reached(Position),
    /// At the head of the log: nothing more to fold.
    Head(Position),
}

/// Breakpoints: event types, and a predicate `(state, event) => boolean`.
#[derive(Debug, Clone, Default)]
pub struct Breakpoints {
    /// Stop before any event of these types.
    pub event_types: Vec<String>,
    /// Stop before any event for which this JavaScript `(state, event) => boolean` is true.
    pub predicate: Option<String>,
}

/// A projection run one event at a time: steps forward, back (from checkpoints it keeps
/// and a replay to the step asked for), to a position or a breakpoint.
pub struct Debugger {
    store: Store,
    thread: FoldThread,
    definition: Definition,
    filter: LogFilter,
    min_position: Option<Position>,
    /// The last folded event (0: none).
    position: Position,
    folded: u64,
    /// (position, folded count, result as JSON text), oldest first.
    kept: VecDeque<(Position, u64, String)>,
    /// The folded count at which the next checkpoint is kept.
    next_keep: u64,
    /// When the last checkpoint was kept (for the run's rate since).
    kept_at: Instant,
    /// Events read ahead, not folded yet, in log order after `position`.
    ahead: VecDeque<RecordedEvent>,
    /// The last position read from the log (links left out are read past too).
    read_to: Position,
    breakpoints: Breakpoints,
}

impl Debugger {
    /// Starts a debugging run of `source` over `store`'s log, stopped before its first event.
    pub async fn start(
        store: Store,
        source: ScriptSource,
        options: RunOptions,
    ) -> Result<Debugger, ProjectionError> {
        Debugger::resume(store, source, options, None).await
    }

    /// As `start`, going on from `from` (a state saved by an earlier run, for a script
    /// fixed after a fault): its result, the event it was after and how many it folded.
    pub async fn resume(
        store: Store,
        source: ScriptSource,
        options: RunOptions,
        from: Option<Resume>,
    ) -> Result<Debugger, ProjectionError> {
        let (state, position, folded) = match from {
            Some(r) => (Some(r.result.to_string()), r.position, r.folded),
            None => (None, 0, 0),
        };
        let (thread, definition) =
            FoldThread::start(&source, &options.upcasters, options.limits, state)?;
        let filter = pushdown(&definition.source);
        let mut debugger = Debugger {
            store,
            thread,
            definition,
            filter,
            min_position: options.from_position,
            position,
            folded,
            kept: VecDeque::new(),
            next_keep: folded,
            kept_at: Instant::now(),
            ahead: VecDeque::new(),
            read_to: position,
            breakpoints: Breakpoints::default(),
        };
        debugger.keep().await?;
        Ok(debugger)
    }

    /// Where this run stands, to go on from with another script (`resume`).
    pub async fn resume_point(&self) -> Result<Resume, ProjectionError> {
        Ok(Resume {
            result: self.result().await?,
            position: self.position,
            folded: self.folded,
        })
    }

    /// The script's definition (its selector, handlers and options).
    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    /// The last folded event's position (0: none yet).
    pub fn position(&self) -> Position {
        self.position
    }

    /// The result so far: the state, or partition key -> state.
    pub async fn result(&self) -> Result<Value, ProjectionError> {
        self.thread.result().await
    }

    /// The result to show: as `result`, with NaN and ±Infinity marked
    /// (`{"$rewind:number": "NaN"}`) where JSON would write null.
    pub async fn display_result(&self) -> Result<Value, ProjectionError> {
        self.thread.display_result().await
    }

    /// Sets where `run` stops: before events of these types, or where the predicate holds.
    pub async fn set_breakpoints(
        &mut self,
        breakpoints: Breakpoints,
    ) -> Result<(), ProjectionError> {
        self.thread
            .set_breakpoint(breakpoints.predicate.clone())
            .await?;
        self.breakpoints = breakpoints;
        Ok(())
    }

    /// Folds the next event; None at the head of the log.
    pub async fn step(&mut self) -> Result<Option<StepReport>, ProjectionError> {
        let Some(event) = self.next_events(1).await?.into_iter().next() else {
            return Ok(None);
        };
        let position = event.global_position;
        let stepped = self.thread.step(event.clone()).await?;
        self.advance(position).await?;
        Ok(Some(StepReport {
            diff: json_patch::diff(&stepped.before, &stepped.after),
            event,
            partition: stepped.partition,
            before: stepped.before,
            after: stepped.after,
            handled: stepped.handled,
        }))
    }

    /// Folds events up to and including `target` (log order), stopping early before an
    /// event a breakpoint picks.
    pub async fn run_to(&mut self, target: Position) -> Result<Stop, ProjectionError> {
        self.run(Some(target), usize::MAX).await
    }

    /// Folds until a breakpoint or the head of the log, at most `max_events` events (so
    /// that a caller can pause between calls).
    pub async fn run(
        &mut self,
        until: Option<Position>,
        max_events: usize,
    ) -> Result<Stop, ProjectionError> {
        let mut budget = max_events;
        loop {
            let mut events = self.next_events(PAGE.min(budget)).await?;
            if let Some(target) = until
                && let Some(past) = events.iter().position(|e| e.global_position > target)
            {
                let rest = events.split_off(past);
                self.unread(rest);
            }
            if events.is_empty() {
                return Ok(match until {
                    Some(_) if self.position > 0 => Stop::Reached(self.position),
                    _ => Stop::Head(self.position),
                });
            }
            let positions: Vec<Position> = events.iter().map(|e| e.global_position).collect();
            let has_predicate = self.breakpoints.predicate.is_some();
            // A breakpoint may stop the batch part way: what it did not fold goes back.
            let stoppable =
                (has_predicate || !self.breakpoints.event_types.is_empty()).then(|| events.clone());
            let read_ahead = self.read_ahead();
            let ran = self
                .thread
                .run_until(events, self.breakpoints.event_types.clone(), has_predicate)
                .await;
            if ran.is_ok()
                && let Some(read) = read_ahead
            {
                let (read_to, more) = read
                    .await
                    .map_err(|e| ProjectionError::Worker(e.to_string()))??;
                self.read_to = self.read_to.max(read_to);
                self.ahead.extend(more);
            }
            let (folded, _) = match ran {
                Ok(ran) => ran,
                // The state, position and count go back to the last good event, so that
                // what a fault shows beside it is true (the batch's earlier events folded,
                // the faulting one half did).
                Err(ProjectionError::Faulted {
                    error,
                    checkpoint_position,
                }) => {
                    if let Some(at) = error.position.filter(|p| positions.contains(p)) {
                        self.rewind_to_before(at).await?;
                    }
                    return Err(ProjectionError::Faulted {
                        error,
                        checkpoint_position,
                    });
                }
                Err(other) => return Err(other),
            };
            for &position in &positions[..folded] {
                self.advance(position).await?;
            }
            budget = budget.saturating_sub(folded);
            if folded < positions.len() {
                if let Some(mut events) = stoppable {
                    self.unread(events.split_off(folded));
                }
                return Ok(Stop::Breakpoint(positions[folded]));
            }
            if until.is_some_and(|t| self.position >= t) {
                return Ok(Stop::Reached(self.position));
            }
            if budget == 0 {
                return Ok(Stop::Reached(self.position));
            }
        }
    }

    /// Passes over the next event without folding it (a poison event): its position, or
    /// None at the head of the log.
    pub async fn skip_next(&mut self) -> Result<Option<Position>, ProjectionError> {
        let Some(event) = self.next_events(1).await?.into_iter().next() else {
            return Ok(None);
        };
        self.position = event.global_position;
        Ok(Some(self.position))
    }

    /// The next event to fold, when it has been read (after a breakpoint: the event it
    /// stopped before).
    pub fn next_event(&self) -> Option<&RecordedEvent> {
        self.ahead.front()
    }

    /// What `emit`/`linkTo` asked for since the last call: shown, never written.
    pub async fn take_emitted(&self) -> Result<Vec<Value>, ProjectionError> {
        self.thread.take_emitted().await
    }

    /// The position of the newest in-memory checkpoint (what a step back restores from).
    pub fn checkpoint(&self) -> Position {
        self.kept.back().map_or(0, |(p, ..)| *p)
    }

    /// Events folded so far.
    pub fn folded(&self) -> u64 {
        self.folded
    }

    /// Undoes the last folded event: restores the newest in-memory checkpoint before it
    /// and re-folds (ignoring breakpoints) the events between. Returns the new position
    /// (None: already at the start).
    pub async fn step_back(&mut self) -> Result<Option<Position>, ProjectionError> {
        if self.position == 0 {
            return Ok(None);
        }
        self.rewind_to_before(self.position).await?;
        Ok(Some(self.position))
    }

    /// Sets the state to what it was just before the event at `undone` (log order):
    /// restores the newest in-memory checkpoint before it and re-folds (ignoring
    /// breakpoints) the events between.
    async fn rewind_to_before(&mut self, undone: Position) -> Result<(), ProjectionError> {
        while self.kept.len() > 1 && self.kept.back().is_some_and(|(p, ..)| *p >= undone) {
            self.kept.pop_back();
        }
        let (position, folded, result) =
            self.kept.back().cloned().expect("the start is always kept");
        self.thread.restore(result).await?;
        self.position = position;
        self.folded = folded;
        self.ahead.clear();
        self.read_to = position;
        self.next_keep = folded + KEEP_EVERY;
        loop {
            let mut events = self.next_events(PAGE).await?;
            // Up to the event undone, in log order (not by number: PostgreSQL's log order
            // is not position order); it and what follows are read again later.
            let cut = events
                .iter()
                .position(|e| e.global_position == undone)
                .unwrap_or(events.len());
            let rest = events.split_off(cut);
            let reached = !rest.is_empty();
            self.unread(rest);
            if events.is_empty() {
                break;
            }
            let positions: Vec<Position> = events.iter().map(|e| e.global_position).collect();
            self.thread.run_until(events, Vec::new(), false).await?;
            for position in positions {
                self.advance(position).await?;
            }
            if reached {
                break;
            }
        }
        Ok(())
    }

    async fn advance(&mut self, position: Position) -> Result<(), ProjectionError> {
        self.position = position;
        self.folded += 1;
        if self.folded >= self.next_keep {
            self.keep().await?;
        }
        Ok(())
    }

    /// Keeps a checkpoint, and places the next one: at least KEEP_EVERY events on, and
    /// far enough that saving takes at most KEEP_SHARE of the run at its rate since the
    /// last one.
    async fn keep(&mut self) -> Result<(), ProjectionError> {
        let since = self.kept_at.elapsed().as_secs_f64();
        let events = self.folded - self.kept.back().map_or(0, |(_, n, _)| *n);
        let started = Instant::now();
        let result = self.thread.result_text().await?;
        let cost = started.elapsed().as_secs_f64();
        self.kept.push_back((self.position, self.folded, result));
        if self.kept.len() > KEEP_AT_MOST {
            // Keep the start: stepping back further re-runs from it.
            self.kept.remove(1);
        }
        let rate = events as f64 / since.max(1e-6);
        let spacing = (rate * cost / KEEP_SHARE).min(u32::MAX as f64) as u64;
        self.next_keep = self.folded + spacing.max(KEEP_EVERY);
        self.kept_at = Instant::now();
        Ok(())
    }

    /// Puts events read but not folded back in front of those read ahead.
    fn unread(&mut self, events: Vec<RecordedEvent>) {
        for event in events.into_iter().rev() {
            self.ahead.push_front(event);
        }
    }

    /// Starts reading the next page of the log while the script folds, unless enough is
    /// read ahead already. Answers where the read ended and its events to fold.
    fn read_ahead(&self) -> Option<ReadAhead> {
        if self.ahead.len() >= PAGE {
            return None;
        }
        let query = self.query(self.read_to, PAGE);
        let store = self.store.clone();
        let source = self.definition.source.clone();
        let from = self.read_to;
        Some(tokio::spawn(async move {
            let page = store.read_log(query).await?;
            let read_to = page.last().map_or(from, |e| e.global_position);
            Ok((read_to, super::links::resolve(&store, &source, page).await?))
        }))
    }

    fn query(&self, after: Position, limit: usize) -> LogQuery {
        LogQuery {
            after,
            min_position: self.min_position,
            filter: self.filter.clone(),
            limit,
        }
    }

    /// The next events to fold, never past the next in-memory checkpoint: the fold thread
    /// folds a batch whole, so a checkpoint must fall between batches.
    async fn next_events(&mut self, limit: usize) -> Result<Vec<RecordedEvent>, ProjectionError> {
        let to_next_keep = self.next_keep.saturating_sub(self.folded).max(1) as usize;
        let limit = limit.min(to_next_keep).max(1);
        // Read until there is something to fold or the log ends (a page may be all
        // links this source leaves out).
        while self.ahead.len() < limit {
            let want = PAGE.max(limit);
            let page = self.store.read_log(self.query(self.read_to, want)).await?;
            let Some(last) = page.last().map(|e| e.global_position) else {
                break;
            };
            let full = page.len() >= want;
            self.read_to = last;
            let more = super::links::resolve(&self.store, &self.definition.source, page).await?;
            self.ahead.extend(more);
            if !full {
                break;
            }
        }
        let take = limit.min(self.ahead.len());
        Ok(self.ahead.drain(..take).collect())
    }
}
