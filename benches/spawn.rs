//! The command line measured from outside: one `rewind` process per command, beside a plain
//! rusqlite program doing the same job in the same run.
//!
//!   cargo bench --bench spawn
//!
//! The store has the shape the CLI-speed issue was measured on: 500 single appends (each by
//! its own `rewind append` process, as a shell loop makes them: a store begun that way is
//! what once kept a one-row table's planner statistics), 1,000 batches of 100 and one
//! 100,000-event stream (200,500 events). Figures:
//! - `log` and `export` of the whole store to /dev/null (events/s), beside a plain rusqlite
//!   page loop that decodes every row and writes it as the same JSON line (the job `log`
//!   does) and one that only decodes (the issue's "plain loop").
//! - The start-up cost of `append`, `read` and `state` on a warm file beside `--version`
//!   (wall time and CPU time of the child, median of several runs), and beside a plain
//!   rusqlite process doing `read`'s and `append`'s job (this bench binary run again with
//!   SPAWN_BENCH_PLAIN): SQLite's own share of such a process.
//!
//! Every process gets its own empty config and no `REWIND_*` from the environment.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rewind::store::sqlite::sql;
use rewind::store::{AppendSegment, ExpectedVersion, NewEvent, RecordedEvent};
use rusqlite::{Connection, params};
use serde_json::json;

mod common;

use common::median;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 7;
const STARTUP_RUNS: usize = 31;
const PAGE: i64 = 1000;

fn main() {
    if let Some(job) = std::env::var_os("SPAWN_BENCH_PLAIN") {
        let mut args = std::env::args_os().skip(1);
        let (db, stream) = (args.next().unwrap(), args.next().unwrap());
        plain_process(
            &job.to_string_lossy(),
            Path::new(&db),
            &stream.to_string_lossy(),
        );
        return;
    }
    // SPAWN_BENCH_DIR keeps the store (for profiling the same file by hand).
    let dir = tempfile::tempdir().unwrap();
    let dir = match std::env::var_os("SPAWN_BENCH_DIR") {
        Some(kept) => PathBuf::from(kept),
        None => dir.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("shape.db");
    let config = dir.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let _ = std::fs::remove_file(&db);
    let bench = Bench {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_rewind")),
        db,
        config,
    };
    let total = build_store(&bench);
    eprintln!("store of {total} events at {}", bench.db.display());

    log_figures(&bench, total);
    startup_figures(&bench);
}

/// 500 single appends by `rewind append` processes, then 1,000 batches of 100 and one
/// 100,000-event stream through the library.
fn build_store(bench: &Bench) -> u64 {
    for n in 0..500 {
        let data = json!({"amount": n, "note": "benchmark deposit", "currency": "EUR"});
        bench.run(&[
            "append",
            &format!("Single-{n}"),
            "MoneyDeposited",
            "--data",
            &data.to_string(),
        ]);
    }
    let rt = common::runtime();
    let store = common::open(&rt, &bench.db);
    let event = |n: usize| {
        NewEvent::new(
            "MoneyDeposited",
            json!({"amount": n, "note": "benchmark deposit", "currency": "EUR"}),
        )
    };
    rt.block_on(async {
        for n in 0..1000 {
            let events = (0..100).map(event).collect();
            store
                .append_batch(vec![AppendSegment::new(
                    format!("Batch-{n}"),
                    ExpectedVersion::NoStream,
                    events,
                )])
                .await
                .unwrap();
        }
        for chunk in 0..100 {
            let events = (0..1000).map(|n| event(chunk * 1000 + n)).collect();
            store
                .append("Big-1", ExpectedVersion::Any, events)
                .await
                .unwrap();
        }
        store.flush().await;
    });
    200_500
}

struct Bench {
    bin: PathBuf,
    db: PathBuf,
    config: PathBuf,
}

/// One process's wall time and CPU time (user + system).
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
}

impl Bench {
    /// Runs `rewind --db STORE --config EMPTY ARGS` once; panics when it fails.
    fn run(&self, args: &[&str]) -> Run {
        let store = [
            "--db".as_ref(),
            self.db.as_os_str(),
            "--config".as_ref(),
            self.config.as_os_str(),
        ];
        self.spawn(&store, args)
    }

    /// `--version` alone: no store, no config, the same process setup otherwise.
    fn version(&self) -> Run {
        self.spawn(&[], &["--version"])
    }

    /// This bench binary as a plain rusqlite process doing `job` on `stream`.
    fn plain(&self, job: &str, stream: &str) -> Run {
        let mut command = common::isolated(&std::env::current_exe().unwrap());
        command.env("SPAWN_BENCH_PLAIN", job);
        command.arg(&self.db).arg(stream);
        self.measure(command, &[job])
    }

    /// Runs the binary once with stdout to /dev/null and no `REWIND_*` in its environment.
    fn spawn(&self, store: &[&std::ffi::OsStr], args: &[&str]) -> Run {
        let mut command = common::isolated(&self.bin);
        command.args(store).args(args);
        self.measure(command, args)
    }

    /// Runs `command` once; panics when it fails.
    fn measure(&self, mut command: std::process::Command, args: &[&str]) -> Run {
        command.stderr(Stdio::piped());
        let before = children_cpu();
        let start = Instant::now();
        let output = command.output().unwrap();
        let wall = start.elapsed();
        let cpu = children_cpu() - before;
        assert!(
            output.status.success(),
            "rewind {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Run { wall, cpu }
    }
}

/// CPU time of all waited-for children so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// A plain rusqlite process's `read` (the stream's events as JSON lines) or `append` (one
/// event at the stream's next version, printed as its JSON line): the statements rewind
/// runs, without its command line, runtime or threads. `nothing` prints a line and ends:
/// the process's own cost, which the others are measured above.
fn plain_process(job: &str, db: &Path, stream: &str) {
    if job == "nothing" {
        println!("the plain process's empty run, for its baseline");
        return;
    }
    let mut conn = Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(60)).unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    let mut out = std::io::stdout().lock();
    if job == "read" {
        let sql = format!(
            "SELECT {} FROM events WHERE stream_id = ?1 ORDER BY version LIMIT ?2",
            sql::EVENT_COLUMNS
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let rows = stmt.query_map(params![stream, PAGE], sql::event_from_row);
        for event in rows.unwrap() {
            serde_json::to_writer(&mut out, &event.unwrap()).unwrap();
            out.write_all(b"\n").unwrap();
        }
        return;
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let version: i64 = tx
        .query_row(
            "SELECT coalesce(max(version), 0) FROM streams WHERE stream_id = ?1",
            [stream],
            |r| r.get(0),
        )
        .unwrap();
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let category = stream.split('-').next().unwrap();
    let data = r#"{"n":1}"#;
    tx.execute(
        sql::INSERT_EVENT,
        params![
            &id.as_bytes()[..],
            stream,
            category,
            "Opened",
            version + 1,
            1,
            data,
            "{}",
            None::<String>,
            None::<String>,
            now
        ],
    )
    .unwrap();
    tx.execute(
        sql::UPSERT_STREAM,
        params![stream, category, version + 1, "Opened", now, now],
    )
    .unwrap();
    tx.commit().unwrap();
    let line =
        json!({"event_id": id, "stream_id": stream, "version": version + 1, "data": {"n": 1}});
    writeln!(out, "{line}").unwrap();
}

/// The plain program's job for `log`: open, page through the log in position order, decode
/// each row and (with `write`) print it as one JSON line.
fn plain_log(db: &Path, write: bool) -> u64 {
    let conn = Connection::open(db).unwrap();
    let sql = format!(
        "SELECT {} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?",
        sql::EVENT_COLUMNS
    );
    let mut out = BufWriter::with_capacity(1 << 16, std::fs::File::create("/dev/null").unwrap());
    let mut stmt = conn.prepare(&sql).unwrap();
    let (mut after, mut read) = (0i64, 0u64);
    loop {
        let page: Vec<RecordedEvent> = stmt
            .query_map(params![after, PAGE], sql::event_from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if write {
            for event in &page {
                serde_json::to_writer(&mut out, event).unwrap();
                out.write_all(b"\n").unwrap();
            }
        }
        read += page.len() as u64;
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.global_position as i64,
            _ => break,
        }
    }
    out.flush().unwrap();
    read
}

fn log_figures(bench: &Bench, total: u64) {
    let (mut log, mut export, mut plain_write, mut plain_read) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut log_ratio, mut log_ratio_read) = (Vec::new(), Vec::new());
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    // Warm the page cache for all four.
    bench.run(&["log"]);
    plain_log(&bench.db, true);
    for _ in 0..RUNS {
        let start = Instant::now();
        assert_eq!(plain_log(&bench.db, true), total);
        let written = start.elapsed();
        let start = Instant::now();
        assert_eq!(plain_log(&bench.db, false), total);
        let decoded = start.elapsed();
        let run = bench.run(&["log"]);
        let exported = bench.run(&["export"]);
        log.push(rate(run.wall));
        export.push(rate(exported.wall));
        plain_write.push(rate(written));
        plain_read.push(rate(decoded));
        log_ratio.push(written.as_secs_f64() / run.wall.as_secs_f64());
        log_ratio_read.push(decoded.as_secs_f64() / run.wall.as_secs_f64());
    }
    println!(
        "log of {total} events (500 single appends, 1,000 batches of 100, a 100,000-event stream), median of {RUNS} runs:"
    );
    println!(
        "  rewind log > /dev/null        {:>10.0} events/s",
        median(log)
    );
    println!(
        "  rewind export > /dev/null     {:>10.0} events/s",
        median(export)
    );
    println!(
        "  plain rusqlite, JSON lines    {:>10.0} events/s   log/plain {:.2}x",
        median(plain_write),
        median(log_ratio)
    );
    println!(
        "  plain rusqlite, decode only   {:>10.0} events/s   log/plain {:.2}x",
        median(plain_read),
        median(log_ratio_read)
    );
}

/// One command's runs: its arguments (None: a fresh append each run) and its figures.
struct Measured {
    name: &'static str,
    args: Option<Vec<&'static str>>,
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

fn startup_figures(bench: &Bench) {
    let measured = |name, args| Measured {
        name,
        args,
        wall: Vec::new(),
        cpu: Vec::new(),
    };
    let mut version = measured("--version", None);
    let mut commands = [
        measured("append", None),
        measured("read", Some(vec!["read", "Single-7"])),
        measured("state", Some(vec!["state", "Single-7"])),
    ];
    let mut plain = [
        measured("nothing", None),
        measured("read", None),
        measured("append", None),
    ];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    // Interleaved, so that a noisy moment touches every command alike.
    for n in 0..STARTUP_RUNS {
        let run = bench.version();
        version.wall.push(ms(run.wall));
        version.cpu.push(ms(run.cpu));
        for command in &mut commands {
            let stream = format!("Started-{n}");
            let run = match &command.args {
                Some(args) => bench.run(args),
                None => bench.run(&["append", &stream, "Opened", "--data", r#"{"n":1}"#]),
            };
            command.wall.push(ms(run.wall));
            command.cpu.push(ms(run.cpu));
        }
        for job in &mut plain {
            let stream = match job.name {
                "append" => format!("Plain-{n}"),
                _ => "Single-7".to_owned(),
            };
            let run = bench.plain(job.name, &stream);
            job.wall.push(ms(run.wall));
            job.cpu.push(ms(run.cpu));
        }
    }
    let (version_wall, version_cpu) = (median(version.wall), median(version.cpu));
    println!("one process per command on a warm file, median of {STARTUP_RUNS} runs:");
    println!("  rewind --version    wall {version_wall:>6.2} ms   cpu {version_cpu:>6.2} ms");
    for command in commands {
        report("rewind", command, (version_wall, version_cpu), "--version");
    }
    // The plain process is this bench binary: its figures are above its own empty run.
    let [nothing, plain @ ..] = plain;
    let (nothing_wall, nothing_cpu) = (median(nothing.wall), median(nothing.cpu));
    println!(
        "plain rusqlite processes (this binary), empty run: wall {nothing_wall:>6.2} ms   cpu {nothing_cpu:>6.2} ms"
    );
    for job in plain {
        report("plain", job, (nothing_wall, nothing_cpu), "its empty run");
    }
}

/// Prints one command's medians and how far they are above `base` (wall, CPU).
fn report(who: &str, runs: Measured, base: (f64, f64), base_name: &str) {
    let (wall, cpu) = (median(runs.wall), median(runs.cpu));
    println!(
        "  {who} {:<12} wall {wall:>6.2} ms   cpu {cpu:>6.2} ms   above {base_name}: wall {:>+5.2} ms, cpu {:>+5.2} ms",
        runs.name,
        wall - base.0,
        cpu - base.1
    );
}
