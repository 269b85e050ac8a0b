#![no_main]
//! Fuzz target `verify`: see keyguide::fuzzing::verify.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::verify(data));
