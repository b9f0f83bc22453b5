//! The CLI's error: one line on stderr, and the contract's exit code.

use crate::config::ConfigError;
use crate::replay::ReplayError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A store error about one line of an input file; keeps the store error's exit code.
    #[error("line {line}: {source}")]
    AtLine { line: u64, source: StoreError },
    /// A check found what it looks for (`doctor`'s error-level findings): exit 1.
    #[error("{0}")]
    Findings(String),
    /// Bad content given on the command line or in a file (exit 1, nothing written).
    #[error("{0}")]
    Input(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Store(e) | CliError::AtLine { source: e, .. } => e.exit_code(),
            CliError::Replay(e) => e.exit_code(),
            _ => 1,
        }
    }

    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let context = context.into();
        move |source| CliError::Io { context, source }
    }

    /// Output to a closed pipe (`rewind log | head`) ends the command quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Writing to stdout.
pub fn stdout_error(source: std::io::Error) -> CliError {
    CliError::Io {
        context: "cannot write output".into(),
        source,
    }
}
