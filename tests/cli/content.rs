//! Content loading: front matter, files keyguide cannot use, structure.

use crate::rules::pinned_scaffold;
use crate::support::SiteTest;

const BASE: &str = "content/payment-api/_index.md";
const ADDENDUM: &str = "content/payment-api/partner-api.md";

#[test]
fn rejects_yaml_front_matter_telling_to_use_toml() {
    SiteTest::scaffold()
        .write(ADDENDUM, "---\ntitle: API\n---\nText\n")
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("error[KG030]")
        .stderr_has("content/payment-api/partner-api.md:1:1")
        .stderr_has("TOML");
}

#[test]
fn front_matter_errors_point_into_the_file() {
    let run = SiteTest::scaffold()
        .edit(
            ADDENDUM,
            "inherit = [\"storage\"]",
            "inherit = [\"storage\"]\nowner = \"x\"",
        )
        .run(&["build", "--drafts"])
        .code(1);
    // Line 5 of the file: `+++`, title, workflows, inherit, owner.
    assert!(run.stderr.contains("partner-api.md:5:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `owner`"),
        "{}",
        run.stderr
    );
}

#[test]
fn reports_wrong_type_at_the_value() {
    SiteTest::scaffold()
        .edit(BASE, "owner = \"Product Security\"", "owner = 7")
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("_index.md:3:9")
        .stderr_has("invalid type");
}

#[test]
fn rejects_a_date_with_a_time() {
    pinned_scaffold()
        .edit(
            BASE,
            "last_reviewed = 2026-10-01",
            "last_reviewed = 2026-10-01T10:00:00Z",
        )
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("expected a date like 2026-10-01");
}

#[test]
fn reports_unterminated_front_matter() {
    SiteTest::scaffold()
        .write(ADDENDUM, "+++\ntitle = \"API\"\n\n## Text\n")
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("never closed")
        .stderr_has("closing `+++`");
}

#[test]
fn reports_an_addendum_folder_without_base_guide() {
    SiteTest::scaffold()
        .write(
            "content/orphan/extra.md",
            "+++\ntitle = \"Extra\"\n+++\nText.\n",
        )
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("error[KG090]")
        .stderr_has("content/orphan/extra.md")
        .stderr_has("no `_index.md`");
}

#[test]
fn reports_non_utf8_markdown_with_its_line() {
    SiteTest::scaffold()
        .write(
            ADDENDUM,
            b"+++\ntitle = \"A\"\n+++\nok\nbad \xff byte\n".as_slice(),
        )
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("partner-api.md:5:5")
        .stderr_has("not valid UTF-8");
}

#[test]
fn reports_binary_file_named_md() {
    SiteTest::scaffold()
        .write(ADDENDUM, b"\x89PNG\r\n\x1a\n\0\0\0".as_slice())
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("binary file");
}

#[test]
fn accepts_crlf_and_byte_order_mark() {
    let site = SiteTest::scaffold();
    let text = site.read(ADDENDUM).replace('\n', "\r\n");
    let site = site.write(ADDENDUM, format!("\u{feff}{text}"));
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.contains("two named contacts"), "{page}");
}

#[test]
fn reports_inventory_errors_at_their_line() {
    SiteTest::scaffold()
        .edit(
            "content/inventory.toml",
            "protects = [\"transmission\"]",
            "protects = [\"transit\"]",
        )
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("content/inventory.toml:6:")
        .stderr_has("transit");
}

#[test]
fn reports_blank_inventory_values_at_their_line_and_column() {
    let site = pinned_scaffold()
        .edit(
            "content/inventory.toml",
            "id = \"wf-partner-api\"",
            "id = \"\"",
        )
        .edit(
            "content/inventory.toml",
            "delivery = \"customer portal download, behind multi-factor authentication\"",
            "delivery = \"  \"",
        )
        .edit(
            "content/inventory.toml",
            "protects = [\"transmission\"]",
            "protects = []",
        );
    site.run(&["lint", "--as-of", crate::rules::AS_OF])
        .code(1)
        .stderr_has_all(&[
            "error[KG030]: invalid inventory: a workflow has a blank `id`\n  --> content/inventory.toml:3:6",
            "error[KG030]: invalid inventory: a workflow protects nothing (`protects = []`)\n  --> content/inventory.toml:6:12",
            "error[KG030]: invalid inventory: a workflow has a blank `delivery`\n  --> content/inventory.toml:7:12",
            "known: none",
        ])
        .stderr_lacks("is covered by no addendum");
    let site = site
        .edit(
            "content/inventory.toml",
            "id = \"\"",
            "id = \"wf-partner-api\"",
        )
        .edit(
            "content/inventory.toml",
            "updates = \"annual rotation with a 30-day overlap\"",
            "updates = \"\"",
        );
    site.run(&["build"])
        .code(1)
        .stderr_has("invalid inventory: workflow `wf-partner-api` has a blank `updates`");
}

#[test]
fn reports_duplicate_section_ids() {
    SiteTest::scaffold()
        .edit(
            ADDENDUM,
            "## Secure updating {#updating}",
            "## Secure updating {#transmission}",
        )
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("error[KG004]")
        .stderr_has("already used on line");
}

#[test]
fn refuses_symlinks_that_leave_the_site() {
    let site = SiteTest::scaffold();
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        outside.path().join("secret.md"),
        "+++\ntitle = \"S\"\n+++\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        site.path("content/payment-api/leak.md"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    site.run(&["build", "--drafts"])
        .code(1)
        .stderr_has("leak.md")
        .stderr_has("outside the site root");
}

#[test]
fn file_names_that_cannot_be_published_faithfully_are_kg090() {
    let site = crate::rules::pinned_scaffold()
        .write("content/payment-api/new\nline.txt", "c")
        .write("content/payment-api/back\\slash.txt", "c");
    let run = site.run(&["lint", "--as-of", crate::rules::AS_OF]).code(1);
    assert!(run.stderr.contains("holds a line break"), "{}", run.stderr);
    assert!(run.stderr.contains("holds a backslash"), "{}", run.stderr);
    site.run(crate::versions::RELEASE_1_0_0)
        .code(1)
        .stderr_has("release refused");
    assert!(!site.path("releases").exists());
}
