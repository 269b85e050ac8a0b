//! KG020 broken links and KG021 broken anchors, across pages.
//!
//! Every relative link in every page is resolved from the file it is written in (the same
//! resolution the renderer uses, [`crate::links::resolve`]): it must reach a base guide, an
//! addendum or an asset that exists, and its `#fragment` must be a section id on the page it
//! reaches — for an addendum, the compiled integration guide, so a link from an addendum into
//! a section it inherits from its base guide is fine. A bare `#fragment` is checked against
//! the page the link is shown on.
//!
//! Absolute links to the site's own `base_url` (pasted from the browser, and made relative
//! when the page is post-processed) are checked the same way, in the version they name: the
//! draft (`next`), a released version, or `latest`; the page must exist there and the
//! fragment be one of its section ids. They are recognised as a browser resolves them
//! (scheme and host in any case, a default port written out, `http:` for an `https:` site).
//!
//! Links written as raw HTML in a page (`<a href="...">`) are checked like Markdown links,
//! at the offset of their `href`.

use std::collections::{BTreeSet, HashMap};

use crate::compose::{ComposedGuide, Tree};
use crate::content::Page;
use crate::diag::{self, Diagnostic};
use crate::links::{self, Target};
use crate::markdown::Link;

use super::{Ctx, at};

/// Runs KG020 and KG021.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    super::each(ctx.composed, out, |composed, out| {
        let mut anchors = Anchors::default();
        let base = &composed.guide.base;
        check_page(ctx, base, &composed.base, &mut anchors, out);
        for (page, tree) in &composed.integrations {
            check_page(ctx, page, tree, &mut anchors, out);
        }
    });
}

/// The section ids of each page, collected once per page rather than once per link, so
/// checking stays linear in links plus sections.
#[derive(Default)]
struct Anchors<'t> {
    by_page: HashMap<*const (), BTreeSet<&'t str>>,
}

impl<'t> Anchors<'t> {
    fn of<'d: 't>(&mut self, tree: &'t Tree<'d>) -> &BTreeSet<&'t str> {
        self.by_page
            .entry(std::ptr::from_ref(tree).cast())
            .or_insert_with(|| tree.nodes().map(|n| n.id).collect())
    }
}

fn check_page<'t, M>(
    ctx: &'t Ctx<'_>,
    page: &Page<'_, M>,
    shown_in: &'t Tree<'_>,
    anchors: &mut Anchors<'t>,
    out: &mut Vec<Diagnostic>,
) {
    let dir = &ctx.content.sources.dir;
    // Links written as raw HTML (`<a href="...">`) are links all the same: a reader follows
    // them like Markdown ones, so they are checked alike.
    let html_links = page.doc.html_links();
    for link in page.doc.links.iter().chain(&html_links) {
        if let Some(rest) = own_url(&ctx.config.base_url, &link.dest) {
            check_own(ctx, page, link, rest, anchors, out);
            continue;
        }
        if let Some(fragment) = link.dest.strip_prefix('#') {
            let fragment = links::decode(fragment);
            let ids = anchors.of(shown_in);
            check_anchor(page, link, &fragment, ids, "this page", out);
            continue;
        }
        let Some(resolved) = links::resolve(&page.file.rel, dir, &link.dest) else {
            continue;
        };
        let target = match &resolved.target {
            Target::Outside(path) => {
                out.push(broken(
                    page,
                    link,
                    format!(
                        "`{}` leads outside the content folder (to `{path}`)",
                        link.dest
                    ),
                ));
                continue;
            }
            t => t,
        };
        match find_page(ctx.composed, target) {
            Found::Page(tree) => {
                if let Some(fragment) = &resolved.fragment {
                    check_anchor(
                        page,
                        link,
                        fragment,
                        anchors.of(tree),
                        &format!("`{}`", link.dest.split('#').next().unwrap_or("")),
                        out,
                    );
                }
            }
            Found::Asset => {}
            Found::Nothing(what) => out.push(broken(
                page,
                link,
                format!("`{}` points to {what}, which does not exist", link.dest),
            )),
        }
    }
}

/// For a link to `base_url` itself or below it, what follows `base_url` (`/1.0.0/g/#x`,
/// `#x`, or nothing).
///
/// The link is compared as a browser resolves it, not as text: the scheme and host in any
/// case, a port that is the scheme's default written out or not (`:443`), `http:` for an
/// `https:` site (or the other way round), which reaches the same pages through the host's
/// redirect, and no scheme at all (`//docs.example.com/...`, the page's own). The path is
/// compared as written: paths are case-sensitive.
fn own_url<'h>(base_url: &str, href: &'h str) -> Option<&'h str> {
    let (scheme, _) = base_url.split_once("://")?;
    let (base_origin, base_path) = split_origin(base_url, scheme)?;
    let (origin, path) = split_origin(href, scheme)?;
    if origin != base_origin {
        return None;
    }
    let rest = path.strip_prefix(base_path.trim_end_matches('/'))?;
    (rest.is_empty() || rest.starts_with(['/', '#', '?'])).then_some(rest)
}

/// An `http:` or `https:` URL split into its origin as compared between links — the host
/// in lower case, and the port unless it is the scheme's default — and what follows it
/// (path, query, fragment); a URL without a scheme (`//host/...`) has `page_scheme`, that
/// of the page it is on. `None` for other URLs, and for ones that carry user info.
fn split_origin<'u>(url: &'u str, page_scheme: &str) -> Option<((String, Option<u16>), &'u str)> {
    let (scheme, rest) = match url.strip_prefix("//") {
        Some(rest) => (page_scheme, rest),
        None => url.split_once("://")?,
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    // The port follows the last `:`, unless that `:` is inside an IPv6 address (`[::1]`).
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
            let port = match port {
                "" => None,
                p => Some(p.parse::<u16>().ok()?),
            };
            (host.to_owned(), port.filter(|&p| p != default_port))
        }
        _ => (authority, None),
    };
    Some(((host, port), path))
}

/// Output files and folders at the site's root besides the versions: links to them are
/// not checked further.
const SITE_FILES: &[&str] = &[
    "",
    "index.html",
    "404.html",
    "releases",
    "releases.xml",
    "feeds",
    "versions.json",
    "sitemap.xml",
    "robots.txt",
    "static",
    "assets",
    "manifest.json",
    "manifest.json.sig",
    "SHA256SUMS",
    ".well-known",
];

/// Checks a link to the site's own URL, `rest` being what follows `base_url`.
fn check_own<'t, M>(
    ctx: &'t Ctx<'_>,
    page: &Page<'_, M>,
    link: &Link,
    rest: &str,
    anchors: &mut Anchors<'t>,
    out: &mut Vec<Diagnostic>,
) {
    let (path, fragment) = match rest.split_once('#') {
        Some((p, f)) => (p, Some(links::decode(f))),
        None => (rest, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(links::decode)
        .collect();
    if segments.last().is_some_and(|s| s == "index.html") && segments.len() > 1 {
        segments.pop();
    }
    let Some((label, within)) = segments.split_first() else {
        return;
    };
    let guides: &'t [ComposedGuide<'_>] = match label.as_str() {
        crate::DRAFT_LABEL => ctx.composed,
        "latest" => match ctx.released.last() {
            Some((_, guides)) => guides,
            None => {
                out.push(broken(
                    page,
                    link,
                    format!(
                        "`{}` points to the latest release, but nothing is released yet",
                        link.dest
                    ),
                ));
                return;
            }
        },
        l => match ctx.released.iter().find(|(v, _)| *v == l) {
            Some((_, guides)) => guides,
            None if SITE_FILES.contains(&l) => return,
            None => {
                let mut versions: Vec<&str> = ctx.released.iter().map(|(v, _)| *v).collect();
                if !versions.is_empty() {
                    versions.push("latest");
                }
                versions.push(crate::DRAFT_LABEL);
                out.push(broken(
                    page,
                    link,
                    format!(
                        "`{}` points to version `{l}` of this site, which does not exist (the site's versions: {})",
                        link.dest,
                        versions.join(", ")
                    ),
                ));
                return;
            }
        },
    };
    let target = match within {
        [] => return,
        [file] if file == "search-index.js" || file == "print.css" => return,
        [guide] => Target::Page {
            guide: guide.clone(),
            integration: None,
        },
        [guide, file] => {
            let page_target = Target::Page {
                guide: guide.clone(),
                integration: Some(file.clone()),
            };
            let asset = Target::Asset {
                guide: guide.clone(),
                path: file.clone(),
            };
            match find_page(guides, &page_target) {
                Found::Nothing(_) if matches!(find_page(guides, &asset), Found::Asset) => asset,
                _ => page_target,
            }
        }
        [guide, path @ ..] => Target::Asset {
            guide: guide.clone(),
            path: path.join("/"),
        },
    };
    match find_page(guides, &target) {
        Found::Page(tree) => {
            if let Some(fragment) = &fragment {
                let shown = link.dest.split('#').next().unwrap_or("");
                check_anchor(
                    page,
                    link,
                    fragment,
                    anchors.of(tree),
                    &format!("`{shown}`"),
                    out,
                );
            }
        }
        Found::Asset => {}
        Found::Nothing(what) => out.push(broken(
            page,
            link,
            format!(
                "`{}` points to {what} in version `{label}`, which does not exist",
                link.dest
            ),
        )),
    }
}

enum Found<'t, 'd> {
    Page(&'t Tree<'d>),
    Asset,
    Nothing(String),
}

fn find_page<'t, 'd>(composed: &'t [ComposedGuide<'d>], target: &Target) -> Found<'t, 'd> {
    let guide_of = |id: &str| composed.iter().find(|g| g.guide.id == id);
    match target {
        Target::Page { guide, integration } => {
            let Some(g) = guide_of(guide) else {
                return Found::Nothing(format!("guide `{guide}`"));
            };
            match integration {
                None => Found::Page(&g.base),
                Some(stem) => g
                    .integrations
                    .iter()
                    .find(|(p, _)| p.stem == stem)
                    .map_or_else(
                        || Found::Nothing(format!("addendum `{guide}/{stem}.md`")),
                        |(_, t)| Found::Page(t),
                    ),
            }
        }
        Target::Asset { guide, path } => match guide_of(guide) {
            Some(g) if g.guide.assets.iter().any(|a| a.within_guide == *path) => Found::Asset,
            _ => Found::Nothing(format!("file `{guide}/{path}`")),
        },
        Target::Outside(path) => Found::Nothing(path.clone()),
    }
}

/// How many of a page's section ids a "did you mean" suggestion looks through.
const NEAREST_SCAN: usize = 1000;

fn check_anchor<M>(
    page: &Page<'_, M>,
    link: &Link,
    fragment: &str,
    ids: &BTreeSet<&str>,
    where_: &str,
    out: &mut Vec<Diagnostic>,
) {
    if fragment.is_empty() {
        return;
    }
    if ids.contains(fragment) {
        return;
    }
    // The suggestion looks at a bounded number of ids, so a page of many broken anchors
    // and many sections cannot make lint quadratic.
    let nearest = ids
        .iter()
        .take(NEAREST_SCAN)
        .find(|id| id.contains(fragment) || fragment.contains(**id))
        .map(|id| format!("; did you mean `#{id}`?"))
        .unwrap_or_default();
    out.push(at(
        &diag::BROKEN_ANCHOR,
        page,
        link.offset,
        format!("no section on {where_} has the id `{fragment}`"),
        format!("link to a heading id that exists (ids come from `{{#id}}` or the heading's slug){nearest}"),
    ));
}

fn broken<M>(page: &Page<'_, M>, link: &Link, message: String) -> Diagnostic {
    at(
        &diag::BROKEN_LINK,
        page,
        link.offset,
        message,
        "link relative to this file, e.g. `_index.md#storage`, `other-integration.md` or `../vault/_index.md`".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_urls_match_as_a_browser_resolves_them() {
        let base = "https://docs.example.com/keys";
        for (href, rest) in [
            ("https://docs.example.com/keys/1.0.0/g/#x", "/1.0.0/g/#x"),
            ("HTTPS://DOCS.EXAMPLE.COM/keys/1.0.0/g/", "/1.0.0/g/"),
            ("https://docs.example.com:443/keys/next/", "/next/"),
            ("http://docs.example.com/keys/next/", "/next/"),
            ("http://docs.example.com:80/keys#top", "#top"),
            ("https://docs.example.com:/keys", ""),
            ("//docs.example.com/keys/1.0.0/", "/1.0.0/"),
            ("//DOCS.example.com:443/keys#top", "#top"),
        ] {
            assert_eq!(own_url(base, href), Some(rest), "{href}");
        }
        for href in [
            "https://docs.example.com/KEYS/1.0.0/",
            "https://docs.example.com/keysmith/",
            "https://docs.example.com:8443/keys/next/",
            "http://docs.example.com:443/keys/next/",
            "https://docs.example.com.evil.example/keys/next/",
            "https://user@docs.example.com/keys/next/",
            "https://other.example/keys/next/",
            "ftp://docs.example.com/keys/next/",
            "/keys/next/",
            "//other.example/keys/next/",
            "//docs.example.com:80/keys/next/",
            "https://docs.example.com:99999/keys/",
        ] {
            assert_eq!(own_url(base, href), None, "{href}");
        }
        assert_eq!(
            own_url("http://[::1]:8080", "http://[::1]:8080/next/"),
            Some("/next/")
        );
        assert_eq!(
            own_url("https://Docs.Example.com", "https://docs.example.com"),
            Some("")
        );
    }
}
