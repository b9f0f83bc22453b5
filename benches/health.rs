//! The type catalog, the doctor and `--where` over the 1M-event demo, one `rewind` process
//! each, measured from outside (wall time, and the child's peak memory from wait4).
//!
//!   cargo bench --bench health
//!   HEALTH_BENCH_EVENTS=200000 cargo bench --bench health      a smaller store
//!   HEALTH_BENCH_DIR=DIR cargo bench --bench health            keep the store in DIR
//!
//! Figures:
//! - `types` on a store it has not seen (the whole log read, parsed and folded): events/s
//!   and peak RSS; then again with nothing new (the kept catalog, read incrementally).
//! - `doctor` with the catalog kept (one log pass, the streams listing, aggregates).
//! - `log --where "data.amount > 1900"` beside the same SQL run by hand with rusqlite,
//!   decoding each row and writing the same JSON line (ratio), and `query count` beside a
//!   hand `SELECT count(*)` with the same condition.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rewind::store::RecordedEvent;
use rewind::store::sqlite::sql;
use rusqlite::Connection;

mod common;

use common::median;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 5;
const WHERE: &str = "data.amount > 1900";
/// The condition `--where` compiles WHERE to, written by hand.
const HAND_CONDITION: &str = "json_type(data, '$.\"amount\"') IN ('integer', 'real') AND json_extract(data, '$.\"amount\"') > 1900";

struct Run {
    wall: Duration,
    peak_mb: f64,
}

fn main() {
    let events: u64 = std::env::var("HEALTH_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("HEALTH_BENCH_DIR")
        .map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("demo-{events}.db"));
    let config = dir.join("config.toml");
    std::fs::write(&config, "").unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rewind"));
    // Built by the binary, not in this process: a child's peak RSS (wait4) counts the
    // pages it shared with this process before exec, so this process stays small.
    eprintln!("building the {events}-event demo store ...");
    let built = Command::new(&bin)
        .args(["demo", "--events", &events.to_string(), "--db"])
        .arg(&db)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(built.success());
    // (`doctor` exits 1 on the demo, its planted dangling causation: both codes pass.)
    let rewind = |args: &[&str]| -> Run {
        let mut command = common::isolated(&bin);
        command
            .arg("--db")
            .arg(&db)
            .arg("--config")
            .arg(&config)
            .args(args)
            .stderr(Stdio::null());
        spawn_measured(command)
    };

    println!("health over the {events}-event demo ({})", db.display());
    // The first `types` reads everything; each later one starts from the kept catalog,
    // so the cold figure is one run (on a fresh store each time it would be the same).
    let cold = rewind(&["types"]);
    println!(
        "  types, whole log      {:>8.2} s  {:>10.0} events/s  peak {:>6.1} MB",
        cold.wall.as_secs_f64(),
        events as f64 / cold.wall.as_secs_f64(),
        cold.peak_mb
    );
    let warm: Vec<Run> = (0..RUNS).map(|_| rewind(&["types"])).collect();
    println!(
        "  types, nothing new    {:>8.1} ms (median of {RUNS})  peak {:>6.1} MB",
        median(warm.iter().map(|r| r.wall.as_secs_f64() * 1000.0).collect()),
        median(warm.iter().map(|r| r.peak_mb).collect())
    );
    let doctor: Vec<Run> = (0..3).map(|_| rewind(&["doctor"])).collect();
    let doctor_s = median(doctor.iter().map(|r| r.wall.as_secs_f64()).collect());
    println!(
        "  doctor, catalog kept  {:>8.2} s  {:>10.0} events/s  peak {:>6.1} MB (median of 3)",
        doctor_s,
        events as f64 / doctor_s,
        median(doctor.iter().map(|r| r.peak_mb).collect())
    );

    // --where against the same SQL by hand, interleaved.
    let (mut ours, mut hand, mut ours_count, mut hand_count) = (vec![], vec![], vec![], vec![]);
    let mut matched = 0;
    for _ in 0..RUNS {
        ours.push(rewind(&["log", "--where", WHERE]).wall.as_secs_f64());
        let start = Instant::now();
        matched = hand_log(&db);
        hand.push(start.elapsed().as_secs_f64());
        ours_count.push(
            rewind(&["query", "count", "--where", WHERE])
                .wall
                .as_secs_f64(),
        );
        let start = Instant::now();
        hand_count_query(&db);
        hand_count.push(start.elapsed().as_secs_f64());
    }
    let (ours, hand) = (median(ours), median(hand));
    let (ours_count, hand_count) = (median(ours_count), median(hand_count));
    println!(
        "  log --where {WHERE:?}: {matched} events in {:.0} ms; the same SQL by hand {:.0} ms: {:.2}x",
        ours * 1000.0,
        hand * 1000.0,
        hand / ours
    );
    println!(
        "  query count --where: {:.0} ms; SELECT count(*) by hand {:.0} ms: {:.2}x",
        ours_count * 1000.0,
        hand_count * 1000.0,
        hand_count / ours_count
    );
}

/// Runs the child to its end: wall time, and its own peak RSS (wait4's rusage).
fn spawn_measured(mut command: Command) -> Run {
    let start = Instant::now();
    let child = command.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    // SAFETY: wait4 fills the zeroed status and rusage we pass for our own child.
    let (status, usage) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        (status, usage)
    };
    let wall = start.elapsed();
    let code = libc::WEXITSTATUS(status);
    assert!(code == 0 || code == 1, "rewind exited {code}");
    std::mem::forget(child);
    Run {
        wall,
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// The hand-written program: the same condition, each row decoded and written as the
/// same JSON line `log` prints, paged by position as `log` pages.
fn hand_log(db: &PathBuf) -> u64 {
    let conn = Connection::open(db).unwrap();
    let sql = format!(
        "SELECT {} FROM events WHERE global_position > ?1 AND {HAND_CONDITION} \
         ORDER BY global_position LIMIT 1000",
        sql::EVENT_COLUMNS
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut out = BufWriter::with_capacity(1 << 16, std::fs::File::create("/dev/null").unwrap());
    let (mut after, mut read) = (0i64, 0u64);
    loop {
        let page: Vec<RecordedEvent> = stmt
            .query_map([after], sql::event_from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for event in &page {
            serde_json::to_writer(&mut out, event).unwrap();
            out.write_all(b"\n").unwrap();
        }
        read += page.len() as u64;
        match page.last() {
            Some(last) if page.len() == 1000 => after = last.global_position as i64,
            _ => break,
        }
    }
    out.flush().unwrap();
    read
}

fn hand_count_query(db: &PathBuf) -> u64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row(
        &format!("SELECT count(*) FROM events WHERE {HAND_CONDITION}"),
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}
