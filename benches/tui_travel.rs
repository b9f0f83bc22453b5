//! Time travel in the TUI on a 100,000-event stream with snapshots every 100, driven
//! without a terminal (the app, its background folds and rendering are the real ones):
//! each step (→) and each jump (`:version N` to random versions) timed from key to the
//! drawn frame, with the merge-patch reducer and with a JavaScript reducer.
//!
//!   cargo bench --bench tui_travel

use std::time::Instant;

use crossterm::event::KeyCode;
use rewind::config::Config;
use rewind::replay::{ReducerSpec, Target, TimeTravel};
use rewind::store::{ExpectedVersion, NewEvent};
use rewind::tui::harness::Harness;
use serde_json::json;

mod common;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: u64 = 100_000;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = common::open(&rt, &dir.path().join("travel.db"));
    let script = dir.path().join("big.js");
    std::fs::write(
        &script,
        "when({ $init: () => ({ balance: 0, deposits: 0 }), \
         MoneyDeposited: (s, e) => { s.balance += e.data.amount; s.deposits += 1; } })",
    )
    .unwrap();
    eprintln!("appending {EVENTS} events to one stream ...");
    rt.block_on(async {
        for chunk in 0..EVENTS / 1000 {
            let events = (0..1000)
                .map(|i| NewEvent::new("MoneyDeposited", json!({"amount": chunk * 1000 + i})))
                .collect();
            store
                .append("Big-1", ExpectedVersion::Any, events)
                .await
                .unwrap();
        }
    });
    println!("| reducer | step (→): median / p99 | jump (:version N): median / p99 |");
    println!("|---|---|---|");
    for (name, reducer) in [("merge patch", None), ("JavaScript", Some(script.clone()))] {
        let mut config = Config::default();
        if let Some(path) = &reducer {
            config.reducers.insert("Big".into(), path.clone());
        }
        rt.block_on(async {
            let spec = ReducerSpec::for_category(&config, "Big", None).unwrap();
            TimeTravel::new(store.clone(), spec, 100)
                .build_snapshots("Big-1", 100)
                .await
                .unwrap();
            let mut h = Harness::with_config(store.clone(), config, 160, 50);
            h.settle().await;
            h.app
                .open_travel("Big-1".into(), Target::Version(EVENTS / 2));
            h.settle().await;
            h.draw();
            assert!(h.screen().contains("v50000 of 100000"), "{}", h.screen());
            let mut steps = Vec::new();
            for _ in 0..300 {
                let t = Instant::now();
                h.press(KeyCode::Right);
                h.settle().await;
                h.draw();
                steps.push(t.elapsed());
            }
            assert!(h.screen().contains("v50300 of"), "{}", h.screen());
            let mut jumps = Vec::new();
            let mut seed = 11u64;
            for _ in 0..200 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let t = Instant::now();
                h.press(KeyCode::Char(':'));
                h.type_text(&format!("version {}", (seed >> 33) % EVENTS + 1));
                h.press(KeyCode::Enter);
                h.settle().await;
                h.draw();
                jumps.push(t.elapsed());
            }
            steps.sort();
            jumps.sort();
            println!(
                "| {name} | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
                common::percentile_ms(&steps, 0.5),
                common::percentile_ms(&steps, 0.99),
                common::percentile_ms(&jumps, 0.5),
                common::percentile_ms(&jumps, 0.99)
            );
        });
    }
}
