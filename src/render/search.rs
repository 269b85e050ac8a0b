//! The search index of one version, for the client-side search in `static/search.js`.
//!
//! Written at build time as `/<version>/search-index.js`, a script that sets
//! `window.keyguideSearch` — a script rather than JSON fetched at run time, so the search
//! needs no request beyond the page's own scripts: it works offline, on any static host, under
//! `script-src 'self'`. Each page lists its guide and page titles, its URL relative to the version's root, and every
//! section with its id, title and text (whitespace collapsed). Sorted like the site, so the
//! file is deterministic.

use serde::Serialize;

use crate::compose::{Node, Tree};
use crate::links::{self, Target};
use crate::markdown::plain_text;

use super::Version;

/// The file name of a version's index, inside the version folder.
pub const INDEX_FILE: &str = "search-index.js";

#[derive(Serialize)]
struct Page<'a> {
    /// Guide title.
    g: &'a str,
    /// Page title (the integration guide's, or the guide's).
    p: &'a str,
    /// URL relative to the version root, ending with `/`.
    u: String,
    /// Sections.
    s: Vec<Section<'a>>,
}

#[derive(Serialize)]
struct Section<'a> {
    /// Section id (the fragment).
    i: &'a str,
    /// Title.
    t: &'a str,
    /// Text.
    x: String,
}

/// The contents of `/<version>/search-index.js`.
pub fn index(version: &Version<'_>) -> Vec<u8> {
    let mut pages = Vec::new();
    for guide in version.guides {
        let id = guide.guide.id;
        let guide_title = guide.guide.base.matter.title.as_str();
        pages.push(page(guide_title, guide_title, id, None, &guide.base));
        for (addendum, tree) in &guide.integrations {
            pages.push(page(
                guide_title,
                &addendum.matter.title,
                id,
                Some(addendum.stem),
                tree,
            ));
        }
    }
    let json = serde_json::to_string(&pages).unwrap_or_else(|_| "[]".to_owned());
    format!("window.keyguideSearch = {json};\n").into_bytes()
}

fn page<'a>(
    guide_title: &'a str,
    title: &'a str,
    guide: &str,
    integration: Option<&str>,
    tree: &'a Tree<'_>,
) -> Page<'a> {
    let target = Target::Page {
        guide: guide.to_owned(),
        integration: integration.map(str::to_owned),
    };
    Page {
        g: guide_title,
        p: title,
        u: links::url("", &target)
            .map(|u| u.trim_start_matches('/').to_owned())
            .unwrap_or_default(),
        s: tree.nodes().map(section).collect(),
    }
}

fn section<'a>(node: &'a Node<'_>) -> Section<'a> {
    let text: Vec<String> = node.parts.iter().map(|p| plain_text(p.events)).collect();
    Section {
        i: node.id,
        t: node.title,
        x: text
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}
