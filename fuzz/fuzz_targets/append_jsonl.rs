#![no_main]
//! See src/fuzzing.rs: `append_jsonl`.

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rewind::fuzzing::{StoreHarness, append_jsonl};

/// One store for the whole run, in a folder removed when the process ends normally.
static HARNESS: LazyLock<(tempfile::TempDir, StoreHarness)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temp dir");
    let harness = StoreHarness::open(dir.path());
    (dir, harness)
});

fuzz_target!(|bytes: &[u8]| append_jsonl(&HARNESS.1, bytes));
