#![no_main]
//! Fuzz target `ledger`: see keyguide::fuzzing::ledger.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::ledger(data));
