//! The search index of one version, for the client-side search in `static/search.js`.
//!
//! Written at build time as `/<version>/search-index.js`, a script that sets
//! `window.keyguideSearch` — a script rather than JSON fetched at run time, so the search
//! needs no request beyond the page's own scripts: it works offline, on any static host, under
//! `script-src 'self'`. Each page lists its guide and page titles, its URL relative to the version's root, and every
//! section with its id, title and text (whitespace collapsed). Sorted like the site, so the
//! file is deterministic.
//!
//! An integration guide repeats most of its base guide, so its entry holds only the
//! addendum's text of each section, with `b: 1` where the section also shows the base
//! guide's section of the same id (its text is in the base guide's entry, `u` of the
//! integration's first path segment). `search.js` joins the two, so a search still finds
//! base text on every integration page, while the index grows with what was written, not
//! with base guides times integrations.

use serde::Serialize;

use crate::compose::{Node, Origin, Part, Tree};
use crate::error::Result;
use crate::links::{self, Target};
use crate::markdown::plain_text;
use crate::output::{Made, Maker, Stream};

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
    /// Text (an integration's own text only: see the module documentation).
    x: String,
    /// 1 when the section also shows the base guide's text of the section `i`.
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<u8>,
}

/// The contents of `/<version>/search-index.js`, made from the [`entry`] of each of its
/// pages in site order, each added as soon as it is made. The index is as large as the
/// version's text, so `keyguide build` writes it out as it goes ([`Maker::stream`]).
pub struct Index {
    path: String,
    js: Stream,
    entries: usize,
}

impl Index {
    /// The index of the version whose folder is `dir` (ending in `/`).
    pub fn new(maker: &Maker, dir: &str) -> Result<Index> {
        let path = format!("{dir}{INDEX_FILE}");
        let mut js = maker.stream(&path)?;
        js.write(b"window.keyguideSearch = [")?;
        Ok(Index {
            path,
            js,
            entries: 0,
        })
    }

    /// Adds the next page's entry.
    pub fn push(&mut self, entry: &str) -> Result<()> {
        if self.entries > 0 {
            self.js.write(b",")?;
        }
        self.entries += 1;
        self.js.write(entry.as_bytes())?;
        // An entry is one page's JSON object: nothing the checks look for runs across two.
        self.js.mark();
        Ok(())
    }

    /// The script, and its path in the output.
    pub fn finish(mut self) -> Result<(String, Made)> {
        self.js.write(b"];\n")?;
        Ok((self.path, self.js.finish()?))
    }
}

/// One page's entry in its version's index (JSON): the guide `guide_title`, the page of
/// `integration` (none for the guide's own page) titled `title`, whose compiled tree is `tree`.
/// Each page's entry is made on its own, so rebuilds can reuse those of unchanged pages.
pub fn entry(
    guide_title: &str,
    title: &str,
    guide: &str,
    integration: Option<&str>,
    tree: &Tree<'_>,
) -> String {
    let page = page(guide_title, title, guide, integration, tree);
    // Strings and numbers only: serialising cannot fail.
    serde_json::to_string(&page).unwrap_or_default()
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
        s: tree
            .nodes()
            .map(|node| section(node, integration.is_some()))
            .collect(),
    }
}

/// The entry of `node`; on an integration's page, base text is left to the base's entry.
fn section<'a>(node: &'a Node<'_>, integration: bool) -> Section<'a> {
    let shows_base = |p: &Part<'_>| integration && p.origin == Origin::Base;
    let text: Vec<String> = node
        .parts
        .iter()
        .filter(|p| !shows_base(p))
        .map(|p| plain_text(p.events))
        .collect();
    Section {
        i: node.id,
        t: node.title,
        x: text
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        b: node.parts.iter().any(shows_base).then_some(1),
    }
}
