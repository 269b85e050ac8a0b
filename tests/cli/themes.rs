//! Theme engines: the bundled Tera `print` theme, site Tera themes, strict undefined.

use crate::support::SiteTest;

fn with_theme(site: SiteTest, theme: &str) -> SiteTest {
    site.edit(
        "keyguide.toml",
        "theme = \"default\"",
        &format!("theme = \"{theme}\""),
    )
}

/// The scaffold with a site theme `name` whose `theme.toml` says `engine = "tera"` and whose
/// templates are `template(name)` for each required one.
fn tera_site(template: impl Fn(&str) -> String) -> SiteTest {
    let mut site = with_theme(SiteTest::scaffold(), "house")
        .write("themes/house/theme.toml", "engine = \"tera\"\n");
    for name in keyguide::theme::TEMPLATES {
        site = site.write(&format!("themes/house/templates/{name}"), template(name));
    }
    site
}

#[test]
fn the_bundled_print_theme_renders_each_guide_as_one_document_with_document_control() {
    let site = SiteTest::example();
    assert!(site.read("keyguide.toml").contains("theme = \"default\""));
    let site = with_theme(site, "print");
    assert!(
        !site.path("themes").exists(),
        "the print theme comes from the binary"
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/1.1.0/gateway/hosted-fields-psk/index.html");
    for field in [
        "<caption>Document control</caption>",
        "<td>Version 1.1.0</td>",
        "<td>2026-11-02</td>",
        "<td>Chief Information Security Officer</td>",
        "<td>Product Security</td>",
        "<th scope=\"row\">Last review</th>",
        "<p class=\"pr-label\">Integration</p>",
        "href=\"../../../1.1.0/print.css\"",
    ] {
        assert!(page.contains(field), "{field} missing:\n{page}");
    }
    assert!(
        page.contains("assets/document."),
        "the theme's own stylesheet"
    );
    assert!(!page.contains("<script"), "the print theme runs no script");
    assert!(
        !page.contains("style=") && !page.contains("<style"),
        "no inline style"
    );
    for name in [
        "index.html",
        "404.html",
        "releases/index.html",
        "releases/1.1.0/index.html",
    ] {
        assert!(site.path(&format!("public/{name}")).is_file(), "{name}");
    }
    let redirect = site.read("public/latest/gateway/index.html");
    assert!(redirect.contains("assets/redirect."), "{redirect}");
}

#[test]
fn a_site_theme_can_render_with_tera() {
    let site = tera_site(|name| format!("<p>{name}: {{{{ site.title }}}}</p>"));
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/index.html");
    assert!(
        page.contains("<p>guide.html: Example Payments — Customer Key Handling Guidance</p>"),
        "{page}"
    );
    // Tera escapes HTML in .html templates.
    let site = site.edit(
        "keyguide.toml",
        "title = \"Example Payments",
        "title = \"<b>Example Payments",
    );
    site.run(&["build", "--drafts"]).code(0);
    let page = site.read("public/next/payment-api/index.html");
    assert!(page.contains("&lt;b&gt;Example Payments"), "{page}");
}

#[test]
fn a_tera_theme_must_provide_every_template() {
    let site =
        tera_site(|_| "<p>x</p>".to_owned()).remove_file("themes/house/templates/release.html");
    site.run(&["build"])
        .code(2)
        .stderr_has("theme `house`")
        .stderr_has("templates/release.html")
        .stderr_has("a Tera theme cannot");
}

#[test]
fn an_undefined_variable_is_an_error_naming_template_and_line_in_both_engines() {
    let tera = tera_site(|name| {
        if name == "guide.html" {
            "<p>ok</p>\n<p>{{ page.no_such_field }}</p>\n".to_owned()
        } else {
            "<p>x</p>".to_owned()
        }
    });
    tera.run(&["build", "--drafts"])
        .code(2)
        .stderr_has("themes/house/templates/guide.html:2");
    let jinja = SiteTest::scaffold().write(
        "themes/default/templates/404.html",
        "<p>fine</p>\n<p>{{ no_such_variable }}</p>\n",
    );
    jinja
        .run(&["build", "--drafts"])
        .code(2)
        .stderr_has("themes/default/templates/404.html:2")
        .stderr_has("undefined");
}

#[test]
fn an_unknown_engine_is_refused() {
    tera_site(|_| String::new())
        .write("themes/house/theme.toml", "engine = \"handlebars\"\n")
        .run(&["build"])
        .code(2)
        .stderr_has("engine `handlebars`")
        .stderr_has("engine = \"tera\"");
}
