#![no_main]
//! See src/fuzzing.rs: `json_patches`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| rewind::fuzzing::json_patches(bytes));
