//! KG020 broken links and KG021 broken anchors, across pages.
//!
//! Every relative link in every page is resolved from the file it is written in (the same
//! resolution the renderer uses, [`crate::links::resolve`]): it must reach a base guide, an
//! addendum or an asset that exists, and its `#fragment` must be a section id on the page it
//! reaches — for an addendum, the compiled integration guide, so a link from an addendum into
//! a section it inherits from its base guide is fine. A bare `#fragment` is checked against
//! the page the link is shown on.

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
    for link in &page.doc.links {
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
