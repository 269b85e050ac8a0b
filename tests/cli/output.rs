//! Output: atomic replacement, determinism, and the output folder guard.

use crate::support::{SiteTest, running_as_root};

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let before = site.tree("public");
    let site = site.write(
        "content/payment-api/partner-api.md",
        "---\nbroken: yes\n---\n",
    );
    site.run(&["build", "--drafts"])
        .code(1)
        .stderr_has("left as it was");
    assert_eq!(site.tree("public"), before);
    assert_eq!(site.staging_leftovers(), Vec::<String>::new());
}

#[test]
fn rebuild_replaces_the_whole_output() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let site = site.write("public/stale.html", "old");
    site.run(&["build", "--drafts"]).code(0);
    assert!(!site.path("public/stale.html").exists());
    assert!(site.path("public/next/payment-api/index.html").is_file());
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let site = SiteTest::example();
    site.run_in(
        ".",
        &["build", "--drafts", "--out", "one"],
        &[("RAYON_NUM_THREADS", "1")],
    )
    .code(0);
    site.run_in(
        ".",
        &["build", "--drafts", "--out", "four"],
        &[("RAYON_NUM_THREADS", "4"), ("TZ", "Pacific/Chatham")],
    )
    .code(0);
    let one = site.tree("one");
    assert!(one.len() > 5);
    assert_eq!(one, site.tree("four"));
}

#[test]
fn refuses_an_output_folder_that_would_replace_the_site() {
    for out in [".", "content", "content/payment-api", ".."] {
        SiteTest::scaffold()
            .run(&["build", "--out", out])
            .code(2)
            .stderr_has("would replace the site's own files");
    }
}

#[test]
fn an_output_that_is_a_link_is_replaced_and_its_folder_left_alone() {
    let site = SiteTest::example();
    // `public` links to a folder that holds something else (say a web server's root).
    let elsewhere = site.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(elsewhere.join("important.txt"), "keep").unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&elsewhere, site.path("public")).unwrap_or_else(|e| panic!("{e}"));
    site.run(&["build"]).code(0);
    assert!(site.path("public/index.html").exists());
    assert_eq!(site.read("elsewhere/important.txt"), "keep");
}

/// Ctrl-C while pages are being written: the staging folder, which holds pages the output
/// checks have not passed yet, goes with the build, and the previous output stays.
#[test]
fn an_interrupted_build_removes_its_staging_folder() {
    let mut site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let before = site.tree("public");
    // Enough pages that rendering them takes a while.
    let addendum = site.read("content/payment-api/partner-api.md");
    for i in 0..3000 {
        site = site.write(
            &format!("content/payment-api/partner-api-{i}.md"),
            &addendum,
        );
    }
    let mut build = std::process::Command::new(env!("CARGO_BIN_EXE_keyguide"))
        .args(["build", "--drafts"])
        .current_dir(site.path("."))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("running keyguide: {e}"));
    let staging = || !site.staging_leftovers().is_empty();
    // Interrupted as soon as its staging folder exists (or not at all, if it is done first).
    let started = std::time::Instant::now();
    while !staging() && started.elapsed() < std::time::Duration::from_secs(60) {
        if build.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let interrupted = staging();
    if interrupted {
        let pid = build.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()));
    }
    let status = build.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(interrupted, "the build never made its staging folder");
    // Exit status 130: the signal came while it was still running (nearly always).
    if status.code() == Some(130) {
        assert!(!staging(), "the staging folder was left");
        assert_eq!(site.tree("public"), before, "the previous output must stay");
    }
}

/// Ctrl-C at any moment of writing pages ends the build with status 130, never 2: the main
/// thread, whose writes into the abandoned staging folder fail, used to race the handler to
/// end the process and sometimes won with "error: the build was interrupted". The race
/// cannot be forced from outside, so the build is interrupted at several moments.
#[test]
fn an_interrupted_build_exits_130_at_any_moment() {
    let mut site = SiteTest::scaffold();
    let addendum = site.read("content/payment-api/partner-api.md");
    for i in 0..1500 {
        site = site.write(
            &format!("content/payment-api/partner-api-{i}.md"),
            &addendum,
        );
    }
    for delay_ms in [0, 1, 2, 5, 10, 20, 40, 80] {
        let build = std::process::Command::new(env!("CARGO_BIN_EXE_keyguide"))
            .args(["build", "--drafts"])
            .current_dir(site.path("."))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running keyguide: {e}"));
        let started = std::time::Instant::now();
        while site.staging_leftovers().is_empty()
            && started.elapsed() < std::time::Duration::from_secs(60)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let pid = build.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()));
        let out = build.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        // 0 only when the build was done before the signal came.
        assert!(
            matches!(out.status.code(), Some(130 | 0)),
            "interrupted {delay_ms} ms after staging: {:?}\n{stderr}",
            out.status
        );
        if out.status.code() == Some(130) {
            assert!(!stderr.contains("error:"), "{stderr}");
            assert_eq!(site.staging_leftovers(), Vec::<String>::new());
        }
    }
}

/// A previous output that cannot be removed (a folder in it is read-only) does not stop the
/// build that replaced it, which says where it is and how to remove it; nor does it stop the
/// next build, which cannot remove it either. (Without the cache: with it, the previous
/// output is kept for the next build, as the next test shows.)
#[test]
fn a_previous_output_that_cannot_be_removed_is_a_warning() {
    let site = SiteTest::scaffold();
    site.chmod(".", 0o755);
    site.run_unprivileged(&["build", "--drafts", "--no-cache"])
        .code(0);
    site.chmod("public/next", 0o555);
    let run = site
        .run_unprivileged(&["build", "--drafts", "--no-cache"])
        .code(0)
        .stderr_has_all(&[
            "warning: the previous output could not be removed from ",
            ".keyguide-staging-public-",
            "Permission denied",
            "chmod -R u+rwx",
        ]);
    let left = site.staging_leftovers();
    assert_eq!(left.len(), 1, "{left:?}\n{}", run.stderr);
    assert!(run.stderr.contains(&left[0]), "{}", run.stderr);
    assert!(site.path("public/next/payment-api/index.html").is_file());
    // The next build cannot remove it either, and goes on.
    let run = site
        .run_unprivileged(&["build", "--drafts"])
        .code(0)
        .stderr_has("warning: a folder an earlier build left could not be removed from ")
        .stderr_lacks("error:");
    assert!(run.stderr.contains(&left[0]), "{}", run.stderr);
    // Made writable, the leftovers go with the next build.
    for name in site.staging_leftovers() {
        let status = std::process::Command::new("chmod")
            .args(["-R", "u+rwx"])
            .arg(site.path(&name))
            .status();
        assert!(status.is_ok_and(|s| s.success()));
    }
    site.run_unprivileged(&["build", "--drafts"])
        .code(0)
        .stderr_lacks("warning: ");
    assert_eq!(site.staging_leftovers(), Vec::<String>::new());
}

/// A kept previous output gets the permissions a fresh output has (a read-only folder in it
/// is made writable again); one with a folder that is not the user's is not written over:
/// the build starts afresh beside it, says it could not remove it, and publishes the whole
/// site.
#[test]
fn a_previous_output_not_the_users_is_not_written_over() {
    let site = SiteTest::scaffold();
    site.chmod(".", 0o755);
    site.run_unprivileged(&["build", "--drafts"]).code(0);
    // Replaced, the output is kept for the next build whatever its permissions.
    site.chmod("public/next", 0o555);
    site.chmod("public/static", 0o777);
    // Even a folder its owner cannot list.
    site.chmod("public/next/payment-api/partner-api", 0o000);
    site.run_unprivileged(&["build", "--drafts"])
        .code(0)
        .stderr_lacks("warning: ");
    site.run_unprivileged(&["build", "--drafts"])
        .code(0)
        .stderr_lacks("warning: ");
    assert_eq!(
        site.mode("public/next"),
        site.mode("public/next/payment-api")
    );
    assert_eq!(
        site.mode("public/static"),
        site.mode("public/next/payment-api")
    );
    assert_eq!(
        site.mode("public/next/payment-api/partner-api"),
        site.mode("public/next/payment-api")
    );
    assert_eq!(site.staging_leftovers(), Vec::<String>::new());
    if !running_as_root() {
        eprintln!("skipped the rest: a folder of another user needs root to make");
        return;
    }
    // Root, who could take over any folder, does not adopt one of another user's (here:
    // nobody's, who made this output): they could change the site it publishes.
    let owner = |rel: &str| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(site.path(rel)).map_or(u32::MAX, |m| m.uid())
    };
    site.run(&["build", "--drafts"]).code(0);
    assert_eq!(owner("public/static"), 0);
    assert_eq!(owner("public/next/payment-api"), 0);
    assert_eq!(site.staging_leftovers(), Vec::<String>::new());
    site.give_to_nobody();
    // A folder someone else owns (here: root) cannot be given its permissions.
    let Some(kept) = std::fs::read_dir(site.path(".keyguide/cache/outputs"))
        .ok()
        .and_then(|d| d.flatten().next())
    else {
        panic!("no previous output kept");
    };
    std::os::unix::fs::chown(kept.path().join("next"), Some(0), Some(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let run = site
        .run_as_nobody(&["build", "--drafts"])
        .code(0)
        .stderr_has_all(&[
            "warning: a folder an earlier build left could not be removed from ",
            "Permission denied",
            "chmod -R u+rwx",
        ]);
    let left = site.staging_leftovers();
    assert_eq!(left.len(), 1, "{left:?}\n{}", run.stderr);
    assert!(site.path("public/next/payment-api/index.html").is_file());
    assert!(site.path("public/index.html").is_file());
}
