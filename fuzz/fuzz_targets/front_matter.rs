#![no_main]
//! Fuzz target `front_matter`: see keyguide::fuzzing::front_matter.

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyguide::fuzzing::front_matter(data));
