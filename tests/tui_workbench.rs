//! The projection workbench in the real binary, in a real terminal (tmux), on the demo
//! store: run a script and see its result, see it change when another process appends,
//! a fault shown at its line with its event, a breakpoint and a step.

mod common;

use common::tmux::Tmux;
use common::{Sandbox, run};

const COUNT: &str = "fromAll()\n  .when({\n    $init: () => ({ count: 0 }),\n    $any: (s, e) => { s.count += 1; },\n  })\n  .outputState();\n";

fn demo() -> Sandbox {
    let s = Sandbox::new();
    let (code, _, err) = run(s.rewind(&["demo", "--events", "3000"]));
    assert_eq!(code, 0, "{err}");
    s
}

#[test]
fn run_a_projection_follow_appends_and_fault_at_a_line() {
    let s = demo();
    std::fs::write(s.path("count.js"), COUNT).unwrap();
    let script = s.path("count.js").display().to_string();
    let tui = Tmux::start(&s, &["workbench", &script], true, "");
    let screen = tui.expect("5 Workbench");
    // It opens in normal mode (digits and `:` are keys); Enter or i edits.
    assert!(
        screen.contains("fromAll()") && screen.contains("Enter edits"),
        "{screen}"
    );
    tui.keys(&["i"]);
    tui.expect("editing");
    // Edit and save: the file on disk changes.
    tui.keys(&["C-End", "// counted by the workbench", "C-s"]);
    tui.expect("saved");
    let saved = std::fs::read_to_string(s.path("count.js")).unwrap();
    assert!(saved.contains("// counted by the workbench"), "{saved}");
    tui.keys(&["C-r"]);
    let screen = tui.expect("caught up");
    tui.expect("count: 3000");
    assert!(screen.contains("position   3000"), "{screen}");

    // Another process appends: the running projection's result follows.
    let (code, _, err) = run(s.rewind(&["append", "Account-1", "Noted", "--data", "{}"]));
    assert_eq!(code, 0, "{err}");
    tui.expect("count: 3001");

    // A script that throws on one event type (opened with :open): the fault at its line,
    // with the event that caused it.
    std::fs::write(s.path("bad.js"), COUNT.replace(
        "$any: (s, e) => { s.count += 1; },",
        "$any: (s, e) => { s.count += 1; },\n    Noted: () => { throw new Error('no notes'); },",
    ))
    .unwrap();
    let bad = s.path("bad.js").display().to_string();
    tui.keys(&[":", &format!("open {bad}"), "Enter"]);
    tui.expect("bad.js");
    tui.keys(&["C-r"]);
    let screen = tui.expect("FAULT at line 5");
    assert!(screen.contains("no notes"), "{screen}");
    // The event: the one appended above (Account-1's newest, the last in the log).
    let (_, out, _) = run(s.rewind(&["read", "Account-1", "--backward", "--limit", "1"]));
    let version = common::json_lines(&out)[0]["version"].as_u64().unwrap();
    assert!(
        screen.contains(&format!("event Account-1@{version}")),
        "{screen}"
    );
    // x skips the poison event and the run goes on to the head.
    tui.keys(&["x"]);
    tui.expect("caught up");
    tui.keys(&["q"]);
}

#[test]
fn a_breakpoint_stops_and_a_step_shows_the_event() {
    let s = demo();
    std::fs::write(s.path("count.js"), COUNT).unwrap();
    let script = s.path("count.js").display().to_string();
    let tui = Tmux::start(&s, &["workbench", &script], true, "");
    tui.expect("5 Workbench");
    tui.keys(&[":", "break OrderPlaced", "Enter"]);
    tui.expect("breaks     OrderPlaced");
    tui.keys(&["C-r"]);
    tui.expect("stopped at a breakpoint");
    tui.keys(&["n"]);
    let screen = tui.expect("OrderPlaced · position");
    assert!(screen.contains("before {\"count\":"), "{screen}");
    assert!(screen.contains("~ /count"), "{screen}");
    tui.keys(&["q"]);
}

#[test]
fn an_example_projection_shows_what_project_run_computes() {
    let s = demo();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/projections/orders_per_status.js")
        .display()
        .to_string();
    let (code, out, err) = run(s.rewind(&["project", "run", &example]));
    assert_eq!(code, 0, "{err}");
    let expected = &common::json_lines(&out)[0]["counts"];
    let tui = Tmux::start(&s, &["workbench", &example], true, "");
    tui.expect("orders_per_status.js");
    tui.keys(&["C-r"]);
    let screen = tui.expect("caught up");
    for status in ["cart", "placed", "shipped", "cancelled"] {
        let line = format!("{status}: {}", expected[status]);
        assert!(screen.contains(&line), "{line:?} not on screen:\n{screen}");
    }
    tui.keys(&["q"]);
}

/// Unsaved edits survive `q` and Ctrl-c (the status line says how to save or discard);
/// `:q!` discards them and quits, leaving the file as it was.
#[test]
fn unsaved_edits_survive_q_until_q_bang() {
    let s = demo();
    std::fs::write(s.path("count.js"), COUNT).unwrap();
    let script = s.path("count.js").display().to_string();
    let tui = Tmux::start(
        &s,
        &["workbench", &script],
        true,
        "; echo REWIND-EXITED; sleep 30",
    );
    tui.expect("5 Workbench");
    tui.keys(&["i", "C-End", "// not saved"]);
    tui.expect("// not saved");
    tui.keys(&["C-c"]);
    // (The status line is cut at the width of the terminal: issue 16, bug 8.)
    tui.expect("unsaved changes (:w saves");
    tui.keys(&["Escape", "q"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let screen = tui.expect("unsaved changes");
    assert!(!screen.contains("REWIND-EXITED"), "{screen}");
    tui.keys(&[":", "q!", "Enter"]);
    tui.expect("REWIND-EXITED");
    let text = std::fs::read_to_string(s.path("count.js")).unwrap();
    assert_eq!(text, COUNT, "the file as it was");
}

/// After a fault the panes show the last good event's figures and state (issue 16, bug
/// 2); Ctrl-r with the script fixed goes on from that event, not from the start (bug 3).
#[test]
fn a_fixed_script_resumes_from_the_last_good_event() {
    let s = demo();
    let script = "fromAll()\n  .when({\n    $init: () => ({ count: 0 }),\n    $any: (s, e) => {\n      s.count += typeof FIXED === 'undefined' ? 1 : FIXED;\n      if (e.position === 2000 && typeof FIXED === 'undefined') { s.count = -1; throw new Error('boom'); }\n    },\n  })\n  .outputState();\n";
    std::fs::write(s.path("faulty.js"), script).unwrap();
    let path = s.path("faulty.js").display().to_string();
    let tui = Tmux::start(&s, &["workbench", &path], true, "");
    tui.expect("5 Workbench");
    tui.keys(&["C-r"]);
    let screen = tui.expect("FAULT at line");
    assert!(screen.contains("boom"), "{screen}");
    // The state and count of event 1999, not of an earlier report or the half-done 2000.
    let screen = tui.expect("count: 1999");
    assert!(screen.contains("1,999"), "processed: {screen}");
    // Fix it (the fixed script counts by ten) and run on: 1999 + 10 × 1001.
    // (The editor's cursor is on the faulting line: up to the first; no `;`, which tmux
    // takes for its own.)
    tui.keys(&["Enter"]);
    tui.keys(&["Up"; 8]);
    tui.keys(&["Home", "var FIXED = 10", "Enter", "C-r"]);
    tui.expect("caught up");
    tui.expect("count: 12009");
}
