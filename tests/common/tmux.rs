//! tmux for end-to-end terminal tests: `rewind` runs in a detached session of its own
//! tmux server (socket); send-keys types, capture-pane reads the screen.

use std::process::Command;
use std::time::{Duration, Instant};

use super::Sandbox;

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `with_store`: pass the sandbox's --config and --db; `after`: shell run once rewind
    /// exits (to keep the pane on screen for reading).
    pub fn start(sandbox: &Sandbox, args: &[&str], with_store: bool, after: &str) -> Tmux {
        Tmux::start_sized(sandbox, args, with_store, after, (120, 30))
    }

    /// As `start`, in a terminal of `(columns, rows)`.
    pub fn start_sized(
        sandbox: &Sandbox,
        args: &[&str],
        with_store: bool,
        after: &str,
        (columns, rows): (u16, u16),
    ) -> Tmux {
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
                &columns.to_string(),
                "-y",
                &rows.to_string(),
                "-e",
                "REWIND_LOG_FILE=/dev/null",
            ])
            .arg(format!("env -u REWIND_DB -u REWIND_CONFIG {shell}"))
            .status()
            .expect("tmux runs (CI installs it)");
        assert!(status.success());
        Tmux { socket }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", key])
                .status()
                .unwrap();
            // Separate keys, so that Esc followed by a key is not read as Alt-key.
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    /// The pid of the `rewind` process running in the pane (the pane's shell may have
    /// started it as a child).
    pub fn rewind_pid(&self) -> Option<u32> {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display-message", "-p", "#{pane_pid}"])
            .output()
            .ok()?;
        let mut pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
        // Down the first-child chain: sh -c → env → rewind.
        for _ in 0..4 {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            if comm.trim() == "rewind" {
                return Some(pid);
            }
            let children =
                std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
            pid = children.split_whitespace().next()?.parse().ok()?;
        }
        None
    }

    /// Waits until the screen shows `text`.
    /// Returns a capture taken a moment after the text appeared and still showing it, so
    /// that the frame that drew it is complete (a capture can land mid-redraw).
    pub fn expect(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                std::thread::sleep(Duration::from_millis(60));
                let settled = self.screen();
                if settled.contains(text) {
                    return settled;
                }
                continue;
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
