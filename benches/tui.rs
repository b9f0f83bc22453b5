//! The TUI on the 1,000,000-event demo store, driven without a terminal (ratatui's
//! TestBackend; the app, its background queries and rendering are the real ones): time to
//! the first frame with rows, page-down and jump latency (key to drawn frame), and resident
//! memory after scrolling the whole log end to end.
//!
//!   cargo bench --bench tui

use std::time::Instant;

use crossterm::event::KeyCode;
use rewind::store::{OpenOptions, Store, StoreUrl};
use rewind::tui::harness::Harness;

mod common;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EVENTS: u64 = 1_000_000;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = common::runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    common::build_demo(&rt, &path, EVENTS);
    rt.block_on(async {
        // Launch: open the store, first queries, first frame with rows.
        let started = Instant::now();
        let store = Store::open(&StoreUrl::Sqlite(path.clone()), OpenOptions::default()).await.unwrap();
        let mut h = Harness::new(store, 120, 40);
        h.settle().await;
        h.draw();
        let first_frame = started.elapsed();
        assert!(h.screen().contains("Account-1"), "{}", h.screen());

        // Page-downs through the log, each timed from key to drawn frame.
        h.press(KeyCode::Char('2'));
        h.settle().await;
        h.draw();
        let mut page_downs = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            h.press(KeyCode::PageDown);
            h.settle().await;
            h.draw();
            page_downs.push(t.elapsed());
        }
        page_downs.sort();

        // Jumps: to the end, the start, and positions across the log.
        let mut jumps = Vec::new();
        let mut seed = 7u64;
        for i in 0..60 {
            let t = Instant::now();
            match i % 3 {
                0 => h.press(KeyCode::Char('G')),
                1 => h.press(KeyCode::Char('g')),
                _ => {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    h.press(KeyCode::Char(':'));
                    h.type_text(&format!("position {}", (seed >> 33) % EVENTS + 1));
                    h.press(KeyCode::Enter);
                }
            }
            h.settle().await;
            h.draw();
            jumps.push(t.elapsed());
        }
        jumps.sort();

        // The whole log, end to end (a frame drawn every 100 keys).
        h.press(KeyCode::Char('g'));
        h.settle().await;
        let scroll = Instant::now();
        let mut presses = 0u64;
        while !(h.app.screens.log.window.at_end() && h.app.screens.log.window.selected_index() + 1 >= h.app.screens.log.window.len()) {
            h.press(KeyCode::PageDown);
            h.settle().await;
            presses += 1;
            if presses.is_multiple_of(100) {
                h.draw();
            }
        }
        let scrolled = scroll.elapsed();
        h.draw();
        assert!(h.screen().contains("1000000"), "{}", h.screen());

        println!("| measure | figure | target |");
        println!("|---|---|---|");
        println!("| first frame with rows, after launch | {:.0} ms | < 300 ms |", first_frame.as_secs_f64() * 1000.0);
        println!("| page down, key to frame: median / p99 | {:.2} / {:.2} ms | p99 < 50 ms |", common::percentile_ms(&page_downs, 0.5), common::percentile_ms(&page_downs, 0.99));
        println!("| jumps (G, g, :position), key to frame: median / p99 | {:.2} / {:.2} ms | p99 < 50 ms |", common::percentile_ms(&jumps, 0.5), common::percentile_ms(&jumps, 0.99));
        println!("| resident memory after scrolling the whole log ({presses} page-downs, {:.1} s) | {:.0} MB | < 150 MB |", scrolled.as_secs_f64(), common::memory_mb("VmRSS"));
    });
}
