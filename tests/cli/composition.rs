//! Composition of base guides and addenda (SPEC 1.3), as seen in the built pages.

use crate::support::SiteTest;

const ADDENDUM: &str = "content/payment-api/partner-api.md";
const PAGE: &str = "public/next/payment-api/partner-api/index.html";

/// The HTML of the section with id `id` on the page, up to the next section.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("aria-labelledby=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id} in\n{page}"));
    let start = page[..start].rfind("<section").unwrap_or(start);
    let rest = &page[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn appended_sections_show_base_text_then_addendum_text_labelled() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read(PAGE);
    let s = section(&page, "approved-channels");
    let base = s
        .find("Download keys from the customer portal")
        .unwrap_or(usize::MAX);
    let addendum = s.find("two named contacts").unwrap_or(usize::MAX);
    assert!(base < addendum && addendum < usize::MAX, "{s}");
    assert!(
        s.contains("kg-from-base") && s.contains("kg-from-addendum"),
        "{s}"
    );
    assert!(s.contains("kg-origin-appended"));
}

#[test]
fn inherited_sections_are_marked() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read(PAGE);
    let s = section(&page, "storage");
    assert!(s.contains("kg-origin-inherited"), "{s}");
    assert!(s.contains("Inherited unchanged from the base guide"));
}

#[test]
fn replace_takes_the_place_of_a_replaceable_section() {
    let site = SiteTest::scaffold()
        .edit("content/payment-api/_index.md", "{#rotation}", "{#rotation .replaceable}")
        .edit(
            ADDENDUM,
            "## Secure updating {#updating}\n",
            "## Secure updating {#updating}\n\n### Rotation {#rotation .replace}\n\nPartner keys rotate every ninety days, announced in the portal.\n",
        );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read(PAGE);
    let s = section(&page, "rotation");
    assert!(s.contains("rotate every ninety days"), "{s}");
    assert!(
        !s.contains("every twelve months"),
        "base text must be gone: {s}"
    );
    assert!(s.contains("kg-origin-replaced"));
    let base_page = site.read("public/next/payment-api/index.html");
    assert!(section(&base_page, "rotation").contains("every twelve months"));
}

#[test]
fn replace_without_replaceable_is_kg060_at_the_heading() {
    let site = SiteTest::scaffold().edit(
        ADDENDUM,
        "## Secure updating {#updating}\n",
        "## Secure updating {#updating}\n\n### Rotation {#rotation .replace}\n\nNinety days.\n",
    );
    let line = site
        .read(ADDENDUM)
        .lines()
        .position(|l| l.contains(".replace}"))
        .map_or(0, |i| i + 1);
    site.run(&["build", "--drafts"])
        .code(1)
        .stderr_has("error[KG060]")
        .stderr_has(&format!("partner-api.md:{line}:1"))
        .stderr_has(".replaceable");
    assert!(
        !site.path("public").exists(),
        "a failed build writes nothing"
    );
}

/// A release holds the draft's texts, composed once for both (SPEC 1.3 findings included):
/// a finding is still reported in each version's own file.
#[test]
fn a_composition_finding_in_a_release_names_the_release_file() {
    let site = crate::rules::pinned_scaffold()
        .edit(
            ADDENDUM,
            "## Secure updating {#updating}\n",
            "## Secure updating {#updating}\n\n### Rotation {#rotation .replace}\n\nNinety days.\n",
        )
        .edit(
            "keyguide.toml",
            "[review]",
            "[lint]\nwarn = [\"KG060\"]\n\n[review]",
        );
    site.run(crate::versions::RELEASE_1_0_0).code(0);
    site.run(&["lint", "--as-of", crate::rules::AS_OF])
        .code(0)
        .stderr_has_all(&[
            "warning[KG060]",
            "--> content/payment-api/partner-api.md:",
            "--> releases/1.0.0/content/payment-api/partner-api.md:",
        ]);
    site.run(&["build"]).code(0);
    let page = site.read("public/1.0.0/payment-api/partner-api/index.html");
    assert!(section(&page, "rotation").contains("Ninety days"));
}

#[test]
fn new_sections_are_added_after_the_base_sections() {
    let site = SiteTest::scaffold().write(
        ADDENDUM,
        format!(
            "{}\n## Partner checklist {{#partner-checklist}}\n\n- [ ] Register the key.\n",
            SiteTest::scaffold().read(ADDENDUM)
        ),
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read(PAGE);
    let added = page
        .find("aria-labelledby=\"partner-checklist\"")
        .unwrap_or(0);
    let last_base = page
        .find("aria-labelledby=\"compromise-response\"")
        .unwrap_or(usize::MAX);
    assert!(
        added > last_base,
        "added section must follow the base sections"
    );
    assert!(section(&page, "partner-checklist").contains("Added for this integration"));
}

#[test]
fn base_guide_page_has_no_origin_labels() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/index.html");
    assert!(!page.contains("kg-from-addendum"));
    assert!(
        !page.contains("two named contacts"),
        "addendum text must not leak into the base guide"
    );
}

#[test]
fn compiled_page_snapshot() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read(PAGE);
    let start = page.find("<main").unwrap_or(0);
    let end = page.find("</main>").map_or(page.len(), |i| i + 7);
    let main = page[start..end].replace(&today(&page), "DATE");
    insta::assert_snapshot!(main);
}

/// The scaffold's review date (today when it was created), kept out of the snapshot.
fn today(page: &str) -> String {
    let at = page.find("<time datetime=\"").map_or(0, |i| i + 16);
    page.get(at..at + 10).unwrap_or_default().to_owned()
}
