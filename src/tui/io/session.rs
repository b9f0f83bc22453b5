//! A workbench run: a background task that owns the projection `Debugger` and takes
//! commands (run, pause, step, step back, run to, breakpoints), answering with
//! `Response::Run`. Running folds in slices of events so that a pause lands within one
//! slice; at the head of the log it waits for new events (live follow) or a command.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

use super::{Replay, Response};
use crate::projection::{Breakpoints, Debugger, ProjectionError, RunOptions, StepReport, Stop};
use crate::script::ScriptSource;
use crate::store::{Position, Store};

/// Events folded between looks at the command queue while running.
const SLICE: usize = 8192;
/// The result is sent at most this often while running (it can be large).
const RESULT_EVERY: Duration = Duration::from_millis(250);
/// ... and, as it grows, at most this share of the run's time goes to making it: with
/// thousands of partitions one result takes milliseconds.
const RESULT_SHARE: u32 = 20;

#[derive(Debug)]
pub enum Command {
    Run,
    Pause,
    Step,
    StepBack,
    RunTo(Position),
    Breakpoints(Breakpoints),
    /// Pass over the next event (after a fault: the poison event) and run on.
    SkipNext,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Starting,
    Running,
    Paused,
    CaughtUp,
    Faulted,
}

impl RunStatus {
    pub fn describe(self) -> &'static str {
        match self {
            RunStatus::Starting => "starting",
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::CaughtUp => "caught up (following live)",
            RunStatus::Faulted => "faulted",
        }
    }
}

/// A fault, placed in the script and the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The event being folded.
    pub position: Option<Position>,
    pub event: Option<String>,
}

/// The run's figures, as the session last reported them.
#[derive(Debug, Clone, Copy)]
pub struct RunFigures {
    pub status: RunStatus,
    pub position: Position,
    pub head: Position,
    pub processed: u64,
    pub events_per_second: f64,
    pub eta_seconds: Option<f64>,
    pub partitioned: bool,
    pub checkpoint: Position,
}

/// What the session tells the app.
#[derive(Debug, Clone)]
pub enum Update {
    Status(RunFigures),
    Result(Value),
    /// Events `emit`/`linkTo` asked for (shown, never written by the workbench).
    Emitted(Vec<Value>),
    /// Lines the script's `log(...)` wrote.
    Logged(Vec<String>),
    Step(Box<StepReport>),
    /// Where a faulted run stands (its last good event), for the fixed script to go on.
    Resumable(crate::projection::Resume),
    /// `N` undid the event at `undone`: the state is as after `now` (0: the start).
    SteppedBack {
        undone: Position,
        now: Position,
    },
    /// A breakpoint stopped the run before this event (its position, and the event).
    Breakpoint(Position, Option<Box<crate::store::RecordedEvent>>),
    Fault(Fault),
}

/// Where a session's run begins.
#[derive(Debug, Clone)]
pub enum Begin {
    /// From the start (or the run's `from_position`).
    Fresh,
    /// Folding silently up to this position first (the last good event before a fault,
    /// when no state of it was kept).
    RefoldTo(Position),
    /// From a faulted run's last good event, its state as that run left it.
    From(crate::projection::Resume),
}

/// A run to start.
#[derive(Debug)]
pub struct RunRequest {
    pub source: ScriptSource,
    /// Where the run begins (`:from P`); None: the start of the log.
    pub from: Option<Position>,
    pub begin: Begin,
    /// Run at once (else wait for a command: `x` steps past a fault first).
    pub run: bool,
    /// The run's generation: the app drops the answers of older runs.
    pub generation: u64,
    pub breakpoints: Breakpoints,
}

pub struct Session {
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Session {
    /// Starts a run: the config's upcasters and limits loaded (on the blocking pool),
    /// then from `from` (a moved checkpoint) or as `begin` says, then, when `run`,
    /// running on.
    pub fn start(
        store: Store,
        replay: std::sync::Arc<Replay>,
        request: RunRequest,
        tx: mpsc::UnboundedSender<Response>,
    ) -> Session {
        let (commands, rx) = mpsc::unbounded_channel();
        let generation = request.generation;
        if !request.breakpoints.event_types.is_empty() || request.breakpoints.predicate.is_some() {
            let _ = commands.send(Command::Breakpoints(request.breakpoints.clone()));
        }
        let task = tokio::spawn(async move {
            let send = |update: Update| tx.send(Response::Run(generation, update)).is_ok();
            let (limits, upcasters) = match replay.script_settings().await {
                Ok(settings) => settings,
                Err(e) => {
                    send(Update::Fault(Fault::of_setup(e.to_string())));
                    return;
                }
            };
            let options = RunOptions {
                from_position: request.from,
                limits,
                upcasters,
                ..Default::default()
            };
            let run = session(
                store,
                request.source,
                options,
                request.begin,
                request.run,
                rx,
                &send,
            );
            if let Err(e) = run.await {
                send(Update::Fault(fault(e)));
            }
        });
        Session { commands, task }
    }

    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fault {
    /// A run that could not start (an upcaster script that cannot be read).
    fn of_setup(message: String) -> Fault {
        Fault {
            message,
            line: None,
            column: None,
            position: None,
            event: None,
        }
    }
}

fn fault(e: ProjectionError) -> Fault {
    match e {
        ProjectionError::Faulted { error, .. } => Fault {
            message: error.message.clone(),
            line: error.line,
            column: error.column,
            position: error.position,
            event: error.event.clone(),
        },
        other => Fault {
            message: other.to_string(),
            line: None,
            column: None,
            position: None,
            event: None,
        },
    }
}

async fn session(
    store: Store,
    source: ScriptSource,
    options: RunOptions,
    begin: Begin,
    mut running: bool,
    mut commands: mpsc::UnboundedReceiver<Command>,
    send: &impl Fn(Update) -> bool,
) -> Result<(), ProjectionError> {
    let (resume, refold_to) = match begin {
        Begin::Fresh => (None, None),
        Begin::RefoldTo(target) => (None, Some(target).filter(|p| *p > 0)),
        Begin::From(point) => (Some(point), None),
    };
    let mut debugger = Debugger::resume(store.clone(), source, options, resume).await?;
    let partitioned = debugger.definition().partition != "none";
    let mut head_watch = store.head_watch();
    if let Some(target) = refold_to {
        debugger.run_to(target).await?;
    }
    let started = Instant::now();
    let folded_at_start = debugger.folded();
    let mut last_result = Instant::now() - RESULT_EVERY;
    let mut result_every = RESULT_EVERY;
    let mut caught_up = false;
    let status = |debugger: &Debugger, status: RunStatus, store: &Store| {
        let elapsed = started.elapsed().as_secs_f64().max(1e-3);
        let rate = (debugger.folded() - folded_at_start) as f64 / elapsed;
        let head = store.known_head().max(debugger.position());
        let left = head.saturating_sub(debugger.position()) as f64;
        Update::Status(RunFigures {
            status,
            position: debugger.position(),
            head,
            processed: debugger.folded(),
            events_per_second: rate,
            eta_seconds: (rate > 0.0 && status == RunStatus::Running).then(|| left / rate),
            partitioned,
            checkpoint: debugger.checkpoint(),
        })
    };
    let report = |debugger: &Debugger, state: RunStatus| send(status(debugger, state, &store));

    report(
        &debugger,
        if running {
            RunStatus::Running
        } else {
            RunStatus::Paused
        },
    );
    send(Update::Result(debugger.display_result().await?));
    let outcome: Result<(), ProjectionError> = async {
        loop {
            // Take every command waiting (or wait for one when there is nothing to do).
            let command = if running && !caught_up {
                commands.try_recv().ok()
            } else {
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(command) => Some(command),
                        None => return Ok(()),
                    },
                    changed = head_watch.changed(), if running => {
                        if changed.is_err() {
                            return Ok(());
                        }
                        caught_up = false;
                        None
                    }
                }
            };
            match command {
                Some(Command::Run) => {
                    running = true;
                    caught_up = false;
                }
                Some(Command::Pause) => {
                    running = false;
                    report(&debugger, RunStatus::Paused);
                    send(Update::Result(debugger.display_result().await?));
                }
                Some(Command::Step) => {
                    running = false;
                    match debugger.step().await? {
                        Some(step) => {
                            send(Update::Step(Box::new(step)));
                            send_emitted(&debugger, send).await?;
                        }
                        None => {
                            report(&debugger, RunStatus::CaughtUp);
                        }
                    }
                    report(&debugger, RunStatus::Paused);
                    send(Update::Result(debugger.display_result().await?));
                }
                Some(Command::StepBack) => {
                    running = false;
                    let undone = debugger.position();
                    if let Some(now) = debugger.step_back().await? {
                        send(Update::SteppedBack { undone, now });
                    }
                    report(&debugger, RunStatus::Paused);
                    send(Update::Result(debugger.display_result().await?));
                }
                Some(Command::RunTo(target)) => {
                    running = false;
                    let stop = debugger.run_to(target).await?;
                    if let Stop::Breakpoint(at) = stop {
                        send(Update::Breakpoint(
                            at,
                            debugger.next_event().cloned().map(Box::new),
                        ));
                    }
                    report(&debugger, RunStatus::Paused);
                    send(Update::Result(debugger.display_result().await?));
                }
                Some(Command::Breakpoints(breakpoints)) => {
                    debugger.set_breakpoints(breakpoints).await?;
                }
                Some(Command::SkipNext) => {
                    debugger.skip_next().await?;
                    running = true;
                    caught_up = false;
                }
                None => {}
            }
            if running && !caught_up {
                let stop = debugger.run(None, SLICE).await?;
                send_emitted(&debugger, send).await?;
                match stop {
                    Stop::Breakpoint(at) => {
                        running = false;
                        let event = debugger.next_event().cloned().map(Box::new);
                        send(Update::Breakpoint(at, event));
                        report(&debugger, RunStatus::Paused);
                        send(Update::Result(debugger.display_result().await?));
                    }
                    Stop::Head(_) => {
                        caught_up = true;
                        report(&debugger, RunStatus::CaughtUp);
                        send(Update::Result(debugger.display_result().await?));
                        last_result = Instant::now();
                    }
                    Stop::Reached(_) => {
                        report(&debugger, RunStatus::Running);
                        if last_result.elapsed() >= result_every {
                            let started = Instant::now();
                            send(Update::Result(debugger.display_result().await?));
                            result_every = RESULT_EVERY.max(started.elapsed() * RESULT_SHARE);
                            last_result = Instant::now();
                        }
                    }
                }
            }
        }
    }
    .await;
    // After a fault the run stands at the last good event (the debugger went back to
    // it): say so, show its result, and let a fixed script go on from there.
    if let Err(ProjectionError::Faulted { .. }) = &outcome {
        report(&debugger, RunStatus::Faulted);
        if let Ok(result) = debugger.display_result().await {
            send(Update::Result(result));
        }
        if let Ok(point) = debugger.resume_point().await {
            send(Update::Resumable(point));
        }
    }
    outcome
}

/// Sends what `emit`/`linkTo` asked for since the last look, if anything.
async fn send_emitted(
    debugger: &Debugger,
    send: &impl Fn(Update) -> bool,
) -> Result<(), ProjectionError> {
    let (logged, events) = crate::projection::split_logs(debugger.take_emitted().await?);
    if !events.is_empty() {
        send(Update::Emitted(events));
    }
    if !logged.is_empty() {
        send(Update::Logged(logged));
    }
    Ok(())
}
