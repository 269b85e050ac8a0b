//! Faults while writing: a build or release killed at any moment, a full disk, a read-only
//! output folder. The output (or `releases/`) must always be either the complete previous
//! state or the complete new one, and nothing left behind may trouble the next run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::SiteTest;

type Tree = Vec<(String, Vec<u8>)>;

const ASSETS: usize = 600;

/// The scaffold with enough assets that writing the output takes a while; `tag` changes
/// every asset, so two corpora differ in every file they write.
fn corpus(site: SiteTest, tag: &str) -> SiteTest {
    let filler = format!("{tag}:{}", "x".repeat(16 * 1024));
    (0..ASSETS).fold(site, |site, i| {
        site.write(&format!("content/payment-api/data/{i:04}.txt"), &filler)
    })
}

/// Starts `keyguide ARGS` in the site and SIGKILLs it after `delay`; whether it finished
/// first.
fn kill_after(site: &SiteTest, args: &[&str], delay: Duration) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyguide"))
        .args(args)
        .current_dir(site.path("."))
        .env("SOURCE_DATE_EPOCH", "1795824000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting keyguide: {e}"));
    let deadline = Instant::now() + delay;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Delays spread over `span`, from a fixed-seed generator (xorshift) so a failure can be
/// replayed.
fn delays(span: Duration, n: usize) -> Vec<Duration> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            span.mul_f64((x % 1000) as f64 / 1000.0)
        })
        .collect()
}

/// Names in `dir` left by keyguide's staging.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".keyguide-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Time one full run takes, for spreading the kills over it.
fn timed(site: &SiteTest, args: &[&str]) -> Duration {
    let start = Instant::now();
    site.run_in(".", args, &[("SOURCE_DATE_EPOCH", "1795824000")])
        .code(0);
    start.elapsed()
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_old_or_the_new_output() {
    let build = ["build", "--drafts"];
    let site = corpus(crate::rules::pinned_scaffold(), "old");
    timed(&site, &build);
    let old: Tree = site.tree("public");
    let site = corpus(site, "new");
    let span = timed(&site, &build);
    let new: Tree = site.tree("public");
    assert_ne!(old, new);
    // Start from the old output again: every kill below interrupts a change of all files.
    let mut site = corpus(site, "old");
    timed(&site, &build);
    let mut current = "old";
    let (mut finished, mut interrupted) = (0, 0);
    for delay in delays(span.mul_f64(1.2), 20) {
        let target = if current == "old" { "new" } else { "old" };
        site = corpus(site, target);
        if kill_after(&site, &build, delay) {
            finished += 1;
        } else {
            interrupted += 1;
        }
        let tree = site.tree("public");
        current = if tree == old {
            "old"
        } else if tree == new {
            "new"
        } else {
            panic!("after a kill at {delay:?} the output is neither the old nor the new site")
        };
    }
    assert!(
        interrupted > 0,
        "no run was interrupted ({finished} finished)"
    );
    // Leftovers of killed runs do not break the next build, which clears them.
    let site = corpus(site, "new");
    timed(&site, &build);
    assert_eq!(site.tree("public"), new);
    assert_eq!(leftovers(&site.path(".")), Vec::<String>::new());
}

#[test]
fn a_release_killed_at_any_moment_leaves_the_repository_as_it_was_or_released() {
    let release = [
        "release",
        "1.1.0",
        "--approver",
        "CISO",
        "--date",
        "2026-11-28",
    ];
    let site = corpus(crate::rules::pinned_scaffold(), "old");
    site.run(crate::versions::RELEASE_1_0_0).code(0);
    let before: Tree = site.tree("releases");
    let site = corpus(site, "new");
    let span = timed(&site, &release);
    let after: Tree = site.tree("releases");
    let restore = |site: &SiteTest| {
        std::fs::remove_dir_all(site.path("releases")).unwrap_or_else(|e| panic!("{e}"));
        for (rel, bytes) in &before {
            let path = site.path("releases").join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
        }
    };
    restore(&site);
    let mut interrupted = 0;
    for delay in delays(span.mul_f64(1.2), 20) {
        if !kill_after(&site, &release, delay) {
            interrupted += 1;
        }
        let tree = site.tree("releases");
        if tree == after {
            restore(&site);
        } else {
            assert!(
                tree == before,
                "after a kill at {delay:?} releases/ is neither as it was nor released"
            );
        }
    }
    assert!(interrupted > 0, "no release was interrupted");
    site.run(&release).code(0);
    assert_eq!(site.tree("releases"), after);
    assert_eq!(leftovers(&site.path(".")), Vec::<String>::new());
    site.run(&["lint", "--as-of", crate::rules::AS_OF]).code(0);
}

/// A small tmpfs mounted at `dir` for one test, unmounted when dropped; `None` where this
/// environment cannot mount (not root, or no mount privilege in the container).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remounting read-only");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Builds into a `size` tmpfs, applies `fault` (to the site or the disk), builds again and
/// checks the second build stops with exit 2 and `expected` in its message, leaving the
/// first build's output and no staging folder behind.
fn a_write_fault(size: &str, fault: impl FnOnce(SiteTest, &Tmpfs) -> SiteTest, expected: &[&str]) {
    let site = SiteTest::scaffold();
    let Some(disk) = Tmpfs::mount(&site.path("disk"), size) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root with mount privilege)");
        return;
    };
    let build = ["build", "--drafts", "--out", "disk/public"];
    site.run(&build).code(0);
    let previous = site.tree("disk/public");
    let site = fault(site, &disk);
    let mut run = site.run(&build).code(2).stderr_lacks("panicked");
    for text in expected {
        run = run.stderr_has(text);
    }
    assert_eq!(site.tree("disk/public"), previous);
    assert_eq!(leftovers(&site.path("disk")), Vec::<String>::new());
}

#[test]
fn a_full_disk_fails_clearly_and_keeps_the_previous_output() {
    // An asset larger than the whole disk.
    a_write_fault(
        "1m",
        |site, _| site.write("content/payment-api/big.bin", vec![7u8; 2 << 20]),
        &[
            "disk/",
            "No space left on device",
            "help: free space on that disk",
        ],
    );
}

#[test]
fn a_read_only_output_folder_fails_clearly_and_keeps_the_previous_output() {
    a_write_fault(
        "4m",
        |site, disk| {
            disk.remount_read_only();
            site.edit(
                ADDENDUM,
                "server-to-server API",
                "server-to-server API (v2)",
            )
        },
        &[
            "disk",
            "Read-only file system",
            "help: make the folder writable",
        ],
    );
}

const ADDENDUM: &str = "content/payment-api/partner-api.md";
