//! Replays every input kept under `fuzz/regressions/<target>/` through the harness its fuzz
//! target calls ([`keyguide::fuzzing::TARGETS`]), so inputs that once crashed keyguide are
//! checked by `cargo test` on a stable toolchain, without cargo-fuzz.

use std::path::Path;

use keyguide::fuzzing::TARGETS;

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_fuzz_target_has_a_harness_and_regression_inputs() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut harnesses: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    harnesses.sort();
    let targets: Vec<String> = names_in(&fuzz.join("fuzz_targets"))
        .iter()
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .collect();
    assert_eq!(targets, harnesses, "fuzz/fuzz_targets and TARGETS differ");
    assert_eq!(
        names_in(&fuzz.join("regressions")),
        harnesses,
        "fuzz/regressions holds a folder per target, and only those"
    );
}

#[test]
fn regression_inputs_replay_without_a_panic() {
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut failed = Vec::new();
    let mut replayed = 0;
    for (target, harness) in TARGETS {
        let dir = regressions.join(target);
        let inputs = names_in(&dir);
        assert!(!inputs.is_empty(), "{} holds no inputs", dir.display());
        for name in inputs {
            let path = dir.join(&name);
            let Ok(bytes) = std::fs::read(&path) else {
                failed.push(format!("{}: cannot be read", path.display()));
                continue;
            };
            replayed += 1;
            if std::panic::catch_unwind(|| harness(&bytes)).is_err() {
                failed.push(format!("{target}/{name}"));
            }
        }
    }
    assert!(failed.is_empty(), "inputs that fail again: {failed:?}");
    assert!(replayed >= TARGETS.len());
}
