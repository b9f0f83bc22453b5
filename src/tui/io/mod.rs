//! The TUI's I/O layer (asyncgit's place in gitui): every store query, fold, file read and
//! write the screens ask for runs here, in background tasks that answer with a
//! `Response` on a channel. It owns its request and response types and imports nothing
//! from the screens or the app, so the render path never waits on I/O and the screens can
//! be tested by feeding responses by hand.

mod error;
mod export;
mod files;
mod health;
mod lists;
mod replay;
pub mod session;
pub mod types;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub use error::IoError;
pub use replay::Replay;
pub use types::*;

use crate::config::Config;
use crate::replay::Target;
use crate::store::expr::Where;
use crate::store::{
    ExpectedVersion, LogFilter, NewEvent, Position, RecordedEvent, SnapshotInfo, Store, StoreStats,
    StreamInfo,
};

/// What a screen asks of the store, the files or a run.
#[derive(Debug)]
pub enum Request {
    Log {
        fetch: Fetch<Position>,
        filter: LogFilter,
    },
    Streams {
        fetch: Fetch<StreamKey>,
        category: Option<String>,
        order: StreamOrder,
    },
    StreamEvents {
        stream: String,
        fetch: Fetch<u64>,
        /// Only the events this `:where` matches.
        matching: Option<Where>,
    },
    /// Fuzzy-matches every stream id; a newer search (a higher `generation` in
    /// `latest`) stops this one.
    FuzzyStreams {
        query: String,
        category: Option<String>,
        generation: u64,
        latest: Arc<AtomicU64>,
    },
    /// Writes the log (with `filter`) or one stream to `path` as envelope JSONL.
    Export {
        path: PathBuf,
        filter: LogFilter,
        stream: Option<String>,
    },
    /// Counts the events after `from` that `filter` matches (the Log's "N new" after
    /// the event `shown`).
    CountNew {
        shown: Position,
        from: Position,
        filter: LogFilter,
    },
    /// The first stream id that starts with this prefix.
    CompleteStream(String),
    /// A stream's events per day.
    Activity(String),
    /// An event's cause and effects.
    Chain(Box<RecordedEvent>),
    PositionAt(chrono::DateTime<chrono::Utc>),
    Stats,
    /// The paths that start with what was typed (Tab on `:open`, `:save`, `:export`).
    CompletePath(String),
    OpenFile(PathBuf),
    SaveFile {
        path: PathBuf,
        text: String,
    },
    StreamVersion(String),
    Append {
        stream: String,
        expected: ExpectedVersion,
        event: Box<NewEvent>,
    },
    /// Follows the log (`stream` None) or one stream live from `after`; one follow per
    /// target, a new one replacing the old.
    Follow {
        stream: Option<String>,
        after: Position,
    },
    Unfollow(Option<String>),
    Travel {
        stream: String,
        target: Target,
        generation: u64,
    },
    AsOf {
        category: String,
        moment: Moment,
        after: Option<String>,
        generation: u64,
    },
    Snapshots {
        after: Option<SnapshotKey>,
        generation: u64,
    },
    SnapshotJob {
        kind: JobKind,
        stream: Option<String>,
        cancel: Arc<AtomicBool>,
    },
    /// Starts a workbench run (replacing any run under way).
    StartRun(session::RunRequest),
    RunCommand(session::Command),
    /// Ends the run under way (a new script replaced it).
    StopRun,
    /// The type catalog, brought up to date.
    Types,
    /// The doctor's findings.
    Doctor,
}

/// An answer.
#[derive(Debug)]
pub enum Response {
    LogRows(Fetch<Position>, Vec<RecordedEvent>),
    StreamRows(Fetch<StreamKey>, Vec<StreamInfo>),
    StreamEvents(String, Fetch<u64>, Vec<RecordedEvent>),
    Stats(StoreStats),
    /// The store's head moved (any process's appends).
    Head(Position),
    /// New events while following: the log's (None) or one stream's.
    Live(Option<String>, Vec<RecordedEvent>),
    FuzzyStreams {
        generation: u64,
        /// The best matches, best first.
        rows: Vec<StreamInfo>,
        /// How many streams matched in all.
        matched: u64,
    },
    Completion(String, Option<String>),
    /// The paths that start with the typed prefix (directories end in `/`), sorted.
    PathCompletion(String, Vec<String>),
    Activity(String, Vec<(String, u64)>),
    NewInLog(NewCount),
    ExportProgress(u64),
    ExportDone(PathBuf, u64),
    /// An export ended without its file; another may start.
    ExportFailed(IoError),
    PositionAt(Option<Position>),
    Chain(uuid::Uuid, Option<RecordedEvent>, Vec<RecordedEvent>),
    Travel(u64, Result<Box<TravelFrame>, IoError>),
    AsOf(u64, Result<Vec<AsOfRow>, IoError>),
    SnapshotRows(u64, Vec<SnapshotInfo>),
    JobProgress(JobProgress),
    JobDone(Result<JobReport, IoError>),
    StreamVersion(String, u64),
    Appended(Result<RecordedEvent, IoError>),
    /// A workbench run (its generation) reports.
    Run(u64, session::Update),
    Opened(PathBuf, Result<String, IoError>),
    Saved(PathBuf, Result<(), IoError>),
    /// The type catalog.
    Types(Arc<crate::catalog::Catalog>),
    /// The doctor's report.
    Findings(Arc<crate::doctor::Report>),
    /// A request failed.
    Failed(IoError),
}

/// What the background tasks share: the store, the replay settings, the answer channel.
#[derive(Clone)]
struct Worker {
    store: Store,
    replay: Arc<Replay>,
    tx: UnboundedSender<Response>,
}

impl Worker {
    fn send(&self, response: Response) {
        let _ = self.tx.send(response);
    }

    /// Runs `work` in a task; its answer, or its error as `Failed`, goes back.
    fn spawn(&self, work: impl Future<Output = Result<Response, IoError>> + Send + 'static) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let response = work.await.unwrap_or_else(Response::Failed);
            let _ = tx.send(response);
        });
    }
}

/// The handle the app holds: requests go in, responses come out on its channel.
pub struct Io {
    worker: Worker,
    follows: Mutex<HashMap<Option<String>, JoinHandle<()>>>,
    run: Mutex<Option<session::Session>>,
    head: JoinHandle<()>,
}

impl Io {
    /// The I/O layer on `store`, answering on `tx`; it forwards every move of the store's
    /// head at once.
    pub fn new(store: Store, config: Config, tx: UnboundedSender<Response>) -> Io {
        let worker = Worker {
            store,
            replay: Arc::new(Replay::new(config)),
            tx,
        };
        let head = lists::watch_head(&worker);
        Io {
            worker,
            follows: Mutex::new(HashMap::new()),
            run: Mutex::new(None),
            head,
        }
    }

    /// What the store says about how it is read (gaps passed, position order): kept in
    /// memory, not I/O.
    pub fn notices(&self) -> Vec<String> {
        self.worker.store.notices()
    }

    pub fn request(&self, request: Request) {
        let w = &self.worker;
        match request {
            Request::Log { fetch, filter } => lists::log(w, fetch, filter),
            Request::Streams {
                fetch,
                category,
                order,
            } => lists::streams(w, fetch, category, order),
            Request::StreamEvents {
                stream,
                fetch,
                matching,
            } => lists::stream_events(w, stream, fetch, matching),
            Request::FuzzyStreams {
                query,
                category,
                generation,
                latest,
            } => lists::fuzzy_streams(w, query, category, generation, latest),
            Request::Export {
                path,
                filter,
                stream,
            } => export::export(w, path, filter, stream),
            Request::CountNew {
                shown,
                from,
                filter,
            } => lists::count_new(w, shown, from, filter),
            Request::CompleteStream(prefix) => lists::complete_stream(w, prefix),
            Request::Activity(stream) => lists::activity(w, stream),
            Request::Chain(event) => lists::chain(w, &event),
            Request::PositionAt(time) => lists::position_at(w, time),
            Request::Stats => lists::stats(w),
            Request::CompletePath(prefix) => files::complete(w, prefix),
            Request::OpenFile(path) => files::open(w, path),
            Request::SaveFile { path, text } => files::save(w, path, text),
            Request::StreamVersion(stream) => lists::stream_version(w, stream),
            Request::Append {
                stream,
                expected,
                event,
            } => lists::append(w, stream, expected, *event),
            Request::Follow { stream, after } => {
                let task = lists::follow(w, after, stream.clone());
                if let Some(old) = self.lock_follows().insert(stream, task) {
                    old.abort();
                }
            }
            Request::Unfollow(stream) => {
                if let Some(old) = self.lock_follows().remove(&stream) {
                    old.abort();
                }
            }
            Request::Travel {
                stream,
                target,
                generation,
            } => replay::travel(w, stream, target, generation),
            Request::AsOf {
                category,
                moment,
                after,
                generation,
            } => replay::as_of(w, category, moment, after, generation),
            Request::Snapshots { after, generation } => replay::snapshots(w, after, generation),
            Request::Types => health::types(w),
            Request::Doctor => health::doctor(w),
            Request::SnapshotJob {
                kind,
                stream,
                cancel,
            } => replay::snapshot_job(w, kind, stream, cancel),
            Request::StartRun(run) => {
                let session =
                    session::Session::start(w.store.clone(), w.replay.clone(), run, w.tx.clone());
                *self.run.lock().unwrap_or_else(|e| e.into_inner()) = Some(session);
            }
            Request::StopRun => {
                self.run.lock().unwrap_or_else(|e| e.into_inner()).take();
            }
            Request::RunCommand(command) => {
                if let Some(session) = self.run.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                    session.send(command);
                }
            }
        }
    }

    fn lock_follows(&self) -> std::sync::MutexGuard<'_, HashMap<Option<String>, JoinHandle<()>>> {
        self.follows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        self.head.abort();
        for (_, task) in self.lock_follows().drain() {
            task.abort();
        }
    }
}
