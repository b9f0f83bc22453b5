//! The replay work: time-travel folds, temporal queries across a category, the snapshot
//! listing, and snapshot builds and verifies with progress. Reducer scripts are read on
//! the blocking pool, once per category.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{
    AS_OF_PAGE, AsOfRow, IoError, JobKind, JobProgress, JobReport, Moment, Response, SNAPSHOT_PAGE,
    SnapshotKey, TravelFrame, Worker,
};
use crate::config::Config;
use crate::replay::{ReducerSpec, Target, TimeTravel};
use crate::script::{ScriptLimits, ScriptSource};
use crate::store::{SnapshotsQuery, StreamQuery, StreamsQuery};

/// Events shown around the current version on the timeline.
const TIMELINE: u64 = 25;

/// What the replay work needs from config: reducers per category, upcasters, limits,
/// snapshot spacing.
pub struct Replay {
    config: Config,
    /// Reducers already loaded, by category.
    reducers: Mutex<HashMap<String, ReducerSpec>>,
}

impl Replay {
    /// The config the views' work follows.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn new(config: Config) -> Replay {
        Replay {
            config,
            reducers: Mutex::new(HashMap::new()),
        }
    }

    /// The reducer for `category`, its script read on the blocking pool the first time.
    async fn reducer(self: &Arc<Self>, category: &str) -> Result<ReducerSpec, IoError> {
        if let Some(spec) = self.lock().get(category) {
            return Ok(spec.clone());
        }
        let (replay, name) = (self.clone(), category.to_owned());
        let spec = tokio::task::spawn_blocking(move || {
            ReducerSpec::for_category(&replay.config, &name, None)
        })
        .await
        .map_err(|e| IoError::Worker(e.to_string()))??;
        self.lock().insert(category.to_owned(), spec.clone());
        Ok(spec)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ReducerSpec>> {
        self.reducers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Script limits and upcasters for a workbench run, the upcaster scripts read on the
    /// blocking pool; a script that cannot be read is an error the run reports.
    pub async fn script_settings(
        self: &Arc<Self>,
    ) -> Result<(ScriptLimits, Vec<(String, ScriptSource)>), IoError> {
        let replay = self.clone();
        tokio::task::spawn_blocking(move || {
            Ok((
                crate::replay::script_limits(&replay.config),
                crate::replay::load_upcasters(&replay.config)?,
            ))
        })
        .await
        .map_err(|e| IoError::Worker(e.to_string()))?
    }

    fn snapshot_every(&self) -> u64 {
        self.config.snapshot_every
    }
}

impl Worker {
    async fn travel_for(&self, stream_id: &str) -> Result<TimeTravel, IoError> {
        let category = self.store.stream_category(stream_id).await?;
        let spec = self.replay.reducer(&category).await?;
        Ok(TimeTravel::new(
            self.store.clone(),
            spec,
            self.replay.snapshot_every(),
        ))
    }
}

/// One scrubber step: the state at `target`, its event, its patch, the timeline.
pub(super) fn travel(w: &Worker, stream_id: String, target: Target, generation: u64) {
    let w = w.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let answer = async {
            let travel = w.travel_for(&stream_id).await?;
            let version = travel.resolve(&stream_id, target).await?;
            let step = travel.step_at(&stream_id, version).await?;
            let last = w.store.stream_version(&stream_id).await?;
            let from = version.saturating_sub(TIMELINE / 2).max(1);
            let query = StreamQuery {
                from: Some(from),
                to: Some(from + TIMELINE - 1),
                limit: TIMELINE as usize,
                ..Default::default()
            };
            let timeline = w.store.read_stream(&stream_id, query).await?;
            let event = timeline.iter().find(|e| e.version == version).cloned();
            Ok::<_, IoError>(Box::new(TravelFrame {
                stream_id: stream_id.clone(),
                version,
                last,
                state: step.shown,
                event,
                patch: step.patch,
                snapshot_version: step.state.snapshot_version,
                replayed: step.state.replayed,
                reducer: step.state.reducer,
                saved_snapshots: step.saved_snapshots,
                elapsed: started.elapsed(),
                timeline,
            }))
        }
        .await;
        w.send(Response::Travel(generation, answer));
    });
}

/// Each stream of a category (a page) with its version and state at a moment. Streams
/// that did not exist yet at the moment are left out.
pub(super) fn as_of(
    w: &Worker,
    category: String,
    moment: Moment,
    after: Option<String>,
    generation: u64,
) {
    let w = w.clone();
    tokio::spawn(async move {
        let answer = async {
            let target = match moment {
                Moment::Time(t) => Target::Time(t),
                Moment::Position(p) => Target::Position(p),
            };
            // A stream at version 0 did not exist yet: left out, and the page filled
            // from the streams after it, so a short page still means the end.
            let mut rows = Vec::with_capacity(AS_OF_PAGE);
            let mut after = after;
            loop {
                let query = StreamsQuery {
                    category: Some(category.clone()),
                    after: after.clone(),
                    limit: AS_OF_PAGE,
                    matching: None,
                };
                let streams = w.store.list_streams(query).await?;
                let listed = streams.len();
                after = streams.last().map(|s| s.stream_id.clone());
                for stream in streams {
                    if rows.len() == AS_OF_PAGE {
                        break;
                    }
                    let travel = w.travel_for(&stream.stream_id).await?;
                    let answer = travel.state_at(&stream.stream_id, target).await?;
                    if answer.version > 0 {
                        rows.push(AsOfRow {
                            stream_id: stream.stream_id,
                            version: answer.version,
                            state: answer.state.to_string(),
                        });
                    }
                }
                if rows.len() == AS_OF_PAGE || listed < AS_OF_PAGE {
                    break;
                }
            }
            Ok::<_, IoError>(rows)
        }
        .await;
        w.send(Response::AsOf(generation, answer));
    });
}

/// A page of the snapshot listing.
pub(super) fn snapshots(w: &Worker, after: Option<SnapshotKey>, generation: u64) {
    let store = w.store.clone();
    w.spawn(async move {
        let query = SnapshotsQuery {
            stream_id: None,
            after,
            limit: SNAPSHOT_PAGE,
        };
        let rows = store.list_snapshots(query).await?;
        Ok(Response::SnapshotRows(generation, rows))
    });
}

/// Builds or verifies the snapshots of one stream, or of every stream (`None`),
/// reporting progress and stopping early when `cancel` is set.
pub(super) fn snapshot_job(
    w: &Worker,
    kind: JobKind,
    stream: Option<String>,
    cancel: Arc<AtomicBool>,
) {
    let w = w.clone();
    tokio::spawn(async move {
        let report = run_job(&w, kind, stream, &cancel).await;
        w.send(Response::JobDone(report));
    });
}

/// Streams a job works on at once: each fold runs on a thread of its own, so two keep
/// both cores busy while the next pages are read.
const JOB_PARALLELISM: usize = 2;

async fn run_job(
    w: &Worker,
    kind: JobKind,
    stream: Option<String>,
    cancel: &AtomicBool,
) -> Result<JobReport, IoError> {
    let started = Instant::now();
    let every = w.replay.snapshot_every().max(1);
    let total = match &stream {
        Some(_) => 1,
        None => w.store.stats().await?.streams,
    };
    let mut report = JobReport {
        kind,
        stream: stream.clone(),
        streams: 0,
        snapshots: 0,
        drifts: Vec::new(),
        cancelled: false,
        seconds: 0.0,
    };
    let progress = |done: u64| JobProgress {
        done,
        total,
        streams_per_second: done as f64 / started.elapsed().as_secs_f64().max(1e-3),
    };
    w.send(Response::JobProgress(progress(0)));
    let mut last_report = Instant::now();
    let mut after: Option<String> = None;
    'pages: loop {
        // With each stream's version from the listing, a build passes short ones by.
        let page: Vec<(String, u64)> = match &stream {
            Some(s) if after.is_none() => vec![(s.clone(), u64::MAX)],
            Some(_) => break,
            None => {
                let query = StreamsQuery {
                    category: None,
                    after: after.clone(),
                    limit: 500,
                    matching: None,
                };
                w.store
                    .list_streams(query)
                    .await?
                    .into_iter()
                    .map(|s| (s.stream_id, s.version))
                    .collect()
            }
        };
        let Some(last) = page.last().map(|(id, _)| id.clone()) else {
            break;
        };
        for chunk in page.chunks(JOB_PARALLELISM) {
            if cancel.load(Ordering::Relaxed) {
                report.cancelled = true;
                break 'pages;
            }
            let mut work = tokio::task::JoinSet::new();
            for (stream_id, version) in chunk.iter().cloned() {
                let w = w.clone();
                work.spawn(async move { job_step(&w, kind, &stream_id, version, every).await });
            }
            while let Some(done) = work.join_next().await {
                let (snapshots, drifts) = done.map_err(|e| IoError::Worker(e.to_string()))??;
                report.snapshots += snapshots;
                report.drifts.extend(drifts);
                report.streams += 1;
            }
            if last_report.elapsed() > Duration::from_millis(100) {
                last_report = Instant::now();
                w.send(Response::JobProgress(progress(report.streams)));
            }
        }
        after = Some(last);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// One stream of a job: the snapshots it built or checked, and any drift.
async fn job_step(
    w: &Worker,
    kind: JobKind,
    stream_id: &str,
    version: u64,
    every: u64,
) -> Result<(u64, Vec<crate::replay::Drift>), IoError> {
    // A stream shorter than the spacing gets no snapshot: no fold needed to know it.
    if kind == JobKind::Build && version < every {
        return Ok((0, Vec::new()));
    }
    let travel = w.travel_for(stream_id).await?;
    Ok(match kind {
        JobKind::Build => (
            travel.build_snapshots(stream_id, every).await?.snapshots,
            Vec::new(),
        ),
        JobKind::Verify => {
            let verified = travel.verify_snapshots(stream_id).await?;
            (verified.checked, verified.drifts)
        }
    })
}
