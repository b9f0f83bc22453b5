//! Which reducer folds a stream: a script mapped to its category in config.toml, one given
//! on the command line, or the built-in RFC 7396 merge patch. Its id (name + a hash of
//! its source and of the upcasters it sees) keys its snapshots, so a changed reducer never
//! uses another's.

use std::path::{Path, PathBuf};

use super::ReplayError;
use crate::config::Config;
use crate::script::{ScriptLimits, ScriptSource};

#[derive(Debug, Clone)]
/// How events fold into a state.
pub enum ReducerKind {
    /// Each event's data merged into the state (RFC 7396), starting from `{}`.
    MergePatch,
    /// A JavaScript reducer (`when({...})`, optionally a full projection script).
    Script(ScriptSource),
}

#[derive(Debug, Clone)]
/// A reducer, its upcasters and limits: everything a fold needs, and the id that keys
/// its snapshots.
pub struct ReducerSpec {
    /// A short name (the script's file stem, or `merge-patch`).
    pub name: String,
    /// `name@hash`: the hash covers the reducer's and its upcasters' sources.
    pub id: String,
    /// How events fold.
    pub kind: ReducerKind,
    /// Event type -> upcaster script.
    pub upcasters: Vec<(String, ScriptSource)>,
    /// Limits on each script call (time, memory).
    pub limits: ScriptLimits,
}

impl ReducerSpec {
    /// The reducer for streams of `category`: `override_file` if given, else config's
    /// `[reducers]`, else merge patch. Upcasters come from config's `[upcasters]`.
    pub fn for_category(
        config: &Config,
        category: &str,
        override_file: Option<&Path>,
    ) -> Result<ReducerSpec, ReplayError> {
        let file = override_file
            .map(Path::to_path_buf)
            .or_else(|| config.reducers.get(category).cloned());
        let kind = match &file {
            Some(path) => ReducerKind::Script(read_script(path)?),
            None => ReducerKind::MergePatch,
        };
        Ok(ReducerSpec::new(
            kind,
            load_upcasters(config)?,
            script_limits(config),
        ))
    }

    /// A spec for `kind` with these upcasters; computes its id.
    pub fn new(
        kind: ReducerKind,
        upcasters: Vec<(String, ScriptSource)>,
        limits: ScriptLimits,
    ) -> ReducerSpec {
        let name = match &kind {
            ReducerKind::MergePatch => "merge-patch".to_owned(),
            ReducerKind::Script(source) => Path::new(&source.name)
                .file_stem()
                .map_or_else(|| source.name.clone(), |s| s.to_string_lossy().into_owned()),
        };
        let mut hash = Fnv64::new();
        if let ReducerKind::Script(source) = &kind {
            hash.write(source.code.as_bytes());
        }
        for (event_type, source) in &upcasters {
            hash.write(b"\0upcaster\0");
            hash.write(event_type.as_bytes());
            hash.write(b"\0");
            hash.write(source.code.as_bytes());
        }
        let id = format!("{name}@{:016x}", hash.finish());
        ReducerSpec {
            name,
            id,
            kind,
            upcasters,
            limits,
        }
    }

    /// The built-in merge-patch reducer, without upcasters.
    pub fn merge_patch() -> ReducerSpec {
        ReducerSpec::new(ReducerKind::MergePatch, Vec::new(), ScriptLimits::default())
    }

    /// Whether folding needs a JavaScript runtime.
    pub fn needs_script(&self) -> bool {
        matches!(self.kind, ReducerKind::Script(_)) || !self.upcasters.is_empty()
    }
}

/// Config's `[script]` limits.
pub fn script_limits(config: &Config) -> ScriptLimits {
    ScriptLimits {
        event_timeout: std::time::Duration::from_millis(config.script.event_timeout_ms),
        memory_limit_bytes: (config.script.memory_limit_mb as usize) << 20,
    }
}

/// Config's `[upcasters]`, read from their files.
pub fn load_upcasters(config: &Config) -> Result<Vec<(String, ScriptSource)>, ReplayError> {
    config
        .upcasters
        .iter()
        .map(|(event_type, path)| Ok((event_type.clone(), read_script(path)?)))
        .collect()
}

fn read_script(path: &PathBuf) -> Result<ScriptSource, ReplayError> {
    // The demo's scripts, built in (a demo store opened with no config naming them).
    if let Some(code) = crate::demo::folds::builtin(&path.to_string_lossy()) {
        return Ok(ScriptSource {
            name: path.display().to_string(),
            code: code.to_owned(),
        });
    }
    let code = std::fs::read_to_string(path).map_err(|e| ReplayError::ScriptFile {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(ScriptSource {
        name: path.display().to_string(),
        code,
    })
}

/// FNV-1a, 64 bits: a stable, documented hash for reducer ids (std's hasher may change
/// between Rust releases, which would orphan every stored snapshot).
struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(code: &str) -> ReducerKind {
        ReducerKind::Script(ScriptSource {
            name: "r/account.js".into(),
            code: code.into(),
        })
    }

    #[test]
    fn ids_follow_the_source_and_upcasters() {
        let a = ReducerSpec::new(script("when({})"), vec![], ScriptLimits::default());
        let b = ReducerSpec::new(script("when({ })"), vec![], ScriptLimits::default());
        assert_eq!(a.name, "account");
        assert!(a.id.starts_with("account@"));
        assert_ne!(a.id, b.id);
        let up = (
            "T".to_owned(),
            ScriptSource {
                name: "u.js".into(),
                code: "function upcast(d){return d}".into(),
            },
        );
        let c = ReducerSpec::new(script("when({})"), vec![up], ScriptLimits::default());
        assert_ne!(a.id, c.id);
        assert_eq!(
            a.id,
            ReducerSpec::new(script("when({})"), vec![], ScriptLimits::default()).id
        );
        assert_eq!(
            ReducerSpec::merge_patch().id,
            "merge-patch@cbf29ce484222325"
        );
    }
}
