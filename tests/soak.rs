//! Soak test (opt-in: `cargo test --release --test soak -- --ignored --nocapture`): appends
//! at a steady rate for REWIND_SOAK_SECS (default 600) at REWIND_SOAK_RATE events a second
//! (default 200) while `rewind log --follow` and the TUI's Log view follow them live, and
//! checks that neither grows in memory: resident memory at the end within 1.5x + 16 MiB of
//! what it was after the first minute. Prints the figures.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Sandbox, open_store, tmux::Tmux};
use rewind::store::{ExpectedVersion, NewEvent};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("a live process");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
#[ignore = "soak test: minutes long, run by hand"]
fn follow_and_tui_stay_bounded_in_memory_under_steady_appends() {
    let secs = env_u64("REWIND_SOAK_SECS", 600);
    let rate = env_u64("REWIND_SOAK_RATE", 200);
    let sandbox = Sandbox::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(open_store(&sandbox.db()));
    let event = |i: u64| NewEvent {
        event_id: None,
        event_type: "Ticked".into(),
        data: serde_json::value::RawValue::from_string(format!(
            "{{\"i\":{i},\"note\":\"{}\"}}",
            "x".repeat(200)
        ))
        .unwrap(),
        metadata: None,
        schema_version: 1,
    };
    runtime
        .block_on(store.append("Soak-0", ExpectedVersion::Any, vec![event(0)]))
        .unwrap();

    let mut follower = sandbox
        .rewind(&["log", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let stdout = follower.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            line.unwrap();
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let tui = Tmux::start(&sandbox, &[], true, "");
    tui.expect("Soak-0");
    tui.keys(&["2", "f"]);
    let tui_pid = tui.rewind_pid().expect("the TUI's pid");

    // Batches of rate/10 every 100 ms, on 20 streams in turn.
    let started = Instant::now();
    let (mut sent, mut batch_no) = (1u64, 0u64);
    let per_batch = (rate / 10).max(1);
    let mut samples: Vec<(u64, u64, u64)> = Vec::new();
    let mut next_sample = Duration::from_secs(60);
    while started.elapsed() < Duration::from_secs(secs) {
        let events = (sent..sent + per_batch).map(event).collect();
        let stream = format!("Soak-{}", batch_no % 20);
        runtime
            .block_on(store.append(&stream, ExpectedVersion::Any, events))
            .unwrap();
        sent += per_batch;
        batch_no += 1;
        if started.elapsed() >= next_sample {
            let sample = (
                started.elapsed().as_secs(),
                rss_kib(follower.id()),
                rss_kib(tui_pid),
            );
            eprintln!(
                "t={}s sent={sent} follower={} KiB tui={} KiB",
                sample.0, sample.1, sample.2
            );
            samples.push(sample);
            next_sample += Duration::from_secs(60);
        }
        let due = Duration::from_millis(100 * (batch_no + 1));
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let end = (
        started.elapsed().as_secs(),
        rss_kib(follower.id()),
        rss_kib(tui_pid),
    );
    samples.push(end);

    // The follower delivers every event.
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        received.load(Ordering::Relaxed),
        sent,
        "the follower got every event"
    );
    // The TUI's Log view follows to the last event (its position is `sent`).
    tui.expect(&format!(" {sent} "));
    follower.kill().unwrap();
    follower.wait().unwrap();
    reader.join().unwrap();

    let start = samples[0];
    eprintln!(
        "soak: {sent} events in {}s ({rate}/s); follower {} -> {} KiB, TUI {} -> {} KiB",
        end.0, start.1, end.1, start.2, end.2
    );
    let bounded = |first: u64, last: u64| last <= first * 3 / 2 + 16 * 1024;
    assert!(bounded(start.1, end.1), "the follower grew: {samples:?}");
    assert!(bounded(start.2, end.2), "the TUI grew: {samples:?}");
}
