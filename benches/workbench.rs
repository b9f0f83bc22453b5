//! The workbench's run beside `rewind project run` of the same script over the
//! 1,000,000-event demo log, in the same run (issue 16, bug 6: the workbench was ~12x
//! slower, and slowed as partitions grew), and a snapshot build of every stream of the
//! demo from the Snapshots view (`B`), in streams/s.
//!
//!   cargo bench --bench workbench
//!
//! The workbench run goes through the TUI's I/O layer as the app drives it (a session,
//! its status reports); `project run` is the projection runner the CLI calls. Each pair
//! runs three times, alternating; the table gives each side's median and the median of
//! the per-pair ratios. `REWIND_BENCH_DEMO=PATH` reuses a demo store built before.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rewind::projection::{Projection, RunOptions};
use rewind::replay::load_upcasters;
use rewind::script::ScriptSource;
use rewind::store::Store;
use rewind::tui::io::session::{Begin, RunRequest, RunStatus, Update};
use rewind::tui::io::{Io, JobKind, Request, Response};

mod common;

use common::median;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: u64 = 1_000_000;

/// Every event, one partition per stream: the partitions grow to every stream's.
const PER_STREAM: &str = "fromAll()\n  .foreachStream()\n  .when({\n    $init: () => ({ events: 0 }),\n    $any: (s, e) => { s.events += 1; },\n  })\n  .outputState();\n";

fn config() -> rewind::config::Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = rewind::config::Config::from_file(&root.join("config.toml")).unwrap();
    // The reducers and upcasters are named relative to the repository.
    for path in config.reducers.values_mut() {
        *path = root.join(&*path);
    }
    for path in config.upcasters.values_mut() {
        *path = root.join(&*path);
    }
    config
}

fn source(name: &str, code: String) -> ScriptSource {
    ScriptSource {
        name: name.to_owned(),
        code,
    }
}

/// `rewind project run`: the runner from the start to the head.
fn project_run(rt: &tokio::runtime::Runtime, store: &Store, script: &ScriptSource) -> Duration {
    let options = RunOptions {
        upcasters: load_upcasters(&config()).unwrap(),
        ..Default::default()
    };
    let started = Instant::now();
    rt.block_on(Projection::new(store.clone(), script.clone(), options).run(false, |_| {}))
        .unwrap();
    started.elapsed()
}

/// The workbench's Ctrl-r: a session through the I/O layer, until it reports caught up.
fn workbench_run(rt: &tokio::runtime::Runtime, store: &Store, script: &ScriptSource) -> Duration {
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let io = Io::new(store.clone(), config(), tx);
        let started = Instant::now();
        io.request(Request::StartRun(RunRequest {
            source: script.clone(),
            from: None,
            begin: Begin::Fresh,
            run: true,
            generation: 1,
            breakpoints: Default::default(),
        }));
        while let Some(response) = rx.recv().await {
            match response {
                Response::Run(_, Update::Status(f)) if f.status == RunStatus::CaughtUp => break,
                Response::Run(_, Update::Fault(fault)) => panic!("{}", fault.message),
                _ => {}
            }
        }
        started.elapsed()
    })
}

/// `B` in the Snapshots view: every stream's snapshots built; (streams, seconds).
fn build_all(rt: &tokio::runtime::Runtime, store: &Store) -> (u64, f64) {
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let io = Io::new(store.clone(), config(), tx);
        io.request(Request::SnapshotJob {
            kind: JobKind::Build,
            stream: None,
            cancel: Default::default(),
        });
        while let Some(response) = rx.recv().await {
            if let Response::JobDone(report) = response {
                let report = report.unwrap();
                eprintln!("{}", report.summary());
                return (report.streams, report.seconds);
            }
        }
        unreachable!("the job ends with JobDone")
    })
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = match std::env::var_os("REWIND_BENCH_DEMO") {
        Some(path) => PathBuf::from(path),
        None => dir.path().join("demo.db"),
    };
    if !path.exists() {
        common::build_demo(&rt, &path, EVENTS);
    }
    let store = common::open(&rt, &path);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let balance = root.join("assets/projections/balance_per_account.js");
    let scripts = [
        (
            "balance per account (foreachStream, Account)",
            source(
                &balance.display().to_string(),
                std::fs::read_to_string(&balance).unwrap(),
            ),
        ),
        (
            "events per stream (foreachStream, every event)",
            source("per_stream.js", PER_STREAM.to_owned()),
        ),
    ];
    println!("| script | project run | workbench run | workbench / project run |");
    println!("|---|---|---|---|");
    for (label, script) in &scripts {
        let (mut cli, mut bench, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3 {
            let a = project_run(&rt, &store, script).as_secs_f64();
            let b = workbench_run(&rt, &store, script).as_secs_f64();
            eprintln!("{label}: project run {a:.2} s, workbench {b:.2} s");
            cli.push(a);
            bench.push(b);
            ratios.push(b / a);
        }
        println!(
            "| {label} | {:.2} s | {:.2} s | {:.2}x |",
            median(cli),
            median(bench),
            median(ratios)
        );
    }
    let (streams, seconds) = build_all(&rt, &store);
    println!();
    println!("| snapshot build of every stream (`B`) | streams | seconds | streams/s |");
    println!("|---|---|---|---|");
    println!(
        "| 1M demo | {streams} | {seconds:.1} | {:.0} |",
        streams as f64 / seconds
    );
}
