//! Composition: a base guide and one integration addendum become a compiled guide.
//!
//! Input: the base guide's [`Doc`] and an addendum's [`Doc`] and front matter. Output: a
//! [`Tree`] of [`Node`]s whose parts remember where their text came from, plus findings.
//! The rules (SPEC 1.3), applied to every addendum section in document order:
//!
//! - an id that matches a base section anywhere in the tree **appends**: the base text,
//!   then the addendum's; the addendum's subsections are merged the same way;
//! - `{#id .replace}` **replaces** the base section and everything under it, allowed only
//!   where the base heading says `.replaceable` (else KG060, and the text is appended);
//! - a new id is **added**: under the parent it was written in when that parent matched a
//!   base section, else after the base guide's sections;
//! - ids listed in `inherit` are marked **inherited**: the base text, unchanged, by an
//!   explicit decision of the author.
//!
//! The same [`Tree`] type describes a base guide page (every node [`State::Own`]), so one
//! renderer serves both kinds of page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use rayon::prelude::*;

use crate::content::{Content, Guide, Page};
use crate::diag::{self, Diagnostic, LineIndex};
use crate::frontmatter::AddendumMatter;
use crate::markdown::{Doc, Events, Section};

/// Where a part of a page's text was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The base guide (`_index.md`).
    Base,
    /// The integration addendum.
    Addendum,
}

/// How a section of a compiled guide came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The base guide's section, unchanged (and not named by the addendum).
    Own,
    /// The base text followed by the addendum's.
    Appended,
    /// The addendum's text instead of the base's.
    Replaced,
    /// A section only the addendum has.
    Added,
    /// The base text, taken unchanged because the addendum lists it in `inherit`.
    Inherited,
}

/// A run of events from one source.
#[derive(Debug, Clone, Copy)]
pub struct Part<'d> {
    /// Where the events were written.
    pub origin: Origin,
    /// The events.
    pub events: &'d Events,
}

/// A section of a page, with the source of each of its parts.
#[derive(Debug, Clone)]
pub struct Node<'d> {
    /// Stable id.
    pub id: &'d str,
    /// Heading level, 1–6.
    pub level: u8,
    /// Plain-text title.
    pub title: &'d str,
    /// The title's inline events.
    pub title_events: &'d Events,
    /// Where the title was written: an added or replacing section's heading is the
    /// addendum's (its footnotes are the addendum's too).
    pub title_origin: Origin,
    /// How the section came to be.
    pub state: State,
    /// Whether the base heading allows `.replace`.
    pub replaceable: bool,
    /// The section's own text, in order.
    pub parts: Vec<Part<'d>>,
    /// Subsections.
    pub children: Vec<Node<'d>>,
}

/// A page's content: the text before the first heading, then the sections.
#[derive(Debug, Clone, Default)]
pub struct Tree<'d> {
    /// Parts before the first heading.
    pub intro: Vec<Part<'d>>,
    /// Top-level sections.
    pub sections: Vec<Node<'d>>,
}

impl<'d> Tree<'d> {
    /// A base guide's own page.
    pub fn of_base(doc: &'d Doc) -> Tree<'d> {
        Tree {
            intro: part(Origin::Base, &doc.intro).into_iter().collect(),
            sections: doc
                .sections
                .iter()
                .map(|s| Node::from(s, Origin::Base, State::Own))
                .collect(),
        }
    }

    /// Every node, depth first in document order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node<'d>> {
        self.sections.iter().flat_map(Node::walk)
    }

    /// The node at `path` (indices from the top-level sections down).
    fn at_mut(&mut self, path: &[usize]) -> Option<&mut Node<'d>> {
        let (first, rest) = path.split_first()?;
        let mut node = self.sections.get_mut(*first)?;
        for i in rest {
            node = node.children.get_mut(*i)?;
        }
        Some(node)
    }
}

/// Where each section id sits in a tree being composed, so that merging an addendum of n
/// sections takes time linear in n rather than searching the whole tree for each one. The
/// first node of an id in document order wins, as a search would find it.
#[derive(Default)]
struct Index<'d> {
    paths: HashMap<&'d str, Vec<usize>>,
}

impl<'d> Index<'d> {
    fn of(tree: &Tree<'d>) -> Index<'d> {
        let mut index = Index::default();
        for (i, node) in tree.sections.iter().enumerate() {
            index.add(node, vec![i]);
        }
        index
    }

    /// Records `node` (at `path`) and everything below it.
    fn add(&mut self, node: &Node<'d>, path: Vec<usize>) {
        for (i, child) in node.children.iter().enumerate() {
            let mut below = path.clone();
            below.push(i);
            self.add(child, below);
        }
        self.paths.entry(node.id).or_insert(path);
    }

    /// Forgets `node` (at `path`) and everything below it.
    fn remove(&mut self, node: &Node<'d>, path: &[usize]) {
        for n in node.walk() {
            if self.paths.get(n.id).is_some_and(|p| p.starts_with(path)) {
                self.paths.remove(n.id);
            }
        }
    }

    fn path(&self, id: &str) -> Option<Vec<usize>> {
        self.paths.get(id).cloned()
    }
}

impl<'d> Node<'d> {
    fn from(s: &'d Section, origin: Origin, state: State) -> Node<'d> {
        Node {
            id: &s.id,
            level: s.level,
            title: &s.title,
            title_events: &s.title_events,
            title_origin: origin,
            state,
            replaceable: s.has_class("replaceable"),
            parts: part(origin, &s.body).into_iter().collect(),
            children: s
                .children
                .iter()
                .map(|c| Node::from(c, origin, state))
                .collect(),
        }
    }

    /// This node and all below it, depth first.
    pub fn walk(&self) -> Box<dyn Iterator<Item = &Node<'d>> + '_> {
        Box::new(std::iter::once(self).chain(self.children.iter().flat_map(Node::walk)))
    }
}

/// A part holding `events`, or none when there are no events (an empty body adds nothing).
fn part(origin: Origin, events: &Events) -> Option<Part<'_>> {
    (!events.is_empty()).then_some(Part { origin, events })
}

/// A guide's pages, composed: the base guide and each compiled integration guide.
#[derive(Debug)]
pub struct ComposedGuide<'c> {
    /// The parsed guide.
    pub guide: &'c Guide<'c>,
    /// The base guide's page.
    pub base: Arc<Tree<'c>>,
    /// Each addendum with its compiled guide, sorted by stem.
    pub integrations: Vec<(&'c Page<'c, AddendumMatter>, Arc<Tree<'c>>)>,
}

/// Pages composed for one version, shared with the other versions of the same build. A
/// release snapshot holds mostly the draft's texts, and the memo parses each distinct text
/// once into one [`Doc`] ([`crate::memo`]): a base guide, or a base guide and addendum pair,
/// composed for one version is the same tree in every version that holds the same two
/// texts. With 50 releases, composing each version afresh was a tenth of a build.
///
/// Trees are keyed by the identity of the shared [`Doc`]s (which all outlive the build), and
/// only a composition without findings is shared: a finding names the file of the version
/// it was found in.
#[derive(Default)]
pub struct Shared<'c> {
    /// Base guide pages, by their body's identity.
    bases: Trees<'c, usize>,
    /// Compiled guides, by the base guide's and the addendum's identities and `inherit`.
    compiled: Trees<'c, (usize, usize, Vec<String>)>,
}

/// Composed trees by what they were composed from.
type Trees<'c, K> = Mutex<HashMap<K, Arc<Tree<'c>>>>;

/// The identity of a parsed page body.
fn identity(doc: &Arc<Doc>) -> usize {
    Arc::as_ptr(doc) as usize
}

/// The value kept in `table` under `key`, else the one `make` gives, kept when `keep` says
/// so. `make` runs outside the lock, so parallel callers never wait for each other's work.
fn shared<K: std::hash::Hash + Eq, T, R>(
    table: &Mutex<HashMap<K, Arc<T>>>,
    key: K,
    make: impl FnOnce() -> (T, R),
    keep: impl FnOnce(&R) -> bool,
) -> (Arc<T>, Option<R>) {
    let lock = || table.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = lock().get(&key) {
        return (Arc::clone(kept), None);
    }
    let (value, rest) = make();
    let value = Arc::new(value);
    if keep(&rest) {
        lock().insert(key, Arc::clone(&value));
    }
    (value, Some(rest))
}

/// Composes every guide of `content`, reusing what other versions composed (`shared`);
/// findings are appended to `diags`.
pub fn compose<'c>(
    content: &'c Content<'c>,
    shared_trees: &Shared<'c>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ComposedGuide<'c>> {
    let composed: Vec<(ComposedGuide<'c>, Vec<Diagnostic>)> = content
        .guides
        .par_iter()
        .map(|guide| {
            let mut found = Vec::new();
            let integrations = guide
                .addenda
                .iter()
                .map(|page| {
                    let addendum = Addendum {
                        rel: &page.file.rel,
                        text: &page.file.text,
                        doc: &page.doc,
                        inherit: &page.matter.inherit,
                    };
                    let inherit = page.matter.inherit.iter();
                    let key = (
                        identity(&guide.base.doc),
                        identity(&page.doc),
                        inherit.map(|i| i.get_ref().clone()).collect(),
                    );
                    let (tree, d) = shared(
                        &shared_trees.compiled,
                        key,
                        || compile(&guide.base.doc, &addendum),
                        Vec::is_empty,
                    );
                    found.extend(d.into_iter().flatten());
                    (page, tree)
                })
                .collect();
            let (base, _) = shared(
                &shared_trees.bases,
                identity(&guide.base.doc),
                || (Tree::of_base(&guide.base.doc), ()),
                |()| true,
            );
            (
                ComposedGuide {
                    guide,
                    base,
                    integrations,
                },
                found,
            )
        })
        .collect();
    composed
        .into_iter()
        .map(|(guide, found)| {
            diags.extend(found);
            guide
        })
        .collect()
}

/// The addendum being merged, with what is needed to report findings in it.
pub struct Addendum<'d> {
    /// Site-relative path of the addendum.
    pub rel: &'d str,
    /// The addendum's full text, for line numbers.
    pub text: &'d str,
    /// The parsed addendum.
    pub doc: &'d Doc,
    /// Section ids the addendum inherits unchanged.
    pub inherit: &'d [toml::Spanned<String>],
}

/// Compiles `addendum` into the base guide `base`.
pub fn compile<'d>(base: &'d Doc, addendum: &Addendum<'d>) -> (Tree<'d>, Vec<Diagnostic>) {
    let mut tree = Tree::of_base(base);
    tree.intro
        .extend(part(Origin::Addendum, &addendum.doc.intro));
    let index = Index::of(&tree);
    let mut merge = Merge {
        tree: &mut tree,
        index,
        addendum,
        diagnostics: Vec::new(),
    };
    for section in &addendum.doc.sections {
        merge.section(section, None);
    }
    let Merge {
        index, diagnostics, ..
    } = merge;
    for id in addendum.inherit {
        let path = index.path(id.get_ref()).unwrap_or_default();
        if let Some(node) = tree.at_mut(&path) {
            if node.state == State::Own {
                node.state = State::Inherited;
            }
        }
    }
    (tree, diagnostics)
}

/// The state of one composition while it runs.
struct Merge<'t, 'd> {
    tree: &'t mut Tree<'d>,
    index: Index<'d>,
    addendum: &'t Addendum<'d>,
    diagnostics: Vec<Diagnostic>,
}

impl<'d> Merge<'_, 'd> {
    /// Merges one addendum section whose parent section (when nested) has id `parent`.
    fn section(&mut self, s: &'d Section, parent: Option<&str>) {
        let replace = s.has_class("replace");
        let path = self.index.path(&s.id).unwrap_or_default();
        let Some(target) = self.tree.at_mut(&path) else {
            let added = Node::from(s, Origin::Addendum, State::Added);
            let mut at = parent.and_then(|p| self.index.path(p)).unwrap_or_default();
            let siblings = match self.tree.at_mut(&at) {
                Some(p) => &mut p.children,
                None => {
                    at.clear();
                    &mut self.tree.sections
                }
            };
            at.push(siblings.len());
            self.index.add(&added, at);
            siblings.push(added);
            return;
        };
        if replace && target.replaceable {
            let replaceable = target.replaceable;
            self.index.remove(target, &path);
            *target = Node::from(s, Origin::Addendum, State::Replaced);
            target.replaceable = replaceable;
            self.index.add(target, path);
            return;
        }
        if replace {
            // Indexed only here: most addenda have no finding, and indexing every line of
            // every addendum of every release was a tenth of composing them.
            let text = self.addendum.text;
            let at = LineIndex::new(text).line_col(text, s.offset);
            self.diagnostics.push(Diagnostic::new(
                &diag::INVALID_REPLACE,
                self.addendum.rel,
                at,
                format!(
                    "section `{}` uses `.replace`, but the base guide does not mark it `.replaceable`",
                    s.id
                ),
                format!(
                    "remove `.replace` to append to the base text, or mark the base heading `{{#{} .replaceable}}` if integrations may replace it",
                    s.id
                ),
            ));
        }
        target.state = State::Appended;
        target.parts.extend(part(Origin::Addendum, &s.body));
        for child in &s.children {
            self.section(child, Some(&s.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page body from byte `at` of `text`, parsed.
    fn parse(text: &str, at: usize) -> Doc {
        crate::markdown::parse(&std::sync::Arc::new(text.to_owned()), at)
    }

    fn states(tree: &Tree<'_>) -> Vec<(String, State)> {
        tree.nodes().map(|n| (n.id.to_owned(), n.state)).collect()
    }

    #[test]
    fn appends_replaces_adds_and_inherits() {
        let base = parse(
            "## A {#a}\nbase a\n### A1 {#a1}\nbase a1\n## B {#b .replaceable}\nbase b\n## C {#c}\nbase c\n",
            0,
        );
        let text = "### A1 {#a1}\nadd a1\n## B {#b .replace}\nnew b\n## N {#n}\nnew\n";
        let doc = parse(text, 0);
        let inherit = vec![toml::Spanned::new(0..0, "c".to_owned())];
        let add = Addendum {
            rel: "x.md",
            text,
            doc: &doc,
            inherit: &inherit,
        };
        let (tree, diags) = compile(&base, &add);
        assert!(diags.is_empty());
        assert_eq!(
            states(&tree),
            [
                ("a".into(), State::Own),
                ("a1".into(), State::Appended),
                ("b".into(), State::Replaced),
                ("c".into(), State::Inherited),
                ("n".into(), State::Added),
            ]
        );
        let a1 = tree.nodes().nth(1).map(|n| n.parts.len());
        assert_eq!(a1, Some(2));
    }

    #[test]
    fn replace_without_replaceable_is_reported_and_appends() {
        let base = parse("## A {#a}\nbase\n", 0);
        let text = "+++\n+++\n## A {#a .replace}\nnew\n";
        let doc = parse(text, 8);
        let add = Addendum {
            rel: "x.md",
            text,
            doc: &doc,
            inherit: &[],
        };
        let (tree, diags) = compile(&base, &add);
        assert_eq!(diags.len(), 1);
        assert_eq!((diags[0].rule, diags[0].line), ("KG060", 3));
        assert_eq!(tree.sections[0].state, State::Appended);
    }
}
