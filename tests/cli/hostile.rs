//! Hostile input: content anyone can propose in a pull request. Each case must end in a
//! clear finding or error that names the file (and line where there is one), the right exit
//! status (1: the content failed; 2: the command could not run) and never a panic.

use crate::support::{Run, SiteTest, running_as_root};

const BASE: &str = "content/payment-api/_index.md";
const ADDENDUM: &str = "content/payment-api/partner-api.md";
const INVENTORY: &str = "content/inventory.toml";

/// Runs `keyguide ARGS` and checks the exit status, that nothing panicked, and that
/// stderr holds every one of `expected`.
fn expect(site: &SiteTest, args: &[&str], code: i32, expected: &[&str]) -> Run {
    let mut run = site.run(args).code(code).stderr_lacks("panicked");
    for text in expected {
        run = run.stderr_has(text);
    }
    run
}

/// The scaffold's addendum with `extra` Markdown appended: still a valid guide.
fn with_addendum_tail(extra: &str) -> SiteTest {
    let site = SiteTest::scaffold();
    let text = format!("{}\n{extra}\n", site.read(ADDENDUM));
    site.write(ADDENDUM, text)
}

#[test]
fn markdown_that_is_not_utf8_is_reported_at_its_line() {
    let site = SiteTest::scaffold().write(
        ADDENDUM,
        b"+++\ntitle = \"A\"\n+++\nok\nbad \xff byte\n".as_slice(),
    );
    expect(
        &site,
        &["lint"],
        1,
        &["partner-api.md:5:5", "not valid UTF-8"],
    );
}

#[test]
fn config_that_is_not_utf8_is_reported_at_its_line() {
    let site = SiteTest::scaffold();
    let mut bytes = site.read("keyguide.toml").into_bytes();
    bytes.extend_from_slice(b"owner = \"Sec\xffurity\"\n");
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    let site = site.write("keyguide.toml", bytes);
    let at = format!("keyguide.toml:{lines}:13");
    expect(
        &site,
        &["build"],
        2,
        &[&at, "not valid UTF-8", "help: save"],
    );
}

#[test]
fn inventory_that_is_not_utf8_is_reported_at_its_line() {
    let site = SiteTest::scaffold();
    let mut bytes = site.read(INVENTORY).into_bytes();
    bytes.extend_from_slice(b"# \xfe\n");
    let line = bytes.iter().filter(|&&b| b == b'\n').count();
    let site = site.write(INVENTORY, bytes);
    let at = format!("content/inventory.toml:{line}:3");
    expect(&site, &["lint"], 1, &[&at, "not valid UTF-8"]);
}

#[test]
fn file_names_that_are_not_utf8_are_reported() {
    use std::os::unix::ffi::OsStrExt as _;
    let site = SiteTest::scaffold();
    let name = std::ffi::OsStr::from_bytes(b"bad-\xff.md");
    std::fs::write(site.path("content/payment-api").join(name), "x")
        .unwrap_or_else(|e| panic!("{e}"));
    expect(
        &site,
        &["lint"],
        1,
        &["content/payment-api/bad-", "the name is not valid UTF-8"],
    );
}

#[test]
fn a_byte_order_mark_is_accepted_in_every_text_file() {
    let site = SiteTest::scaffold();
    let site = [BASE, INVENTORY, "keyguide.toml"]
        .into_iter()
        .fold(site, |site, rel| {
            let text = format!("\u{feff}{}", site.read(rel));
            site.write(rel, text)
        });
    expect(&site, &["build", "--drafts"], 0, &[]);
}

#[test]
fn crlf_line_endings_build_and_lint_exactly_like_lf() {
    // A placeholder gives lint a finding whose line and column must not move.
    let lf = SiteTest::scaffold().edit(BASE, "## Secure storage", "TODO\n\n## Secure storage");
    let files = [BASE, ADDENDUM, INVENTORY, "keyguide.toml"];
    let crlf = SiteTest::scaffold();
    let crlf = files.iter().fold(crlf, |site, rel| {
        let text = lf.read(rel).replace('\n', "\r\n");
        site.write(rel, text)
    });
    let lint = |site: &SiteTest| site.run(&["lint", "--format", "json"]).code(1).stdout;
    assert_eq!(lint(&lf), lint(&crlf));
    let (lf, crlf) = (
        lf.edit(BASE, "TODO\n\n", ""),
        crlf.edit(BASE, "TODO\r\n\r\n", ""),
    );
    expect(&lf, &["build", "--drafts"], 0, &[]);
    expect(&crlf, &["build", "--drafts"], 0, &[]);
    assert_eq!(lf.tree("public"), crlf.tree("public"));
}

#[test]
fn unterminated_front_matter_names_the_file_and_the_fix() {
    let site = SiteTest::scaffold().write(ADDENDUM, "+++\ntitle = \"API\"\n\n## Text\n");
    expect(
        &site,
        &["lint"],
        1,
        &["partner-api.md:1:1", "never closed", "closing `+++`"],
    );
}

#[test]
fn ten_megabytes_of_front_matter_hit_the_size_limit() {
    let text = format!(
        "+++\ntitle = \"A\"\nsummary = \"{}\"\n+++\nText.\n",
        "a".repeat(10 << 20)
    );
    let site = SiteTest::scaffold().write(ADDENDUM, text);
    expect(
        &site,
        &["build", "--drafts"],
        1,
        &[
            "partner-api.md",
            "bytes (10.0 MiB); keyguide reads files of at most 8 MiB",
        ],
    );
}

#[test]
fn a_fifty_megabyte_markdown_file_hits_the_size_limit() {
    let site = SiteTest::scaffold();
    let file = std::fs::File::create(site.path(ADDENDUM)).unwrap_or_else(|e| panic!("{e}"));
    // A sparse file: 50 MB long without writing 50 MB.
    file.set_len(50 << 20).unwrap_or_else(|e| panic!("{e}"));
    expect(
        &site,
        &["lint"],
        1,
        &[
            "partner-api.md",
            "is 52,428,800 bytes (50.0 MiB); keyguide reads files of at most 8 MiB",
        ],
    );
}

#[test]
fn a_file_just_over_the_size_limit_is_reported_with_its_exact_size() {
    let site = SiteTest::scaffold();
    let file = std::fs::File::create(site.path(ADDENDUM)).unwrap_or_else(|e| panic!("{e}"));
    file.set_len(9_090_031).unwrap_or_else(|e| panic!("{e}"));
    expect(
        &site,
        &["lint"],
        1,
        &[
            "partner-api.md",
            "is 9,090,031 bytes (8.7 MiB); keyguide reads files of at most 8 MiB",
        ],
    )
    .stderr_lacks("is 8 MiB");
}

#[test]
fn a_binary_file_named_md_is_reported_where_its_first_nul_is() {
    let site = SiteTest::scaffold().write(ADDENDUM, b"\x89PNG\r\n\x1a\n\0\0\0".as_slice());
    expect(&site, &["lint"], 1, &["partner-api.md:3:1", "binary file"]);
}

#[test]
fn ten_thousand_levels_of_block_quotes_and_lists_render() {
    // Headings stop at h6, so depth comes from containers: nothing in the pipeline may
    // recurse once per level.
    let quotes = "> ".repeat(10_000);
    let lists = "- ".repeat(10_000);
    let mixed = "> 1. ".repeat(5_000);
    let site = with_addendum_tail(&format!("{quotes}# quoted\n\n{lists}item\n\n{mixed}deep\n"));
    expect(&site, &["build", "--drafts"], 0, &[]);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.matches("<blockquote>").count() >= 10_000);
}

#[test]
fn a_table_with_a_hundred_thousand_columns_renders() {
    let n = 100_000;
    let head: String = (0..n).map(|i| format!("|c{i}")).collect();
    let rule = "|-".repeat(n);
    let row = "|v".repeat(n);
    let site = with_addendum_tail(&format!("{head}|\n{rule}|\n{row}|\n"));
    expect(&site, &["build", "--drafts"], 0, &[]);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.contains("<th>c99999</th>"));
}

#[test]
fn a_symlink_out_of_the_site_is_refused_for_pages_and_assets() {
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let secret = outside.path().join("secret.png");
    std::fs::write(&secret, "OUTSIDE-THE-SITE").unwrap_or_else(|e| panic!("{e}"));
    let site = SiteTest::scaffold();
    for link in [
        "content/payment-api/leak.md",
        "content/payment-api/leak.png",
    ] {
        std::os::unix::fs::symlink(&secret, site.path(link)).unwrap_or_else(|e| panic!("{e}"));
    }
    std::os::unix::fs::symlink(outside.path(), site.path("content/payment-api/linked"))
        .unwrap_or_else(|e| panic!("{e}"));
    let run = expect(
        &site,
        &["build", "--drafts"],
        1,
        &[
            "content/payment-api/leak.md",
            "content/payment-api/leak.png",
            "content/payment-api/linked",
            "leads outside the site root",
            "symbolic link to a folder",
        ],
    );
    assert!(!run.stderr.contains("OUTSIDE-THE-SITE"));
}

#[test]
fn a_content_folder_linked_from_outside_is_refused() {
    let outside = SiteTest::scaffold();
    let site = SiteTest::scaffold();
    std::fs::remove_dir_all(site.path("content")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(outside.path("content"), site.path("content"))
        .unwrap_or_else(|e| panic!("{e}"));
    expect(
        &site,
        &["lint"],
        1,
        &["`content` is a symbolic link to a folder outside the site root"],
    );
}

#[test]
fn symlink_loops_are_reported_not_followed() {
    let site = SiteTest::scaffold();
    let dir = site.path("content/payment-api");
    let link = |target: &str, name: &str| {
        std::os::unix::fs::symlink(target, dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
    };
    link("loop-b.md", "loop-a.md");
    link("loop-a.md", "loop-b.md");
    link(".", "self");
    expect(
        &site,
        &["lint"],
        1,
        &[
            "content/payment-api/loop-a.md",
            "content/payment-api/loop-b.md",
            "loops or leads nowhere",
            "content/payment-api/self",
            "symbolic link to a folder",
        ],
    );
}

#[test]
fn a_named_pipe_called_md_is_refused_instead_of_waited_on() {
    let site = SiteTest::scaffold();
    let pipe = site.path("content/payment-api/pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    expect(
        &site,
        &["lint"],
        1,
        &["content/payment-api/pipe.md", "not a regular file"],
    );
}

#[test]
fn an_unreadable_guide_folder_is_reported_by_name() {
    let site = SiteTest::scaffold();
    site.chmod("content/payment-api", 0o000);
    let run = if running_as_root() {
        // Root reads anything, so run keyguide as `nobody`; the site folder must be
        // reachable for that user.
        site.chmod(".", 0o755);
        site.run_as_nobody(&["lint"])
    } else {
        site.run(&["lint"])
    };
    site.chmod("content/payment-api", 0o755);
    run.code(1)
        .stderr_lacks("panicked")
        .stderr_has("content/payment-api:1:1")
        .stderr_has("Permission denied")
        .stderr_has("check the file's permissions");
}

#[test]
fn a_file_where_the_content_folder_belongs_is_reported() {
    let site = SiteTest::scaffold();
    std::fs::remove_dir_all(site.path("content")).unwrap_or_else(|e| panic!("{e}"));
    let site = site.write("content", "not a folder");
    expect(
        &site,
        &["lint"],
        1,
        &["`content` is a file, but keyguide expects the content folder here"],
    );
}

#[test]
fn guide_ids_differing_only_in_case_cannot_both_exist() {
    let site = SiteTest::scaffold();
    let base = site.read(BASE);
    let site = site.write("content/Payment-API/_index.md", base);
    expect(
        &site,
        &["lint"],
        1,
        &[
            "content/Payment-API",
            "cannot be used in a URL",
            "lowercase",
        ],
    );
}

#[test]
fn version_labels_with_slashes_or_dots_are_refused() {
    for label in ["../x", "a/b", "..", "1.0/../../etc"] {
        let site = crate::rules::pinned_scaffold();
        expect(
            &site,
            &[
                "release",
                label,
                "--approver",
                "CISO",
                "--date",
                "2026-11-28",
            ],
            2,
            &["is not a valid version label"],
        );
        assert!(!site.path("releases").exists(), "{label}");
    }
}

#[test]
fn a_ledger_label_leading_out_of_releases_is_never_opened() {
    let site = crate::versions::first_release().edit(
        "releases/ledger.toml",
        "version = \"1.0.0\"",
        "version = \"../../../../etc\"",
    );
    let run = expect(
        &site,
        &["lint", "--as-of", crate::rules::AS_OF],
        1,
        &["releases/ledger.toml:3:1", "is not a valid label"],
    );
    assert!(!run.stderr.contains("releases/../"), "{}", run.stderr);
    expect(&site, &["build"], 1, &["build refused"]);
}

#[test]
fn a_ledger_entry_with_an_unknown_field_is_reported_at_its_line() {
    let site = crate::versions::first_release().edit(
        "releases/ledger.toml",
        "approver = ",
        "colour = \"red\"\napprover = ",
    );
    expect(
        &site,
        &["lint", "--as-of", crate::rules::AS_OF],
        1,
        &["releases/ledger.toml:6:1", "unknown field `colour`"],
    );
}

#[test]
fn an_inventory_of_a_hundred_thousand_workflows_hits_the_size_limit() {
    let site = SiteTest::scaffold().write(INVENTORY, inventory(100_000));
    expect(
        &site,
        &["lint"],
        1,
        &[
            "content/inventory.toml",
            "keyguide reads files of at most 8 MiB",
        ],
    );
}

/// An inventory keyguide will not read is unknown, not empty: its own finding is the only
/// one, with no claim that the site has no inventory (KG040), that an addendum's workflow is
/// missing from it (KG041), or that an exception names a workflow it lacks (KG080).
#[test]
fn an_unreadable_inventory_claims_nothing_else() {
    let exception = "[[exception]]\nid = \"ex-1\"\nworkflow = \"wf-partner-api\"\nreason = \"Partner HSM upgrade\"\ncompensating = \"payment-api/partner-api#storage\"\napprover = \"CISO\"\nexpires = 2099-01-01\n";
    let oversized = inventory(100_000);
    let mut not_utf8 = SiteTest::scaffold().read(INVENTORY).into_bytes();
    not_utf8.extend_from_slice(b"# \xfe\n");
    for (what, bytes) in [
        ("oversized", oversized.into_bytes()),
        ("not UTF-8", not_utf8),
    ] {
        let site = SiteTest::scaffold()
            .write("content/exceptions.toml", exception)
            .write(INVENTORY, bytes);
        let run = site.run(&["lint"]).code(1).stderr_lacks("panicked");
        assert!(
            run.stderr.contains("error[KG090]") && run.stderr.contains("1 error, 0 warnings"),
            "{what}: {}",
            run.stderr
        );
    }
}

#[test]
fn unknown_workflow_help_lists_a_few_known_ids_not_all() {
    let site = SiteTest::scaffold().write(INVENTORY, inventory(50));
    let run = expect(
        &site,
        &["lint"],
        1,
        &["error[KG041]", "known: wf-00, wf-01"],
    );
    assert!(run.stderr.contains("wf-09, …"), "{}", run.stderr);
    assert!(!run.stderr.contains("wf-10,"), "{}", run.stderr);
}

/// An inventory of `n` workflows, `wf-00`, `wf-01`, ….
fn inventory(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[workflow]]\nid = \"wf-{i:02}\"\nkey_material = \"AES-256 data key\"\ncustomers = \"Partners\"\nprotects = [\"storage\"]\ndelivery = \"customer portal\"\nupdates = \"annual\"\n"
            )
        })
        .collect()
}
