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
        if is_script_url(&link.dest) {
            unsafe_html(link.offset, "a link to a `javascript:` URL");
        }
    }
    for html in &doc.html {
        if let Some((at_byte, what)) = find_unsafe(&html.text) {
            unsafe_html(html.offset + at_byte, what);
        }
    }
}

/// Whether a URL would run script when followed.
fn is_script_url(url: &str) -> bool {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect();
    compact.starts_with("javascript:")
        || compact.starts_with("vbscript:")
        || compact.starts_with("data:text/html")
}

/// The first unsafe construct in a piece of raw HTML: its byte offset and a description.
fn find_unsafe(html: &str) -> Option<(usize, &'static str)> {
    let lower = html.to_ascii_lowercase();
    if let Some(i) = lower.find("<script") {
        return Some((i, "a `<script>` element"));
    }
    // Attributes: inside a tag, a name starting with `on` followed by `=` is an event
    // handler; `href`/`src`/`action` values are checked for script URLs.
    let bytes = lower.as_bytes();
    let mut in_tag = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
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
                        return Some((name_start, "an inline event handler attribute"));
                    }
                    let value = value.trim_start().trim_start_matches(['"', '\'']);
                    if matches!(
                        name,
                        "href" | "src" | "action" | "formaction" | "xlink:href"
                    ) && is_script_url(value)
                    {
                        return Some((name_start, "a `javascript:` URL"));
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
        assert!(is_script_url("java\tscript:alert(1)"));
    }
}
