//! `keyguide lint`: formats, exit status, options, profiles.

use crate::rules::{AS_OF, fixture, pinned_scaffold};
use crate::support::SiteTest;

#[test]
fn the_example_site_lints_clean() {
    SiteTest::example()
        .run(&["lint", "--deny-warnings", "--as-of", AS_OF])
        .code(0)
        .stderr_has("no findings");
}

#[test]
fn human_output_is_rustc_style_with_source_caret_and_help() {
    let run = fixture("kg060-invalid-replace")
        .run(&["lint", "--as-of", AS_OF])
        .code(1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn json_output_follows_the_schema() {
    let run = fixture("kg021-broken-anchors")
        .run(&["lint", "--format", "json", "--as-of", AS_OF])
        .code(1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_with_rules() {
    let run = fixture("kg042-plain-email")
        .run(&["lint", "--format", "sarif", "--as-of", AS_OF])
        .code(1);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(log["version"], "2.1.0");
    let driver = &log["runs"][0]["tool"]["driver"];
    let rules = driver["rules"].as_array().map_or(0, Vec::len);
    assert_eq!(
        rules,
        keyguide::diag::ALL_RULES.len(),
        "every rule is described"
    );
    assert_eq!(rules, 23);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "KG042");
    let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
    assert_eq!(driver["rules"][index]["id"], "KG042");
    let region = &result["locations"][0]["physicalLocation"];
    assert_eq!(region["artifactLocation"]["uri"], "content/inventory.toml");
    assert_eq!(region["region"]["startLine"], 7);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn github_output_annotates_and_writes_the_step_summary() {
    let site = fixture("kg020-broken-links");
    let summary = site.path("summary.md");
    let run = site
        .run_in(
            ".",
            &["lint", "--format", "github", "--as-of", AS_OF],
            &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap_or_default())],
        )
        .code(1);
    insta::assert_snapshot!(run.stdout);
    let md = site.read("summary.md");
    assert!(md.contains("| error | KG020 broken-link |"), "{md}");
    assert_eq!(md.matches("KG020").count(), 4);
}

#[test]
fn warnings_pass_unless_denied() {
    let site = fixture("kg032-review-due-soon");
    site.run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_has("warning[KG032]");
    site.run(&["lint", "--as-of", AS_OF, "--deny-warnings"])
        .code(1);
}

#[test]
fn config_can_downgrade_and_allow_rules_but_never_kg010() {
    let site = fixture("kg021-broken-anchors").edit(
        "keyguide.toml",
        "[review]",
        "[lint]\nwarn = [\"KG021\"]\n[review]",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_has("warning[KG021]");
    let site = site.edit(
        "keyguide.toml",
        "warn = [\"KG021\"]",
        "allow = [\"broken-anchor\"]",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_lacks("KG021");
    let site = site.edit(
        "keyguide.toml",
        "allow = [\"broken-anchor\"]",
        "allow = [\"KG010\"]",
    );
    site.run(&["lint"])
        .code(2)
        .stderr_has("keyguide.toml:9:10")
        .stderr_has("cannot be lowered");
}

#[test]
fn as_of_must_be_a_date() {
    pinned_scaffold()
        .run(&["lint", "--as-of", "tomorrow"])
        .code(2)
        .stderr_has("YYYY-MM-DD");
}

#[test]
fn a_site_profile_replaces_the_built_in_one() {
    let site = pinned_scaffold()
        .edit("keyguide.toml", "profile = \"pci-dss-4.0.1-3.7.9\"", "profile = \"profiles/ours.toml\"")
        .write(
            "profiles/ours.toml",
            "id = \"ours\"\ntitle = \"Our policy\"\nmin_words = 5\n\n[[section]]\nid = \"escrow\"\ntitle = \"Key escrow\"\nelements = [\"P-1\"]\n",
        );
    let run = site.run(&["lint", "--as-of", AS_OF]).code(1);
    assert!(
        run.stderr.contains("has no `Key escrow` section"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Secure storage"), "{}", run.stderr);
    let coverage = site.run(&["coverage", "--format", "json"]).code(1);
    assert!(
        coverage.stdout.contains("\"escrow\": \"missing\""),
        "{}",
        coverage.stdout
    );
}

#[test]
fn a_broken_profile_file_is_reported_with_its_line() {
    pinned_scaffold()
        .edit(
            "keyguide.toml",
            "profile = \"pci-dss-4.0.1-3.7.9\"",
            "profile = \"ours.toml\"",
        )
        .write(
            "ours.toml",
            "id = \"ours\"\ntitle = \"Ours\"\n[[section]]\nid = \"a\"\nname = \"A\"\n",
        )
        .run(&["lint"])
        .code(2)
        .stderr_has("ours.toml:5:1")
        .stderr_has("unknown field `name`");
    pinned_scaffold()
        .edit(
            "keyguide.toml",
            "profile = \"pci-dss-4.0.1-3.7.9\"",
            "profile = \"pci-dss-3.2\"",
        )
        .run(&["lint"])
        .code(2)
        .stderr_has("neither a built-in profile");
}

#[test]
fn lint_and_build_report_the_same_findings() {
    let site = fixture("kg070-unsafe-html");
    let lint = site.run(&["lint", "--as-of", AS_OF]).code(1);
    let build = site.run(&["build", "--drafts"]).code(1);
    let findings = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("error["))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(findings(&lint.stderr), findings(&build.stderr));
    assert!(!site.path("public").exists());
}

#[test]
fn review_dates_beyond_the_calendar_are_findings_not_panics() {
    // A review dated on the last day there is: due after the end of the calendar.
    let site = pinned_scaffold().edit(
        "content/payment-api/_index.md",
        "last_reviewed = 2026-10-01",
        "last_reviewed = 9999-12-31",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG031]: last reviewed on 9999-12-31, which is after 2026-11-28")
        .stderr_lacks("panicked");
    site.run(&["build"]).code(1).stderr_lacks("panicked");
    site.run(&["coverage"]).code(0).stderr_lacks("panicked");

    // An interval that ends past the calendar: never due.
    let site = pinned_scaffold().edit(
        "keyguide.toml",
        "interval_days = 365",
        "interval_days = 4294967295",
    );
    site.run(&["lint", "--deny-warnings", "--as-of", AS_OF])
        .code(0)
        .stderr_lacks("KG032");
    site.run(&["coverage"]).code(0).stderr_lacks("panicked");

    // A warning window longer than the interval: due soon from the review date on.
    let site = pinned_scaffold().edit("keyguide.toml", "warn_days = 30", "warn_days = 4294967295");
    site.run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_has("warning[KG032]: review due on 2027-10-01 (last reviewed 2026-10-01)");
}

#[test]
fn a_blank_default_owner_counts_as_no_owner() {
    let site = pinned_scaffold()
        .edit(
            "content/payment-api/_index.md",
            "owner = \"Product Security\"\n",
            "",
        )
        .edit(
            "keyguide.toml",
            "owner = \"Product Security\"",
            "owner = \"   \"",
        );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG031]: the base guide names no owner, and keyguide.toml's default `owner` is blank")
        .stderr_has("--> content/payment-api/_index.md:1:1");
    site.run(&["build"]).code(1).stderr_has("build refused");
}

#[test]
fn inherit_help_names_the_id_of_the_base_section_matched_by_title() {
    let site = pinned_scaffold().edit(
        "content/payment-api/_index.md",
        "## Secure storage {#storage}",
        "## Secure storage",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG030]: `inherit` names `storage`, but the base guide has no section with that id")
        .stderr_has("help: the base guide's `Secure storage` section has the id `secure-storage`: write `inherit = [\"secure-storage\"]`, or give the base heading the id `storage` (`## Secure storage {#storage}`)")
        .stderr_lacks("e.g. `inherit = [\"storage\"]`");
    let site = site.edit(
        "content/payment-api/partner-api.md",
        "inherit = [\"storage\"]",
        "inherit = [\"secure-storage\", \"archiving\"]",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("`inherit` names `archiving`")
        .stderr_has("help: name a top-level section id of the base guide: one of `transmission`, `secure-storage`, `updating`")
        .stderr_lacks("`inherit` names `secure-storage`");
}

/// A title written where `inherit` wants an id gets the base section's real id, never an id
/// with a space in it; a subsection id gets the top-level section that holds it.
#[test]
fn inherit_help_turns_a_title_or_a_subsection_into_the_section_id() {
    let site = pinned_scaffold().edit(
        "content/payment-api/partner-api.md",
        "inherit = [\"storage\"]",
        "inherit = [\"Secure storage\"]",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("help: the base guide's `Secure storage` section has the id `storage`: write `inherit = [\"storage\"]`\n")
        .stderr_lacks("{#Secure storage}");
    // The addendum writes `updating` and inherits nothing: both ways forward are offered.
    let site = site.edit(
        "content/payment-api/partner-api.md",
        "inherit = [\"Secure storage\"]",
        "inherit = [\"backup-recovery\", \"rotation\"]",
    );
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG030]: `inherit` names `backup-recovery`, a subsection of the base guide's `Secure storage` section")
        .stderr_has("help: write `inherit = [\"storage\"]` to take the whole `Secure storage` section unchanged, or write `## Secure storage {#storage}` in the addendum")
        .stderr_has("error[KG030]: `inherit` names `rotation`, a subsection of the base guide's `Secure updating` section")
        .stderr_has("help: remove `rotation` from `inherit`: the addendum writes the `Secure updating` section");
}

#[test]
fn prohibited_channels_match_email_forms_and_not_post_or_people() {
    let cases = [
        ("registered postal mail in tamper-evident envelopes", None),
        (
            "our key custodian teams hand over smart cards in person",
            None,
        ),
        ("key emailed to the customer contact", Some("plain email")),
        ("key e-mailed to the customer contact", Some("plain email")),
        ("key sent over Microsoft Teams", Some("chat")),
        ("key pasted into an MS Teams chat", Some("chat")),
    ];
    let mut site = pinned_scaffold();
    let mut current =
        "delivery = \"customer portal download, behind multi-factor authentication\"".to_owned();
    for (delivery, channel) in cases {
        let line = format!("delivery = \"{delivery}\"");
        site = site.edit("content/inventory.toml", &current, &line);
        current = line;
        let run = site.run(&["lint", "--as-of", AS_OF]);
        match channel {
            Some(name) => {
                run.code(1).stderr_has(&format!(
                    "error[KG042]: workflow `wf-partner-api` delivers keys by {name}, which the profile prohibits"
                ));
            }
            None => {
                run.code(0).stderr_lacks("KG042");
            }
        }
    }
}

#[test]
fn a_duplicate_section_id_in_a_site_profile_is_reported_where_it_repeats() {
    let profile = "id = \"ours\"\ntitle = \"Ours\"\n\n[[section]]\nid = \"escrow\"\ntitle = \"Key escrow\"\nsubsections = [\n  { id = \"vault\", title = \"Vault\" },\n]\n\n[[section]]\nid = \"custody\"\ntitle = \"Custody\"\nsubsections = [\n  { id = \"holders\", title = \"Holders\" },\n  { id = \"escrow\", title = \"Escrow again\" },\n]\n";
    pinned_scaffold()
        .edit(
            "keyguide.toml",
            "profile = \"pci-dss-4.0.1-3.7.9\"",
            "profile = \"profiles/ours.toml\"",
        )
        .write("profiles/ours.toml", profile)
        .run(&["lint"])
        .code(2)
        .stderr_has("profiles/ours.toml:16:10")
        .stderr_has("section id `escrow` is listed twice (first on line 5)")
        .stderr_has("its own id")
        .stderr_lacks("ours.toml:1:1");
}

#[test]
fn control_characters_in_findings_never_reach_machine_formats_raw() {
    // A percent-encoded ESC, decoded into the finding's message.
    let site = pinned_scaffold().edit(
        "content/payment-api/partner-api.md",
        "## Secure transmission {#transmission}",
        "See [y](miss%1B%5B31mred.md).\n\n## Secure transmission {#transmission}",
    );
    let summary = site.path("summary.md");
    let github = site
        .run_in(
            ".",
            &["lint", "--format", "github", "--as-of", AS_OF],
            &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap_or_default())],
        )
        .code(1);
    assert!(!github.stdout.contains('\u{1b}'), "{:?}", github.stdout);
    assert!(
        github
            .stdout
            .contains("`payment-api/miss\\u{1b}[31mred.md`"),
        "{:?}",
        github.stdout
    );
    assert_eq!(
        github
            .stdout
            .lines()
            .filter(|l| l.starts_with("::"))
            .count(),
        1,
        "one annotation, on one line"
    );
    let md = site.read("summary.md");
    assert!(
        !md.contains('\u{1b}') && md.contains("miss\\u{1b}[31mred.md"),
        "{md:?}"
    );
    for format in ["json", "sarif"] {
        let run = site
            .run(&["lint", "--format", format, "--as-of", AS_OF])
            .code(1);
        assert!(!run.stdout.contains('\u{1b}'), "{format}: {:?}", run.stdout);
        let value: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{format} output is not JSON: {e}"));
        let text = if format == "json" {
            &value["diagnostics"][0]["message"]
        } else {
            &value["runs"][0]["results"][0]["message"]["text"]
        };
        assert!(
            text.as_str()
                .unwrap_or_default()
                .contains("miss\u{1b}[31mred.md"),
            "{format}: {text}"
        );
    }
}
