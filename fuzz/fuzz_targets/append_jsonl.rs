#![no_main]
//! See src/fuzzing.rs: `append_jsonl`.

use libfuzzer_sys::fuzz_target;
use rewind::fuzzing::{StoreHarness, append_jsonl};

fuzz_target!(|bytes: &[u8]| append_jsonl(StoreHarness::for_process(), bytes));
