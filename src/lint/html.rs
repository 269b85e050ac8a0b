//! KG070 unsafe HTML: `<script>`, inline event handlers and `javascript:` URLs in content —
//! in the pages, in release notes, and in the HTML and SVG files a guide ships as assets (an
//! SVG opened from a diagram link runs its own script).
//!
//! The published site runs under a strict Content-Security-Policy and customers trust it
//! with their keys; content that would run code has no place in it, whatever the policy.

use crate::content::Page;
use crate::diag::{self, Diagnostic, LineIndex};
use crate::markdown::{self, Doc};
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
    if let Some((offset, what)) = find_unsafe(&text) {
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
    for html in &doc.html {
        if let Some((at_byte, what)) = find_unsafe(&html.text) {
            unsafe_html(html.offset + at_byte, &what);
        }
    }
}

/// The scheme of a URL that would run script when followed, as a browser reads it:
/// character references decoded, white space and control characters dropped, any case.
fn script_scheme(url: &str) -> Option<&'static str> {
    let compact: String = decode_references(url)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    ["javascript:", "vbscript:", "data:text/html"]
        .into_iter()
        .find(|scheme| compact.starts_with(scheme))
}

/// `text` with its character references decoded as far as a URL's scheme can hide behind
/// them: numeric ones (`&#106;`, `&#x6A`, with or without the `;`, as browsers accept them)
/// and the named ones that stand for a colon or white space. No other named reference
/// stands for an ASCII letter, a colon or white space.
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(number) = rest.strip_prefix('#') {
            let (radix, digits) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (16, hex),
                None => (10, number),
            };
            let len = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            if len > 0 {
                let c = u32::from_str_radix(&digits[..len], radix)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|&c| c != '\0');
                out.push(c.unwrap_or('\u{fffd}'));
                rest = &digits[len..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
                continue;
            }
        }
        let named = [("tab;", '\t'), ("newline;", '\n'), ("colon;", ':')]
            .into_iter()
            .find(|(name, _)| {
                rest.get(..name.len())
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
            });
        match named {
            Some((name, c)) => {
                out.push(c);
                rest = &rest[name.len()..];
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
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
        assert_eq!(
            decode_references("&#x4A;&#0;&#99999999;&amp;&colon;"),
            "J\u{fffd}\u{fffd}&amp;:"
        );
    }
}
