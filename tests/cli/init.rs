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
