//! The JavaScript runtime (QuickJS through rquickjs) with the EventStoreDB-style API of
//! docs/architecture.md. A [`ScriptRuntime`] lives on one thread (QuickJS runtimes cannot move
//! between threads); it keeps the fold's state inside JavaScript, so events cross the
//! boundary once, as JSON text parsed natively by QuickJS, and the state only when asked.
//!
//! Sandbox: no filesystem, network or module loading (none is installed), no clock and no
//! randomness (the prelude removes them), a time budget per event enforced by QuickJS's
//! interrupt handler, a memory limit and a stack limit.

mod error;
mod event_json;
mod event_object;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Function, Object, Persistent, Runtime};
use serde::Deserialize;

pub use error::{ScriptError, ScriptErrorKind};
pub use event_json::event_json;

use crate::store::RecordedEvent;

const PRELUDE: &str = include_str!("prelude.js");

/// Limits for one runtime (config's `[script]`).
#[derive(Debug, Clone, Copy)]
pub struct ScriptLimits {
    pub event_timeout: Duration,
    pub memory_limit_bytes: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            event_timeout: Duration::from_secs(1),
            memory_limit_bytes: 256 << 20,
        }
    }
}

/// What a script declared: where it reads from and how it partitions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Definition {
    pub source: Source,
    /// "none", "stream" (`foreachStream`) or "function" (`partitionBy`).
    pub partition: String,
    pub output: bool,
    /// How many `transformBy`/`filterBy` make the result from the state.
    #[serde(default)]
    pub transforms: usize,
    /// `outputTo`/`options({ resultStreamName })`: the result's stream.
    #[serde(default, rename = "resultStream")]
    pub result_stream: Option<String>,
    /// `outputTo`'s second argument: each partition's result stream, `{0}` its key.
    #[serde(default, rename = "partitionResultStream")]
    pub partition_result_stream: Option<String>,
    /// The event types with a handler (`$init` and `$any` included).
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    All,
    Category {
        category: String,
    },
    /// `fromCategories`: read from the whole log (the prelude keeps these categories).
    Categories {
        categories: Vec<String>,
    },
    Streams {
        streams: Vec<String>,
    },
}

/// A script source with the name errors should carry.
#[derive(Debug, Clone)]
pub struct ScriptSource {
    pub name: String,
    pub code: String,
}

/// A QuickJS runtime holding one script (a reducer or a projection) and its upcasters.
pub struct ScriptRuntime {
    // Field order is drop order: the values kept across calls, then the context, then
    // the runtime (QuickJS asserts that nothing outlives its runtime).
    entry: Option<Entry>,
    context: Context,
    runtime: Runtime,
    deadline: Rc<Cell<Option<Instant>>>,
    limits: ScriptLimits,
    script_name: String,
}

/// Which result the prelude writes (its `result(mode)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// The state, or each partition's: what a checkpoint keeps.
    State = 0,
    /// The state with NaN and ±Infinity marked, for display.
    Display = 1,
    /// The state through `transformBy` and `filterBy`: what a run outputs.
    Output = 2,
}

/// The prelude's entry points, kept across calls.
struct Entry {
    reset: Persistent<Function<'static>>,
    fold: Persistent<Function<'static>>,
    upcast: Persistent<Function<'static>>,
    state: Persistent<Function<'static>>,
    reset_partitions: Persistent<Function<'static>>,
    step: Persistent<Function<'static>>,
    set_breakpoint: Persistent<Function<'static>>,
    breaks_at: Persistent<Function<'static>>,
    project: Persistent<Function<'static>>,
    result: Persistent<Function<'static>>,
    emitted: Persistent<Function<'static>>,
}

impl ScriptRuntime {
    pub fn new(limits: ScriptLimits) -> Result<ScriptRuntime, ScriptError> {
        let runtime = Runtime::new().map_err(|e| ScriptError::setup(e.to_string()))?;
        runtime.set_memory_limit(limits.memory_limit_bytes);
        runtime.set_max_stack_size(1 << 20);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let watched = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            watched.get().is_some_and(|d| Instant::now() >= d)
        })));
        let context = Context::full(&runtime).map_err(|e| ScriptError::setup(e.to_string()))?;
        let mut script = ScriptRuntime {
            context,
            runtime,
            deadline,
            limits,
            entry: None,
            script_name: String::new(),
        };
        script.eval("rewind-prelude.js", PRELUDE)?;
        let entry = script.context.with(|ctx| -> rquickjs::Result<Entry> {
            let rewind: Object = ctx.globals().get("__rewind")?;
            let keep = |name: &str| -> rquickjs::Result<Persistent<Function<'static>>> {
                Ok(Persistent::save(&ctx, rewind.get::<_, Function>(name)?))
            };
            Ok(Entry {
                reset: keep("reset")?,
                reset_partitions: keep("resetPartitions")?,
                step: keep("step")?,
                set_breakpoint: keep("setBreakpoint")?,
                breaks_at: keep("breaksAt")?,
                project: keep("project")?,
                result: keep("result")?,
                emitted: keep("emitted")?,
                fold: keep("fold")?,
                upcast: keep("upcast")?,
                state: keep("state")?,
            })
        });
        script.entry = Some(entry.map_err(|e| ScriptError::setup(e.to_string()))?);
        Ok(script)
    }

    /// Loads an upcaster: a script defining `function upcast(data, schemaVersion, event)`
    /// that returns `event_type`'s data in its current shape.
    pub fn load_upcaster(
        &mut self,
        event_type: &str,
        source: &ScriptSource,
    ) -> Result<(), ScriptError> {
        // Wrapped on the script's first line, so that its line numbers stay its own.
        let wrapped = format!(
            "(function(){{{}\n;return typeof upcast === \"function\" ? upcast : undefined;}})()",
            source.code
        );
        let event_type = event_type.to_owned();
        self.run(&source.name, None, |ctx| {
            let upcast: rquickjs::Value = ctx.eval_with_options(wrapped, options(&source.name))?;
            let rewind: Object = ctx.globals().get("__rewind")?;
            let define: Function = rewind.get("defineUpcaster")?;
            define.call::<_, ()>((event_type, upcast))
        })
    }

    /// Loads the reducer or projection script and returns what it declared.
    pub fn load(&mut self, source: &ScriptSource) -> Result<Definition, ScriptError> {
        self.script_name = source.name.clone();
        self.eval(&source.name, &source.code)?;
        let text: String = self.run(&source.name, None, |ctx| {
            let rewind: Object = ctx.globals().get("__rewind")?;
            rewind.get::<_, Function>("definition")?.call(())
        })?;
        serde_json::from_str(&text).map_err(|e| ScriptError::setup(format!("bad definition: {e}")))
    }

    /// Starts the fold over: from `state` (JSON text), or from `$init`.
    pub fn reset(&mut self, state: Option<&str>) -> Result<(), ScriptError> {
        let name = self.script_name.clone();
        let reset = self.entry().reset.clone();
        let state = state.map(str::to_owned);
        self.run(&name, None, move |ctx| {
            let reset = reset.restore(&ctx)?;
            match state {
                Some(s) => reset.call::<_, ()>((s,)),
                None => reset.call::<_, ()>(()),
            }
        })
    }

    /// Folds events into the state, each within the time budget.
    pub fn fold(&mut self, events: &[RecordedEvent]) -> Result<(), ScriptError> {
        let fold = self.entry().fold.clone();
        let timeout = self.limits.event_timeout;
        self.context.with(|ctx| {
            let setup = |e: rquickjs::Error| ScriptError::setup(e.to_string());
            let fold = fold.restore(&ctx).map_err(setup)?;
            let atoms = event_object::EventAtoms::new(&ctx).map_err(setup)?;
            for event in events {
                self.deadline.set(Some(Instant::now() + timeout));
                let outcome = atoms
                    .event(&ctx, event)
                    .and_then(|object| fold.call::<_, ()>((object,)));
                self.deadline.set(None);
                if let Err(e) = outcome {
                    return Err(self.error(&ctx, e, &self.script_name, Some(event)));
                }
            }
            Ok(())
        })
    }

    /// The event's data as the reducers see it: after its upcaster, if it has one.
    pub fn upcast(&mut self, event: &RecordedEvent) -> Result<String, ScriptError> {
        let upcast = self.entry().upcast.clone();
        let mut text = String::new();
        event_json(event, &mut text);
        let name = self.script_name.clone();
        self.run(&name, Some(event), move |ctx| {
            upcast.restore(&ctx)?.call((text,))
        })
    }

    /// Projections: starts over from a checkpointed result (JSON text), or from nothing.
    pub fn reset_partitions(&mut self, result: Option<&str>) -> Result<(), ScriptError> {
        let name = self.script_name.clone();
        let reset = self.entry().reset_partitions.clone();
        let result = result.map(str::to_owned);
        self.run(&name, None, move |ctx| {
            let reset = reset.restore(&ctx)?;
            match result {
                Some(r) => reset.call::<_, ()>((r,)),
                None => reset.call::<_, ()>(()),
            }
        })
    }

    /// Projections: folds each event into its partition, within the time budget per event.
    /// Returns how many events a handler took.
    pub fn project(&mut self, events: &[RecordedEvent]) -> Result<u64, ScriptError> {
        let project = self.entry().project.clone();
        let timeout = self.limits.event_timeout;
        self.context.with(|ctx| {
            let setup = |e: rquickjs::Error| ScriptError::setup(e.to_string());
            let project = project.restore(&ctx).map_err(setup)?;
            let atoms = event_object::EventAtoms::new(&ctx).map_err(setup)?;
            let mut handled = 0;
            for event in events {
                self.deadline.set(Some(Instant::now() + timeout));
                let outcome = atoms
                    .event(&ctx, event)
                    .and_then(|object| project.call::<_, bool>((object,)));
                self.deadline.set(None);
                match outcome {
                    Ok(took) => handled += took as u64,
                    Err(e) => return Err(self.error(&ctx, e, &self.script_name, Some(event))),
                }
            }
            Ok(handled)
        })
    }

    /// Projections, stepping: folds one event and reports its partition's state before
    /// and after, as JSON text `{"partition","before","after","handled"}`.
    pub fn step(&mut self, event: &RecordedEvent) -> Result<String, ScriptError> {
        let step = self.entry().step.clone();
        let name = self.script_name.clone();
        self.run(&name, Some(event), move |ctx| {
            let object = event_object::EventAtoms::new(&ctx)?.event(&ctx, event)?;
            step.restore(&ctx)?.call((object,))
        })
    }

    /// Projections: sets (or with None clears) a breakpoint predicate, the source of a JS
    /// function `(state, event) => boolean`.
    pub fn set_breakpoint(&mut self, predicate: Option<&str>) -> Result<(), ScriptError> {
        let set = self.entry().set_breakpoint.clone();
        let predicate = predicate.map(str::to_owned);
        self.run("breakpoint", None, move |ctx| {
            let set = set.restore(&ctx)?;
            match predicate {
                Some(p) => set.call::<_, ()>((p,)),
                None => set.call::<_, ()>(()),
            }
        })
    }

    /// Projections: folds events until one for which `stop` (a type test) or the
    /// breakpoint predicate holds; returns (events folded, events handled). The stopping
    /// event is not folded.
    pub fn project_until(
        &mut self,
        events: &[RecordedEvent],
        stop: impl Fn(&RecordedEvent) -> bool,
        predicate: bool,
    ) -> Result<(usize, u64), ScriptError> {
        let (project, breaks_at) = (self.entry().project.clone(), self.entry().breaks_at.clone());
        let timeout = self.limits.event_timeout;
        self.context.with(|ctx| {
            let setup = |e: rquickjs::Error| ScriptError::setup(e.to_string());
            let project = project.restore(&ctx).map_err(setup)?;
            let breaks_at = breaks_at.restore(&ctx).map_err(setup)?;
            let atoms = event_object::EventAtoms::new(&ctx).map_err(setup)?;
            let mut handled = 0;
            for (i, event) in events.iter().enumerate() {
                if stop(event) {
                    return Ok((i, handled));
                }
                self.deadline.set(Some(Instant::now() + timeout));
                let outcome = atoms.event(&ctx, event).and_then(|object| {
                    if predicate && breaks_at.call::<_, bool>((object.clone(),))? {
                        return Ok(None);
                    }
                    project.call::<_, bool>((object,)).map(Some)
                });
                self.deadline.set(None);
                match outcome {
                    Ok(None) => return Ok((i, handled)),
                    Ok(Some(took)) => handled += took as u64,
                    Err(e) => return Err(self.error(&ctx, e, &self.script_name, Some(event))),
                }
            }
            Ok((events.len(), handled))
        })
    }

    /// Projections: the result — the state, or partition key -> state — as JSON text.
    pub fn result(&mut self) -> Result<String, ScriptError> {
        self.result_for(ResultKind::State)
    }

    /// The result for display: NaN and ±Infinity marked (`{"$rewind:number": "NaN"}`)
    /// instead of written as null.
    pub fn display_result(&mut self) -> Result<String, ScriptError> {
        self.result_for(ResultKind::Display)
    }

    /// The state, or each partition's, as `transformBy`/`filterBy` make it the result.
    pub fn output(&mut self) -> Result<String, ScriptError> {
        self.result_for(ResultKind::Output)
    }

    fn result_for(&mut self, kind: ResultKind) -> Result<String, ScriptError> {
        let result = self.entry().result.clone();
        let name = self.script_name.clone();
        self.run(&name, None, move |ctx| {
            result.restore(&ctx)?.call((kind as i32,))
        })
    }

    /// The events `emit`/`linkTo` asked for since the last call, as a JSON array.
    pub fn take_emitted(&mut self) -> Result<String, ScriptError> {
        let emitted = self.entry().emitted.clone();
        let name = self.script_name.clone();
        self.run(&name, None, move |ctx| emitted.restore(&ctx)?.call(()))
    }

    /// The state, as JSON text.
    pub fn state(&mut self) -> Result<String, ScriptError> {
        self.state_for(false)
    }

    /// The state for display, NaN and ±Infinity marked (see `display_result`).
    pub fn display_state(&mut self) -> Result<String, ScriptError> {
        self.state_for(true)
    }

    fn state_for(&mut self, display: bool) -> Result<String, ScriptError> {
        let state = self.entry().state.clone();
        let name = self.script_name.clone();
        self.run(&name, None, move |ctx| {
            state.restore(&ctx)?.call((display,))
        })
    }

    /// Memory the runtime holds, in bytes.
    pub fn memory_used(&self) -> i64 {
        self.runtime.memory_usage().memory_used_size
    }

    fn entry(&self) -> &Entry {
        self.entry.as_ref().expect("set in new()")
    }

    fn eval(&mut self, name: &str, code: &str) -> Result<(), ScriptError> {
        let code = code.to_owned();
        let opts_name = name.to_owned();
        self.run(name, None, move |ctx| {
            ctx.eval_with_options::<(), _>(code, options(&opts_name))
        })
    }

    /// Runs `f` inside the context under the time budget, turning a JS exception into a
    /// [`ScriptError`] naming `name` (and the event, if any).
    fn run<T>(
        &self,
        name: &str,
        event: Option<&RecordedEvent>,
        f: impl for<'js> FnOnce(Ctx<'js>) -> rquickjs::Result<T>,
    ) -> Result<T, ScriptError> {
        self.context.with(|ctx| {
            self.deadline
                .set(Some(Instant::now() + self.limits.event_timeout));
            let result = f(ctx.clone());
            self.deadline.set(None);
            result.map_err(|e| self.error(&ctx, e, name, event))
        })
    }

    fn error(
        &self,
        ctx: &Ctx<'_>,
        e: rquickjs::Error,
        name: &str,
        event: Option<&RecordedEvent>,
    ) -> ScriptError {
        error::from_js(ctx, e, name, event, self.limits)
    }
}

fn options(name: &str) -> EvalOptions {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(name.to_owned());
    options
}

#[cfg(test)]
mod tests;
