//! The thread that owns a projection's script runtime (QuickJS runtimes cannot move
//! between threads). The async side sends it pages and asks for results.

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::ProjectionError;
use crate::script::{Definition, ScriptError, ScriptLimits, ScriptRuntime, ScriptSource};
use crate::store::{Position, RecordedEvent};

pub enum Command {
    /// Fold these events; with `keep_good`, a fault rebuilds the state after the last good
    /// event (for the checkpoint).
    Fold {
        events: Vec<RecordedEvent>,
        keep_good: bool,
        reply: oneshot::Sender<FoldReply>,
    },
    Result {
        kind: crate::script::ResultKind,
        reply: oneshot::Sender<Result<Value, ScriptError>>,
    },
    /// The result as the script's JSON text (no parse: a checkpoint keeps it as is).
    ResultText {
        reply: oneshot::Sender<Result<String, ScriptError>>,
    },
    /// What `emit`/`linkTo` asked for since the last call (drained).
    TakeEmitted { reply: oneshot::Sender<Vec<Value>> },
    /// Stepping (the debugger): one event, with its partition's state before and after.
    Step {
        event: Box<RecordedEvent>,
        reply: oneshot::Sender<Result<StepState, ScriptError>>,
    },
    /// Fold until an event of a type in `types` or one the breakpoint predicate picks.
    RunUntil {
        events: Vec<RecordedEvent>,
        types: Vec<String>,
        predicate: bool,
        reply: oneshot::Sender<Result<(usize, u64), ScriptError>>,
    },
    SetBreakpoint {
        predicate: Option<String>,
        reply: oneshot::Sender<Result<(), ScriptError>>,
    },
    /// Replace every partition's state with a saved result.
    Restore {
        result: String,
        reply: oneshot::Sender<Result<(), ScriptError>>,
    },
}

/// One stepped event's partition, before and after.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StepState {
    pub partition: Option<String>,
    pub before: Value,
    pub after: Value,
    pub handled: bool,
}

pub enum FoldReply {
    Folded {
        handled: u64,
        processed: u64,
        emitted: Vec<Value>,
    },
    Faulted {
        error: ScriptError,
        /// The result after the last good event (with `keep_good`).
        good_result: Option<Value>,
        /// That event's position (None: the fault was the page's first event).
        good_position: Option<Position>,
        handled: u64,
        processed: u64,
    },
}

pub struct FoldThread {
    tx: mpsc::Sender<Command>,
    /// How many `transformBy`/`filterBy` the script declared.
    transforms: usize,
}

impl FoldThread {
    /// Starts the thread with the script loaded and its partitions restored from `resume`
    /// (a checkpointed result), returning what the script declared.
    pub fn start(
        source: &ScriptSource,
        upcasters: &[(String, ScriptSource)],
        limits: ScriptLimits,
        resume: Option<String>,
    ) -> Result<(FoldThread, Definition), ProjectionError> {
        let (tx, rx) = mpsc::channel::<Command>(2);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (source, upcasters) = (source.clone(), upcasters.to_vec());
        std::thread::Builder::new()
            .name("rewind-projection".into())
            .spawn(move || {
                let runtime = (|| {
                    let mut runtime = ScriptRuntime::new(limits)?;
                    for (event_type, upcaster) in &upcasters {
                        runtime.load_upcaster(event_type, upcaster)?;
                    }
                    let definition = runtime.load(&source)?;
                    runtime.reset_partitions(resume.as_deref())?;
                    Ok::<_, ScriptError>((runtime, definition))
                })();
                match runtime {
                    Ok((runtime, definition)) => {
                        let _ = ready_tx.send(Ok(definition));
                        serve(runtime, rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| ProjectionError::Worker(e.to_string()))?;
        let definition = ready_rx
            .recv()
            .map_err(|_| ProjectionError::Worker("the projection thread did not start".into()))?
            .map_err(|error| ProjectionError::Faulted {
                error: Box::new(error),
                checkpoint_position: None,
            })?;
        let transforms = definition.transforms;
        Ok((FoldThread { tx, transforms }, definition))
    }

    pub async fn fold(
        &self,
        events: Vec<RecordedEvent>,
        keep_good: bool,
    ) -> Result<FoldReply, ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Fold {
            events,
            keep_good,
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())
    }

    /// The events `emit`/`linkTo` asked for since the last call (drained).
    pub async fn take_emitted(&self) -> Result<Vec<Value>, ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::TakeEmitted { reply }).await?;
        answer.await.map_err(|_| gone())
    }

    pub async fn result(&self) -> Result<Value, ProjectionError> {
        self.result_for(crate::script::ResultKind::State).await
    }

    /// The result for display: NaN and ±Infinity marked, not null.
    pub async fn display_result(&self) -> Result<Value, ProjectionError> {
        self.result_for(crate::script::ResultKind::Display).await
    }

    /// How many `transformBy`/`filterBy` make the output from the state.
    pub fn transforms(&self) -> usize {
        self.transforms
    }

    /// The state through `transformBy`/`filterBy`: what a run outputs.
    pub async fn output(&self) -> Result<Value, ProjectionError> {
        self.result_for(crate::script::ResultKind::Output).await
    }

    async fn result_for(&self, kind: crate::script::ResultKind) -> Result<Value, ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Result { kind, reply }).await?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(|error| ProjectionError::Faulted {
                error: Box::new(error),
                checkpoint_position: None,
            })
    }

    /// The result as JSON text, as the script made it.
    pub async fn result_text(&self) -> Result<String, ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::ResultText { reply }).await?;
        answer.await.map_err(|_| gone())?.map_err(faulted)
    }

    pub async fn step(&self, event: RecordedEvent) -> Result<StepState, ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Step {
            event: Box::new(event),
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())?.map_err(faulted)
    }

    pub async fn run_until(
        &self,
        events: Vec<RecordedEvent>,
        types: Vec<String>,
        predicate: bool,
    ) -> Result<(usize, u64), ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::RunUntil {
            events,
            types,
            predicate,
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())?.map_err(faulted)
    }

    pub async fn set_breakpoint(&self, predicate: Option<String>) -> Result<(), ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::SetBreakpoint { predicate, reply })
            .await?;
        answer.await.map_err(|_| gone())?.map_err(faulted)
    }

    pub async fn restore(&self, result: String) -> Result<(), ProjectionError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Restore { result, reply }).await?;
        answer.await.map_err(|_| gone())?.map_err(faulted)
    }

    async fn send(&self, command: Command) -> Result<(), ProjectionError> {
        self.tx.send(command).await.map_err(|_| gone())
    }
}

fn faulted(error: ScriptError) -> ProjectionError {
    ProjectionError::Faulted {
        error: Box::new(error),
        checkpoint_position: None,
    }
}

fn gone() -> ProjectionError {
    ProjectionError::Worker("the projection thread ended".into())
}

fn serve(mut runtime: ScriptRuntime, mut rx: mpsc::Receiver<Command>) {
    while let Some(command) = rx.blocking_recv() {
        match command {
            Command::Fold {
                events,
                keep_good,
                reply,
            } => {
                let _ = reply.send(fold(&mut runtime, &events, keep_good));
            }
            Command::Result { kind, reply } => {
                use crate::script::ResultKind;
                let text = match kind {
                    ResultKind::State => runtime.result(),
                    ResultKind::Display => runtime.display_result(),
                    ResultKind::Output => runtime.output(),
                };
                let _ = reply.send(text.and_then(|text| {
                    serde_json::from_str(&text)
                        .map_err(|e| ScriptError::setup(format!("the result is not JSON: {e}")))
                }));
            }
            Command::ResultText { reply } => {
                let _ = reply.send(runtime.result());
            }
            Command::TakeEmitted { reply } => {
                let emitted = runtime
                    .take_emitted()
                    .ok()
                    .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).ok())
                    .unwrap_or_default();
                let _ = reply.send(emitted);
            }
            Command::Step { event, reply } => {
                let stepped = runtime.step(&event).and_then(|text| {
                    serde_json::from_str(&text)
                        .map_err(|e| ScriptError::setup(format!("bad step report: {e}")))
                });
                let _ = reply.send(stepped);
            }
            Command::RunUntil {
                events,
                types,
                predicate,
                reply,
            } => {
                let stop = |e: &RecordedEvent| types.contains(&e.event_type);
                let _ = reply.send(runtime.project_until(&events, stop, predicate));
            }
            Command::SetBreakpoint { predicate, reply } => {
                let _ = reply.send(runtime.set_breakpoint(predicate.as_deref()));
            }
            Command::Restore { result, reply } => {
                let _ = reply.send(runtime.reset_partitions(Some(&result)));
            }
        }
    }
}

fn result(runtime: &mut ScriptRuntime) -> Result<Value, ScriptError> {
    let text = runtime.result()?;
    serde_json::from_str(&text)
        .map_err(|e| ScriptError::setup(format!("the result is not JSON: {e}")))
}

fn fold(runtime: &mut ScriptRuntime, events: &[RecordedEvent], keep_good: bool) -> FoldReply {
    let before = if keep_good {
        runtime.result().ok()
    } else {
        None
    };
    let error = match runtime.project(events) {
        Ok(handled) => {
            let emitted = runtime
                .take_emitted()
                .ok()
                .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).ok())
                .unwrap_or_default();
            return FoldReply::Folded {
                handled,
                processed: events.len() as u64,
                emitted,
            };
        }
        Err(error) => error,
    };
    // Rebuild the state after the last good event: from the page's start, the events
    // before the faulty one (they folded cleanly a moment ago).
    let failed = events
        .iter()
        .position(|e| Some(e.global_position) == error.position)
        .unwrap_or(0);
    let good = &events[..failed];
    let mut good_result = None;
    let mut handled = 0;
    if let Some(before) = before
        && runtime.reset_partitions(Some(&before)).is_ok()
        && let Ok(n) = runtime.project(good)
    {
        handled = n;
        good_result = result(runtime).ok();
    }
    FoldReply::Faulted {
        error,
        good_result,
        good_position: good.last().map(|e| e.global_position),
        handled,
        processed: good.len() as u64,
    }
}
