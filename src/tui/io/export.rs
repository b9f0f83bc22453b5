//! `:export`: the log (with its filter) or one stream written as envelope JSONL. The
//! pages come from the store on the async workers; the file is written through tokio's
//! file, whose writes run on the blocking pool. It appears whole or not at all: written
//! beside the target, then renamed over it.

use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use super::{IoError, Response, Worker};
use crate::store::{
    LogFilter, LogQuery, PagedQuery, Pages, RecordedEvent, StreamPages, StreamQuery,
};

/// Events a page read for an export.
const EXPORT_PAGE: usize = 1000;

pub(super) fn export(w: &Worker, path: PathBuf, filter: LogFilter, stream: Option<String>) {
    let w = w.clone();
    tokio::spawn(async move {
        let partial = path.with_extension("jsonl.partial");
        let written = match stream {
            Some(stream_id) => {
                let query = StreamQuery {
                    limit: EXPORT_PAGE,
                    matching: filter.matching,
                    ..Default::default()
                };
                let pages = w.store.pages(StreamPages { stream_id, query }, None);
                write(&w, &partial, &path, pages).await
            }
            None => {
                let query = LogQuery {
                    filter,
                    limit: EXPORT_PAGE,
                    ..Default::default()
                };
                write(&w, &partial, &path, w.store.pages(query, None)).await
            }
        };
        let response = match written {
            Ok(written) => Response::ExportDone(path, written),
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                Response::ExportFailed(e)
            }
        };
        w.send(response);
    });
}

async fn write<Q: PagedQuery<Item = RecordedEvent>>(
    w: &Worker,
    partial: &std::path::Path,
    path: &std::path::Path,
    mut pages: Pages<Q>,
) -> Result<u64, IoError> {
    let file = tokio::fs::File::create(partial)
        .await
        .map_err(|e| IoError::file("create", partial, e))?;
    let mut out = tokio::io::BufWriter::new(file);
    let mut written = 0u64;
    while let Some(page) = pages.next_page().await? {
        let bytes = encode(&page)?;
        out.write_all(&bytes)
            .await
            .map_err(|e| IoError::file("write", partial, e))?;
        written += page.len() as u64;
        w.send(Response::ExportProgress(written));
    }
    out.flush()
        .await
        .map_err(|e| IoError::file("write", partial, e))?;
    tokio::fs::rename(partial, path)
        .await
        .map_err(|e| IoError::file("rename the export to", path, e))?;
    Ok(written)
}

/// A page as JSON lines.
fn encode(page: &[RecordedEvent]) -> Result<Vec<u8>, IoError> {
    let mut bytes = Vec::with_capacity(page.len() * 256);
    for event in page {
        serde_json::to_writer(&mut bytes, event)?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}
