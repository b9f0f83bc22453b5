//! Time-travel benchmarks: per-query latency (median and p99 of 200 random versions of a
//! 100,000-event stream with snapshots every 100) and full-replay throughput, with the
//! merge-patch reducer and a JavaScript reducer, beside a plain Rust fold of the same
//! events in the same run.
//!
//!   cargo bench --bench time_travel
//!
//! Not criterion: the figures wanted are a latency distribution over distinct queries
//! (each version is asked once), which criterion's per-routine sampling does not give.

use std::time::{Duration, Instant};

use rewind::replay::{Folder, ReducerKind, ReducerSpec, Target, TimeTravel};
use rewind::script::{ScriptLimits, ScriptSource};
use rewind::store::{
    ExpectedVersion, NewEvent, OpenOptions, RecordedEvent, Store, StoreUrl, StreamPages,
    StreamQuery,
};
use serde_json::json;

mod common;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: u64 = 100_000;
const QUERIES: usize = 200;
const STREAM: &str = "Account-1";

const JS_REDUCER: &str = "when({
  $init: () => ({ balance: 0, deposits: 0, withdrawals: 0 }),
  MoneyDeposited: (s, e) => { s.balance += e.data.amount; s.deposits += 1; },
  MoneyWithdrawn: (s, e) => { s.balance -= e.data.amount; s.withdrawals += 1; },
});";

fn js(code: &str) -> ReducerSpec {
    ReducerSpec::new(
        ReducerKind::Script(ScriptSource {
            name: "account.js".into(),
            code: code.into(),
        }),
        Vec::new(),
        ScriptLimits::default(),
    )
}

fn in_memory_events(count: u64) -> Vec<RecordedEvent> {
    (1..=count)
        .map(|n| {
            let kind = if n % 3 == 0 {
                "MoneyWithdrawn"
            } else {
                "MoneyDeposited"
            };
            serde_json::from_value(json!({
                "event_id": uuid::Uuid::now_v7(), "stream_id": STREAM, "stream_type": "Account",
                "event_type": kind, "version": n, "schema_version": 1,
                "data": {"amount": n % 500 + 1, "reference": format!("ref-{n}")}, "metadata": {},
                "global_position": n, "recorded_at": "2026-01-15T10:30:00.123456Z",
            }))
            .unwrap()
        })
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and `cargo test --benches` probe benches this way
    }
    if std::env::args().any(|a| a == "--fold-only") {
        // For instruction counts (valgrind --tool=callgrind), which the noisy VM's
        // timings cannot replace: 20,000 events built in memory, folded once by the JS reducer.
        let events = in_memory_events(20_000);
        let mut folder = Folder::new(&js(JS_REDUCER)).unwrap();
        folder.apply(&events).unwrap();
        println!("{}", folder.state().unwrap());
        return;
    }
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(Store::open(
            &StoreUrl::Sqlite(dir.path().join("tt.db")),
            OpenOptions::default(),
        ))
        .unwrap();
    eprintln!("building a {EVENTS}-event stream ...");
    for chunk in 0..EVENTS / 1000 {
        let events = (0..1000)
            .map(|i| {
                let n = chunk * 1000 + i;
                let kind = if n % 3 == 0 {
                    "MoneyWithdrawn"
                } else {
                    "MoneyDeposited"
                };
                NewEvent::new(
                    kind,
                    json!({"amount": n % 500 + 1, "reference": format!("ref-{n}")}),
                )
            })
            .collect();
        rt.block_on(store.append(STREAM, ExpectedVersion::Exact(chunk * 1000), events))
            .unwrap();
    }

    // 200 distinct random versions, the same for every reducer (a fixed LCG).
    let mut seed = 42u64;
    let versions: Vec<u64> = (0..QUERIES)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % EVENTS + 1
        })
        .collect();

    println!("| reducer | query median | query p99 | full replay (read + fold) |");
    println!("|---|---|---|---|");
    for (name, spec) in [
        ("merge patch", ReducerSpec::merge_patch()),
        ("JavaScript", js(JS_REDUCER)),
    ] {
        let travel = TimeTravel::new(store.clone(), spec.clone(), 100);
        rt.block_on(travel.build_snapshots(STREAM, 100)).unwrap();
        let mut times: Vec<Duration> = versions
            .iter()
            .map(|&v| {
                let started = Instant::now();
                let answer = rt
                    .block_on(travel.state_at(STREAM, Target::Version(v)))
                    .unwrap();
                assert_eq!(answer.version, v);
                started.elapsed()
            })
            .collect();
        times.sort();
        let full = TimeTravel::new(store.clone(), spec.clone(), 100).full_replays();
        let mut rates = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let answer = rt.block_on(full.state_at(STREAM, Target::Latest)).unwrap();
            assert_eq!(answer.replayed, EVENTS);
            rates.push(EVENTS as f64 / started.elapsed().as_secs_f64());
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "| {name} | {} | {} | {:.0} events/s |",
            ms(common::percentile(&times, 0.5)),
            ms(common::percentile(&times, 0.99)),
            rates[2]
        );
    }

    // The folds alone, in memory: the events read once, then folded 5 times each.
    let events: Vec<RecordedEvent> = rt.block_on(async {
        let query = StreamQuery {
            limit: 5000,
            ..Default::default()
        };
        let mut pages = store.pages(
            StreamPages {
                stream_id: STREAM.into(),
                query,
            },
            None,
        );
        let mut all = Vec::new();
        while let Some(page) = pages.next_page().await.unwrap() {
            all.extend(page);
        }
        all
    });
    let median_rate = |fold: &mut dyn FnMut()| {
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                fold();
                EVENTS as f64 / started.elapsed().as_secs_f64()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        rates[2]
    };
    let plain = median_rate(&mut || {
        // A plain Rust fold: parse each event's data, add up the balance.
        let mut balance = 0i64;
        for e in &events {
            let data: serde_json::Value = serde_json::from_str(e.data.get()).unwrap();
            let amount = data["amount"].as_i64().unwrap();
            balance += if e.event_type == "MoneyDeposited" {
                amount
            } else {
                -amount
            };
        }
        std::hint::black_box(balance);
    });
    let mut merge = Folder::new(&ReducerSpec::merge_patch()).unwrap();
    let merge_rate = median_rate(&mut || {
        merge.reset(None).unwrap();
        merge.apply(&events).unwrap();
    });
    let mut script = Folder::new(&js(JS_REDUCER)).unwrap();
    let script_rate = median_rate(&mut || {
        script.reset(None).unwrap();
        script.apply(&events).unwrap();
    });
    println!();
    println!("| fold alone, in memory | events/s |");
    println!("|---|---|");
    println!("| plain Rust fold (serde_json) | {plain:.0} |");
    println!("| merge patch (Folder) | {merge_rate:.0} |");
    println!("| JavaScript reducer (Folder) | {script_rate:.0} |");
}
