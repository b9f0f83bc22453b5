//! The background work of the time-travel, as-of and snapshots views: folds, temporal
//! queries across a category, and snapshot builds and verifies with progress. Each
//! answers with a message; none runs on the render path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Fetcher;
use crate::config::Config;
use crate::replay::{Drift, ReducerSpec, Target, TimeTravel};
use crate::store::{SnapshotsQuery, StreamQuery, StreamsQuery};
use crate::tui::app::Msg;
use crate::tui::views::asof::{AS_OF_PAGE, AsOfRow, Moment};
use crate::tui::views::snapshots::{SNAPSHOT_PAGE, SnapshotKey};
use crate::tui::views::travel::TravelFrame;

/// What the replay views need from config: reducers per category, upcasters, limits.
pub struct Replay {
    config: Config,
    /// Reducers already loaded, by category (reading the scripts is I/O).
    reducers: Mutex<HashMap<String, ReducerSpec>>,
}

impl Replay {
    pub fn new(config: Config) -> Replay {
        Replay {
            config,
            reducers: Mutex::new(HashMap::new()),
        }
    }

    fn reducer(&self, category: &str) -> Result<ReducerSpec, String> {
        let mut cache = self.reducers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(spec) = cache.get(category) {
            return Ok(spec.clone());
        }
        let spec =
            ReducerSpec::for_category(&self.config, category, None).map_err(|e| e.to_string())?;
        cache.insert(category.to_owned(), spec.clone());
        Ok(spec)
    }

    /// Script limits and upcasters for workbench runs (upcasters that fail to load are
    /// left out; the run says nothing of them).
    pub fn script_settings(
        &self,
    ) -> (
        crate::script::ScriptLimits,
        Vec<(String, crate::script::ScriptSource)>,
    ) {
        (
            crate::replay::script_limits(&self.config),
            crate::replay::load_upcasters(&self.config).unwrap_or_default(),
        )
    }

    fn snapshot_every(&self) -> u64 {
        self.config.snapshot_every
    }
}

/// Events shown around the current version on the timeline.
const TIMELINE: u64 = 25;

/// What a snapshot job does to each stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Build,
    Verify,
}

impl Fetcher {
    async fn travel_for(&self, stream_id: &str) -> Result<TimeTravel, String> {
        let replay = self.replay.as_ref().ok_or("no configuration for replays")?;
        let category = self
            .store
            .stream_category(stream_id)
            .await
            .map_err(|e| e.to_string())?;
        let spec = replay.reducer(&category)?;
        Ok(TimeTravel::new(
            self.store.clone(),
            spec,
            replay.snapshot_every(),
        ))
    }

    /// One scrubber step: the state at `target`, its event, its patch, the timeline.
    pub fn travel(&self, stream_id: String, target: Target, generation: u64) {
        let fetcher = self.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = async {
                let travel = fetcher.travel_for(&stream_id).await?;
                let version = travel
                    .resolve(&stream_id, target)
                    .await
                    .map_err(|e| e.to_string())?;
                let step = travel
                    .step_at(&stream_id, version)
                    .await
                    .map_err(|e| e.to_string())?;
                let store = &fetcher.store;
                let last = store
                    .stream_version(&stream_id)
                    .await
                    .map_err(|e| e.to_string())?;
                let from = version.saturating_sub(TIMELINE / 2).max(1);
                let timeline = store
                    .read_stream(
                        &stream_id,
                        StreamQuery {
                            from: Some(from),
                            to: Some(from + TIMELINE - 1),
                            limit: TIMELINE as usize,
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let event = timeline.iter().find(|e| e.version == version).cloned();
                Ok::<_, String>(TravelFrame {
                    stream_id: stream_id.clone(),
                    version,
                    last,
                    state: step.state.state,
                    event,
                    patch: step.patch,
                    snapshot_version: step.state.snapshot_version,
                    replayed: step.state.replayed,
                    reducer: step.state.reducer,
                    elapsed: started.elapsed(),
                    timeline,
                })
            }
            .await;
            let _ = tx.send(Msg::Travel(generation, answer));
        });
    }

    /// Each stream of a category (a page) with its version and state at a moment.
    pub fn as_of(&self, category: String, moment: Moment, after: Option<String>, generation: u64) {
        let fetcher = self.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let answer = async {
                let streams = fetcher
                    .store
                    .list_streams(StreamsQuery {
                        category: Some(category.clone()),
                        after,
                        limit: AS_OF_PAGE,
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                let mut rows = Vec::with_capacity(streams.len());
                for stream in streams {
                    let travel = fetcher.travel_for(&stream.stream_id).await?;
                    let target = match moment {
                        Moment::Time(t) => Target::Time(t),
                        Moment::Position(p) => Target::Position(p),
                    };
                    let answer = travel
                        .state_at(&stream.stream_id, target)
                        .await
                        .map_err(|e| e.to_string())?;
                    rows.push(AsOfRow {
                        stream_id: stream.stream_id,
                        version: answer.version,
                        state: answer.state.to_string(),
                    });
                }
                Ok::<_, String>(rows)
            }
            .await;
            let _ = tx.send(Msg::AsOf(generation, answer));
        });
    }

    /// A page of the snapshot listing.
    pub fn snapshots(&self, after: Option<SnapshotKey>, generation: u64) {
        let store = self.store.clone();
        self.spawn(async move {
            let rows = store
                .list_snapshots(SnapshotsQuery {
                    stream_id: None,
                    after,
                    limit: SNAPSHOT_PAGE,
                })
                .await
                .map_err(|e| e.to_string())?;
            Ok(Msg::SnapshotRows(generation, rows))
        });
    }

    /// Builds or verifies the snapshots of one stream, or of every stream (`None`),
    /// reporting progress and stopping early when `cancel` is set.
    pub fn snapshot_job(&self, kind: JobKind, stream: Option<String>, cancel: Arc<AtomicBool>) {
        let fetcher = self.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = fetcher.run_job(kind, stream, &cancel).await;
            let msg = match result {
                Ok((summary, drifts)) => Msg::JobDone(summary, drifts),
                Err(e) => Msg::JobDone(format!("{kind:?} failed: {e}"), Vec::new()),
            };
            let _ = tx.send(msg);
        });
    }

    async fn run_job(
        &self,
        kind: JobKind,
        stream: Option<String>,
        cancel: &AtomicBool,
    ) -> Result<(String, Vec<Drift>), String> {
        let every = self.replay.as_ref().map_or(100, |r| r.snapshot_every());
        let total = match &stream {
            Some(_) => 1,
            None => self.store.stats().await.map_err(|e| e.to_string())?.streams,
        };
        let (mut done, mut snapshots, mut checked) = (0u64, 0u64, 0u64);
        let mut drifts = Vec::new();
        let mut after: Option<String> = None;
        let mut last_report = Instant::now();
        let _ = self.tx.send(Msg::JobProgress(0, total));
        'pages: loop {
            let page: Vec<String> = match &stream {
                Some(s) if after.is_none() => vec![s.clone()],
                Some(_) => break,
                None => self
                    .store
                    .list_streams(StreamsQuery {
                        category: None,
                        after: after.clone(),
                        limit: 500,
                    })
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|s| s.stream_id)
                    .collect(),
            };
            let Some(last) = page.last().cloned() else {
                break;
            };
            for stream_id in page {
                if cancel.load(Ordering::Relaxed) {
                    break 'pages;
                }
                let travel = self.travel_for(&stream_id).await?;
                match kind {
                    JobKind::Build => {
                        let built = travel
                            .build_snapshots(&stream_id, every)
                            .await
                            .map_err(|e| e.to_string())?;
                        snapshots += built.snapshots;
                    }
                    JobKind::Verify => {
                        let report = travel
                            .verify_snapshots(&stream_id)
                            .await
                            .map_err(|e| e.to_string())?;
                        checked += report.checked;
                        drifts.extend(report.drifts);
                    }
                }
                done += 1;
                if last_report.elapsed() > Duration::from_millis(100) {
                    last_report = Instant::now();
                    let _ = self.tx.send(Msg::JobProgress(done, total));
                }
            }
            after = Some(last);
        }
        let cancelled = if cancel.load(Ordering::Relaxed) {
            " (cancelled)"
        } else {
            ""
        };
        let summary = match kind {
            JobKind::Build => {
                format!("built {snapshots} snapshots of {done} streams{cancelled}")
            }
            JobKind::Verify if drifts.is_empty() => {
                format!("verified {checked} snapshots of {done} streams: no drift{cancelled}")
            }
            JobKind::Verify => format!(
                "verified {checked} snapshots of {done} streams: {} drifted{cancelled}",
                drifts.len()
            ),
        };
        Ok((summary, drifts))
    }
}
