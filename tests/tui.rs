//! The real binary in a real terminal: tmux runs `rewind`, send-keys types, capture-pane
//! reads the screen. Each test has its own tmux server (socket) and its own store.

mod common;

use common::tmux::Tmux;
use common::{Sandbox, run};

#[test]
fn browse_streams_log_and_a_stream_then_quit() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    // After rewind exits, the shell says so and waits, so the restored screen can be read.
    let tui = Tmux::start(&s, &[], true, "; echo TERMINAL-RESTORED $?; sleep 30");
    let screen = tui.expect("Account-1 ");
    assert!(
        screen.contains("1 Streams") && screen.contains("3,000 events"),
        "{screen}"
    );

    // Complete a stream id on the command line, then open it.
    tui.keys(&[":", "stream Account-1", "Tab"]);
    tui.expect(":stream Account-10");
    tui.keys(&["Escape"]);
    tui.keys(&["Enter"]);
    let screen = tui.expect("AccountOpened @ 1");
    assert!(
        screen.contains("position") && screen.contains("\"owner\""),
        "{screen}"
    );
    tui.expect("caused by");
    // The event pane: a folding tree (Tab to it, Enter folds), r for the raw JSON.
    tui.expect("▾ data: {");
    tui.keys(&["Tab", "Enter"]);
    tui.expect("▸ data: {");
    tui.keys(&["r"]);
    tui.expect("\"owner\": ");
    tui.keys(&["r", "BTab"]);
    tui.keys(&["Escape"]);
    tui.expect("Last event");

    // Filter the log from the command line, then clear the filter.
    tui.keys(&[":", "type OrderPlaced", "Enter"]);
    let screen = tui.expect("Log · type OrderPlaced");
    assert!(!screen.contains("MoneyDeposited"), "{screen}");
    // Export the filtered slice in the background.
    let exported = s.path("placed.jsonl");
    tui.keys(&[":", &format!("export {}", exported.display()), "Enter"]);
    tui.expect("exported");
    let lines = std::fs::read_to_string(&exported).unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines
            .lines()
            .all(|l| l.contains("\"event_type\":\"OrderPlaced\"")),
        "{lines}"
    );
    tui.keys(&[":", "clear", "Enter"]);
    tui.expect("AccountOpened");

    tui.keys(&["G"]);
    tui.expect("3000 ");
    // An append from another process: first the badge, then, following, the event itself.
    let (code, _, err) = run(s.rewind(&[
        "append",
        "Live-1",
        "Pinged",
        "--data",
        r#"{"from":"outside"}"#,
    ]));
    assert_eq!(code, 0, "{err}");
    tui.expect("paused, 1 new");
    tui.keys(&["f"]);
    let screen = tui.expect("Live-1@1");
    assert!(screen.contains("following"), "{screen}");
    let (code, _, _) = run(s.rewind(&["append", "Live-1", "Pinged", "--data", "{}"]));
    assert_eq!(code, 0);
    tui.expect("Live-1@2");

    tui.keys(&["?"]);
    tui.expect("keys and commands (any key closes)");
    tui.keys(&["Escape"]);
    tui.keys(&["q"]);
    // Exit code 0, the alternate screen left (the UI is gone), the mouse released.
    let screen = tui.expect("TERMINAL-RESTORED 0");
    assert!(
        !screen.contains("1 Streams") && !screen.contains("q quit"),
        "{screen}"
    );
}

#[test]
fn without_a_terminal_it_says_so() {
    let s = Sandbox::new();
    run(s.rewind(&["append", "A-1", "T"]));
    let (code, _, err) = run(s.rewind(&[]));
    assert_eq!(code, 1);
    assert!(err.contains("needs a terminal"), "{err}");
}

#[test]
fn a_bad_store_or_config_ends_with_a_clear_error_not_a_hang() {
    let s = Sandbox::new();
    let missing = s.path("missing/nothing.db");
    let tui = Tmux::start(
        &s,
        &[
            "--config",
            s.config().to_str().unwrap(),
            "--db",
            missing.to_str().unwrap(),
        ],
        false,
        "; sleep 30",
    );
    tui.expect("rewind: no store at");
    std::fs::write(s.config(), "snapshot_every = = 1\n").unwrap();
    let tui = Tmux::start(
        &s,
        &["--config", s.config().to_str().unwrap()],
        false,
        "; sleep 30",
    );
    tui.expect("config.toml:1:");
}

/// A failed `:export` (a folder that does not exist) says why and does not block the next
/// export (issue 16, bug 4).
#[test]
fn a_failed_export_is_reported_and_the_next_one_runs() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "500"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start(&s, &[], true, "");
    tui.expect("Account-1 ");
    tui.keys(&["2"]);
    tui.keys(&[":", "export /no/such/folder/x.jsonl", "Enter"]);
    tui.expect("export failed");
    let exported = s.path("all.jsonl");
    tui.keys(&[":", &format!("export {}", exported.display()), "Enter"]);
    tui.expect("exported 500 events");
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap().lines().count(),
        500
    );
    tui.keys(&["q"]);
}

/// `[keys] quit = "x"`: the footer says `x quit`, `q` does nothing, `x` quits (issue 16,
/// bug 15: the footer said `q quit` and `q` did nothing).
#[test]
fn a_remapped_key_shows_in_the_footer_and_works() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "300"]));
    assert_eq!(code, 0, "{err}");
    std::fs::write(s.config(), "[keys]\nquit = \"x\"\n").unwrap();
    let tui = Tmux::start(&s, &[], true, "; echo REWIND-EXITED; sleep 30");
    let screen = tui.expect("x quit");
    assert!(!screen.contains("q quit"), "{screen}");
    tui.keys(&["q"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !tui.screen().contains("REWIND-EXITED"),
        "q is no longer quit"
    );
    tui.keys(&["x"]);
    tui.expect("REWIND-EXITED");
}

/// Under a filter, "paused, N new" counts the new events the filter matches (issue 16,
/// bug 5: it counted every new event).
#[test]
fn the_paused_badge_counts_what_the_filter_matches() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "300"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start(&s, &[], true, "");
    tui.expect("Account-1 ");
    tui.keys(&["2", ":", "type OrderPlaced", "Enter"]);
    tui.expect("Log · type OrderPlaced");
    tui.keys(&["G"]);
    tui.expect("OrderPlaced");
    let append = |event_type: &str| {
        let (code, _, err) = run(s.rewind(&["append", "Live-1", event_type, "--data", "{}"]));
        assert_eq!(code, 0, "{err}");
    };
    for _ in 0..3 {
        append("Other");
    }
    append("OrderPlaced");
    let screen = tui.expect("paused, 1 new");
    assert!(!screen.contains("paused, 4 new"), "{screen}");
    tui.keys(&["q"]);
}

/// The Streams list by last activity shows another process's append at its top without a
/// key (issue 16, bug 11).
#[test]
fn the_streams_list_by_activity_follows_appends() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "300"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start(&s, &[], true, "");
    tui.expect("Account-1 ");
    tui.keys(&["s"]);
    tui.expect("by last activity");
    let (code, _, err) = run(s.rewind(&["append", "Fresh-1", "Created", "--data", "{}"]));
    assert_eq!(code, 0, "{err}");
    let screen = tui.expect("Fresh-1");
    let first_row = screen
        .lines()
        .find(|l| l.contains("Account-") || l.contains("Fresh-1") || l.contains("Order-"))
        .unwrap_or_default();
    assert!(first_row.contains("Fresh-1"), "at the top: {screen}");
    tui.keys(&["q"]);
}

/// At 80x24 a refusal is readable (on the footer line) and `:messages` keeps it (issue
/// 16, bug 8).
#[test]
fn messages_are_readable_at_80_columns() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "300"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start_sized(&s, &["--read-only"], true, "", (80, 24));
    tui.expect("Account-1 ");
    tui.keys(&["a"]);
    tui.expect("the composer is off: the store is read-only");
    tui.keys(&[":", "messages", "Enter"]);
    let screen = tui.expect("the composer is off");
    assert!(!screen.contains("no messages"), "{screen}");
    tui.keys(&["Escape", "q"]);
}

/// An unreachable PostgreSQL server (refused at once) is reported at once, not after a
/// blank screen and the pool's 30 s timeout (issue 16, bug 7).
#[test]
fn a_refused_postgres_is_reported_at_once() {
    let s = Sandbox::new();
    let config = s.config().display().to_string();
    let started = std::time::Instant::now();
    let tui = Tmux::start(
        &s,
        &["--config", &config, "--db", "postgres://x@127.0.0.1:1/x"],
        false,
        "; echo REWIND-EXITED $?; sleep 30",
    );
    let screen = tui.expect("REWIND-EXITED 1");
    // The terminal wraps the one line at its width.
    assert!(
        screen.replace('\n', "").contains("Connection refused"),
        "{screen}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// `:where` in the real binary: the Log filtered by a data field, then a stream filtered
/// and exported as filtered; a mistake is named with its column.
#[test]
fn where_filters_the_log_and_a_stream_end_to_end() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start_sized(&s, &[], true, "", (140, 30));
    tui.expect("Account-1 ");
    tui.keys(&[
        ":",
        "where type = 'MoneyDeposited' and data.amount >= 1500",
        "Enter",
    ]);
    let screen = tui.expect("Log · where type = 'MoneyDeposited' and data.amount >= 1500");
    assert!(
        !screen.contains("MoneyWithdrawn") && !screen.contains("AccountOpened"),
        "{screen}"
    );
    tui.keys(&[":", "where data.amount >=", "Enter"]);
    tui.expect(":where: column 15: expected a value");

    tui.keys(&["1", "Enter"]);
    tui.expect("AccountOpened @ 1");
    tui.keys(&[":", "where data.amount > 1000", "Enter"]);
    let screen = tui.expect("Account-1 · where data.amount > 1000");
    assert!(!screen.contains("AccountOpened"), "{screen}");
    let exported = s.path("big.jsonl");
    tui.keys(&[":", &format!("export {}", exported.display()), "Enter"]);
    tui.expect("exported");
    let lines = common::json_lines(&std::fs::read_to_string(&exported).unwrap());
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|e| e["stream_id"] == "Account-1" && e["data"]["amount"].as_i64().unwrap() > 1000),
        "{lines:?}"
    );
    tui.keys(&[":", "clear", "Enter"]);
    tui.expect("AccountOpened");
    tui.keys(&["q"]);
}

/// The Types and Health views in the real binary, on the demo's planted findings.
#[test]
fn types_and_health_views_show_the_demo_s_findings_and_open_their_events() {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    let tui = Tmux::start_sized(&s, &[], true, "", (150, 34));
    tui.expect("Account-1 ");
    tui.keys(&["6"]);
    tui.expect("events read");
    let screen = tui.expect("⚠ 1 changed");
    assert!(
        screen.contains("ShipOrder") && screen.contains("OrderImported"),
        "{screen}"
    );
    // Down to MoneyDeposited, whose change shows beside the list; Enter opens its event.
    let mut found = false;
    for _ in 0..20 {
        tui.keys(&["Down"]);
        std::thread::sleep(std::time::Duration::from_millis(50));
        if tui.screen().contains("data.channel appeared") {
            found = true;
            break;
        }
    }
    assert!(found, "{}", tui.screen());
    tui.keys(&["Enter"]);
    tui.expect("MoneyDeposited @");
    tui.keys(&["Escape"]);
    tui.keys(&["7"]);
    let screen = tui.expect("dangling-causation");
    assert!(
        screen.contains("past-tense")
            && screen.contains("stream-name")
            && screen.contains("oversized")
            && screen.contains("shape-drift"),
        "{screen}"
    );
    tui.keys(&["Down", "Down", "Tab", "Enter"]);
    tui.expect("AuditCompleted @ 1");
    tui.keys(&["q"]);
}
