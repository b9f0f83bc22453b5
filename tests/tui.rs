//! The real binary in a real terminal: tmux runs `rewind`, send-keys types, capture-pane
//! reads the screen. Each test has its own tmux server (socket) and its own store.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Sandbox, run};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// `with_store`: pass the sandbox's --config and --db; `after`: shell run once rewind
    /// exits (to keep the pane on screen for reading).
    fn start(sandbox: &Sandbox, args: &[&str], with_store: bool, after: &str) -> Tmux {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("rewind-test-{}-{n}", std::process::id());
        let mut command = vec![env!("CARGO_BIN_EXE_rewind").to_owned()];
        command.extend(args.iter().map(|a| a.to_string()));
        if with_store {
            command.extend([
                "--config".into(),
                sandbox.config().display().to_string(),
                "--db".into(),
                sandbox.db().display().to_string(),
            ]);
        }
        let shell = command
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
            + after;
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
                "-e",
                "REWIND_LOG_FILE=/dev/null",
            ])
            .arg(format!("env -u REWIND_DB -u REWIND_CONFIG {shell}"))
            .status()
            .expect("tmux runs (CI installs it)");
        assert!(status.success());
        Tmux { socket }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", key])
                .status()
                .unwrap();
            // Separate keys, so that Esc followed by a key is not read as Alt-key.
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    /// Waits until the screen shows `text`.
    fn expect(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

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
    tui.expect("Keys (any key closes)");
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
