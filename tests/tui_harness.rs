//! The TUI on a real store without a terminal (the harness: the app, its I/O layer and
//! its drawing are the real ones, on ratatui's TestBackend).

mod common;

use crossterm::event::KeyCode;
use rewind::store::{ExpectedVersion, NewEvent};
use rewind::tui::harness::Harness;
use serde_json::json;

/// `:asof` leaves out the streams that did not exist yet at the moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_leaves_out_streams_that_did_not_exist_yet() {
    let sandbox = common::Sandbox::new();
    let store = sandbox.open().await;
    for (stream, amount) in [("Acc-1", 5), ("Acc-2", 7), ("Acc-1", 1), ("Acc-3", 9)] {
        store
            .append(
                stream,
                ExpectedVersion::Any,
                vec![NewEvent::new("Deposited", json!({ "amount": amount }))],
            )
            .await
            .unwrap();
    }
    let mut h = Harness::new(store, 140, 30);
    h.settle().await;
    h.press(KeyCode::Char(':'));
    h.type_text("asof Acc @2");
    h.press(KeyCode::Enter);
    h.settle().await;
    h.draw();
    let screen = h.screen();
    assert!(
        screen.contains("Acc-1") && screen.contains("Acc-2"),
        "{screen}"
    );
    assert!(!screen.contains("Acc-3"), "created at position 4: {screen}");
    // A moment later every stream is there.
    h.press(KeyCode::Right);
    h.settle().await;
    h.draw();
    assert!(h.screen().contains("Acc-3"), "{}", h.screen());
}
