#![no_main]
//! Fuzz target `markdown`: see keyguide::fuzzing::markdown.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::markdown(data));
