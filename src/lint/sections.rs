//! KG001–KG003: required sections, subsections and their substance, on every base guide and
//! every compiled integration guide.
//!
//! A base guide must contain each required section of the profile (matched by id, title or
//! alias), each with its required subsections, with at least `min_words` words per section (a
//! section counts its subsections; each subsection needs `min_subsection_words` of its own) and no
//! placeholder. An addendum must, for each required
//! section, either write it or list it in `inherit` — inheriting is a decision written down,
//! never a silent default — unless an approved exception for one of its workflows names
//! that section as compensated. A section an addendum replaces is checked like a base
//! section, since none of the base text survives.

use crate::compose::{Node, State, Tree};
use crate::content::Page;
use crate::diag::{self, Diagnostic};
use crate::frontmatter::AddendumMatter;
use crate::markdown::{Doc, Section, word_count};
use crate::profile::{Profile, Required};

use super::{Ctx, at};

/// Runs KG001–KG003.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    super::each(ctx.composed, out, |composed, out| {
        let base = &composed.guide.base;
        // Each page's findings depend on the settings, the page and (for an addendum, whose
        // compiled tree it reads) its base guide alone.
        ctx.per_page("KG001-KG003 base", &[base.file], out, |out| {
            check_base(ctx.profile, base, out);
        });
        for (page, tree) in &composed.integrations {
            ctx.per_page(
                "KG001-KG003 addendum",
                &[base.file, page.file],
                out,
                |out| {
                    check_addendum(ctx, &base.doc, page, tree, out);
                },
            );
        }
    });
}

/// The first section of `doc` that is `req`.
fn find<'d>(doc: &'d Doc, req: &Required) -> Option<&'d Section> {
    doc.all_sections().find(|s| req.matches_section(s))
}

fn check_base<M>(profile: &Profile, page: &Page<'_, M>, out: &mut Vec<Diagnostic>) {
    for req in &profile.sections {
        let Some(section) = find(&page.doc, req) else {
            out.push(at(
                &diag::MISSING_SECTION,
                page,
                0,
                format!("the base guide has no `{}` section", req.title),
                format!(
                    "add `## {} {{#{}}}` with its subsections ({})",
                    req.title,
                    req.id,
                    subsection_list(req)
                ),
            ));
            continue;
        };
        for sub in &req.subsections {
            match section.walk().skip(1).find(|s| sub.matches_section(s)) {
                Some(s) => substance(profile, page, sub, s, s.words(), out),
                None => out.push(missing_subsection(page, section.offset, req, sub)),
            }
        }
        substance(profile, page, req, section, section.words(), out);
    }
}

fn check_addendum(
    ctx: &Ctx<'_>,
    base: &Doc,
    page: &Page<'_, AddendumMatter>,
    tree: &Tree<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let profile = ctx.profile;
    check_inherit(profile, base, page, out);
    for req in &profile.sections {
        let written = find(&page.doc, req);
        // `inherit` names base section ids; a base section may be the required one by title.
        let inherited = page.matter.inherit.iter().any(|i| {
            i.get_ref() == &req.id
                || base
                    .all_sections()
                    .any(|s| &s.id == i.get_ref() && req.matches_section(s))
        });
        if written.is_none() && !inherited && !super::exceptions::excepts(ctx, page, &req.id) {
            out.push(at(
                &diag::MISSING_SECTION,
                page,
                0,
                format!(
                    "the addendum neither contains nor inherits the `{}` section",
                    req.title
                ),
                format!(
                    "add `## {} {{#{}}}` with this integration's guidance, or write `inherit = [\"{}\"]` in the front matter if the base guide's section applies unchanged",
                    req.title, req.id, req.id
                ),
            ));
        }
        // Placeholders in the addendum's own text for required (sub)sections.
        for s in page.doc.all_sections() {
            let required = std::iter::once(req)
                .chain(&req.subsections)
                .find(|r| r.matches_section(s));
            if let Some(r) = required {
                placeholders(profile, page, r, s, out);
            }
        }
        // A replaced section must stand on its own.
        let replaced = tree
            .nodes()
            .find(|n| n.state == State::Replaced && req.matches(n.id, n.title));
        if let (Some(node), Some(section)) = (replaced, written) {
            for sub in &req.subsections {
                match node.walk().skip(1).find(|n| sub.matches(n.id, n.title)) {
                    Some(n) => {
                        let s = section.walk().find(|s| s.id == n.id).unwrap_or(section);
                        thin(profile, page, sub, s.offset, node_words(n), out);
                    }
                    None => out.push(missing_subsection(page, section.offset, req, sub)),
                }
            }
            thin(profile, page, req, section.offset, node_words(node), out);
        }
    }
}

/// `inherit` may name only top-level sections the base guide has (SPEC 1.3: it takes
/// required section ids, which are top-level; a subsection comes with its section), and not
/// ones the addendum writes.
fn check_inherit(
    profile: &Profile,
    base: &Doc,
    page: &Page<'_, AddendumMatter>,
    out: &mut Vec<Diagnostic>,
) {
    for id in &page.matter.inherit {
        let offset = page.matter_offset + id.span().start;
        let name = id.get_ref();
        if !base.all_sections().any(|s| &s.id == name) {
            out.push(at(
                &diag::FRONT_MATTER,
                page,
                offset,
                format!("`inherit` names `{name}`, but the base guide has no section with that id"),
                inherit_help(profile, base, name),
            ));
        } else if let Some(top) = base
            .sections
            .iter()
            .find(|s| s.walk().skip(1).any(|x| &x.id == name))
            .filter(|_| !base.sections.iter().any(|s| &s.id == name))
        {
            out.push(at(
                &diag::FRONT_MATTER,
                page,
                offset,
                format!(
                    "`inherit` names `{name}`, a subsection of the base guide's `{}` section; `inherit` takes whole top-level sections",
                    top.title
                ),
                subsection_help(page, top, name),
            ));
        } else if page.doc.all_sections().any(|s| &s.id == name) {
            out.push(at(
                &diag::FRONT_MATTER,
                page,
                offset,
                format!("`inherit` names `{name}`, but the addendum also writes that section"),
                format!("remove `{name}` from `inherit` (the addendum's text is appended), or remove the addendum's section"),
            ));
        }
    }
}

/// Help for an `inherit` entry that names `name`, a subsection of the base section `top`.
fn subsection_help(page: &Page<'_, AddendumMatter>, top: &Section, name: &str) -> String {
    if page.matter.inherit.iter().any(|i| i.get_ref() == &top.id) {
        format!(
            "remove `{name}` from `inherit`: `{}` is there already and takes the whole `{}` section, `{name}` included",
            top.id, top.title
        )
    } else if page.doc.all_sections().any(|s| s.id == top.id) {
        format!(
            "remove `{name}` from `inherit`: the addendum writes the `{}` section, which keeps the base guide's text, `{name}` included, as it is",
            top.title
        )
    } else {
        format!(
            "write `inherit = [\"{}\"]` to take the whole `{}` section unchanged, or write `{} {} {{#{}}}` in the addendum with this integration's text (the base guide's `{name}` stays in it as it is)",
            top.id,
            top.title,
            "#".repeat(usize::from(top.level)),
            top.title,
            top.id,
        )
    }
}

/// Help for an `inherit` entry that names no section of the base guide: the ids of base
/// sections that are the required section it names (matched there by title or alias), or
/// else the ids the base guide has.
fn inherit_help(profile: &Profile, base: &Doc, name: &str) -> String {
    // A title written where the id goes (`inherit = ["Secure storage"]`) names the base
    // section with that title; else a required section's id, title or alias names the base
    // section matched to it.
    let key = crate::profile::normalise(name);
    let titled = base.sections.iter().find(|s| s.title_key == key);
    let required = || {
        let req = profile.all_required().find(|r| r.matches(name, name))?;
        base.sections.iter().find(|s| req.matches_section(s))
    };
    if let Some(section) = titled.or_else(required) {
        let write = format!(
            "the base guide's `{}` section has the id `{}`: write `inherit = [\"{}\"]`",
            section.title, section.id, section.id
        );
        // Renaming the base heading is an alternative only for a name that can be an id:
        // `{#Secure storage}` is not one.
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || "{}#".contains(c)) {
            return write;
        }
        return format!(
            "{write}, or give the base heading the id `{name}` (`{} {} {{#{name}}}`)",
            "#".repeat(usize::from(section.level)),
            section.title,
        );
    }
    let ids: Vec<String> = base
        .sections
        .iter()
        .map(|s| format!("`{}`", s.id))
        .collect();
    if ids.is_empty() {
        "the base guide has no sections to inherit; write the section in the addendum instead"
            .into()
    } else {
        format!(
            "name a top-level section id of the base guide: one of {}",
            ids.join(", ")
        )
    }
}

fn missing_subsection<M>(
    page: &Page<'_, M>,
    offset: usize,
    req: &Required,
    sub: &Required,
) -> Diagnostic {
    at(
        &diag::MISSING_SUBSECTION,
        page,
        offset,
        format!("section `{}` has no `{}` subsection", req.title, sub.title),
        format!(
            "add `### {} {{#{}}}` inside `{}`",
            sub.title, sub.id, req.title
        ),
    )
}

/// KG003 for one section: enough words, no placeholder.
fn substance<M>(
    profile: &Profile,
    page: &Page<'_, M>,
    req: &Required,
    s: &Section,
    words: usize,
    out: &mut Vec<Diagnostic>,
) {
    thin(profile, page, req, s.offset, words, out);
    placeholders(profile, page, req, s, out);
}

fn thin<M>(
    profile: &Profile,
    page: &Page<'_, M>,
    req: &Required,
    offset: usize,
    words: usize,
    out: &mut Vec<Diagnostic>,
) {
    // Required top-level sections are the profile's `sections`; the rest are subsections.
    let min = if profile.sections.iter().any(|s| s.id == req.id) {
        profile.min_words
    } else {
        profile.min_subsection_words
    };
    if words < min {
        out.push(at(
            &diag::THIN_SECTION,
            page,
            offset,
            format!(
                "section `{}` has {words} word{}; at least {} are required",
                req.title,
                diag::plural(words),
                min
            ),
            "write guidance a customer can act on: what to do, with which tools, who is responsible, and when".into(),
        ));
    }
}

fn placeholders<M>(
    profile: &Profile,
    page: &Page<'_, M>,
    req: &Required,
    s: &Section,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(word) = profile.placeholder_in(&s.text_key()) {
        out.push(at(
            &diag::THIN_SECTION,
            page,
            s.offset,
            format!("section `{}` holds the placeholder `{word}`", req.title),
            "replace the placeholder with the finished guidance before it is published".into(),
        ));
    }
}

fn node_words(node: &Node<'_>) -> usize {
    node.walk()
        .flat_map(|n| &n.parts)
        .map(|p| word_count(p.events))
        .sum()
}

fn subsection_list(req: &Required) -> String {
    req.subsections
        .iter()
        .map(|s| format!("`{}`", s.id))
        .collect::<Vec<_>>()
        .join(", ")
}
