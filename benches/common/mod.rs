//! Helpers the benchmarks share.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use rewind::store::{OpenOptions, Store, StoreUrl};

/// `bin` with stdin and stdout to nothing, no `REWIND_*` from the environment and no
/// cargo's LD_LIBRARY_PATH: each benchmarked process sees only the store and config it
/// is given, and starts as it would from a shell.
pub fn isolated(bin: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(bin);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("REWIND_") {
            command.env_remove(key);
        }
    }
    // Cargo runs a bench with LD_LIBRARY_PATH naming its target and toolchain folders;
    // rewind needs none of them, and the loader's look through each for every library
    // cost a child about 0.2 ms of CPU that a shell's `rewind` does not pay.
    command.env_remove("LD_LIBRARY_PATH");
    command
}

/// A two-worker runtime, like the binary's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Opens (creating) the SQLite store at `path`.
pub fn open(rt: &tokio::runtime::Runtime, path: &Path) -> Store {
    rt.block_on(Store::open(
        &StoreUrl::Sqlite(path.to_path_buf()),
        OpenOptions::default(),
    ))
    .unwrap()
}

/// Builds the demo store (seed 42) with `events` events at `path`.
pub fn build_demo(rt: &tokio::runtime::Runtime, path: &Path, events: u64) {
    let store = open(rt, path);
    eprintln!("building the {events}-event demo store ...");
    rt.block_on(rewind::demo::build(
        &store,
        rewind::demo::DemoSpec { seed: 42, events },
    ))
    .unwrap();
}

/// A memory figure of this process from /proc/self/status, in MB: `VmRSS` (now) or
/// `VmHWM` (the peak).
pub fn memory_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|v| v.strip_prefix(':')))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The `q` quantile (0 to 1) of durations sorted ascending.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// [`percentile`] in milliseconds.
pub fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    percentile(sorted, q).as_secs_f64() * 1000.0
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
