//! The workbench's script files: read and written through tokio's file functions, whose
//! work runs on the blocking pool, never on the render path.

use std::path::PathBuf;

use super::{IoError, Response, Worker};

pub(super) fn open(w: &Worker, path: PathBuf) {
    let tx = w.tx.clone();
    tokio::spawn(async move {
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| IoError::file("open", &path, e));
        let _ = tx.send(Response::Opened(path, text));
    });
}

/// Writes to a temporary file beside `path`, then renames it over the old one: a crash
/// mid-save leaves the old script whole.
pub(super) fn save(w: &Worker, path: PathBuf, text: String) {
    let tx = w.tx.clone();
    tokio::spawn(async move {
        let temp = path.with_extension("rewind-save");
        let result = async {
            tokio::fs::write(&temp, text).await?;
            tokio::fs::rename(&temp, &path).await
        }
        .await
        .map_err(|e| IoError::file("save", &path, e));
        let _ = tx.send(Response::Saved(path, result));
    });
}

/// Paths a completion lists at most.
const PATH_CANDIDATES: usize = 40;

/// The entries of the typed path's folder whose names start with its last part.
pub(super) fn complete(w: &Worker, prefix: String) {
    let tx = w.tx.clone();
    tokio::spawn(async move {
        let (folder, start) = match prefix.rfind('/') {
            Some(i) => (&prefix[..=i], &prefix[i + 1..]),
            None => ("", prefix.as_str()),
        };
        let mut found = Vec::new();
        let read = if folder.is_empty() { "." } else { folder };
        if let Ok(mut entries) = tokio::fs::read_dir(read).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with(start) || (name.starts_with('.') && !start.starts_with('.')) {
                    continue;
                }
                let dir = entry.file_type().await.is_ok_and(|t| t.is_dir());
                found.push(format!("{folder}{name}{}", if dir { "/" } else { "" }));
            }
        }
        found.sort();
        found.truncate(PATH_CANDIDATES);
        let _ = tx.send(Response::PathCompletion(prefix, found));
    });
}
