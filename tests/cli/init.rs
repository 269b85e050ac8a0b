//! `keyguide init`.

use crate::support::SiteTest;

#[test]
fn scaffolded_site_builds_without_findings() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"])
        .code(0)
        .stderr_lacks("error")
        .stderr_lacks("warning[");
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.contains("Server-to-server API"));
    assert!(site.path("public/next/payment-api/index.html").is_file());
}

#[test]
fn init_refuses_a_folder_that_holds_a_site() {
    let site = SiteTest::scaffold();
    site.run(&["init", "."])
        .code(2)
        .stderr_has("already holds a site");
}

#[test]
fn init_creates_the_folder_it_is_given() {
    let site = SiteTest::empty();
    site.run(&["init", "new/guidance"]).code(0);
    assert!(site.path("new/guidance/keyguide.toml").is_file());
    assert!(site.path("new/guidance/content/inventory.toml").is_file());
    site.run_in("new/guidance", &["build", "--drafts"], &[])
        .code(0);
}

#[test]
fn init_dates_the_review_by_source_date_epoch_like_lint() {
    // 2026-09-21, not the day the test runs.
    let epoch = [("SOURCE_DATE_EPOCH", "1790000000")];
    let site = SiteTest::empty();
    site.run_in(".", &["init", "t"], &epoch).code(0);
    assert!(
        site.read("t/content/payment-api/_index.md")
            .contains("last_reviewed = 2026-09-21\n"),
        "{}",
        site.read("t/content/payment-api/_index.md")
    );
    site.run_in("t", &["lint", "--deny-warnings"], &epoch)
        .code(0)
        .stderr_has("no findings");
    site.run_in(".", &["init", "u"], &[("SOURCE_DATE_EPOCH", "soon")])
        .code(2)
        .stderr_has("SOURCE_DATE_EPOCH=\"soon\" is not a number of seconds since 1970");
}
