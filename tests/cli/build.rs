//! `keyguide build` on the repository's example site and on variations of the scaffold.

use crate::support::SiteTest;

#[test]
fn builds_the_example_site_with_a_page_per_guide_and_integration() {
    let site = SiteTest::example();
    site.run(&["build", "--drafts"]).code(0);
    let content = site.tree("content");
    let mut expected = 0;
    for (rel, _) in content.iter().filter(|(rel, _)| rel.ends_with(".md")) {
        let (guide, file) = rel.split_once('/').unwrap_or_default();
        let page = match file {
            "_index.md" => format!("public/next/{guide}/index.html"),
            other => format!(
                "public/next/{guide}/{}/index.html",
                other.trim_end_matches(".md")
            ),
        };
        assert!(site.path(&page).is_file(), "missing {page}");
        expected += 1;
    }
    assert!(
        expected >= 6,
        "the example has at least two guides and four addenda"
    );
    assert!(site.path("public/index.html").is_file());
    assert!(site.path("public/404.html").is_file());
}

#[test]
fn without_drafts_or_releases_writes_only_the_landing_page_and_warns() {
    let site = SiteTest::scaffold();
    site.run(&["build"])
        .code(0)
        .stderr_has("nothing is published yet")
        .stderr_has("--drafts")
        .stderr_has("keyguide release");
    assert!(!site.path("public/next").exists());
    let landing = site.read("public/index.html");
    assert!(
        landing.contains("No guidance has been published yet"),
        "{landing}"
    );
}

#[test]
fn draft_pages_carry_the_unreleased_banner_and_document_control() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/index.html");
    assert!(page.contains("Unreleased draft"), "{page}");
    assert!(page.contains("Document control"));
    assert!(page.contains("Product Security"));
    assert!(page.contains("<nav class=\"kg-toc\""));
    assert!(page.contains("href=\"#storage\""));
}

#[test]
fn pages_make_no_external_requests_and_have_no_inline_script_or_style() {
    let site = SiteTest::example();
    site.run(&["build", "--drafts"]).code(0);
    for (rel, bytes) in site.tree("public") {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&bytes);
        for script in html.match_indices("<script").map(|(i, _)| &html[i..]) {
            let tag = &script[..script.find('>').unwrap_or(script.len())];
            assert!(tag.contains(" src=\""), "{rel} has an inline script");
            assert!(
                script.contains("></script>"),
                "{rel}: a script element must be empty"
            );
        }
        assert!(!html.contains("<style"), "{rel} has a style element");
        assert!(!html.contains(" style="), "{rel} has an inline style");
        for attr in ["src=\"http", "href=\"//", "src=\"//"] {
            assert!(
                !html.contains(attr),
                "{rel} loads something from elsewhere: {attr}"
            );
        }
        assert!(!html.contains("rel=\"stylesheet\" href=\"http"), "{rel}");
    }
}

#[test]
fn markdown_extensions_render() {
    let site = SiteTest::scaffold().edit(
        "content/payment-api/partner-api.md",
        "## Secure updating {#updating}",
        "## Checklist {#checklist}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\n~~old~~ new[^n]\n\n[^n]: A footnote.\n\n## Secure updating {#updating}",
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    for needle in [
        "<table tabindex=\"0\">",
        "type=\"checkbox\"",
        "<del>old</del>",
        "footnote-reference",
        "A footnote.",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
}

#[test]
fn base_url_flag_changes_absolute_links() {
    let site = SiteTest::scaffold();
    site.run(&[
        "build",
        "--drafts",
        "--base-url",
        "https://preview.example.net/pr-7/",
    ])
    .code(0);
    let not_found = site.read("public/404.html");
    assert!(not_found.contains("/pr-7/"), "{not_found}");
    SiteTest::scaffold()
        .run(&["build", "--base-url", "preview.example.net"])
        .code(2)
        .stderr_has("--base-url");
}

#[test]
fn a_site_theme_overrides_one_template_and_keeps_the_rest() {
    let site = SiteTest::scaffold().write(
        "themes/default/templates/guide.html",
        "{% extends \"base.html\" %}{% block content %}<p>Custom guide: {{ page.title }}</p>{% endblock %}",
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/index.html");
    assert!(page.contains("Custom guide: Payment API"), "{page}");
    let integration = site.read("public/next/payment-api/partner-api/index.html");
    assert!(integration.contains("Document control"));
}

#[test]
fn a_named_theme_folder_must_exist() {
    SiteTest::scaffold()
        .edit(
            "keyguide.toml",
            "theme = \"default\"",
            "theme = \"corporate\"",
        )
        .run(&["build"])
        .code(2)
        .stderr_has("themes/corporate");
}

#[test]
fn reports_a_template_syntax_error_with_file_and_line() {
    SiteTest::scaffold()
        .write("themes/default/templates/404.html", "<p>\n{% if %}\n</p>\n")
        .run(&["build", "--drafts"])
        .code(2)
        .stderr_has("themes/default/templates/404.html:2");
}

#[test]
fn assets_are_copied_and_links_rewritten_to_built_urls() {
    let site = SiteTest::scaffold()
        .write(
            "content/payment-api/flow.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .edit(
            "content/payment-api/partner-api.md",
            "Storage\nfollows the base guide unchanged.",
            "Storage follows [the base guide](_index.md#storage).\n\n![Flow](flow.svg)\n\n\
             See <a title=\"base\" href=\" _index.md#transmission\">the base guide</a> and\n\n\
             <div><a href='flow.svg'>the flow</a> <a href=\"https://example.com/x.md\">out</a>\n\
             <img alt=\"Flow\" src=\"flow.svg\"></div>\n\n\
             <div>\n<a class=\"x\"\n   href=\"_index.md#updating\">updates</a>\n</div>\n\n\
             <map name=\"m\"><area shape=\"rect\" coords=\"0,0,9,9\" href=\"_index.md#rotation\" alt=\"Rotation\"></map>",
        );
    site.run(&["lint"]).code(0);
    site.run(&["build", "--drafts"]).code(0);
    assert!(site.path("public/next/payment-api/flow.svg").is_file());
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.contains("href=\"../#storage\""), "{page}");
    assert!(page.contains("src=\"../flow.svg\""), "{page}");
    // Links written as raw HTML reach the same places.
    assert!(
        page.contains("title=\"base\" href=\"../#transmission\""),
        "{page}"
    );
    assert!(page.contains("<a href='../flow.svg'>"), "{page}");
    assert!(
        page.contains("<a class=\"x\"\n   href=\"../#updating\">"),
        "{page}"
    );
    assert!(page.contains("alt=\"Flow\" src=\"../flow.svg\""), "{page}");
    assert!(
        page.contains("href=\"../#rotation\" alt=\"Rotation\""),
        "{page}"
    );
    // A raw image of a file that is not there is a broken link, like a Markdown one.
    let site = site.edit(
        "content/payment-api/partner-api.md",
        "src=\"flow.svg\"",
        "src=\"gone.svg\"",
    );
    site.run(&["lint"])
        .code(1)
        .stderr_has_all(&["KG020", "`gone.svg` points to"]);
    // So is an image map's area that points at a section the page does not have.
    site.edit(
        "content/payment-api/partner-api.md",
        "_index.md#rotation",
        "_index.md#no-such-section",
    )
    .run(&["lint"])
    .code(1)
    .stderr_has_all(&["KG021", "no-such-section"]);
    assert!(page.contains("href=\"https://example.com/x.md\""), "{page}");
}

#[test]
fn percent_encoded_links_reach_their_file_and_section() {
    let site = crate::rules::fixture("clean-percent-encoded-links");
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(page.contains(r#"href="../key%20flow.svg""#), "{page}");
    assert!(page.contains(r##"href="../#storage""##), "{page}");
    assert!(site.path("public/next/payment-api/key flow.svg").is_file());
}

#[test]
fn heading_anchor_links_escape_ids_once() {
    let site = SiteTest::scaffold().edit(
        "content/payment-api/partner-api.md",
        "## Secure updating {#updating}",
        "## R&D notes {#r&d}\n\nText.\n\n## Literal {#a&lt;b}\n\nText.\n\n## Quoted {#q\"x}\n\nText.\n\n## Übersicht {#übersicht}\n\nText.\n\n## Secure updating {#updating}",
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    for (id, href) in [
        ("r&amp;d", "#r&amp;d"),
        // The id is the text `a&lt;b`, not `a<b` (Markdown ids cannot hold `<`; the
        // post-processor's unit test covers it).
        ("a&amp;lt;b", "#a&amp;lt;b"),
        ("q&quot;x", "#q%22x"),
        ("übersicht", "#%C3%BCbersicht"),
    ] {
        let anchor = format!("id=\"{id}\"");
        let at = page
            .find(&anchor)
            .unwrap_or_else(|| panic!("no {anchor}:\n{page}"));
        let link = format!("<a class=\"kg-anchor\" href=\"{href}\"");
        assert!(
            page[at..].contains(&link),
            "no {link} after {anchor}:\n{page}"
        );
    }
    assert!(!page.contains("&amp;amp;"), "{page}");
}

/// The `id` values of `page` and the targets of its `href="#..."` links.
fn ids_and_fragment_links(page: &str) -> (Vec<&str>, Vec<&str>) {
    let values = |attr: &str| -> Vec<&str> {
        page.match_indices(attr)
            .filter_map(|(at, _)| {
                let rest = &page[at + attr.len()..];
                rest.find('"').map(|end| &rest[..end])
            })
            .collect()
    };
    (values(" id=\""), values(" href=\"#"))
}

#[test]
fn footnotes_have_unique_ids_and_every_footnote_link_resolves() {
    let site = SiteTest::scaffold()
        .edit(
            "content/payment-api/_index.md",
            "Store shared keys only where access is controlled, logged and limited to the services that\nuse them.",
            "Keys A[^n] and keys B[^n] are stored alike.\n\n[^n]: A shared note.",
        )
        .edit(
            "content/payment-api/partner-api.md",
            "## Secure updating {#updating}",
            "## Partner notes {#partner-notes}\n\n### Head[^m] {#h}\n\nText.\n\n[^m]: The addendum's note.\n\n## Secure updating {#updating}",
        );
    site.run(&["build", "--drafts"]).code(0);
    for rel in [
        "public/next/payment-api/index.html",
        "public/next/payment-api/partner-api/index.html",
    ] {
        let page = site.read(rel);
        let (ids, links) = ids_and_fragment_links(&page);
        let mut seen = std::collections::BTreeSet::new();
        for id in &ids {
            assert!(seen.insert(*id), "{rel}: id {id:?} twice");
        }
        for link in links.iter().filter(|l| l.starts_with("fn-")) {
            assert!(seen.contains(link), "{rel}: #{link} leads nowhere");
        }
        assert!(page.contains(r#"id="ref-fn-base-n""#), "{rel}");
        assert!(page.contains(r#"id="ref2-fn-base-n""#), "{rel}");
    }
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(
        page.contains(r##"Head<sup class="footnote-reference" id="ref-fn-partner-api-m"><a href="#fn-partner-api-m">"##),
        "{page}"
    );
}
