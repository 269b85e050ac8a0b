#![no_main]
//! Fuzz target `compose`: see keyguide::fuzzing::compose.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::compose(data));
