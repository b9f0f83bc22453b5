//! A JavaScript projection (balance per account) replaying the 1,000,000-event demo log:
//! events/s and peak resident memory, beside the same fold in plain Rust over the same
//! log, read through the same paged reads, in the same run.
//!
//!   cargo bench --bench projection
//!
//! Peak memory is the process's high-water mark (VmHWM), so each measurement runs in a
//! child process of its own: `--js` or `--plain` with the store's path.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rewind::projection::{Projection, RunOptions};
use rewind::replay::load_upcasters;
use rewind::script::ScriptSource;
use rewind::store::{LogFilter, LogQuery};

mod common;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: u64 = 1_000_000;

/// The JS projection through the runner, as `rewind project run` runs it.
fn js(path: &Path) {
    let rt = common::runtime();
    let store = common::open(&rt, path);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = rewind::config::Config::from_file(&root.join("config.toml")).unwrap();
    let script = root.join("assets/projections/balance_per_account.js");
    let source = ScriptSource {
        name: script.display().to_string(),
        code: std::fs::read_to_string(&script).unwrap(),
    };
    let options = RunOptions {
        upcasters: load_upcasters(&config).unwrap(),
        ..Default::default()
    };
    let started = Instant::now();
    let state = rt
        .block_on(Projection::new(store, source, options).run(false, |_| {}))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let accounts = state.result.as_object().unwrap().len();
    // Log events replayed per second: the category pushdown reads only Account events.
    println!(
        "js {:.0} {:.1} {accounts} {}",
        EVENTS as f64 / seconds,
        common::memory_mb("VmHWM"),
        state.processed
    );
}

/// The same fold in plain Rust: the category's events through the same paged reads.
fn plain(path: &Path) {
    let rt = common::runtime();
    let store = common::open(&rt, path);
    let started = Instant::now();
    let mut balances: HashMap<String, i64> = HashMap::new();
    let processed = rt.block_on(async {
        let filter = LogFilter {
            category: Some("Account".into()),
            ..Default::default()
        };
        let mut pages = store.pages(
            LogQuery {
                filter,
                ..Default::default()
            },
            None,
        );
        let mut processed = 0u64;
        while let Some(page) = pages.next_page().await.unwrap() {
            for e in &page {
                processed += 1;
                let data: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
                let amount = match e.event_type.as_str() {
                    "MoneyDeposited" => data["amount"]["value"]
                        .as_i64()
                        .or_else(|| data["amount"].as_i64())
                        .unwrap(),
                    "MoneyWithdrawn" => -data["amount"].as_i64().unwrap(),
                    _ => continue,
                };
                *balances.entry(e.stream_id.clone()).or_insert(0) += amount;
            }
        }
        processed
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "plain {:.0} {:.1} {} {processed}",
        EVENTS as f64 / seconds,
        common::memory_mb("VmHWM"),
        balances.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--js") {
        return js(Path::new(&args[i + 1]));
    }
    if let Some(i) = args.iter().position(|a| a == "--plain") {
        return plain(Path::new(&args[i + 1]));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    common::build_demo(&common::runtime(), &path, EVENTS);
    let me = std::env::current_exe().unwrap();
    println!("| fold | log events/s | peak resident memory |");
    println!("|---|---|---|");
    for (label, flag) in [
        ("JavaScript projection (runner)", "--js"),
        ("plain Rust fold", "--plain"),
    ] {
        let mut runs: Vec<(f64, f64)> = (0..3)
            .map(|_| {
                let out = Command::new(&me).arg(flag).arg(&path).output().unwrap();
                let text = String::from_utf8(out.stdout).unwrap();
                let fields: Vec<&str> = text.split_whitespace().collect();
                assert!(
                    fields.len() >= 3,
                    "{flag}: {text} {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                (fields[1].parse().unwrap(), fields[2].parse().unwrap())
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, rss) = runs[1];
        println!("| {label} | {rate:.0} | {rss:.0} MB |");
    }
}
