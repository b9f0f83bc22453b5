//! Resource limits met by real commands: a script recursing without end, a state nested
//! deeper than readers take, a projection with more partitions than its memory limit
//! holds. Each fails with one clear line and exit code 1; nothing crashes, nothing hangs.

mod common;

use common::{Sandbox, run, run_with_stdin};

/// `count` events, each on a stream of its own (`P-0`, `P-1`, …), through `append`.
fn one_event_per_stream(s: &Sandbox, count: usize) {
    let lines: String = (0..count)
        .map(|i| {
            format!(
                "{{\"stream_id\":\"P-{i}\",\"event_type\":\"Touched\",\"data\":{{\"i\":{i}}}}}\n"
            )
        })
        .collect();
    let (code, _, err) = run_with_stdin(s.rewind(&["append", "--jsonl", "-"]), &lines);
    assert_eq!(code, 0, "{err}");
}

fn script(s: &Sandbox, name: &str, code: &str) -> String {
    let path = s.path(name);
    std::fs::write(&path, code).unwrap();
    path.to_str().unwrap().to_owned()
}

fn one_line(err: &str) -> &str {
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err.trim_end()
}

#[test]
fn endless_recursion_in_a_projection_is_a_stack_overflow_at_its_line() {
    let s = Sandbox::new();
    one_event_per_stream(&s, 3);
    let file = script(
        &s,
        "recurse.js",
        "function down(n) { return down(n + 1) + 1; }\nfromAll().when({ $any: (s, e) => { down(0); return s; } })\n",
    );
    let (code, _, err) = run(s.rewind(&["project", "run", &file]));
    assert_eq!(code, 1, "{err}");
    let err = one_line(&err);
    assert!(err.contains("stack overflow"), "{err}");
    assert!(err.contains("recurse.js line 1,"), "names the line: {err}");
    assert!(err.contains("P-0@1"), "names the event: {err}");
}

#[test]
fn endless_recursion_in_a_reducer_is_a_stack_overflow_for_state() {
    let s = Sandbox::new();
    one_event_per_stream(&s, 1);
    let file = script(
        &s,
        "recurse.js",
        "const f = (n) => [f(n + 1)];\nwhen({ Touched: (s) => f(0) })\n",
    );
    let (code, _, err) = run(s.rewind(&["state", "P-0", "--reducer", &file]));
    assert_eq!(code, 1, "{err}");
    assert!(one_line(&err).contains("stack overflow"), "{err}");
}

/// A reducer may build a state deeper than JSON readers (serde's 128 levels) or even
/// QuickJS's own JSON.stringify take: a clear error, no snapshot saved from it.
#[test]
fn a_state_nested_beyond_what_readers_take_is_a_clear_error() {
    let s = Sandbox::new();
    one_event_per_stream(&s, 1);
    for depth in [500, 200_000] {
        let file = script(
            &s,
            "deep.js",
            &format!(
                "when({{ Touched: () => {{ let d = {{}}; for (let i = 0; i < {depth}; i++) d = {{ d }}; return d; }} }})\n"
            ),
        );
        let (code, _, err) = run(s.rewind(&["state", "P-0", "--reducer", &file]));
        assert_eq!(code, 1, "depth {depth}: {err}");
        let err = one_line(&err);
        assert!(
            err.contains("nest") || err.contains("recursion") || err.contains("stack overflow"),
            "depth {depth}: {err}"
        );
    }
    let (code, out, err) = run(s.rewind(&["snapshot", "list"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim().is_empty(),
        "no snapshot of a state nobody can read: {out}"
    );
}

/// `foreachStream` over more streams than the memory limit holds partitions for: the
/// runtime's heap stays at its limit and the run stops saying so, instead of the process
/// growing until the machine swaps.
#[test]
fn more_partitions_than_the_memory_limit_holds_fail_clearly() {
    let s = Sandbox::new();
    std::fs::write(s.config(), "[script]\nmemory_limit_mb = 8\n").unwrap();
    one_event_per_stream(&s, 20_000);
    let file = script(
        &s,
        "wide.js",
        "fromAll().foreachStream().when({ $any: (s, e) => ({ seen: e.data.i, pad: 'x'.repeat(400) + e.streamId }) })\n",
    );
    let (code, _, err) = run(s.rewind(&["project", "run", &file]));
    assert_eq!(code, 1, "{err}");
    let err = one_line(&err);
    assert!(err.contains("memory limit"), "{err}");
    assert!(err.contains("memory_limit_mb"), "says which setting: {err}");

    // The same projection within a limit that holds it completes, one partition a stream.
    std::fs::write(s.config(), "[script]\nmemory_limit_mb = 256\n").unwrap();
    let (code, out, err) = run(s.rewind(&["project", "run", &file]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("P-19999"), "every partition is in the result");
}
