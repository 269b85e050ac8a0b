//! Releases, the ledger, immutability, the versioned site, diffs, notes and feeds.

use crate::rules::{AS_OF, pinned_scaffold};
use crate::support::SiteTest;

const BASE: &str = "content/payment-api/_index.md";
const ADDENDUM: &str = "content/payment-api/partner-api.md";

/// The command that releases a pinned scaffold as 1.0.0.
pub const RELEASE_1_0_0: &[&str] = &[
    "release",
    "1.0.0",
    "--approver",
    "CISO",
    "--date",
    "2026-10-15",
];

/// The scaffold released once, as 1.0.0.
pub fn first_release() -> SiteTest {
    let site = pinned_scaffold();
    site.run(RELEASE_1_0_0).code(0);
    site
}

/// The scaffold released twice: 1.0.0, then 1.1.0 with rotation changed.
fn two_releases() -> SiteTest {
    second_release(first_release())
}

/// `site` (the scaffold released as 1.0.0) released again as 1.1.0 with rotation changed.
pub fn second_release(site: SiteTest) -> SiteTest {
    let site = rotation_changed(
        site,
        "Keys now rotate every six months. Plan your next rotation accordingly.\n",
    );
    site.run(&release_args("1.1.0")).code(0);
    site
}

/// `site` (the scaffold released as 1.0.0) with rotation changed in the draft and `notes`
/// for its release in `notes.md`.
fn rotation_changed(site: SiteTest, notes: &str) -> SiteTest {
    site.edit(BASE, "every twelve months", "every six months")
        .write("notes.md", notes)
}

/// The arguments that release such a draft as `label`, with `notes.md`.
fn release_args(label: &str) -> [&str; 8] {
    [
        "release",
        label,
        "--approver",
        "CISO",
        "--date",
        "2026-11-02",
        "--notes",
        "notes.md",
    ]
}

#[test]
fn release_freezes_the_draft_and_chains_the_ledger() {
    let site = two_releases();
    assert!(
        site.read("releases/1.0.0/content/payment-api/_index.md")
            .contains("twelve months")
    );
    assert!(
        site.read("releases/1.1.0/content/payment-api/_index.md")
            .contains("six months")
    );
    let ledger: toml::Value =
        toml::from_str(&site.read("releases/ledger.toml")).unwrap_or(toml::Value::Integer(0));
    let entries = ledger["release"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["previous"], entries[0]["digest"]);
    assert_eq!(entries[1]["approver"].as_str(), Some("CISO"));
    let notes = site.read("releases/1.1.0/NOTES.md");
    assert!(
        notes
            .starts_with("+++\nversion = \"1.1.0\"\ndate = 2026-11-02\napprover = \"CISO\"\n+++\n"),
        "{notes}"
    );
    assert!(notes.contains("every six months"));
    site.run(&["lint", "--as-of", AS_OF]).code(0);
}

#[test]
fn release_refuses_bad_labels_existing_versions_no_changes_and_lint_errors() {
    let site = two_releases();
    for label in [
        "../x",
        "a/b",
        "latest",
        ".hidden",
        "1 0",
        "LATEST",
        "Feeds",
        "index.html",
        "404.html",
        "versions.json",
        "releases.xml",
        "_redirects",
    ] {
        site.run(&["release", label, "--approver", "CISO"])
            .code(2)
            .stderr_has("not a valid version label");
    }
    site.run(&["release", "1.1.0", "--approver", "CISO"])
        .code(2)
        .stderr_has("already exists");
    site.run(&["release", "1.2.0", "--approver", "CISO"])
        .code(2)
        .stderr_has("nothing changed since version 1.1.0");
    let site = site.edit(
        BASE,
        "## Secure updating {#updating}",
        "## Updates later {#later}",
    );
    let before = site.tree("releases");
    site.run(&["release", "1.2.0", "--approver", "CISO"])
        .code(1)
        .stderr_has("release refused");
    assert_eq!(site.tree("releases"), before);
}

#[test]
fn a_release_killed_half_way_leaves_no_trace() {
    let site = first_release();
    let site = site.edit(BASE, "every twelve months", "every six months");
    let before = site.tree("releases");
    // A file-size limit of 2 KiB kills the process (SIGXFSZ) while it writes the snapshot.
    let bin = env!("CARGO_BIN_EXE_keyguide");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 4; exec {bin} release 1.1.0 --approver CISO --date 2026-11-02"
        ))
        .current_dir(site.path("."))
        .status()
        .map(|s| s.success())
        .unwrap_or(true);
    assert!(!status, "the release must have been killed");
    assert_eq!(site.tree("releases"), before, "releases/ must be as it was");
    site.run(&["lint", "--as-of", AS_OF]).code(0);
    site.run(&[
        "release",
        "1.1.0",
        "--approver",
        "CISO",
        "--date",
        "2026-11-02",
    ])
    .code(0);
}

#[test]
fn tampering_with_a_release_is_kg050_naming_the_file() {
    let site = two_releases().edit(
        "releases/1.0.0/content/payment-api/_index.md",
        "twelve",
        "ten",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG050]")
        .stderr_has("releases/1.0.0/content/payment-api/_index.md");
    site.run(&["build"]).code(1);
    // Byte for byte: a byte-order mark added in front of a released file changes no text
    // keyguide reads, but it changes the file.
    let site = two_releases();
    let released = "releases/1.0.0/content/payment-api/_index.md";
    let text = site.read(released);
    let site = site.write(released, format!("\u{feff}{text}"));
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG050]")
        .stderr_has(released);
    let site = two_releases().remove_file("releases/1.1.0/content/inventory.toml");
    site.run(&["lint"])
        .code(1)
        .stderr_has("file removed from released version 1.1.0");
    let site = two_releases().edit("releases/1.1.0/NOTES.md", "six months", "6 months");
    site.run(&["lint"])
        .code(1)
        .stderr_has("releases/1.1.0/NOTES.md");
    let site = two_releases().write("keyguide.toml.bak", "");
    let site = site.edit(
        "keyguide.toml",
        "[review]",
        "[lint]\nallow = [\"KG050\"]\n[review]",
    );
    site.run(&["lint"]).code(2).stderr_has("cannot be lowered");
}

#[test]
fn editing_removing_or_reordering_ledger_entries_is_kg051() {
    let site = two_releases().edit(
        "releases/ledger.toml",
        "approver = \"CISO\"",
        "approver = \"CEO\"",
    );
    site.run(&["lint"])
        .code(1)
        .stderr_has("error[KG051]")
        .stderr_has("was altered");
    let site = two_releases();
    let ledger = site.read("releases/ledger.toml");
    let (head, second) = ledger.split_at(ledger.rfind("[[release]]").unwrap_or(0));
    let first = &head[head.find("[[release]]").unwrap_or(0)..];
    let site = site.write("releases/ledger.toml", format!("{second}\n{first}"));
    site.run(&["lint"]).code(1).stderr_has("error[KG051]");
    let site = two_releases();
    let ledger = site.read("releases/ledger.toml");
    let cut = ledger.rfind("[[release]]").unwrap_or(ledger.len());
    let site = site.write("releases/ledger.toml", &ledger[..cut]);
    site.run(&["lint"])
        .code(1)
        .stderr_has("releases/1.1.0/ is not in the ledger");
}

#[test]
fn release_refuses_empty_notes() {
    let site = pinned_scaffold().write("empty.md", "\n<!-- write the notes here -->\n  \n");
    site.run(&[RELEASE_1_0_0, &["--notes", "empty.md"]].concat())
        .code(2)
        .stderr_has("the release notes file empty.md is empty");
    assert!(!site.path("releases").exists());
}

/// A notes file over the 8 MiB every text file keyguide reads is held to is refused like an
/// oversized content file: a KG090 finding naming it and its size, exit 1, nothing written.
#[test]
fn release_refuses_notes_over_the_size_limit() {
    let line = "Keys now rotate every six months; plan your next rotation accordingly.\n";
    let notes = line.repeat(8 * 1024 * 1024 / line.len() + 1);
    let site = rotation_changed(first_release(), &notes);
    let before = site.tree("releases");
    site.run(&release_args("1.1.0")).code(1).stderr_has_all(&[
        "error[KG090]",
        "--> notes.md:1:1",
        &format!(
            "is {}; keyguide reads files of at most 8 MiB",
            keyguide::source::size_text(notes.len() as u64)
        ),
        "help: ",
        "nothing was written",
    ]);
    assert!(site.tree("releases") == before, "releases/ changed");
}

/// `site` (the scaffold released as 1.0.0) with its notes replaced by `notes` and the ledger
/// re-chained the way a careless tool would: releases can arrive by other means than
/// `keyguide release` (a merge, a hand-made commit).
fn with_notes_rewritten(site: SiteTest, notes: &str) -> SiteTest {
    let ledger: toml::Table =
        toml::from_str(&site.read("releases/ledger.toml")).unwrap_or_default();
    let entry = &ledger["release"][0];
    let field = |k: &str| entry[k].as_str().unwrap_or_default().to_owned();
    let mut record = keyguide::versions::Record {
        version: field("version"),
        date: keyguide::frontmatter::Date::from_calendar_date(2026, time::Month::October, 15)
            .unwrap_or(keyguide::frontmatter::Date::MIN),
        approver: field("approver"),
        content_digest: field("content_digest"),
        notes_digest: keyguide::versions::sha256(notes.as_bytes()),
        previous: field("previous"),
        digest: String::new(),
    };
    record.digest = record.compute_digest();
    site.write("releases/1.0.0/NOTES.md", notes)
        .write("releases/ledger.toml", record.to_toml())
}

#[test]
fn empty_notes_for_a_changed_release_is_kg052() {
    // `release` refuses empty notes, but lint checks them too.
    let notes =
        "+++\nversion = \"1.0.0\"\ndate = 2026-10-15\napprover = \"CISO\"\n+++\n\n<!-- TODO -->\n";
    let site = with_notes_rewritten(first_release(), notes);
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG052]")
        .stderr_has("releases/1.0.0/NOTES.md")
        .stderr_lacks("KG050")
        .stderr_lacks("KG051");
}

#[test]
fn changes_outside_section_text_can_be_released() {
    let site = first_release();
    let run = site.run(&["diff", "latest", "draft"]).code(0);
    assert!(
        run.stdout.contains("no changes from 1.0.0 to draft"),
        "{}",
        run.stdout
    );
    let site = site.write(
        "content/payment-api/diagrams/flow.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    );
    let run = site.run(&["diff", "latest", "draft"]).code(0);
    assert!(
        run.stdout
            .contains("files\n  + added   payment-api/diagrams/flow.svg"),
        "{}",
        run.stdout
    );
    let run = site
        .run(&["diff", "latest", "draft", "--format", "json"])
        .code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(report["from"], "1.0.0", "{}", run.stdout);
    assert_eq!(report["files"][0]["change"], "added", "{}", run.stdout);
    site.run(&[
        "release",
        "1.0.1",
        "--approver",
        "CISO",
        "--date",
        "2026-11-01",
    ])
    .code(0);
    let notes = site.read("releases/1.0.1/NOTES.md");
    assert!(
        notes.contains("- file `payment-api/diagrams/flow.svg` added"),
        "{notes}"
    );
    site.run(&["lint", "--as-of", AS_OF]).code(0);
}

#[test]
fn a_base_change_the_addendum_did_not_follow_is_kg061() {
    let site = first_release();
    let site = site.edit(
        BASE,
        "Check the key fingerprint shown in the portal",
        "Check the SHA-256 key fingerprint shown in the portal",
    );
    let run = site.run(&["lint", "--as-of", AS_OF]).code(0);
    assert!(run.stderr.contains("warning[KG061]"), "{}", run.stderr);
    assert!(run.stderr.contains("partner-api.md:"), "{}", run.stderr);
    let site = site.edit(
        ADDENDUM,
        "two named contacts",
        "two named security contacts",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_lacks("KG061");
}

#[test]
fn diff_compares_sections_and_ignores_rewrapping() {
    let site = two_releases();
    let run = site
        .run(&["diff", "1.0.0", "1.1.0", "--format", "json"])
        .code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(json["from"], "1.0.0");
    assert_eq!(json["changes"][0]["section"], "rotation");
    assert_eq!(json["changes"][0]["change"], "changed");
    assert_eq!(json["changes"][0]["integration"], serde_json::Value::Null);
    let text = site.read(BASE).replace("Keep keys in a hardware security module or a cloud key management service, never in\napplication", "Keep keys in a hardware security module\n   or a cloud key management service, never in application");
    let site = site.write(BASE, text);
    site.run(&["diff", "latest"]).code(0);
    let run = site
        .run(&["diff", "latest", "draft", "--format", "json"])
        .code(0);
    assert!(run.stdout.contains("\"changes\": []"), "{}", run.stdout);
    site.run(&["diff", "0.9"])
        .code(2)
        .stderr_has("unknown version `0.9`");
}

#[test]
fn the_versioned_site_has_latest_redirects_switcher_banners_notes_and_feeds() {
    let site = two_releases();
    site.run(&["build"]).code(0);
    for page in [
        "public/1.0.0/payment-api/index.html",
        "public/1.1.0/payment-api/partner-api/index.html",
        "public/latest/payment-api/partner-api/index.html",
        "public/releases/index.html",
        "public/releases/1.1.0/index.html",
        "public/releases.xml",
        "public/feeds/payment-api/partner-api.xml",
        "public/versions.json",
        "public/_redirects",
    ] {
        assert!(site.path(page).is_file(), "missing {page}");
    }
    assert!(
        !site.path("public/next").exists(),
        "the draft is built only with --drafts"
    );
    let old = site.read("public/1.0.0/payment-api/index.html");
    assert!(old.contains("noindex"), "superseded pages are noindex");
    assert!(old.contains("superseded"), "{old}");
    assert!(
        old.contains("href=\"../../1.1.0/payment-api/\""),
        "banner and switcher link to the same page"
    );
    let latest = site.read("public/1.1.0/payment-api/index.html");
    assert!(!latest.contains("noindex"));
    let redirect = site.read("public/latest/payment-api/partner-api/index.html");
    assert!(
        redirect.contains("../../../1.1.0/payment-api/partner-api/"),
        "{redirect}"
    );
    let script = redirect
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default();
    assert!(script.contains("assets/redirect."), "{redirect}");
    assert!(redirect.contains("integrity=\"sha384-"), "{redirect}");
    let script = format!("public/latest/payment-api/partner-api/{script}");
    assert!(
        std::fs::read_to_string(site.path(&script))
            .unwrap_or_default()
            .contains("location.hash"),
        "the script keeps the fragment"
    );
    assert_eq!(
        site.read("public/_redirects"),
        "/keys/latest/*  /keys/1.1.0/:splat  302!\n"
    );
    let versions: serde_json::Value =
        serde_json::from_str(&site.read("public/versions.json")).unwrap_or_default();
    assert_eq!(versions["latest"], "1.1.0");
    assert_eq!(versions["versions"][0]["url"], "/keys/1.1.0/");
    assert_eq!(versions["versions"][1]["date"], "2026-10-15");
    let notes = site.read("public/releases/1.1.0/index.html");
    assert!(
        notes.contains("Keys now rotate every six months"),
        "customer notes"
    );
    assert!(
        notes.contains("<del>twelve</del>") && notes.contains("<ins>six</ins>"),
        "word diff: {notes}"
    );
}

#[test]
fn feeds_are_atom_with_stable_entry_ids() {
    let site = two_releases();
    site.run(&["build"]).code(0);
    let feed: atom_syndication::Feed = site.read("public/releases.xml").parse().unwrap_or_default();
    assert_eq!(feed.entries.len(), 2);
    assert_eq!(
        feed.entries[0].id,
        "https://trust.example.com/keys/releases/1.1.0/"
    );
    assert!(
        feed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.value.as_deref())
            .unwrap_or("")
            .contains("six months")
    );
    let integration: atom_syndication::Feed = site
        .read("public/feeds/payment-api/partner-api.xml")
        .parse()
        .unwrap_or_default();
    assert_eq!(
        integration.entries.len(),
        2,
        "both releases changed its base guide"
    );
    let first = site.read("public/releases.xml");
    site.run(&["build"]).code(0);
    assert_eq!(
        site.read("public/releases.xml"),
        first,
        "feeds are reproducible"
    );
}

/// Release notes that would publish a script, a `javascript:` link and a private key.
const UNSAFE_NOTES: &str = "Rotation changed.\n\n<script>alert(1)</script>\n\n[details](javascript:alert(2))\n\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";

#[test]
fn release_checks_the_notes_and_approver_it_would_freeze() {
    // A published release never changes: a finding in its notes could never be fixed, so
    // `release` checks them (and the approver) like content before writing anything.
    let customer = "Northwind Payments";
    let site = pinned_scaffold()
        .write(
            "evidence/customers.csv",
            format!("id,name,workflows\nC-006,{customer},wf-partner-api\n"),
        )
        .write(
            "evidence/distribution.csv",
            "customer,version,channel,date,reference\n",
        )
        .write("unsafe.md", UNSAFE_NOTES)
        .write("binary.md", b"Rotation\0changed.\n")
        .write("latin1.md", b"Schl\xfcssel rotated.\n")
        .write("ok.md", "Rotation changed.\n")
        .write("customer.md", format!("Fixed for {customer}.\n"))
        .write("split.md", "Fixed for **Northwind**\nPayments.\n");
    let release = |notes: &str, approver: &str| {
        site.run(&[
            "release",
            "1.0.0",
            "--approver",
            approver,
            "--date",
            "2026-10-15",
            "--notes",
            notes,
        ])
    };
    release("unsafe.md", "CISO").code(1).stderr_has_all(&[
        "error[KG070]: content holds a `<script>` element\n  --> unsafe.md:3:1",
        "error[KG070]: content holds a link to a `javascript:` URL\n  --> unsafe.md:5:1",
        "error[KG010]: OpenSSH private key found",
        "release refused",
    ]);
    release("binary.md", "CISO").code(1).stderr_has(
        "error[KG090]: is a binary file (it contains a NUL byte), not text\n  --> binary.md:1:9",
    );
    release("latin1.md", "CISO")
        .code(1)
        .stderr_has("error[KG090]: is not valid UTF-8\n  --> latin1.md:1:5");
    release("customer.md", "CISO")
        .code(1)
        .stderr_has("error[KG101]")
        .stderr_has("--> customer.md:1:11");
    release("ok.md", customer)
        .code(1)
        .stderr_has("error[KG101]")
        .stderr_has("--> --approver:1:1");
    // As a reader sees it: emphasis and a line break do not hide the name.
    release("split.md", "CISO")
        .code(1)
        .stderr_has("error[KG101]")
        .stderr_has("--> split.md:1:13");
    assert!(!site.path("releases").exists(), "a refused release wrote");
    release("ok.md", "CISO").code(0);
}

#[test]
fn lint_checks_published_notes_like_content() {
    // Notes that arrived some other way (or from an older keyguide) are checked where they
    // are, so lint fails where the build would, at the notes' own line.
    let notes = format!(
        "+++\nversion = \"1.0.0\"\ndate = 2026-10-15\napprover = \"CISO\"\n+++\n\n{UNSAFE_NOTES}"
    );
    let site = with_notes_rewritten(first_release(), &notes);
    for command in [&["lint", "--as-of", AS_OF][..], &["build"]] {
        site.run(command).code(1).stderr_has_all(&[
            "error[KG070]: content holds a `<script>` element\n  --> releases/1.0.0/NOTES.md:9:1",
            "--> releases/1.0.0/NOTES.md:11:1",
            "error[KG010]: OpenSSH private key found",
        ]);
    }
    assert!(!site.path("public").exists());
}

#[test]
fn feeds_stay_well_formed_with_control_characters_in_the_notes() {
    // XML cannot carry most control characters even escaped; pasted from a terminal they
    // would make every feed unreadable.
    let site = rotation_changed(
        first_release(),
        "Keys rotate\x0csooner: \x1b[31msix months\x1b[0m.\n",
    );
    site.run(&release_args("1.1.0")).code(0);
    site.run(&["build"]).code(0);
    for feed in [
        "public/releases.xml",
        "public/feeds/payment-api/partner-api.xml",
    ] {
        let text = site.read(feed);
        assert!(text.contains("sooner: [31msix months"), "{feed}: {text}");
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
            "{feed} holds a character XML does not allow"
        );
    }
}

#[test]
fn releases_of_one_site_never_overlap() {
    // Two releases at once used to read the same ledger, both report success, and one was
    // lost. Now the second waits, then finds nothing left to release.
    for _ in 0..10 {
        let site = rotation_changed(first_release(), "Keys now rotate every six months.\n");
        let start = |label: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_keyguide"))
                .args(release_args(label))
                .current_dir(site.path(""))
                .stderr(std::process::Stdio::piped())
                .spawn()
        };
        let (Ok(a), Ok(b)) = (start("1.1.0"), start("1.2.0")) else {
            panic!("cannot start keyguide");
        };
        let codes: Vec<i32> = [a, b]
            .into_iter()
            .map(|c| {
                c.wait_with_output()
                    .ok()
                    .and_then(|o| o.status.code())
                    .unwrap_or(-1)
            })
            .collect();
        let ledger = site.read("releases/ledger.toml");
        let released = ["1.1.0", "1.2.0"]
            .iter()
            .zip(&codes)
            .filter(|(_, code)| **code == 0)
            .map(|(label, _)| *label)
            .collect::<Vec<_>>();
        assert_eq!(released.len(), 1, "exit codes {codes:?}");
        for label in ["1.1.0", "1.2.0"] {
            let listed = ledger.contains(&format!("version = \"{label}\""));
            assert_eq!(listed, released.contains(&label), "{label}: {ledger}");
            assert_eq!(site.path(&format!("releases/{label}")).exists(), listed);
        }
        site.run(&["lint", "--as-of", AS_OF]).code(0);
    }
}

#[test]
fn a_release_waits_for_the_one_in_progress() {
    let site = rotation_changed(first_release(), "Keys now rotate every six months.\n");
    // Hold the release lock as a release in progress would.
    let lock = std::fs::File::open(site.path(".keyguide/release.lock"));
    let Ok(lock) = lock else {
        panic!("the first release left no lock file");
    };
    assert!(rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).is_ok());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_keyguide"))
        .args(release_args("1.1.0"))
        .current_dir(site.path(""))
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        panic!("cannot start keyguide");
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the release went ahead while another held the lock"
    );
    assert!(!site.path("releases/1.1.0").exists());
    drop(lock);
    let status = child.wait().ok().and_then(|s| s.code());
    assert_eq!(status, Some(0));
    assert!(
        site.read("releases/ledger.toml")
            .contains("version = \"1.1.0\"")
    );
}

/// Every relative `href` and `src` in the built HTML under `public/` that names no file of
/// the output (a folder names its `index.html`), as "page -> link".
fn missing_link_targets(site: &SiteTest) -> Vec<String> {
    let files: std::collections::BTreeSet<String> =
        site.tree("public").into_iter().map(|(p, _)| p).collect();
    let mut missing = Vec::new();
    for page in files.iter().filter(|p| p.ends_with(".html")) {
        let html = site.read(&format!("public/{page}"));
        let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
        for attr in [" href=\"", " src=\""] {
            for (at, _) in html.match_indices(attr) {
                let rest = &html[at + attr.len()..];
                let value = rest.split('"').next().unwrap_or_default();
                let path = value.split(['#', '?']).next().unwrap_or_default();
                if path.is_empty() || path.starts_with('/') || path.contains(':') {
                    continue;
                }
                let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
                for seg in path.split('/') {
                    match seg {
                        "" | "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let mut target = parts.join("/");
                if path.ends_with('/') || path == "." || path == ".." {
                    target = format!("{target}/index.html")
                        .trim_start_matches('/')
                        .to_owned();
                }
                if !files.contains(&target) {
                    missing.push(format!("{page} -> {value}"));
                }
            }
        }
    }
    missing
}

/// Pages link `releases.xml` and their integration's feed whether or not anything is
/// released, and whatever version the integration is in: every one of those files exists
/// (empty Atom feeds until a release has entries for them).
#[test]
fn every_feed_a_page_links_is_written() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    assert_eq!(missing_link_targets(&site), Vec::<String>::new());
    let feed: atom_syndication::Feed = site
        .read("public/releases.xml")
        .parse()
        .unwrap_or_else(|e| panic!("releases.xml: {e}"));
    assert!(feed.entries().is_empty());
    let feed: atom_syndication::Feed = site
        .read("public/feeds/payment-api/partner-api.xml")
        .parse()
        .unwrap_or_else(|e| panic!("partner feed: {e}"));
    assert!(feed.entries().is_empty());
    // Released, then an integration only the draft has.
    let site = first_release();
    let addendum = site
        .read(ADDENDUM)
        .replace("Server-to-server API", "Draft only");
    let site = site.write("content/payment-api/draft-only.md", addendum);
    site.run(&["build", "--drafts"]).code(0);
    assert!(
        site.path("public/next/payment-api/draft-only/index.html")
            .is_file()
    );
    assert!(
        site.path("public/feeds/payment-api/draft-only.xml")
            .is_file()
    );
    assert_eq!(missing_link_targets(&site), Vec::<String>::new());
}
