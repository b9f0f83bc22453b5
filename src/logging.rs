//! Logs go to a file, never the terminal (it belongs to the TUI). `RUST_LOG` sets the
//! level (default `warn`); `REWIND_LOG_FILE` moves the file from the user's cache dir.
//! The file is opened only when something is logged.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let Some(path) = log_path() else { return };
    let writer = std::sync::Arc::new(LazyFile {
        path,
        file: Mutex::new(None),
    });
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(writer);
    // Without RUST_LOG, a plain level: building an EnvFilter (its directive parser) is a
    // tenth of a millisecond of a short command's start.
    let _ = match std::env::var_os("RUST_LOG").filter(|v| !v.is_empty()) {
        Some(_) => subscriber
            .with_env_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
            )
            .try_init(),
        None => subscriber.with_max_level(tracing::Level::WARN).try_init(),
    };
}

fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REWIND_LOG_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    dirs::cache_dir().map(|dir| dir.join("rewind").join("rewind.log"))
}

struct LazyFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl Write for &LazyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            *file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        file.as_mut().expect("opened above").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}
