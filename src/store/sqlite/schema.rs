//! Opening SQLite connections and migrating the schema.
//!
//! Migrations run under `BEGIN IMMEDIATE`, so that many processes opening a new file at
//! once serialize on SQLite's write lock instead of racing to create the tables.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::store::Synchronous;
use crate::store::error::{Result, StoreError};

/// `PRAGMA application_id` of a rewind store: "RWND".
const APPLICATION_ID: i64 = 0x5257_4E44;

/// Each entry takes the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/sqlite_001_initial.sql")];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a connection waits for another writer before giving up. Long, because writers
/// must wait their turn rather than fail with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Each connection's page cache (negative: KiB), 32 MiB: what a long-lived process (the
/// TUI, a projection) re-reads stays in memory.
pub const CACHE_KIB: i64 = -32_768;

/// SQLite's default page cache (negative: KiB), `SQLITE_DEFAULT_CACHE_SIZE`.
pub const SQLITE_DEFAULT_CACHE_KIB: i64 = -2000;

/// The page cache of connections opened from now on in this process (negative: KiB).
static PAGE_CACHE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(CACHE_KIB);

/// Sets the page cache (in KiB) of the connections this process opens from now on. A
/// one-shot command reads each page once: SQLite's default 2 MiB serves it as well, and
/// a 32 MiB cache filled by a full scan costs the kernel's zeroing of every new page
/// (measured: `query count --where` over 100,000 events, 90 ms → 60 ms).
pub fn set_page_cache_kib(kib: u32) {
    PAGE_CACHE.store(-i64::from(kib), std::sync::atomic::Ordering::Relaxed);
}

/// How a connection is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-write; the file is created when missing.
    Create,
    /// Read-write; the file must exist.
    Existing,
    /// Read-only; the file must exist.
    ReadOnly,
}

pub fn open(path: &Path, access: Access, sync: Synchronous) -> Result<Connection> {
    if access != Access::Create && !path.exists() {
        return Err(StoreError::NotFound(path.to_path_buf()));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    flags |= match access {
        Access::Create => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Access::Existing => OpenFlags::SQLITE_OPEN_READ_WRITE,
        Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_a_store(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", sync.pragma())
        .map_err(|e| not_a_store(path, e))?;
    // A statement less to prepare where SQLite's own default serves (a one-shot command).
    let cache = PAGE_CACHE.load(std::sync::atomic::Ordering::Relaxed);
    if cache != SQLITE_DEFAULT_CACHE_KIB {
        conn.pragma_update(None, "cache_size", cache)?;
    }
    // No memory-mapped I/O: measured here, reads were as fast without it, and a map of a
    // large store counts towards resident memory (a 1,000,000-event replay: 480 MB vs 160 MB).
    // It is the bundled SQLite's default (a unit test checks), so nothing is set for it.
    conn.pragma_update(None, "temp_store", "memory")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Makes `conn` (read-write) a current rewind store: WAL mode, then any migrations due.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    retry_busy(|| {
        conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get::<_, String>(0))
    })
    .map_err(|e| not_a_store(path, e))?;
    retry_busy(|| conn.execute_batch("BEGIN IMMEDIATE")).map_err(|e| not_a_store(path, e))?;
    let migrated = apply_migrations(conn, path);
    let end = if migrated.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    conn.execute_batch(end)?;
    migrated
}

fn apply_migrations(conn: &Connection, path: &Path) -> Result<()> {
    let version = check_identity(conn, path)?;
    if has_statistics(conn)? {
        conn.execute_batch("DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4")?;
        tracing::info!(path = %path.display(), "dropped the planner statistics of an earlier build");
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        conn.execute_batch(sql)
            .map_err(|e| StoreError::Database(format!("migration {} failed: {e}", from + 1)))?;
    }
    if version < SCHEMA_VERSION {
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        tracing::info!(path = %path.display(), from = version, to = SCHEMA_VERSION, "migrated");
    }
    Ok(())
}

/// Whether the file's header (its first 100 bytes) carries rewind's application id. A
/// cheap look before opening: a store whose id sits only in its WAL so far (never
/// checkpointed) answers no and is examined the slow way.
pub fn header_says_rewind(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 100];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
    read.is_ok()
        && header.starts_with(b"SQLite format 3\0")
        && i64::from(u32::from_be_bytes([
            header[68], header[69], header[70], header[71],
        ])) == APPLICATION_ID
}

/// Whether the store needs nothing before it is written: ours, at this build's schema, in
/// WAL mode, without planner statistics. Errors as `migrate` would for a file that is not
/// a store or is newer.
pub fn is_current(conn: &Connection, path: &Path) -> Result<bool> {
    if check_identity(conn, path)? != SCHEMA_VERSION || has_statistics(conn)? {
        return Ok(false);
    }
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    Ok(mode.eq_ignore_ascii_case("wal"))
}

/// For a read-only connection: the store must already be at this build's schema.
pub fn check_read_only(conn: &Connection, path: &Path) -> Result<()> {
    let version = check_identity(conn, path)?;
    if version == 0 {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: "it has no rewind schema yet (open it once without --read-only)".into(),
        });
    }
    if version < SCHEMA_VERSION {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!(
                "its schema version {version} needs a migration to {SCHEMA_VERSION}; open it once without --read-only"
            ),
        });
    }
    Ok(())
}

/// Whether the file holds planner statistics (`ANALYZE`'s tables). Earlier builds ran
/// `PRAGMA optimize` as the writer closed, so a store begun by a few single appends kept
/// statistics of a one-row `events` table for ever after (the writer's own queries never
/// asked for a new analysis). With them SQLite scanned the whole table for each page of
/// `rewind log` (measured: 200,500 events, 640,000 page reads, 125,000 events/s). Its
/// built-in estimates (a large table, selective indexes) fit an event store at every
/// size, so rewind keeps no statistics: the migration step drops them.
pub fn has_statistics(conn: &Connection) -> Result<bool> {
    let found: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
             AND name IN ('sqlite_stat1', 'sqlite_stat4')",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(found > 0)
}

/// Returns the schema version, after making sure the file is ours (or empty).
fn check_identity(conn: &Connection, path: &Path) -> Result<i64> {
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| not_a_store(path, e))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: format!("its application id is {app_id:#x}"),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(StoreError::NotAStore {
                path: path.to_path_buf(),
                reason: "it is a SQLite database with tables of its own".into(),
            });
        }
    }
    Ok(version)
}

/// Some SQLite steps (switching to WAL, starting a write transaction while another
/// connection recovers the WAL) can answer BUSY without consulting the busy handler.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match f() {
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn not_a_store(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: "the file is not a SQLite database".into(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::NotAStore {
            path: path.to_path_buf(),
            reason: "the database file is corrupt or truncated".into(),
        },
        Some(ErrorCode::CannotOpen) => {
            StoreError::Database(format!("cannot open {}: {e}", path.display()))
        }
        _ => StoreError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `open` leaves these to SQLite's defaults: if a bundled SQLite changed them, stores
    /// would start memory-mapping or caching otherwise without a word.
    #[test]
    fn the_defaults_open_relies_on_hold() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let conn = Connection::open(dir.path().join("defaults.db")).expect("a database file");
        let mmap: i64 = conn
            .pragma_query_value(None, "mmap_size", |r| r.get(0))
            .expect("mmap_size");
        let cache: i64 = conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .expect("cache_size");
        assert_eq!((mmap, cache), (0, SQLITE_DEFAULT_CACHE_KIB));
    }
}
