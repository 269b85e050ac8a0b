//! Trust-center output: post-processing, search index, sitemap, robots.txt and `_headers`.

use crate::support::SiteTest;

/// The example site built into `public/`.
fn built_example() -> SiteTest {
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    site
}

/// The pages of `version`'s search index, as the browser reads them.
fn search_index(site: &SiteTest, version: &str) -> Vec<serde_json::Value> {
    let script = site.read(&format!("public/{version}/search-index.js"));
    let json = script
        .strip_prefix("window.keyguideSearch = ")
        .and_then(|s| s.strip_suffix(";\n"))
        .unwrap_or_default();
    let pages: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    pages.as_array().cloned().unwrap_or_default()
}

/// The value of attribute `attr` on the first tag of `html` that contains `marker`.
fn attribute<'h>(html: &'h str, marker: &str, attr: &str) -> Option<&'h str> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = tag.split(&format!("{attr}=\"")).nth(1)?;
    value.split('"').next()
}

#[test]
fn theme_assets_are_fingerprinted_with_integrity_that_matches_their_bytes() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let site = built_example();
    let page = site.read("public/1.1.0/gateway/index.html");
    for marker in [
        "rel=\"stylesheet\"",
        "search.",
        "src=\"../search-index.js\"",
    ] {
        assert!(page.contains(marker), "{marker} missing:\n{page}");
    }
    for (marker, attr) in [("rel=\"stylesheet\"", "href"), ("assets/search.", "src")] {
        let url = attribute(&page, marker, attr).unwrap_or_default();
        assert!(url.starts_with("../../assets/"), "{url}");
        let integrity = attribute(&page, marker, "integrity").unwrap_or_default();
        let file = std::fs::read(site.path(&format!("public/1.1.0/gateway/{url}")))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // The SRI value: base64 of the file's SHA-384, as browsers compute it.
        let expected =
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&file));
        assert_eq!(integrity, format!("sha384-{expected}"), "{url}");
    }
    // Each version's print stylesheet too.
    let integrity = attribute(&page, "print.css\"", "integrity").unwrap_or_default();
    let file = std::fs::read(site.path("public/1.1.0/print.css")).unwrap_or_default();
    assert!(!file.is_empty());
    let expected = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&file));
    assert_eq!(integrity, format!("sha384-{expected}"), "print.css");
    assert!(!site.path("public/static/style.css").exists());
    // The 404 page uses site-absolute URLs, and they are fingerprinted too.
    let not_found = site.read("public/404.html");
    let css = attribute(&not_found, "rel=\"stylesheet\"", "href").unwrap_or_default();
    assert!(css.starts_with("/keys/assets/style."), "{css}");
}

#[test]
fn headings_get_anchors_and_external_links_noopener() {
    let site = SiteTest::scaffold().edit(
        "content/payment-api/partner-api.md",
        "Storage\nfollows the base guide unchanged.",
        "Storage follows the base guide; see [the PCI SSC](https://www.pcisecuritystandards.org/) and [our own page](https://trust.example.com/keys/next/payment-api/#storage).",
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/partner-api/index.html");
    assert!(
        page.contains(
            r#"<a href="https://www.pcisecuritystandards.org/" rel="noopener noreferrer">"#
        ),
        "{page}"
    );
    assert!(
        page.contains(r##"<a href="../#storage">our own page</a>"##),
        "{page}"
    );
    assert!(
        page.contains(r##"<a class="kg-anchor" href="#transmission" aria-label="Link to this section">#</a></h2>"##),
        "{page}"
    );
}

#[test]
fn each_version_has_a_search_index_of_its_sections() {
    let site = built_example();
    for version in ["1.0.0", "1.1.0"] {
        let pages = search_index(&site, version);
        assert_eq!(pages.len(), 7, "2 guides and 5 integrations in {version}");
        for page in &pages {
            let url = page["u"].as_str().unwrap_or_default();
            assert!(
                site.path(&format!("public/{version}/{url}index.html"))
                    .is_file(),
                "{url}"
            );
            assert!(page["s"].as_array().is_some_and(|s| !s.is_empty()));
        }
    }
    // 1.1.0 changed hosted-fields rotation from 180 to 90 days: each index has its own text.
    let hosted = |version: &str| {
        let script = site.read(&format!("public/{version}/search-index.js"));
        script.contains("90 days")
    };
    assert!(hosted("1.1.0"));
    let page = site.read("public/1.0.0/vault/index.html");
    assert!(
        page.contains(r#"<script src="../search-index.js" defer></script>"#),
        "{page}"
    );
    assert!(page.contains(r#"data-kg-root="../""#), "{page}");
    // The landing page searches the latest release.
    let landing = site.read("public/index.html");
    assert!(
        landing.contains(r#"src="1.1.0/search-index.js""#),
        "{landing}"
    );
}

#[test]
fn sitemap_lists_only_the_latest_release_and_robots_points_at_it() {
    let site = built_example();
    let sitemap = site.read("public/sitemap.xml");
    assert!(
        sitemap.contains(
            "<loc>https://trust.acme.example/keys/1.1.0/gateway/hosted-fields-psk/</loc>"
        ),
        "{sitemap}"
    );
    assert!(!sitemap.contains("/1.0.0/"), "{sitemap}");
    assert_eq!(sitemap.matches("<loc>").count(), 9, "{sitemap}");
    let robots = site.read("public/robots.txt");
    assert!(
        robots.contains("Sitemap: https://trust.acme.example/keys/sitemap.xml"),
        "{robots}"
    );
    assert!(robots.contains("Disallow: /keys/next/"), "{robots}");
}

#[test]
fn headers_file_carries_the_security_headers_and_follows_keyguide_toml() {
    let site = built_example();
    let headers = site.read("public/_headers");
    assert!(
        headers.starts_with("/keys/*\n  Content-Security-Policy: default-src 'self';"),
        "{headers}"
    );
    assert!(
        headers.contains("/keys/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n")
    );
    let site = site.edit(
        "keyguide.toml",
        "[signing]",
        "[headers]\n\"X-Frame-Options\" = \"\"\n\"Strict-Transport-Security\" = \"max-age=300\"\n\"Cross-Origin-Opener-Policy\" = \"same-origin\"\n\n[signing]",
    );
    site.run(&["build"]).code(0);
    let headers = site.read("public/_headers");
    assert!(!headers.contains("X-Frame-Options"), "{headers}");
    assert!(
        headers.contains("  Strict-Transport-Security: max-age=300\n"),
        "{headers}"
    );
    assert!(
        headers.contains("  Cross-Origin-Opener-Policy: same-origin\n"),
        "{headers}"
    );
    let site = site.edit(
        "keyguide.toml",
        "\"Cross-Origin-Opener-Policy\"",
        "\"Bad Name\"",
    );
    site.run(&["build"])
        .code(2)
        .stderr_has("keyguide.toml:")
        .stderr_has("`Bad Name` is not a header name");
}

#[test]
fn netlify_toml_sets_the_same_security_headers_as_the_built_headers_file() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let netlify: toml::Table = toml::from_str(
        &std::fs::read_to_string(repo.join("netlify.toml")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("netlify.toml: {e}"));
    let rules = netlify["headers"].as_array().cloned().unwrap_or_default();
    let all = rules
        .iter()
        .find(|r| r["for"].as_str() == Some("/*"))
        .unwrap_or_else(|| panic!("netlify.toml has no [[headers]] for /*"));
    let site = built_example();
    let built = site.read("public/_headers");
    let built_block = built.split("\n/keys/assets/*").next().unwrap_or_default();
    let values = all["values"].as_table().cloned().unwrap_or_default();
    assert_eq!(values.len(), built_block.lines().count() - 1, "{built}");
    for (name, value) in &values {
        let line = format!("  {name}: {}", value.as_str().unwrap_or_default());
        assert!(
            built_block.contains(&line),
            "{line} is not in _headers:\n{built}"
        );
    }
    assert!(
        rules.iter().any(|r| r["for"].as_str() == Some("/assets/*")
            && r["values"]["Cache-Control"].as_str()
                == Some("public, max-age=31536000, immutable")),
        "netlify.toml caches the fingerprinted assets"
    );
}

#[test]
fn printed_pages_carry_version_and_approval_through_a_per_version_print_stylesheet() {
    let site = built_example();
    let css = site.read("public/1.0.0/print.css");
    assert!(
        css.contains("@top-left { content: \"Acme Payments — Customer Key Handling Guidance · Version 1.0.0, released 2026-10-05, approved by Chief Information Security Officer\""),
        "{css}"
    );
    assert!(css.contains("counter(pages)"), "{css}");
    let page = site.read("public/1.0.0/gateway/mtls-client-certificates/index.html");
    assert!(
        page.contains(r#"<link rel="stylesheet" media="print" href="../../../1.0.0/print.css" integrity="sha384-"#),
        "{page}"
    );
}

#[test]
fn a_page_lists_its_own_guide_and_links_to_the_others() {
    let site = built_example();
    let page = site.read("public/1.1.0/gateway/api-key-wrapping/index.html");
    let nav = page
        .split("<nav class=\"kg-nav\"")
        .nth(1)
        .and_then(|n| n.split("</nav>").next())
        .unwrap_or_default();
    assert!(
        nav.contains("href=\"../mtls-client-certificates/\""),
        "{nav}"
    );
    assert!(
        !nav.contains("vault/"),
        "another guide in the navigation:\n{nav}"
    );
    assert!(
        nav.contains("<a href=\"../../../1.1.0/\">All guides in Version 1.1.0</a>"),
        "{nav}"
    );
    // The version's root page lists every guide.
    let root = site.read("public/1.1.0/index.html");
    assert!(root.contains("href=\"vault/\""), "{root}");
    assert!(root.contains("href=\"gateway/\""), "{root}");
}

#[test]
fn the_first_release_lists_its_documents_without_repeating_them() {
    let site = built_example();
    let first = site.read("public/releases/1.0.0/index.html");
    assert!(first.contains("every guide below is new"), "{first}");
    assert!(
        first.contains("href=\"../../1.0.0/gateway/api-key-wrapping/\""),
        "{first}"
    );
    // The guide text is one link away, not copied into the notes.
    assert!(!first.contains("smart-card-protected"), "{first}");
    assert!(!first.contains("kg-diff"), "{first}");
    let second = site.read("public/releases/1.1.0/index.html");
    assert!(second.contains("class=\"kg-diff\""), "{second}");
    let feed = site.read("public/releases.xml");
    assert!(feed.contains("every guide below is new"), "{feed}");
    assert!(!feed.contains("smart-card-protected"), "{feed}");
}

#[test]
fn an_integrations_search_entry_leaves_base_text_to_the_base_guide() {
    let site = built_example();
    let pages = search_index(&site, "1.1.0");
    let section = |url: &str, id: &str| {
        pages
            .iter()
            .find(|p| p["u"] == url)
            .and_then(|p| p["s"].as_array()?.iter().find(|s| s["i"] == id).cloned())
            .unwrap_or_default()
    };
    let base = section("gateway/", "backup-recovery");
    assert!(
        base["x"]
            .as_str()
            .is_some_and(|x| x.contains("smart-card-protected"))
    );
    assert!(base.get("b").is_none(), "{base}");
    // Shown unchanged on the integration page: no text of its own, a pointer to the base's.
    let shown = section("gateway/api-key-wrapping/", "backup-recovery");
    assert_eq!(shown["b"], 1, "{shown}");
    assert_eq!(shown["x"], "", "{shown}");
    // Appended: the addendum's own words only.
    let appended = section("gateway/api-key-wrapping/", "rotation");
    assert_eq!(appended["b"], 1, "{appended}");
    let text = appended["x"].as_str().unwrap_or_default();
    assert!(!text.is_empty() && !base["x"].as_str().unwrap_or_default().contains(text));
    // Added by the addendum: no base text to join.
    let added = section("gateway/api-key-wrapping/", "wrapping-walkthrough");
    assert!(added.get("b").is_none(), "{added}");
}
