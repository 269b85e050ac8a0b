//! The parse stage: [`Sources`] become typed pages with section trees.
//!
//! Input: a loaded content tree. Output: [`Content`], whose pages borrow their text from the
//! sources, plus every finding (front matter, duplicate section ids, inventory). Pages are
//! parsed in parallel; the result keeps the sources' sorted order.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::{self, Diagnostic, LineIndex};
use crate::frontmatter::{self, AddendumMatter, BaseMatter};
use crate::inventory::Inventory;
use crate::markdown::{self, Doc};
use crate::memo::{Matter, Memo, Parsed};
use crate::source::{Asset, GuideSource, Sources, TextFile};

/// A parsed page: its file, front matter and section tree.
#[derive(Debug)]
pub struct Page<'s, M> {
    /// The source file.
    pub file: &'s TextFile,
    /// The file name without `.md` (`_index` for base guides).
    pub stem: &'s str,
    /// Typed front matter.
    pub matter: M,
    /// Byte offset of the front matter's TOML in the file (spans in `matter` are relative
    /// to it).
    pub matter_offset: usize,
    /// The body's section tree (shared with other pages of the same text).
    pub doc: Arc<Doc>,
}

/// A guide whose base guide parsed.
#[derive(Debug)]
pub struct Guide<'s> {
    /// The folder name.
    pub id: &'s str,
    /// The base guide.
    pub base: Page<'s, BaseMatter>,
    /// The addenda that parsed, sorted by stem.
    pub addenda: Vec<Page<'s, AddendumMatter>>,
    /// Files copied next to the guide's pages.
    pub assets: &'s [Asset],
}

/// One content tree, parsed.
#[derive(Debug)]
pub struct Content<'s> {
    /// The sources this was parsed from.
    pub sources: &'s Sources,
    /// Guides whose base guide parsed, sorted by id.
    pub guides: Vec<Guide<'s>>,
    /// The scope inventory (empty when missing or invalid).
    pub inventory: Inventory,
    /// Whether a page was left out because its front matter could not be read: what it
    /// says (the workflows an addendum covers) is unknown, so no rule may claim it says
    /// nothing.
    pub pages_dropped: bool,
    /// Whether `inventory.toml` is there but could not be read: its workflows are unknown.
    pub inventory_broken: bool,
}

impl<M> Page<'_, M> {
    /// Line and column of byte `offset` of this page's file.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        LineIndex::new(&self.file.text).line_col(&self.file.text, offset)
    }
}

impl Content<'_> {
    /// The guide with folder name `id`.
    pub fn guide(&self, id: &str) -> Option<&Guide<'_>> {
        self.guides.iter().find(|g| g.id == id)
    }
}

/// Parses every page of `sources`, reusing what `memo` holds for the same text; findings are
/// appended to `diags`.
pub fn parse<'s>(sources: &'s Sources, memo: &Memo, diags: &mut Vec<Diagnostic>) -> Content<'s> {
    // The inventory is one file, parsed on one thread: beside the pages, not after them.
    let (parsed, inventory): (Vec<(Option<Guide<'s>>, Vec<Diagnostic>)>, _) = rayon::join(
        || {
            (sources.guides.par_iter())
                .map(|g| parse_guide(g, memo))
                .collect()
        },
        || sources.inventory.as_ref().map(|file| memo.inventory(file)),
    );
    let mut guides = Vec::with_capacity(parsed.len());
    for (guide, found) in parsed {
        diags.extend(found);
        guides.extend(guide);
    }
    let pages = |count: usize, base: bool| count + usize::from(base);
    let read: usize = guides.iter().map(|g| pages(g.addenda.len(), true)).sum();
    let there: usize = (sources.guides.iter())
        .map(|g| pages(g.addenda.len(), g.base.is_some()))
        .sum();
    let mut inventory_broken = sources.inventory_unreadable;
    let inventory = match inventory {
        Some(parsed) => parsed.unwrap_or_else(|d| {
            diags.push(d);
            inventory_broken = true;
            Inventory::default()
        }),
        None => Inventory::default(),
    };
    Content {
        sources,
        guides,
        inventory,
        pages_dropped: read < there,
        inventory_broken,
    }
}

fn parse_guide<'s>(g: &'s GuideSource, memo: &Memo) -> (Option<Guide<'s>>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let addenda = g
        .addenda
        .par_iter()
        .map(|file| parse_page::<AddendumMatter>(file, memo))
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|r| r.map_err(|d| diags.extend(d)).ok())
        .collect::<Vec<_>>();
    let base = g
        .base
        .as_ref()
        .map(|file| parse_page::<BaseMatter>(file, memo))
        .and_then(|r| r.map_err(|d| diags.extend(d)).ok());
    let guide = base.map(|base| Guide {
        id: &g.id,
        base,
        addenda,
        assets: &g.assets,
    });
    (guide, diags)
}

/// Parses one page, or takes it from `memo` when a page of the same text parsed before (the
/// result depends on the text alone); its findings come back alone when it is unusable.
fn parse_page<'f, M: serde::de::DeserializeOwned + Matter + Clone>(
    file: &'f TextFile,
    memo: &Memo,
) -> Result<Page<'f, M>, Vec<Diagnostic>> {
    let parsed = match memo.parsed::<M>(&file.digest) {
        Some(parsed) => parsed,
        None => {
            let split = frontmatter::split(&file.rel, &file.text).map_err(|d| vec![d])?;
            let matter =
                frontmatter::parse::<M>(&file.rel, &file.text, &split).map_err(|d| vec![d])?;
            let doc = markdown::parse(&file.text, split.body_offset);
            let parsed = Parsed {
                matter,
                matter_offset: split.toml_offset,
                doc: Arc::new(doc),
            };
            memo.keep_parsed(file.digest, parsed)
        }
    };
    let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
    Ok(Page {
        file,
        stem: name.strip_suffix(".md").unwrap_or(name),
        matter: parsed.matter.clone(),
        matter_offset: parsed.matter_offset,
        doc: Arc::clone(&parsed.doc),
    })
}

/// KG004: the same section id twice in one page makes links and composition ambiguous.
pub fn duplicate_sections<M>(page: &Page<'_, M>) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut diags = Vec::new();
    for s in page.doc.all_sections() {
        if let Some(&earlier) = first.get(s.id.as_str()) {
            let (line, _) = page.line_col(earlier);
            diags.push(Diagnostic::new(
                &diag::DUPLICATE_SECTION,
                &page.file.rel,
                page.line_col(s.offset),
                format!("section id `{}` is already used on line {line}", s.id),
                "give one of the headings its own id, e.g. `## Title {#another-id}`",
            ));
        } else {
            first.insert(&s.id, s.offset);
        }
    }
    diags
}
