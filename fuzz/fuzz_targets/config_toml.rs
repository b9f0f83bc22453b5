#![no_main]
//! See src/fuzzing.rs: `config_toml`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| rewind::fuzzing::config_toml(bytes));
