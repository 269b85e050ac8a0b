#![no_main]
//! Fuzz target `key_material`: see keyguide::fuzzing::key_material.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::key_material(data));
