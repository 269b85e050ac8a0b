//! Every lint fixture, run through `lint` and `build`.
//!
//! A fixture is a folder in `tests/fixtures/` named after the rule or behaviour it shows.
//! It starts from the `keyguide init` scaffold (review date pinned to 2026-10-01), applies
//! the text edits in its `edits.toml`, adds the files under its `files/`, and lists in
//! `expect.txt` every finding `keyguide lint --as-of 2026-11-28` must report, one
//! `RULE severity file:line:col` per line (`#` comments allowed; an empty list means the
//! fixture must lint clean). The same fixture is then built, and build must agree with lint.

use std::path::Path;

use serde::Deserialize;

use crate::support::SiteTest;

/// The date every fixture is judged at.
pub const AS_OF: &str = "2026-11-28";
/// `AS_OF` as a Unix timestamp, for `build`, which takes its date from SOURCE_DATE_EPOCH.
const AS_OF_EPOCH: &str = "1795824000";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edits {
    #[serde(default)]
    edit: Vec<Edit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

/// The scaffold with its review date pinned, so fixtures do not depend on the day they run.
pub fn pinned_scaffold() -> SiteTest {
    let site = SiteTest::scaffold();
    let base = "content/payment-api/_index.md";
    let text = site.read(base);
    let line = text
        .lines()
        .find(|l| l.starts_with("last_reviewed"))
        .unwrap_or_default()
        .to_owned();
    site.edit(base, &line, "last_reviewed = 2026-10-01")
}

/// The fixture `name`, ready to run.
pub fn fixture(name: &str) -> SiteTest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut site = pinned_scaffold();
    if let Ok(text) = std::fs::read_to_string(dir.join("edits.toml")) {
        let edits: Edits =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}/edits.toml: {e}"));
        for e in edits.edit {
            site = site.edit(&e.file, &e.find, &e.replace);
        }
    }
    let files = dir.join("files");
    if files.is_dir() {
        site = site.copy_in(&files);
    }
    site
}

/// The findings of `keyguide lint --format json` as `RULE severity file:line:col` lines.
pub fn lint_findings(site: &SiteTest) -> (i32, Vec<String>) {
    let run = site.run(&["lint", "--format", "json", "--as-of", AS_OF]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("lint json: {e}\n{}\n{}", run.stdout, run.stderr));
    let lines = report["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    format!(
                        "{} {} {}:{}:{}",
                        d["rule"].as_str().unwrap_or(""),
                        d["severity"].as_str().unwrap_or(""),
                        d["file"].as_str().unwrap_or(""),
                        d["line"],
                        d["column"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (run.code, lines)
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings_and_build_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.path().join("expect.txt").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "fixtures found: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let expected: Vec<String> = std::fs::read_to_string(root.join(name).join("expect.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        let site = fixture(name);
        let (lint_code, found) = lint_findings(&site);
        if found != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:#?}\n  found {found:#?}"
            ));
            continue;
        }
        let has_error = found.iter().any(|f| f.contains(" error "));
        if lint_code != i32::from(has_error) {
            failures.push(format!(
                "{name}: lint exit {lint_code}, errors: {has_error}"
            ));
        }
        let build = site.run_in(
            ".",
            &["build", "--drafts"],
            &[("SOURCE_DATE_EPOCH", AS_OF_EPOCH)],
        );
        if build.code != lint_code || site.path("public").exists() == has_error {
            failures.push(format!(
                "{name}: lint exit {lint_code} but build exit {} (output written: {})\n{}",
                build.code,
                site.path("public").exists(),
                build.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `file:line:col` of the first `needle` in `text` (columns in characters, from 1).
fn place(file: &str, text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or_else(|| panic!("no {needle:?}"));
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let column = text[start..at].chars().count() + 1;
    format!("{file}:{line}:{column}")
}

/// Links to the site's own base_url (pasted from the browser) are made relative when the
/// page is built, and checked like relative ones: in the version they name, the page must
/// exist and the fragment be one of its sections.
#[test]
fn absolute_links_into_the_site_are_checked_like_relative_ones() {
    const ADDENDUM: &str = "content/payment-api/partner-api.md";
    let site = crate::versions::first_release();
    let text = format!(
        "{}\nSee [a](https://trust.example.com/keys/9.9.9/payment-api/),\n\
         [b](https://trust.example.com/keys/next/payment-api/#nope),\n\
         [c](https://trust.example.com/keys/1.0.0/payment-api/#storage),\n\
         [d](https://trust.example.com/keys/latest/payment-api/partner-api/#nope2),\n\
         [e](https://trust.example.com/keys/releases/),\n\
         [f](https://trust.example.com/keys/1.0.0/payment-api/missing/),\n\
         [g](https://trust.example.com/keys/next/payment-api/partner-api/#transmission).\n",
        site.read(ADDENDUM)
    );
    let site = site.write(ADDENDUM, &text);
    let run = site.run(&["lint", "--as-of", AS_OF]).code(1);
    for (needle, rule, what) in [
        (
            "[a]",
            "KG020",
            "version `9.9.9` of this site, which does not exist",
        ),
        ("[b]", "KG021", "has the id `nope`"),
        ("[d]", "KG021", "has the id `nope2`"),
        (
            "[f]",
            "KG020",
            "addendum `payment-api/missing.md` in version `1.0.0`",
        ),
    ] {
        let at = place(ADDENDUM, &text, needle);
        let line = run
            .stderr
            .lines()
            .position(|l| l.contains(&at))
            .unwrap_or_else(|| panic!("no finding at {at}:\n{}", run.stderr));
        let around = run.stderr.lines().skip(line.saturating_sub(2)).take(3);
        let around: Vec<&str> = around.collect();
        assert!(
            around.iter().any(|l| l.contains(rule)) && around.iter().any(|l| l.contains(what)),
            "{needle}: {around:?}\n{}",
            run.stderr
        );
    }
    for needle in ["[c]", "[e]", "[g]"] {
        let at = place(ADDENDUM, &text, needle);
        assert!(!run.stderr.contains(&at), "{needle}:\n{}", run.stderr);
    }
    assert_eq!(
        run.stderr.matches("error[KG02").count(),
        4,
        "{}",
        run.stderr
    );
    site.run(&["build", "--drafts"]).code(1);
}

/// However the site's own URL is written — scheme or host in capitals, the default port
/// spelled out, `http:` for the `https:` site — and whether the link is Markdown or a raw
/// HTML `<a href>`, it is checked in the version it names, and the finding points at the
/// link in the source.
#[test]
fn own_site_links_are_checked_however_written_and_in_raw_html() {
    const ADDENDUM: &str = "content/payment-api/partner-api.md";
    let site = crate::versions::first_release();
    let text = format!(
        "{}\nSee <a href=\"HTTP://TRUST.EXAMPLE.COM:80/keys/1.0.0/payment-api/#nope\">a</a>,\n\
         [b](https://trust.example.com:443/keys/9.9.9/payment-api/),\n\
         <a class=\"x\" href=\"HTTPS://trust.example.com/keys/1.0.0/payment-api/#storage\">c</a>,\n\
         <a href=\"https://trust.example.com/keys/1.0.0/payment-api/gone/\">d</a>,\n\
         [e](//trust.example.com/keys/1.0.0/no-such-guide/).\n",
        site.read(ADDENDUM)
    );
    let site = site.write(ADDENDUM, &text);
    let run = site.run(&["lint", "--as-of", AS_OF]).code(1);
    for (needle, rule, what) in [
        ("href=\"HTTP:", "KG021", "has the id `nope`"),
        (
            "[b]",
            "KG020",
            "version `9.9.9` of this site, which does not exist",
        ),
        (
            "href=\"https://trust.example.com/keys/1.0.0/payment-api/gone/",
            "KG020",
            "addendum `payment-api/gone.md` in version `1.0.0`",
        ),
        ("[e]", "KG020", "no-such-guide"),
    ] {
        let at = format!("--> {}", place(ADDENDUM, &text, needle));
        let line = run
            .stderr
            .lines()
            .position(|l| l.contains(&at))
            .unwrap_or_else(|| panic!("no finding at {at}:\n{}", run.stderr));
        let around: Vec<&str> = run
            .stderr
            .lines()
            .skip(line.saturating_sub(2))
            .take(3)
            .collect();
        assert!(
            around.iter().any(|l| l.contains(rule)) && around.iter().any(|l| l.contains(what)),
            "{needle}: {around:?}\n{}",
            run.stderr
        );
    }
    assert_eq!(
        run.stderr.matches("error[KG02").count(),
        4,
        "{}",
        run.stderr
    );
}
