//! The threads a SQLite store runs on, started only when they are needed.
//!
//! A command line process opens a store to do one thing: `rewind read` needs one reader
//! and no writer, `rewind append` one writer. Opening every connection up front (a writer
//! with its migration check, three readers) cost about 3 ms of CPU per process, more than
//! the work itself. So the first reader opens with the store and the others when a job
//! finds every reader busy; the writer opens with the store only when the file must be
//! created or migrated, and otherwise at the first write.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;

use super::schema;
use super::source;
use super::{ReadJob, WriteJob, Writer, recv_spinning, spawn};
use crate::store::Synchronous;
use crate::store::error::{Result, StoreError};
use crate::store::source::SourceKind;

/// How a store's connections are opened.
#[derive(Clone)]
pub struct ConnectionSpec {
    pub path: PathBuf,
    pub sync: Synchronous,
    pub kind: SourceKind,
    /// Readers open read-write with `query_only` on rewind's own file (so that whichever
    /// connection closes last can checkpoint the WAL and remove it), read-only otherwise.
    pub readers_tidy: bool,
}

impl ConnectionSpec {
    /// A reader's connection.
    pub fn reader(&self) -> Result<Connection> {
        if !self.readers_tidy {
            return super::polling_connection(&self.path, self.sync, self.kind);
        }
        let conn = schema::open(&self.path, schema::Access::Existing, self.sync)?;
        conn.pragma_update(None, "query_only", true)?;
        source::install_views(&conn, self.kind)?;
        Ok(conn)
    }
}

/// At most this many readers: the TUI's views and a projection read side by side.
const MAX_READERS: usize = 3;

/// Reader threads sharing one queue, one started with the store and more on demand; or,
/// for a short process (`OpenOptions::on_caller_thread`), a reader on the caller's thread
/// with threads only for the pages a paged read fetches ahead.
pub struct ReaderPool {
    spec: ConnectionSpec,
    queue: Sender<ReadJob>,
    jobs: Receiver<ReadJob>,
    /// Readers waiting for a job.
    idle: std::sync::Arc<AtomicUsize>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// The caller-thread reader (opened at the first read unless given).
    on_caller: Option<Mutex<Option<Connection>>>,
}

impl ReaderPool {
    /// A pool whose first reader runs on `first` (already open), or starts with the
    /// first job; on the caller's thread when `on_caller`.
    pub fn start(
        spec: ConnectionSpec,
        first: Option<Connection>,
        on_caller: bool,
    ) -> Result<ReaderPool> {
        let (queue, jobs) = crossbeam_channel::unbounded::<ReadJob>();
        let mut pool = ReaderPool {
            spec,
            queue,
            jobs,
            idle: Default::default(),
            threads: Mutex::new(Vec::new()),
            on_caller: None,
        };
        if on_caller {
            pool.on_caller = Some(Mutex::new(first));
        } else if let Some(first) = first {
            pool.spawn_reader_with(move || Ok(first))?;
        }
        Ok(pool)
    }

    /// Runs `job` (on the caller's thread unless it reads `ahead` or the pool has no
    /// caller-thread reader), or queues it, starting another reader when every one is
    /// busy and jobs queue up.
    pub fn submit(&self, job: ReadJob, ahead: bool) -> Result<()> {
        if let Some(reader) = self.on_caller.as_ref().filter(|_| !ahead) {
            let mut reader = reader.lock().map_err(|_| StoreError::Closed)?;
            if reader.is_none() {
                match self.spec.reader() {
                    Ok(conn) => *reader = Some(conn),
                    Err(e) => {
                        job(Err(cannot_open_for_reading(&e)));
                        return Ok(());
                    }
                }
            }
            job(reader.as_ref().ok_or(StoreError::Closed));
            return Ok(());
        }
        if self.idle.load(Ordering::Acquire) == 0 {
            let started = self.threads.lock().map_or(MAX_READERS, |t| t.len());
            // Another reader starts when a job already waits for a busy one: a second job
            // alone (a command's prefetch beside its lookup) waits less than a new
            // connection takes to open. A reader that cannot open ends at once, and the
            // job waits for the ones already running.
            if started == 0 || (started < MAX_READERS && !self.queue.is_empty()) {
                let spec = self.spec.clone();
                let _ = self.spawn_reader_with(move || spec.reader());
            }
        }
        self.queue.send(job).map_err(|_| StoreError::Closed)
    }

    fn spawn_reader_with(
        &self,
        open: impl FnOnce() -> Result<Connection> + Send + 'static,
    ) -> Result<()> {
        let mut threads = self.threads.lock().map_err(|_| StoreError::Closed)?;
        let (jobs, idle) = (self.jobs.clone(), self.idle.clone());
        let first = threads.is_empty();
        let name = format!("rewind-sqlite-reader-{}", threads.len());
        // A reader counts as idle from its start: a job queued while it opens is its own.
        idle.fetch_add(1, Ordering::AcqRel);
        // Readers sleep between jobs: several of them spinning would crowd out the caller
        // and each other on a small machine, and a page read dwarfs a wake-up.
        threads.push(spawn(&name, move || match open() {
            Ok(conn) => {
                while let Ok(job) = jobs.recv() {
                    idle.fetch_sub(1, Ordering::AcqRel);
                    job(Ok(&conn));
                    idle.fetch_add(1, Ordering::AcqRel);
                }
            }
            // The first reader tells every read why it failed; a later one leaves the
            // reads to the readers already running.
            Err(e) if first => {
                while let Ok(job) = jobs.recv() {
                    job(Err(cannot_open_for_reading(&e)));
                }
            }
            Err(e) => {
                idle.fetch_sub(1, Ordering::AcqRel);
                tracing::warn!(error = %e, "a reader could not open its connection");
            }
        })?);
        Ok(())
    }

    /// Closes the queue and waits for the readers to finish (their connections close).
    pub fn stop(self) {
        let ReaderPool {
            queue,
            jobs,
            threads,
            ..
        } = self;
        drop(queue);
        drop(jobs);
        for handle in threads.into_inner().unwrap_or_default() {
            let _ = handle.join();
        }
    }
}

/// The writer thread, started with the store or at the first write; or, for a short
/// process (`OpenOptions::on_caller_thread`), the writer itself, run on the caller's thread.
pub struct WriterSlot {
    spec: ConnectionSpec,
    max_event_bytes: usize,
    queue: OnceLock<Sender<WriteJob>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The caller-thread writer (opened at the first write unless given), when the store
    /// runs writes on the caller. A `rewind append` process spent more CPU starting and
    /// ending a writer thread (its stack, its allocator heaps, the wake-ups) than on the
    /// append; a job is a whole transaction, so running it in place holds no lock across
    /// an await.
    on_caller: Option<Mutex<Option<Writer>>>,
}

impl WriterSlot {
    /// A slot whose writer starts at the first write.
    pub fn lazy(spec: ConnectionSpec, max_event_bytes: usize, on_caller: bool) -> WriterSlot {
        WriterSlot {
            spec,
            max_event_bytes,
            queue: OnceLock::new(),
            thread: Mutex::new(None),
            on_caller: on_caller.then(|| Mutex::new(None)),
        }
    }

    /// A slot whose writer runs now, on `conn` (opened, migrated).
    pub fn started(
        spec: ConnectionSpec,
        max_event_bytes: usize,
        on_caller: bool,
        conn: Connection,
    ) -> Result<WriterSlot> {
        let mut slot = WriterSlot::lazy(spec, max_event_bytes, on_caller);
        if on_caller {
            slot.on_caller = Some(Mutex::new(Some(Writer::new(conn, max_event_bytes))));
            return Ok(slot);
        }
        let (queue, handle) = start(max_event_bytes, move || Ok(conn))?;
        let _ = slot.queue.set(queue);
        *slot.thread.lock().map_err(|_| StoreError::Closed)? = Some(handle);
        Ok(slot)
    }

    /// Queues `job` for the writer, starting it first when this is the first write; on
    /// the caller's thread, runs it now.
    pub fn submit(&self, job: WriteJob) -> Result<()> {
        if let Some(writer) = &self.on_caller {
            let mut writer = writer.lock().map_err(|_| StoreError::Closed)?;
            if writer.is_none() {
                match schema::open(&self.spec.path, schema::Access::Existing, self.spec.sync) {
                    Ok(conn) => *writer = Some(Writer::new(conn, self.max_event_bytes)),
                    Err(e) => {
                        job(Err(cannot_open_for_writing(&e)));
                        return Ok(());
                    }
                }
            }
            job(writer.as_mut().ok_or(StoreError::Closed));
            return Ok(());
        }
        let queue = match self.queue.get() {
            Some(queue) => queue,
            None => {
                // Two first writes at once: the lock makes one of them start the thread.
                let mut thread = self.thread.lock().map_err(|_| StoreError::Closed)?;
                match self.queue.get() {
                    Some(queue) => queue,
                    None => {
                        let spec = self.spec.clone();
                        let (queue, handle) = start(self.max_event_bytes, move || {
                            schema::open(&spec.path, schema::Access::Existing, spec.sync)
                        })?;
                        *thread = Some(handle);
                        self.queue.get_or_init(|| queue)
                    }
                }
            }
        };
        queue.send(job).map_err(|_| StoreError::Closed)
    }

    /// Closes the queue and waits for the writer (its connection closes last).
    pub fn stop(self) {
        let WriterSlot {
            queue,
            thread,
            on_caller,
            ..
        } = self;
        drop(on_caller);
        drop(queue);
        if let Some(handle) = thread.into_inner().ok().flatten() {
            let _ = handle.join();
        }
    }
}

/// What every read learns when the first reader's connection cannot be opened.
fn cannot_open_for_reading(e: &StoreError) -> StoreError {
    StoreError::Database(format!("cannot open the store for reading: {e}"))
}

/// What every write learns when the writer's connection cannot be opened.
fn cannot_open_for_writing(e: &StoreError) -> StoreError {
    StoreError::Database(format!("cannot open the store for writing: {e}"))
}

/// Spawns the writer thread on the connection `open` gives.
fn start(
    max_event_bytes: usize,
    open: impl FnOnce() -> Result<Connection> + Send + 'static,
) -> Result<(Sender<WriteJob>, JoinHandle<()>)> {
    let (queue, jobs) = crossbeam_channel::unbounded::<WriteJob>();
    let handle = spawn("rewind-sqlite-writer", move || {
        let mut writer = match open() {
            Ok(conn) => Writer::new(conn, max_event_bytes),
            Err(e) => {
                // Every queued write learns why; the queue closes with the store.
                while let Some(job) = recv_spinning(&jobs) {
                    job(Err(cannot_open_for_writing(&e)));
                }
                return;
            }
        };
        // No `PRAGMA optimize` at the end: rewind keeps no planner statistics (see
        // schema::has_statistics).
        while let Some(job) = recv_spinning(&jobs) {
            job(Ok(&mut writer));
        }
    })?;
    Ok((queue, handle))
}
