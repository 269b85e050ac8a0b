//! KG070 unsafe HTML: `<script>`, inline event handlers and `javascript:` URLs in content
//! (also set by an SVG animation: `<set attributeName="href" to="javascript:...">`) —
//! in the pages, in release notes, and in the HTML and SVG files a guide ships as assets (an
//! SVG opened from a diagram link runs its own script).
//!
//! The published site runs under a strict Content-Security-Policy and customers trust it
//! with their keys; content that would run code has no place in it, whatever the policy.

use crate::content::Page;
use crate::diag::{self, Diagnostic, LineIndex};
use crate::markdown::{self, Doc};
use crate::raw_html::{self, StartTag, decode_references};
use crate::source::{Asset, TextFile};

use super::Ctx;

/// Runs KG070 over every page.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    super::each(&ctx.content.guides, out, |guide, out| {
        ctx.per_page("KG070", &[guide.base.file], out, |out| {
            check_page(&guide.base, out);
        });
        for page in &guide.addenda {
            ctx.per_page("KG070", &[page.file], out, |out| check_page(page, out));
        }
        for asset in guide.assets {
            check_asset(asset, out);
        }
    });
}

/// Asset file extensions that a browser renders as a document, with script.
const MARKUP_EXTENSIONS: &[&str] = &[".html", ".htm", ".xhtml", ".svg", ".xml"];

fn check_asset(asset: &Asset, out: &mut Vec<Diagnostic>) {
    let lower = asset.within_guide.to_ascii_lowercase();
    if !MARKUP_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)) {
        return;
    }
    let text = String::from_utf8_lossy(&asset.bytes);
    let first = find_unsafe(&text)
        .into_iter()
        .chain(script_animations(&text).next())
        .chain(entity_declaration(&text))
        .min_by_key(|(offset, _)| *offset);
    if let Some((offset, what)) = first {
        out.push(Diagnostic::new(
            &diag::UNSAFE_HTML,
            &asset.rel,
            LineIndex::new(&text).line_col(&text, offset),
            format!("this file holds {what}"),
            HELP,
        ));
    }
}

fn check_page<M>(page: &Page<'_, M>, out: &mut Vec<Diagnostic>) {
    check_doc(&page.doc, page.file, out);
}

/// KG070 in release notes (`notes`), which the release pages and feeds publish as HTML.
pub fn check_notes<'t>(notes: impl Iterator<Item = &'t TextFile>, out: &mut Vec<Diagnostic>) {
    for file in notes {
        let body = crate::frontmatter::split(&file.rel, &file.text).map_or(0, |s| s.body_offset);
        check_doc(&markdown::parse(&file.text, body), file, out);
    }
}

/// KG070 in `doc`, parsed from `file`.
fn check_doc(doc: &Doc, file: &TextFile, out: &mut Vec<Diagnostic>) {
    let lines = std::cell::OnceCell::new();
    let mut unsafe_html = |offset: usize, what: &str| {
        let lines = lines.get_or_init(|| LineIndex::new(&file.text));
        out.push(Diagnostic::new(
            &diag::UNSAFE_HTML,
            &file.rel,
            lines.line_col(&file.text, offset),
            format!("content holds {what}"),
            HELP,
        ));
    };
    for link in &doc.links {
        if let Some(scheme) = script_scheme(&link.dest) {
            unsafe_html(link.offset, &format!("a link to a `{scheme}` URL"));
        }
    }
    // A tag may span the lines of an HTML block (`<div⏎  onclick="...">`), which
    // pulldown-cmark gives line by line: the joined pieces are checked a tag at a time, from
    // one `<` to the next. An animation element is looked for in them too; `find_unsafe`
    // never reports one, so nothing is reported twice.
    for run in doc.html_runs() {
        let starts = run.text.match_indices('<').map(|(i, _)| i);
        let ends = starts.clone().skip(1).chain([run.text.len()]);
        for (start, end) in starts.zip(ends) {
            if let Some((at_byte, what)) = find_unsafe(&run.text[start..end]) {
                unsafe_html(run.offset + start + at_byte, &what);
            }
        }
        for (at_byte, what) in script_animations(&run.text) {
            unsafe_html(run.offset + at_byte, &what);
        }
    }
}

/// SVG animation elements that set an attribute of their parent to a value they carry.
const ANIMATIONS: &[&str] = &["set", "animate"];

/// Attributes of an animation element that carry the values it sets; `values` is a list
/// separated by `;`.
const ANIMATION_VALUES: &[&str] = &["to", "from", "values", "by"];

/// SVG animations in `html` that turn a link into a script URL
/// (`<set attributeName="href" to="javascript:...">`, `<animate attributeName="xlink:href"
/// values="#a;javascript:...">`): a link that is safe as written runs script once the
/// animation has run and the reader follows it. Each with the offset of the attribute that
/// carries the URL.
fn script_animations(html: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    raw_html::start_tags(html)
        .into_iter()
        .filter_map(|tag| script_animation(&tag))
}

fn script_animation(tag: &StartTag<'_>) -> Option<(usize, String)> {
    if !ANIMATIONS.contains(&tag.local_name()) {
        return None;
    }
    let target = decode_references(tag.attribute("attributename")?.value);
    let target = target.trim().to_ascii_lowercase();
    // `href`, `xlink:href` or the same under another prefix for the XLink namespace.
    if target.rsplit(':').next() != Some("href") {
        return None;
    }
    tag.attributes
        .iter()
        .filter(|a| ANIMATION_VALUES.contains(&a.name.as_str()))
        .find_map(|a| {
            let value = decode_references(a.value);
            let scheme = value.split(';').find_map(decoded_script_scheme)?;
            Some((
                a.offset,
                format!(
                    "an SVG `<{}>` that sets a link to a `{scheme}` URL",
                    tag.local_name()
                ),
            ))
        })
}

/// The scheme of a URL that would run script when followed, as a browser reads it:
/// character references decoded, white space and control characters dropped, any case.
fn script_scheme(url: &str) -> Option<&'static str> {
    decoded_script_scheme(&decode_references(url))
}

/// [`script_scheme`] of a URL whose character references are decoded already.
fn decoded_script_scheme(url: &str) -> Option<&'static str> {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    ["javascript:", "vbscript:", "data:text/html"]
        .into_iter()
        .find(|scheme| compact.starts_with(scheme))
}

/// Attributes whose value is a URL a browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
];

/// An XML entity declaration in an asset (`<!DOCTYPE svg [<!ENTITY js "javascript:">]>`):
/// a browser expands `&js;` wherever it is used, so a script URL, or a whole `<set>`
/// element, can hide in one where no check of the text as written sees it. SVG and XML
/// diagrams never need one.
fn entity_declaration(xml: &str) -> Option<(usize, String)> {
    let at = xml.to_ascii_lowercase().find("<!entity")?;
    Some((
        at,
        "an XML entity declaration (`<!ENTITY`), which can hide a script URL from this check"
            .into(),
    ))
}

/// The first unsafe construct in a piece of raw HTML (or an SVG or XML asset): its byte
/// offset and a description.
fn find_unsafe(html: &str) -> Option<(usize, String)> {
    let lower = html.to_ascii_lowercase();
    // `<script>`, or in XML (an SVG asset) `<svg:script>` under any namespace prefix.
    let script = lower.match_indices('<').find(|(i, _)| {
        let name = lower[i + 1..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')))
            .next()
            .unwrap_or_default();
        name.rsplit(':').next() == Some("script")
    });
    if let Some((i, _)) = script {
        return Some((i, "a `<script>` element".into()));
    }
    // Attributes: inside a tag, a name starting with `on` followed by `=` is an event
    // handler; URL attributes are checked for script URLs; `srcdoc` is a whole document.
    let bytes = lower.as_bytes();
    let mut in_tag = false;
    let mut tag_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                in_tag = true;
                tag_start = i;
            }
            b'>' => in_tag = false,
            c if in_tag && c.is_ascii_whitespace() => {
                let name_start = i + 1;
                let name_end = lower[name_start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
                    .map_or(lower.len(), |n| name_start + n);
                let name = &lower[name_start..name_end];
                let rest = lower[name_end..].trim_start();
                if let Some(value) = rest.strip_prefix('=') {
                    if name.len() > 2 && name.starts_with("on") {
                        return Some((name_start, "an inline event handler attribute".into()));
                    }
                    if name == "srcdoc" {
                        return Some((name_start, "an embedded document (`srcdoc`)".into()));
                    }
                    let value = value.trim_start().trim_start_matches(['"', '\'']);
                    if URL_ATTRIBUTES.contains(&name)
                        && let Some(scheme) = script_scheme(value)
                    {
                        return Some((name_start, format!("a `{scheme}` URL")));
                    }
                    let tag = lower[tag_start + 1..].split_whitespace().next();
                    let refresh =
                        tag == Some("meta") && name == "http-equiv" && value.starts_with("refresh");
                    if refresh {
                        return Some((
                            tag_start,
                            "a `<meta http-equiv=\"refresh\">` that sends the reader elsewhere"
                                .into(),
                        ));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

const HELP: &str = "remove it: pages are static guidance, and the site's Content-Security-Policy forbids scripts in content";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_scripts_handlers_and_script_urls() {
        assert!(find_unsafe("<SCRIPT>alert(1)</script>").is_some());
        assert!(find_unsafe("<img src=x onerror=\"x()\">").is_some());
        assert!(find_unsafe("<a href=\" JavaScript:x()\">").is_some());
        assert!(find_unsafe("<details><summary>More</summary>").is_none());
        assert!(find_unsafe("<a href=\"https://x.example\" title=\"online\">").is_none());
        assert_eq!(script_scheme("java\tscript:alert(1)"), Some("javascript:"));
    }

    #[test]
    fn sees_through_character_references_and_namespaces() {
        for html in [
            "<a href=\"&#106;avascript:alert(1)\">a</a>",
            "<a href=\"javascript&colon;alert(1)\">b</a>",
            "<a href=\"jav&#x09;ascript:alert(3)\">c</a>",
            "<a href=\"&#x6A&#x61vascript:x\">d</a>",
            "<a href=\"&#0000106;avascript:x\">e</a>",
            "<a href=\"java&Tab;script:x\">f</a>",
            "<object data=\"javascript:alert(1)\"></object>",
            "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
            "<svg xmlns:s=\"http://www.w3.org/2000/svg\"><s:script>alert(1)</s:script></svg>",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
        ] {
            assert!(find_unsafe(html).is_some(), "{html}");
        }
        assert_eq!(
            find_unsafe("<a href=\"vbscript:x\">").map(|(_, what)| what),
            Some("a `vbscript:` URL".to_owned())
        );
        for html in [
            "<a href=\"https://x.example/?a=1&amp;b=2\">ok</a>",
            "<a href=\"#&#106;\">ok</a>",
            "<p>scripts &amp; description</p>",
            "<meta charset=\"utf-8\">",
            "<noscript>x</noscript>",
        ] {
            assert!(find_unsafe(html).is_none(), "{html}");
        }
    }

    #[test]
    fn finds_svg_animations_that_set_a_link_to_a_script_url() {
        for html in [
            "<set attributeName=\"href\" to=\"javascript:alert(1)\"/>",
            "<SET ATTRIBUTENAME='XLINK:HREF' TO='JavaScript:x'>",
            "<animate attributeName=\"href\" values=\"#a; javascript:alert(1)\"/>",
            "<animate attributeName=\"href\" from=\"javascript:x\" to=\"#b\"/>",
            "<svg:set attributeName=\"&#104;ref\" to=\"&#106;avascript&colon;x\"/>",
            "<set attributeName=href to=vbscript:x>",
            "<set\n  attributeName=\"href\"\n  to=\"javascript:x\"/>",
        ] {
            assert!(script_animations(html).next().is_some(), "{html}");
        }
        for html in [
            "<set attributeName=\"fill\" to=\"javascript:x\"/>",
            "<set attributeName=\"href\" to=\"#other\"/>",
            "<animate attributeName=\"href\" values=\"#a;#b\" title=\"javascript:\"/>",
            "<!-- <set attributeName=\"href\" to=\"javascript:x\"/> -->",
            "<settings attributeName=\"href\" to=\"javascript:x\">",
            "<set attributeName=\"href\" to=\"&amp;#106;avascript:x\"/>",
        ] {
            assert!(script_animations(html).next().is_none(), "{html}");
        }
        let html = "<svg><a><set attributeName=\"href\" to=\"javascript:x\"/></a></svg>";
        assert_eq!(
            script_animations(html).collect::<Vec<_>>(),
            vec![(
                html.find("to=").unwrap_or(0),
                "an SVG `<set>` that sets a link to a `javascript:` URL".to_owned()
            )]
        );
    }
}
