//! The fold itself, on the thread that owns it (a script runtime cannot move threads).

use serde_json::Value;

use super::ReplayError;
use super::reducer::{ReducerKind, ReducerSpec};
use crate::script::{ScriptRuntime, ScriptSource};
use crate::store::RecordedEvent;

/// Folds one stream's events into a state with a reducer.
pub struct Folder {
    merge_state: Value,
    script: Option<ScriptRuntime>,
    merge_patch: bool,
}

impl Folder {
    /// A folder for `spec`, at the reducer's initial state (a runtime for scripts and
    /// upcasters, none for plain merge patch).
    pub fn new(spec: &ReducerSpec) -> Result<Folder, ReplayError> {
        let script = if spec.needs_script() {
            let mut runtime = ScriptRuntime::new(spec.limits)?;
            for (event_type, source) in &spec.upcasters {
                runtime.load_upcaster(event_type, source)?;
            }
            if let ReducerKind::Script(source) = &spec.kind {
                runtime.load(source)?;
            } else {
                runtime.load(&ScriptSource {
                    name: "merge-patch".into(),
                    code: "when({})".into(),
                })?;
            }
            Some(runtime)
        } else {
            None
        };
        let mut folder = Folder {
            merge_state: Value::Object(Default::default()),
            script,
            merge_patch: matches!(spec.kind, ReducerKind::MergePatch),
        };
        folder.reset(None)?;
        Ok(folder)
    }

    /// Starts over from `state` (a snapshot's), or from the reducer's initial state.
    pub fn reset(&mut self, state: Option<&str>) -> Result<(), ReplayError> {
        if self.merge_patch {
            self.merge_state = match state {
                Some(text) => serde_json::from_str(text)
                    .map_err(|e| ReplayError::BadSnapshot(e.to_string()))?,
                None => Value::Object(Default::default()),
            };
            Ok(())
        } else {
            Ok(self
                .script
                .as_mut()
                .expect("a script reducer has a runtime")
                .reset(state)?)
        }
    }

    /// Folds `events` (in stream order) into the state.
    pub fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), ReplayError> {
        if !self.merge_patch {
            return Ok(self
                .script
                .as_mut()
                .expect("a script reducer has a runtime")
                .fold(events)?);
        }
        for event in events {
            let patch: Value = match &mut self.script {
                // Upcasters configured: the data as the upcaster returns it.
                Some(runtime) => serde_json::from_str(&runtime.upcast(event)?),
                None => serde_json::from_str(event.data.get()),
            }
            .map_err(|e| ReplayError::BadEvent {
                position: event.global_position,
                message: e.to_string(),
            })?;
            json_patch::merge(&mut self.merge_state, &patch);
        }
        Ok(())
    }

    /// The state so far, as JSON.
    pub fn state(&mut self) -> Result<Value, ReplayError> {
        self.state_for(false)
    }

    /// The state to show: NaN and ±Infinity marked (`{"$rewind:number": "NaN"}`) where
    /// JSON writes null. A merge-patch state is JSON already.
    pub fn display_state(&mut self) -> Result<Value, ReplayError> {
        self.state_for(true)
    }

    fn state_for(&mut self, display: bool) -> Result<Value, ReplayError> {
        if self.merge_patch {
            return Ok(self.merge_state.clone());
        }
        let runtime = self
            .script
            .as_mut()
            .expect("a script reducer has a runtime");
        let text = if display {
            runtime.display_state()?
        } else {
            runtime.state()?
        };
        serde_json::from_str(&text).map_err(|e| ReplayError::BadSnapshot(e.to_string()))
    }
}
