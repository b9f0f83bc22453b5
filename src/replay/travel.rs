//! State queries: resolve the target to a version, start from the newest snapshot at or
//! below it (same reducer id), replay the rest on a fold thread while pages are read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::ReplayError;
use super::fold::Folder;
use super::reducer::ReducerSpec;
use crate::store::{
    DEFAULT_PAGE, Position, RecordedEvent, Snapshot, Store, StoreError, StreamPages, StreamQuery,
    Version, timestamp,
};

/// Which moment of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The stream's last event.
    Latest,
    /// This version (1 is the first event; 0 is before it).
    Version(Version),
    /// The highest version recorded at or before this time.
    Time(DateTime<Utc>),
    /// The highest version at or below this global position.
    Position(Position),
}

/// `rewind state`'s answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateAnswer {
    /// The stream asked about.
    pub stream_id: String,
    /// The version the target resolved to.
    pub version: Version,
    /// The state at that version.
    pub state: Value,
    /// The reducer's id (name + hash of its source and upcasters).
    pub reducer: String,
    /// The snapshot the query started from, if any.
    pub snapshot_version: Option<Version>,
    /// Events folded to answer.
    pub replayed: u64,
}

/// `rewind state --diff`'s answer: what event `to_version` changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DiffAnswer {
    /// The stream asked about.
    pub stream_id: String,
    /// The version before the event (`to_version - 1`).
    pub from_version: Version,
    /// The event's version.
    pub to_version: Version,
    /// RFC 6902 JSON Patch from the state at `from_version` to the state at `to_version`.
    pub patch: json_patch::Patch,
}

/// A scrubber's step: the state at a version and the patch its event made.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAnswer {
    /// The state at the step's version.
    pub state: StateAnswer,
    /// The state to show: NaN and ±Infinity marked where JSON writes null.
    pub shown: Value,
    /// RFC 6902 patch the step's event made (from the version before).
    pub patch: json_patch::Patch,
    /// Snapshots saved on the way (a long replay on a store that takes them).
    pub saved_snapshots: u64,
}

/// Answers state queries over one store with one reducer.
#[derive(Clone)]
pub struct TimeTravel {
    /// The store read from (and that snapshots are saved to).
    pub store: Store,
    /// The reducer that folds every stream asked about.
    pub reducer: ReducerSpec,
    /// Snapshot spacing; also the replay length past which a query saves snapshots.
    pub snapshot_every: u64,
    /// Start queries from stored snapshots (off: every query is a full replay).
    pub use_snapshots: bool,
}

/// What a fold thread returns.
pub(super) struct FoldOutcome {
    pub state: Value,
    /// The state for display (see `Folder::display_state`).
    pub shown: Value,
    pub captured: Vec<(Version, Value)>,
    pub replayed: u64,
}

impl TimeTravel {
    /// Time travel over `store` with `reducer`, a snapshot every `snapshot_every` versions.
    pub fn new(store: Store, reducer: ReducerSpec, snapshot_every: u64) -> TimeTravel {
        TimeTravel {
            store,
            reducer,
            snapshot_every: snapshot_every.max(1),
            use_snapshots: true,
        }
    }

    /// Every query replays from the stream's first event and saves nothing.
    pub fn full_replays(mut self) -> TimeTravel {
        self.use_snapshots = false;
        self.snapshot_every = u64::MAX;
        self
    }

    async fn snapshot_for(
        &self,
        stream_id: &str,
        version: Version,
    ) -> Result<Option<Snapshot>, ReplayError> {
        if !self.use_snapshots {
            return Ok(None);
        }
        Ok(self
            .store
            .snapshot_at_or_below(stream_id, &self.reducer.id, version)
            .await?)
    }

    /// The version `target` names; a version past the end is an error.
    pub async fn resolve(&self, stream_id: &str, target: Target) -> Result<Version, ReplayError> {
        let current = self.store.stream_version(stream_id).await?;
        Ok(match target {
            Target::Latest => current,
            Target::Version(v) if v > current => {
                return Err(ReplayError::VersionPastEnd {
                    stream_id: stream_id.into(),
                    requested: v,
                    current,
                });
            }
            Target::Version(v) => v,
            Target::Time(t) => self.store.version_at_time(stream_id, t).await?,
            Target::Position(p) => self.store.version_at_position(stream_id, p).await?,
        })
    }

    /// The state at `target`. Version 0 (or a moment before the first event) is `{}`.
    pub async fn state_at(
        &self,
        stream_id: &str,
        target: Target,
    ) -> Result<StateAnswer, ReplayError> {
        let version = self.resolve(stream_id, target).await?;
        let mut answer = StateAnswer {
            stream_id: stream_id.to_owned(),
            version,
            state: Value::Object(Default::default()),
            reducer: self.reducer.id.clone(),
            snapshot_version: None,
            replayed: 0,
        };
        if version == 0 {
            return Ok(answer);
        }
        let snapshot = self.snapshot_for(stream_id, version).await?;
        let start = snapshot.as_ref().map_or(0, |s| s.version);
        let every = self.snapshot_every;
        let save = version - start > every && self.store.saves_while_reading();
        let outcome = self
            .fold(stream_id, snapshot.as_ref(), version, move |v| {
                save && v % every == 0 && v != 0
            })
            .await?;
        self.save(stream_id, outcome.captured).await?;
        answer.state = outcome.state;
        answer.snapshot_version = snapshot.map(|s| s.version);
        answer.replayed = outcome.replayed;
        Ok(answer)
    }

    /// The JSON Patch event `version` made: from the state before it to the state after.
    pub async fn diff_at(
        &self,
        stream_id: &str,
        version: Version,
    ) -> Result<DiffAnswer, ReplayError> {
        if version == 0 {
            return Err(ReplayError::NoEventAtZero {
                stream_id: stream_id.into(),
            });
        }
        let step = self.step_at(stream_id, version).await?;
        Ok(DiffAnswer {
            stream_id: stream_id.to_owned(),
            from_version: step.state.version - 1,
            to_version: step.state.version,
            patch: step.patch,
        })
    }

    /// The state at `version` and what its event changed, in one fold: what a scrubber
    /// shows at each step. Version 0 is `{}` with an empty patch.
    pub async fn step_at(
        &self,
        stream_id: &str,
        version: Version,
    ) -> Result<StepAnswer, ReplayError> {
        let version = self.resolve(stream_id, Target::Version(version)).await?;
        let empty = Value::Object(Default::default());
        if version == 0 {
            return Ok(StepAnswer {
                state: StateAnswer {
                    stream_id: stream_id.to_owned(),
                    version: 0,
                    state: empty,
                    reducer: self.reducer.id.clone(),
                    snapshot_version: None,
                    replayed: 0,
                },
                patch: json_patch::Patch(Vec::new()),
                shown: Value::Object(Default::default()),
                saved_snapshots: 0,
            });
        }
        let snapshot = self.snapshot_for(stream_id, version - 1).await?;
        let before = version - 1;
        // A long replay saves snapshots on the way, as `state_at` does, so the next step
        // near here starts close by (a scrubber on a long stream replayed it all each time).
        let start = snapshot.as_ref().map_or(0, |s| s.version);
        let every = self.snapshot_every;
        let save = version - start > every && self.store.saves_while_reading();
        let saves = move |v: Version| save && v > start && v.is_multiple_of(every);
        let outcome = self
            .fold(stream_id, snapshot.as_ref(), version, move |v| {
                v == before || saves(v)
            })
            .await?;
        let from = outcome
            .captured
            .iter()
            .find(|(v, _)| *v == before)
            .map(|(_, s)| s.clone())
            .unwrap_or(empty);
        let to_save: Vec<_> = outcome
            .captured
            .into_iter()
            .filter(|(v, _)| saves(*v))
            .collect();
        let saved_snapshots = to_save.len() as u64;
        self.save(stream_id, to_save).await?;
        Ok(StepAnswer {
            shown: outcome.shown,
            saved_snapshots,
            patch: json_patch::diff(&from, &outcome.state),
            state: StateAnswer {
                stream_id: stream_id.to_owned(),
                version,
                state: outcome.state,
                reducer: self.reducer.id.clone(),
                snapshot_version: snapshot.as_ref().map(|s| s.version),
                replayed: outcome.replayed,
            },
        })
    }

    /// Saves captured states as snapshots; a read-only store skips this silently.
    pub(super) async fn save(
        &self,
        stream_id: &str,
        captured: Vec<(Version, Value)>,
    ) -> Result<(), ReplayError> {
        if captured.is_empty() || self.store.is_read_only() {
            return Ok(());
        }
        let now = timestamp::now();
        let snapshots = captured
            .into_iter()
            .map(|(version, state)| Snapshot {
                stream_id: stream_id.to_owned(),
                reducer: self.reducer.id.clone(),
                version,
                state: serde_json::value::to_raw_value(&state).expect("a Value serializes"),
                created_at: now,
            })
            .collect();
        match self.store.save_snapshots(snapshots).await {
            Err(StoreError::ReadOnly(_)) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Folds the stream from `start` (or version 0) to `to` on a fold thread (or in place,
    /// below), capturing the state after each version `capture` picks (and at the start,
    /// if it picks it).
    pub(super) async fn fold(
        &self,
        stream_id: &str,
        start: Option<&Snapshot>,
        to: Version,
        capture: impl Fn(Version) -> bool + Send + 'static,
    ) -> Result<FoldOutcome, ReplayError> {
        let from = start.map_or(0, |s| s.version);
        let start_state = start.map(|s| s.state.get().to_owned());
        let query = StreamQuery {
            from: Some(from + 1),
            to: Some(to),
            limit: DEFAULT_PAGE,
            ..Default::default()
        };
        // A fold of one page at most, in a process on a current-thread runtime (a command
        // line call), runs in place: there is no reading to overlap it with, and a fold
        // thread cost `rewind state` more to start than the fold.
        if crate::store::on_current_thread_runtime()
            && to.saturating_sub(from) <= DEFAULT_PAGE as u64
        {
            let page = match to > from {
                true => self.store.read_stream(stream_id, query).await?,
                false => Vec::new(),
            };
            let mut pages = std::iter::once(page);
            return fold_pages(&self.reducer, from, start_state, || pages.next(), capture);
        }
        let (pages_tx, mut pages_rx) = mpsc::channel::<Vec<RecordedEvent>>(2);
        let (done_tx, done_rx) = oneshot::channel();
        let spec = self.reducer.clone();
        std::thread::Builder::new()
            .name("rewind-fold".into())
            .spawn(move || {
                let next_page = || pages_rx.blocking_recv();
                let _ = done_tx.send(fold_pages(&spec, from, start_state, next_page, capture));
            })
            .map_err(|e| ReplayError::Worker(e.to_string()))?;
        if to > from {
            let mut pages = self.store.pages(
                StreamPages {
                    stream_id: stream_id.to_owned(),
                    query,
                },
                None,
            );
            while let Some(page) = pages.next_page().await? {
                if pages_tx.send(page).await.is_err() {
                    break; // the fold stopped (an error it reports below)
                }
            }
        }
        drop(pages_tx);
        done_rx
            .await
            .map_err(|_| ReplayError::Worker("the fold thread ended without an answer".into()))?
    }
}

/// Folds the pages `next_page` gives, from the state at `from`, capturing the versions
/// `capture` picks.
fn fold_pages(
    spec: &ReducerSpec,
    from: Version,
    start_state: Option<String>,
    mut next_page: impl FnMut() -> Option<Vec<RecordedEvent>>,
    capture: impl Fn(Version) -> bool,
) -> Result<FoldOutcome, ReplayError> {
    let mut folder = Folder::new(spec)?;
    let mut captured = Vec::new();
    let mut replayed = 0u64;
    match &start_state {
        Some(state) => folder.reset(Some(state))?,
        None => folder.reset(None)?,
    }
    // Version 0 is `{}` whatever the reducer's `$init`: the contract's empty stream.
    let mut version = from;
    if capture(from) {
        let state = if from == 0 {
            Value::Object(Default::default())
        } else {
            folder.state()?
        };
        captured.push((from, state));
    }
    while let Some(page) = next_page() {
        let mut rest = page.as_slice();
        while !rest.is_empty() {
            // Fold up to the next version to capture, in one call.
            let cut = rest
                .iter()
                .position(|e| capture(e.version))
                .map_or(rest.len(), |i| i + 1);
            let (chunk, tail) = rest.split_at(cut);
            folder.apply(chunk)?;
            replayed += chunk.len() as u64;
            version = chunk.last().map_or(version, |e| e.version);
            if capture(version) {
                captured.push((version, folder.state()?));
            }
            rest = tail;
        }
    }
    Ok(FoldOutcome {
        shown: folder.display_state()?,
        state: folder.state()?,
        captured,
        replayed,
    })
}
