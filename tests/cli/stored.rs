//! Build-once for releases: released versions' output kept in `.keyguide/cache/` and
//! published again without rendering, byte for byte what a fresh build makes.

use crate::support::SiteTest;

const REUSED: &str = "released versions reused from .keyguide/cache";

/// Builds `site` (with `args`), then checks the output equals a build that reuses nothing.
fn build_matches_fresh(site: &SiteTest, args: &[&str]) -> String {
    let run = site.run(&[&["build"], args].concat()).code(0);
    site.run(&[&["build", "--no-cache", "--out", "fresh"], args].concat())
        .code(0);
    assert!(
        site.tree("public") == site.tree("fresh"),
        "the build with kept releases differs from a fresh build"
    );
    std::fs::remove_dir_all(site.path("fresh")).unwrap_or_else(|e| panic!("fresh: {e}"));
    run.stderr
}

/// Folders in the store.
fn entries(site: &SiteTest) -> usize {
    std::fs::read_dir(site.path(".keyguide/cache/releases"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_second_build_reuses_every_release_and_publishes_the_same_bytes() {
    let site = SiteTest::example().with_evidence();
    let first = build_matches_fresh(&site, &[]);
    assert!(!first.contains(REUSED), "{first}");
    assert_eq!(
        entries(&site),
        4,
        "one entry per release, one for the /latest/ redirect pages, one for the feeds"
    );
    let second = build_matches_fresh(&site, &[]);
    assert!(second.contains("(2 released versions reused"), "{second}");
    // Kept files are links to the published ones (and to those of the previous output,
    // kept for the next build), not copies.
    use std::os::unix::fs::MetadataExt as _;
    let page = std::fs::metadata(site.path("public/1.0.0/gateway/index.html"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(page.nlink() >= 2);
    // So are the /latest/ redirect pages, which depend only on the site's shape.
    let redirect = std::fs::metadata(site.path("public/latest/gateway/index.html"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(redirect.nlink() >= 2);
    // And the per-integration feeds, which depend on the releases and their notes.
    let feed = std::fs::metadata(site.path("public/feeds/gateway/api-key-wrapping.xml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(feed.nlink() >= 2);
}

#[test]
fn a_draft_integration_gets_its_feed_and_its_title_there() {
    let site = SiteTest::example();
    build_matches_fresh(&site, &["--drafts"]);
    let addendum = site.read("content/gateway/api-key-wrapping.md");
    let site = site.write(
        "content/gateway/key-wrapping-v2.md",
        addendum.replace("API key-wrapping flow", "Key wrapping, second edition"),
    );
    build_matches_fresh(&site, &["--drafts"]);
    let feed = "public/feeds/gateway/key-wrapping-v2.xml";
    assert!(site.read(feed).contains("Key wrapping, second edition"));
    let site = site.edit(
        "content/gateway/key-wrapping-v2.md",
        "second edition",
        "third edition",
    );
    build_matches_fresh(&site, &["--drafts"]);
    assert!(site.read(feed).contains("Key wrapping, third edition"));
}

#[test]
fn editing_the_draft_keeps_the_releases() {
    let site = SiteTest::example();
    build_matches_fresh(&site, &["--drafts"]);
    let site = site.edit(
        "content/gateway/_index.md",
        "Test restoration at least",
        "Test restoration of every backup at least",
    );
    let run = build_matches_fresh(&site, &["--drafts"]);
    assert!(run.contains("(2 released versions reused"), "{run}");
    assert!(
        site.read("public/next/gateway/index.html")
            .contains("of every backup")
    );
}

#[test]
fn a_change_to_what_a_version_is_made_of_renders_it_again() {
    let mut site = SiteTest::example().with_evidence();
    build_matches_fresh(&site, &[]);
    type Change = fn(SiteTest) -> SiteTest;
    let changes: [(&str, Change); 4] = [
        ("the site title", |s| {
            s.edit("keyguide.toml", "title = \"", "title = \"New ")
        }),
        ("a customer name the output is checked against", |s| {
            s.edit("evidence/customers.csv", "CUS-1001,", "CUS-1001,Renamed ")
        }),
        ("a template of the theme", |s| {
            let nav = include_str!("../../themes/default/templates/partials/nav.html");
            s.write(
                "themes/default/templates/partials/nav.html",
                nav.replace("All guides in", "Every guide in"),
            )
        }),
        ("a new release (the switcher lists it)", |s| {
            let s = s.edit("content/vault/_index.md", "## ", "Revised.\n\n## ");
            s.run(&["release", "1.2.0", "--approver", "CISO"]).code(0);
            s
        }),
    ];
    for (what, change) in changes {
        site = change(site);
        let run = build_matches_fresh(&site, &[]);
        assert!(!run.contains(REUSED), "after {what}: {run}");
        let again = build_matches_fresh(&site, &[]);
        assert!(again.contains(REUSED), "after {what}, twice: {again}");
    }
    assert!(
        site.read("public/1.0.0/vault/index.html")
            .contains("Every guide in")
    );
    assert_eq!(
        entries(&site),
        10,
        "the store keeps what the last build used (3 releases, /latest/, feeds) and as many others"
    );
}

#[test]
fn alternating_build_and_build_drafts_reuses_both() {
    let site = SiteTest::example();
    build_matches_fresh(&site, &[]);
    build_matches_fresh(&site, &["--drafts"]);
    assert_eq!(
        entries(&site),
        8,
        "two kinds of build, two releases, /latest/ and the feeds each"
    );
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(2 released versions reused"), "{run}");
    let run = build_matches_fresh(&site, &["--drafts"]);
    assert!(run.contains("(2 released versions reused"), "{run}");
    // A third kind of build pushes out the least recently used entries.
    site.run(&["build", "--base-url", "https://docs.example.net"])
        .code(0);
    assert_eq!(entries(&site), 8);
    let run = build_matches_fresh(&site, &[]);
    assert!(!run.contains(REUSED), "{run}");
}

#[test]
fn a_published_file_changed_in_place_is_not_reused() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    site.run(&["build"]).code(0).stderr_has(REUSED);
    // A tool that edits the published site in place also edits the kept file (a hard link).
    let page = site.path("public/1.1.0/vault/index.html");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&page)
        .unwrap_or_else(|e| panic!("{e}"));
    std::io::Write::write_all(&mut file, b"<!-- injected -->").unwrap_or_else(|e| panic!("{e}"));
    drop(file);
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(1 released version reused"), "{run}");
    assert!(
        !site
            .read("public/1.1.0/vault/index.html")
            .contains("injected")
    );
    // The same size and modification time, other bytes: the status-change time gives it
    // away.
    site.run(&["build"]).code(0).stderr_has(REUSED);
    let mtime = std::fs::metadata(&page)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{e}"));
    let text = site.read("public/1.1.0/vault/index.html");
    let tampered = text.replacen("Secure", "Zecure", 1);
    assert_ne!(tampered, text);
    let site = site.write("public/1.1.0/vault/index.html", &tampered);
    std::fs::File::options()
        .write(true)
        .open(&page)
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("{e}"));
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(1 released version reused"), "{run}");
    assert_eq!(site.read("public/1.1.0/vault/index.html"), text);
}

#[test]
fn a_store_entry_pointing_outside_itself_is_ignored() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    let store = site.path(".keyguide/cache/releases");
    for entry in std::fs::read_dir(&store)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let index = entry.path().join("index.json");
        if let Ok(text) = std::fs::read_to_string(&index) {
            let text = text.replacen("\"path\":\"", "\"path\":\"../../../../", 1);
            std::fs::write(&index, text).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let run = build_matches_fresh(&site, &[]);
    assert!(!run.contains(REUSED), "{run}");
}

#[test]
fn no_cache_neither_reuses_nor_keeps() {
    let site = SiteTest::example();
    site.run(&["build", "--no-cache"])
        .code(0)
        .stderr_lacks(REUSED);
    assert!(!site.path(".keyguide").exists());
}

#[test]
fn a_store_that_cannot_be_opened_only_slows_the_build() {
    // A file where the store's folder goes: the build works, renders everything, and says so.
    let site = SiteTest::example().write(".keyguide", "not a folder");
    site.run(&["build"])
        .code(0)
        .stderr_has("warning: released versions are rendered afresh")
        .stderr_has("--no-cache")
        .stderr_lacks("make the site root writable")
        .stderr_lacks(REUSED);
    assert!(site.path("public/1.1.0/vault/index.html").is_file());
}

#[test]
fn a_linked_outputs_folder_is_not_followed_and_is_reported() {
    // A symbolic link committed as the folder of previous outputs: the build writes every
    // file anew, leaves the link's target alone, and says why.
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    let outside = site.path("outside");
    std::fs::create_dir_all(&outside).unwrap_or_else(|e| panic!("{e}"));
    let outputs = site.path(".keyguide/cache/outputs");
    std::fs::remove_dir_all(&outputs).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&outside, &outputs).unwrap_or_else(|e| panic!("{e}"));
    site.run(&["build"])
        .code(0)
        .stderr_has("warning: every file is written anew")
        .stderr_has(".keyguide/cache/outputs is not a folder")
        .stderr_has(REUSED);
    assert!(
        site.tree("outside").is_empty(),
        "nothing written through the link"
    );
    assert!(site.path("public/1.1.0/vault/index.html").is_file());
    // Without the link, no warning.
    std::fs::remove_file(&outputs).unwrap_or_else(|e| panic!("{e}"));
    site.run(&["build"]).code(0).stderr_lacks("written anew");
}

#[test]
fn a_store_copied_from_elsewhere_is_never_used() {
    // As a pull request committing `.keyguide/` would bring it: the same bytes, new files.
    let original = SiteTest::example();
    original.run(&["build"]).code(0);
    original.run(&["build"]).code(0).stderr_has(REUSED);
    let copy = SiteTest::empty().copy_in(&original.path(""));
    assert!(copy.path(".keyguide/cache/releases").is_dir());
    let run = build_matches_fresh(&copy, &[]);
    assert!(!run.contains(REUSED), "{run}");
}

#[test]
fn a_store_folder_that_is_a_link_is_not_followed() {
    // Committed in place of the store, a link would point the clean-up at another folder.
    let elsewhere = SiteTest::empty().write("keep/me.txt", "precious");
    let site = SiteTest::example();
    std::fs::create_dir_all(site.path(".keyguide/cache")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(elsewhere.path(""), site.path(".keyguide/cache/releases"))
        .unwrap_or_else(|e| panic!("{e}"));
    site.run(&["build"])
        .code(0)
        .stderr_has("is not a folder (a symbolic link or a file)");
    site.run(&["build"]).code(0).stderr_lacks(REUSED);
    assert_eq!(elsewhere.read("keep/me.txt"), "precious");
    assert_eq!(elsewhere.tree("").len(), 1, "nothing written there");
}

#[test]
fn an_entry_missing_pages_or_unreadable_is_rendered_again_and_repaired() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    let entries: Vec<std::path::PathBuf> = std::fs::read_dir(site.path(".keyguide/cache/releases"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(entries.len(), 4, "two releases, /latest/ and the feeds");
    // Entries that claim to hold nothing, or whose index is garbage.
    for (i, entry) in entries.iter().enumerate() {
        let index = if i % 2 == 0 { "[]" } else { "garbage" };
        std::fs::write(entry.join("index.json"), index).unwrap_or_else(|e| panic!("{e}"));
    }
    let run = build_matches_fresh(&site, &[]);
    assert!(!run.contains(REUSED), "{run}");
    assert!(site.path("public/1.0.0/gateway/index.html").is_file());
    // All were kept anew.
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(2 released versions reused"), "{run}");
}

/// An entry with a folder its owner made unlistable (`chmod 000`) is removed and kept anew,
/// not left in the store to fail every later build's clean-up. Run as an unprivileged user:
/// root may list any folder.
#[test]
fn an_entry_with_an_unlistable_folder_is_removed_and_kept_anew() {
    let site = SiteTest::example();
    site.run_unprivileged(&["build"]).code(0);
    let locked: Vec<String> = std::fs::read_dir(site.path(".keyguide/cache/releases"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path().join("files/gateway"))
        .filter(|p| p.is_dir())
        .map(|p| p.display().to_string())
        .collect();
    assert!(!locked.is_empty(), "no kept version folder to lock");
    for folder in &locked {
        std::fs::set_permissions(folder, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let stderr = site
        .run_unprivileged(&["build"])
        .code(0)
        .stderr_lacks("warning")
        .stderr;
    assert!(!stderr.contains(REUSED), "{stderr}");
    let stderr = site
        .run_unprivileged(&["build"])
        .code(0)
        .stderr_lacks("warning")
        .stderr;
    assert!(stderr.contains("(2 released versions reused"), "{stderr}");
}

#[test]
fn out_inside_the_store_is_refused() {
    SiteTest::example()
        .run(&["build", "--out", ".keyguide/cache/releases/site"])
        .code(2)
        .stderr_has("would replace the site's own files");
}

#[test]
fn an_entry_with_a_linked_folder_inside_is_not_used() {
    // A folder inside the files, the files folder, the entry itself.
    for linked in ["files/gateway", "files", ""] {
        let site = SiteTest::example();
        site.run(&["build"]).code(0);
        let entries: Vec<_> = std::fs::read_dir(site.path(".keyguide/cache/releases"))
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .filter(|e| e.path().is_dir())
            .collect();
        for (i, entry) in entries.iter().enumerate() {
            // The same files, reached through a link: the recorded inodes would still match.
            let folder = match linked {
                "" => entry.path(),
                inside => entry.path().join(inside),
            };
            let moved = site.path(&format!(".keyguide/moved-{i}"));
            std::fs::rename(&folder, &moved).unwrap_or_else(|e| panic!("{e}"));
            std::os::unix::fs::symlink(&moved, &folder).unwrap_or_else(|e| panic!("{e}"));
        }
        let run = build_matches_fresh(&site, &[]);
        assert!(!run.contains(REUSED), "`{linked}` linked: {run}");
    }
}

#[test]
fn a_build_waiting_for_another_says_so_then_builds() {
    use std::io::BufRead as _;
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    // Another build of the site holds the store's lock.
    let lock = std::fs::File::open(site.path(".keyguide/cache/releases/.lock"))
        .unwrap_or_else(|e| panic!("lock file: {e}"));
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .unwrap_or_else(|e| panic!("flock: {e}"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyguide"))
        .arg("build")
        .current_dir(site.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    // The note comes before the wait; without it, the build would wait in silence.
    let first = received.recv_timeout(std::time::Duration::from_secs(60));
    let waiting = child.try_wait().is_ok_and(|s| s.is_none());
    drop(lock);
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    let first = first.unwrap_or_else(|e| panic!("no message while waiting: {e}"));
    assert!(
        first.contains("waiting for another keyguide build of this site")
            && first.contains(".keyguide/cache/releases/.lock"),
        "{first}"
    );
    assert!(waiting, "it waits for the lock");
    let rest: Vec<String> = received.iter().collect();
    assert!(status.success(), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains(REUSED)), "{rest:?}");
}

/// Sets the modification time of every file under `dir` to an hour ago, as a checkout of
/// an older commit can leave it.
fn age(dir: &std::path::Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            age(&path);
        } else {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(hour_ago))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn a_released_file_rewritten_with_its_size_and_time_kept_is_still_caught() {
    let site = SiteTest::example();
    age(&site.path("releases"));
    // Settled: last changed (status-change time too) more than 3 s before the build.
    std::thread::sleep(std::time::Duration::from_millis(3100));
    site.run(&["build"]).code(0);
    assert!(site.path(".keyguide/cache/releases/stamps.bin").is_file());
    // Known by its recorded stamp, a released file is not read again: the next build is
    // the same.
    build_matches_fresh(&site, &[]);
    // Same length, same modification time, different text (in a file the draft holds an
    // identical copy of, so the build has its recorded text at hand): the status-change
    // time moves, so the file is read, and KG050 sees the change.
    let released = "releases/1.0.0/content/vault/_index.md";
    let mtime = std::fs::metadata(site.path(released))
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{e}"));
    let text = site.read(released);
    assert_eq!(text, site.read("content/vault/_index.md"));
    let site = site.write(released, text.replacen("key", "KEY", 1));
    std::fs::File::options()
        .write(true)
        .open(site.path(released))
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("{e}"));
    site.run(&["build"])
        .code(1)
        .stderr_has("error[KG050]")
        .stderr_has(released);
}

/// The folder a build into `public` keeps its previous output in, when there is one.
fn previous_output(site: &SiteTest) -> Option<std::path::PathBuf> {
    let outputs = site.path(".keyguide/cache/outputs");
    let kept: Vec<_> = std::fs::read_dir(outputs).ok()?.flatten().collect();
    assert!(kept.len() <= 1, "one output folder, one previous output");
    kept.first().map(std::fs::DirEntry::path)
}

#[test]
fn a_rebuild_writes_over_the_previous_output_and_publishes_only_its_own() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    assert_eq!(previous_output(&site), None, "nothing replaced yet");
    build_matches_fresh(&site, &[]);
    let Some(previous) = previous_output(&site) else {
        panic!("the replaced output was not kept");
    };
    // Whatever the kept copy holds besides the site goes; links are not followed.
    let outside = site.path("outside");
    std::fs::create_dir_all(&outside).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(outside.join("keep.txt"), "precious").unwrap_or_else(|e| panic!("{e}"));
    let planted = previous.join("1.1.0/gateway");
    std::fs::remove_dir_all(&planted).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&outside, &planted).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(previous.join("planted.html"), "<script>x()</script>")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(previous.join("extra/deep")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(previous.join("extra/deep/page.html"), "old").unwrap_or_else(|e| panic!("{e}"));
    // A page replaced by other bytes (a new file, not an edit of the store's copy), and a
    // folder where a file belongs.
    let page = previous.join("1.1.0/vault/index.html");
    std::fs::remove_file(&page).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&page, "tampered").unwrap_or_else(|e| panic!("{e}"));
    let sitemap = previous.join("sitemap.xml");
    std::fs::remove_file(&sitemap).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(sitemap.join("inside")).unwrap_or_else(|e| panic!("{e}"));
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(2 released versions reused"), "{run}");
    assert_eq!(site.read("outside/keep.txt"), "precious");
    assert_eq!(
        site.tree("outside").len(),
        1,
        "nothing written through the link"
    );
    assert!(previous_output(&site).is_some());
}

#[test]
fn pages_written_over_a_previous_output_never_change_the_store() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    site.run(&["build"]).code(0).stderr_has(REUSED);
    // The kept previous output holds hard links to the store's files. A new theme renders
    // every version again, at the very paths of those links.
    let nav = include_str!("../../themes/default/templates/partials/nav.html");
    let site = site.write(
        "themes/default/templates/partials/nav.html",
        nav.replace("All guides in", "Every guide in"),
    );
    let run = build_matches_fresh(&site, &[]);
    assert!(!run.contains(REUSED), "{run}");
    // Every file of every entry still has the bytes its index records.
    let store = site.path(".keyguide/cache/releases");
    let mut checked = 0;
    for entry in std::fs::read_dir(&store)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let Ok(index) = std::fs::read_to_string(entry.path().join("index.json")) else {
            continue;
        };
        let index: Vec<serde_json::Value> =
            serde_json::from_str(&index).unwrap_or_else(|e| panic!("{e}"));
        for file in index {
            let path = entry
                .path()
                .join("files")
                .join(file["path"].as_str().unwrap_or(""));
            let digest = keyguide::memo::digest_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                Some(keyguide::memo::hex(&digest).as_str()),
                file["sha256"].as_str(),
                "{} changed",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} kept files checked");
    // And the earlier theme's entries are still good: going back reuses them.
    let site = site.write("themes/default/templates/partials/nav.html", nav);
    let run = build_matches_fresh(&site, &[]);
    assert!(run.contains("(2 released versions reused"), "{run}");
}

#[test]
fn previous_outputs_are_kept_for_two_output_folders_at_most() {
    let site = SiteTest::example();
    let kept = || {
        std::fs::read_dir(site.path(".keyguide/cache/outputs"))
            .map(|d| d.flatten().count())
            .unwrap_or(0)
    };
    for out in ["public", "a", "b"] {
        site.run(&["build", "--out", out]).code(0);
        site.run(&["build", "--out", out]).code(0);
    }
    assert_eq!(kept(), 2, "the last two output folders' previous outputs");
    // `public`'s went: its next build starts afresh, and keeps its own again.
    build_matches_fresh(&site, &[]);
    assert_eq!(kept(), 2);
}

#[test]
fn a_kept_file_with_other_permissions_is_not_published() {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    site.run(&["build"]).code(0).stderr_has(REUSED);
    // A published page is a hard link to the kept copy: its permissions are the kept copy's.
    let page = "public/1.1.0/vault/index.html";
    for mode in [0o600, 0o4777] {
        site.chmod(page, mode);
        let run = build_matches_fresh(&site, &[]);
        assert!(run.contains("(1 released version reused"), "{run}");
        assert_eq!(
            site.mode(page),
            site.mode("public/index.html"),
            "as a page written now"
        );
    }
}
