//! Replays the fuzz targets' committed corpora (fuzz/corpus/TARGET) and the inputs that
//! once broke them (fuzz/regressions/TARGET) through the same entry points the fuzzers
//! call (src/fuzzing.rs), on stable Rust: a promise that fuzzing once checked stays kept.

use std::path::{Path, PathBuf};

use rewind::fuzzing::{self, StoreHarness};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|kind| std::fs::read_dir(root.join(kind).join(target)).ok())
        .flat_map(|dir| dir.map(|entry| entry.expect("a corpus entry").path()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus for {target}");
    files
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let files = inputs(target);
    for file in &files {
        let bytes = std::fs::read(file).expect("a corpus file");
        // Name the input when it breaks a promise.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&bytes)));
        assert!(outcome.is_ok(), "{target}: {} broke", file.display());
    }
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn append_jsonl_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let harness = StoreHarness::open(dir.path());
    replay("append_jsonl", |bytes| {
        fuzzing::append_jsonl(&harness, bytes)
    });
}

#[test]
fn import_jsonl_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let harness = StoreHarness::open(dir.path());
    replay("import_jsonl", |bytes| {
        fuzzing::import_jsonl(&harness, bytes)
    });
}

#[test]
fn config_toml_corpus() {
    replay("config_toml", fuzzing::config_toml);
}

#[test]
fn json_patches_corpus() {
    replay("json_patches", fuzzing::json_patches);
}

#[test]
fn script_events_corpus() {
    replay("script_events", fuzzing::script_events);
}
