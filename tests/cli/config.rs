//! keyguide.toml: discovery, `--root`, and errors that name the file, line and key.

use crate::support::SiteTest;

#[test]
fn finds_the_site_root_from_a_subfolder() {
    let site = SiteTest::scaffold();
    site.run_in("content/payment-api", &["build", "--drafts"], &[])
        .code(0);
    assert!(site.path("public/next/payment-api/index.html").is_file());
}

#[test]
fn root_flag_points_at_another_folder() {
    let site = SiteTest::empty().write("placeholder", "");
    site.run(&["init", "site"]).code(0);
    site.run(&["--root", "site", "build", "--drafts"]).code(0);
    assert!(site.path("site/public/index.html").is_file());
}

#[test]
fn reports_a_missing_site_with_exit_2() {
    SiteTest::empty()
        .run(&["build"])
        .code(2)
        .stderr_has("no keyguide.toml found")
        .stderr_has("keyguide init");
}

#[test]
fn rejects_unknown_config_key_with_line_and_key() {
    let site =
        SiteTest::scaffold().edit("keyguide.toml", "[review]", "colour = \"blue\"\n[review]");
    let run = site.run(&["build"]).code(2);
    assert!(run.stderr.contains("keyguide.toml:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `colour`"),
        "{}",
        run.stderr
    );
    let line = site
        .read("keyguide.toml")
        .lines()
        .position(|l| l.starts_with("colour"))
        .map(|i| i + 1);
    assert!(
        run.stderr
            .contains(&format!("keyguide.toml:{}:", line.unwrap_or(0))),
        "{}",
        run.stderr
    );
}

#[test]
fn rejects_wrong_type_in_config() {
    SiteTest::scaffold()
        .edit(
            "keyguide.toml",
            "interval_days = 365",
            "interval_days = \"yearly\"",
        )
        .run(&["build"])
        .code(2)
        .stderr_has("keyguide.toml:9:17")
        .stderr_has("invalid type");
}

#[test]
fn rejects_a_relative_base_url_at_its_line() {
    SiteTest::scaffold()
        .edit(
            "keyguide.toml",
            "base_url = \"https://trust.example.com/keys\"",
            "base_url = \"trust.example.com/keys\"",
        )
        .run(&["build"])
        .code(2)
        .stderr_has("keyguide.toml:3:12")
        .stderr_has("absolute URL");
}

#[test]
fn rejects_malformed_config_toml() {
    SiteTest::scaffold()
        .edit("keyguide.toml", "title = \"", "title = ")
        .run(&["build"])
        .code(2)
        .stderr_has("keyguide.toml:2:");
}

#[test]
fn rejects_unknown_lint_rule_in_config() {
    SiteTest::scaffold()
        .edit(
            "keyguide.toml",
            "[review]",
            "[lint]\nallow = [\"KG999\"]\n[review]",
        )
        .run(&["build"])
        .code(2)
        .stderr_has("KG999")
        .stderr_has("not a keyguide rule");
}

#[test]
fn a_root_that_is_not_a_site_says_why_without_claiming_a_parent_search() {
    let site = SiteTest::scaffold();
    site.run(&["lint", "--root", "content"])
        .code(2)
        .stderr_has("--root content: the folder holds no keyguide.toml (with --root, parent folders are not searched)")
        .stderr_has("holds keyguide.toml: pass `--root ")
        .stderr_lacks("any parent folder");
    let missing = site.path("no-such-folder").display().to_string();
    site.run(&["lint", "--root", &missing])
        .code(2)
        .stderr_has(&format!("--root {missing}: the folder does not exist"))
        .stderr_has("keyguide init")
        .stderr_lacks("any parent folder");
    site.run(&["lint", "--root", "keyguide.toml"])
        .code(2)
        .stderr_has("--root keyguide.toml: not a folder");
}
