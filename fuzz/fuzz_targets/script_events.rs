#![no_main]
//! See src/fuzzing.rs: `script_events`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| rewind::fuzzing::script_events(bytes));
