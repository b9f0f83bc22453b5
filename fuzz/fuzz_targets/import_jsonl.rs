#![no_main]
//! See src/fuzzing.rs: `import_jsonl`.

use libfuzzer_sys::fuzz_target;
use rewind::fuzzing::{StoreHarness, import_jsonl};

fuzz_target!(|bytes: &[u8]| import_jsonl(StoreHarness::for_process(), bytes));
