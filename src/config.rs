//! config.toml: the model, its lookup (`--config`, `$REWIND_CONFIG`, `./config.toml`, the
//! user's config dir) and path resolution (paths are relative to the file's own folder).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::{OpenOptions, SourceMapping, StoreError, StoreUrl, Synchronous};

/// The default store when nothing names one.
pub const DEFAULT_DB: &str = "sqlite://rewind.db";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Store URL: `sqlite://PATH`, a path, or `postgres://…`.
    pub db: Option<String>,
    /// Lets the TUI write to a PostgreSQL store.
    pub allow_writes: bool,
    pub sqlite_synchronous: Synchronous,
    /// How long a PostgreSQL reader waits for a position gap to fill.
    pub gap_wait_ms: u64,
    /// Take a snapshot every this many events.
    pub snapshot_every: u64,
    /// The largest event accepted (data + metadata as compact JSON).
    pub max_event_bytes: usize,
    /// Category -> reducer script.
    pub reducers: BTreeMap<String, PathBuf>,
    /// Event type -> upcaster script.
    pub upcasters: BTreeMap<String, PathBuf>,
    pub script: ScriptConfig,
    /// Action -> key, overriding the default key map.
    pub keys: BTreeMap<String, String>,
    pub theme: ThemeConfig,
    /// `[source]`: a hand-made PostgreSQL table's columns mapped onto the envelope.
    #[serde(rename = "source")]
    pub source_mapping: Option<SourceMapping>,
    /// `[doctor]`: which rules run, at which level, with which limits.
    pub doctor: DoctorConfig,
    /// Where sidecar files (rewind's state for stores it does not write) are kept;
    /// default: the user's data dir (`~/.local/share/rewind/sidecars`).
    pub sidecar_dir: Option<PathBuf>,
    /// The file this was read from, if any.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: None,
            allow_writes: false,
            sqlite_synchronous: Synchronous::Normal,
            gap_wait_ms: 5000,
            snapshot_every: 100,
            max_event_bytes: 1_048_576,
            reducers: BTreeMap::new(),
            upcasters: BTreeMap::new(),
            script: ScriptConfig::default(),
            keys: BTreeMap::new(),
            theme: ThemeConfig::default(),
            doctor: DoctorConfig::default(),
            source_mapping: None,
            sidecar_dir: None,
            source: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptConfig {
    /// Time budget for one handler call.
    pub event_timeout_ms: u64,
    /// Memory limit of one script runtime.
    pub memory_limit_mb: u64,
}

impl Default for ScriptConfig {
    fn default() -> Self {
        ScriptConfig {
            event_timeout_ms: 1000,
            memory_limit_mb: 256,
        }
    }
}

/// `[doctor]` in config.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DoctorConfig {
    /// Rules not to run (`disable = ["missing-ids"]`).
    pub disable: Vec<String>,
    /// Rule -> level (`info`, `warning`, `error`), overriding its own.
    pub levels: BTreeMap<String, String>,
    /// An event larger than this (data + metadata as stored) is oversized.
    pub max_event_bytes: u64,
    /// Event types after which a stream takes no more events (`["AccountClosed"]`).
    pub terminal_types: Vec<String>,
    /// Type names the past-tense rule lets pass.
    pub past_tense_ok: Vec<String>,
}

impl Default for DoctorConfig {
    fn default() -> Self {
        DoctorConfig {
            disable: Vec::new(),
            levels: BTreeMap::new(),
            max_event_bytes: 65_536,
            terminal_types: Vec::new(),
            past_tense_ok: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    /// No colours (also chosen by `NO_COLOR`).
    Mono,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    pub name: ThemeName,
    /// Role -> colour overrides (e.g. `accent = "#ff8800"`).
    pub colors: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("config {path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Config {
    /// Finds and loads the config: `explicit` (from `--config`), else `$REWIND_CONFIG`,
    /// else `./config.toml`, else the user's config dir; defaults when none exists.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::from_file(path);
        }
        if let Some(path) = std::env::var_os("REWIND_CONFIG").filter(|p| !p.is_empty()) {
            return Config::from_file(Path::new(&path));
        }
        let local = Path::new("config.toml");
        if local.is_file() {
            return Config::from_file(local);
        }
        if let Some(user) = dirs::config_dir().map(|d| d.join("rewind").join("config.toml"))
            && user.is_file()
        {
            return Config::from_file(&user);
        }
        Ok(Config::default())
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses `text` as if read from `path` (for error messages and relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if config.snapshot_every == 0 {
            return Err(invalid("snapshot_every must be at least 1".into()));
        }
        if config.max_event_bytes < 2 {
            return Err(invalid("max_event_bytes must be at least 2".into()));
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for script in config
            .reducers
            .values_mut()
            .chain(config.upcasters.values_mut())
        {
            *script = base.join(&*script);
        }
        config.db = config.db.map(|db| relative_db(&db, &base));
        config.sidecar_dir = config.sidecar_dir.map(|dir| base.join(dir));
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// The store to open: `--db`, else `$REWIND_DB`, else config's `db`, else the default.
    pub fn store_url(&self, cli_db: Option<&str>) -> Result<StoreUrl, StoreError> {
        let env_db = std::env::var("REWIND_DB").ok().filter(|s| !s.is_empty());
        let url = cli_db
            .map(str::to_owned)
            .or(env_db)
            .or_else(|| self.db.clone())
            .unwrap_or_else(|| DEFAULT_DB.to_owned());
        StoreUrl::parse(&url)
    }

    /// Store options from this config.
    pub fn open_options(&self, read_only: bool, create: bool) -> OpenOptions {
        OpenOptions {
            read_only,
            create,
            synchronous: self.sqlite_synchronous,
            max_event_bytes: self.max_event_bytes,
            gap_wait_ms: self.gap_wait_ms,
            source: None,
            mapping: self.source_mapping.clone(),
            sidecar_dir: self.sidecar_dir.clone(),
            sidecar_writable: !read_only,
            on_caller_thread: false,
        }
    }
}

/// A relative SQLite path in config.toml is relative to the file's folder.
fn relative_db(db: &str, base: &Path) -> String {
    match StoreUrl::parse(db) {
        Ok(StoreUrl::Sqlite(path)) if path.is_relative() => {
            format!("sqlite://{}", base.join(path).display())
        }
        _ => db.to_owned(),
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_parses() {
        let text = include_str!("../config.toml");
        let config = Config::parse(text, Path::new("/repo/config.toml")).unwrap();
        assert_eq!(config.db.as_deref(), Some("sqlite:///repo/rewind.db"));
        assert_eq!(config.snapshot_every, 100);
    }

    #[test]
    fn a_syntax_error_names_file_and_line() {
        let err =
            Config::parse("db = \"x\"\nsnapshot_every = = 3\n", Path::new("c.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("config c.toml:2:"), "{text}");
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_line() {
        let err = Config::parse("\n\nsnapshot_evry = 3\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().starts_with("config c.toml:3:"), "{err}");
        assert!(err.to_string().contains("snapshot_evry"), "{err}");
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let config = Config::parse(
            "db = \"data/x.db\"\n[reducers]\nAccount = \"r/a.js\"\n",
            Path::new("/etc/rw/config.toml"),
        )
        .unwrap();
        assert_eq!(config.db.as_deref(), Some("sqlite:///etc/rw/data/x.db"));
        assert_eq!(config.reducers["Account"], PathBuf::from("/etc/rw/r/a.js"));
        let absolute = Config::parse("db = \"sqlite:///x.db\"", Path::new("/a/c.toml")).unwrap();
        assert_eq!(absolute.db.as_deref(), Some("sqlite:///x.db"));
    }
}
