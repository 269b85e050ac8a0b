//! Section-level differences between two versions of the content.
//!
//! Input: two parsed content trees (a release's frozen copy, or the draft). Output: the
//! sections added, removed and changed, per base guide (`integration: None`) and per
//! addendum, sorted by guide, integration and section id. Sections are compared by id, on
//! normalised text (title and own body, whitespace collapsed), so re-wrapping or re-indenting
//! a paragraph is no change. Text before a page's first heading is not a section and is not
//! compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::content::Content;
use crate::markdown::{Doc, Section};
use crate::memo::Digest;

/// How a section differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
    /// In both, with different text.
    Changed,
}

/// One changed section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Guide id.
    pub guide: String,
    /// Addendum stem, or none for the base guide.
    pub integration: Option<String>,
    /// Section id.
    pub section: String,
    /// What happened to it.
    pub change: ChangeKind,
    /// The section's title (the newer one when both exist).
    #[serde(skip)]
    pub title: String,
    /// Normalised text in the older version.
    #[serde(skip)]
    pub old: Option<String>,
    /// Normalised text in the newer version.
    #[serde(skip)]
    pub new: Option<String>,
}

/// One file of the content folder that differs between two versions. Sections tell
/// customers what changed; files also catch what sections do not show (an inventory, an
/// asset, a title in front matter), so a change there is still a change to release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    /// Path relative to the content folder, `/`-separated.
    pub path: String,
    /// What happened to it.
    pub change: ChangeKind,
}

/// The files added, removed and changed (byte for byte) from `old` to `new`, sorted by path.
pub fn files(old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> Vec<FileChange> {
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let change = match (old.get(path), new.get(path)) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(a), Some(b)) if a != b => ChangeKind::Changed,
                _ => return None,
            };
            Some(FileChange {
                path: path.clone(),
                change,
            })
        })
        .collect()
}

/// Both views of what changed between two versions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Comparison {
    /// The older version's label (`latest` resolved to the version it names).
    pub from: String,
    /// The newer version's label, or `draft`.
    pub to: String,
    /// Section changes, what customers read.
    pub changes: Vec<Change>,
    /// File changes, everything a release freezes.
    pub files: Vec<FileChange>,
}

/// Section id → (title, normalised text) of one page.
type Sections = BTreeMap<String, (String, String)>;

fn sections(doc: Option<&Doc>) -> Sections {
    doc.into_iter()
        .flat_map(Doc::all_sections)
        .map(|s| (s.id.clone(), (s.title.clone(), normalised(s))))
        .collect()
}

/// A section's own text with whitespace collapsed.
pub fn normalised(s: &Section) -> String {
    s.own_text()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A page as the diff sees it: its file's digest and its section tree.
type PageRef<'c> = (&'c Digest, &'c Doc);

/// Every page of `content`: (guide, integration) → the page.
fn pages<'c>(content: &'c Content<'_>) -> BTreeMap<(&'c str, Option<&'c str>), PageRef<'c>> {
    let mut out = BTreeMap::new();
    for g in &content.guides {
        out.insert((g.id, None), (&g.base.file.digest, &*g.base.doc));
        for a in &g.addenda {
            out.insert((g.id, Some(a.stem)), (&a.file.digest, &*a.doc));
        }
    }
    out
}

/// The differences from `old` (none: an empty site) to `new`. A page whose file did not
/// change byte for byte is not compared section by section: most of a release is untouched.
pub fn diff(old: Option<&Content<'_>>, new: &Content<'_>) -> Vec<Change> {
    let old = old.map(pages).unwrap_or_default();
    let new = pages(new);
    let mut changes = Vec::new();
    let keys: std::collections::BTreeSet<_> = old.keys().chain(new.keys()).collect();
    for key @ (guide, integration) in keys {
        let (before, after) = (old.get(key), new.get(key));
        if let (Some((a, _)), Some((b, _))) = (before, after)
            && a == b
        {
            continue;
        }
        let before = sections(before.map(|(_, doc)| *doc));
        let after = sections(after.map(|(_, doc)| *doc));
        let ids: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for id in ids {
            let (b, a) = (before.get(id), after.get(id));
            let change = match (b, a) {
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (Some(x), Some(y)) if x != y => ChangeKind::Changed,
                _ => continue,
            };
            changes.push(Change {
                guide: (*guide).to_owned(),
                integration: integration.map(str::to_owned),
                section: id.clone(),
                change,
                title: a.or(b).map(|(t, _)| t.clone()).unwrap_or_default(),
                old: b.map(|(_, t)| t.clone()),
                new: a.map(|(_, t)| t.clone()),
            });
        }
    }
    changes
}

/// Words of unchanged context kept on each side of a change in [`word_diff_html`].
const CONTEXT_WORDS: usize = 12;

/// An inline word diff of `old` → `new` as HTML: `<del>` and `<ins>` around changed words,
/// with long unchanged stretches shortened to `…` so the change stands out.
pub fn word_diff_html(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_words(old, new);
    let changes: Vec<_> = diff.iter_all_changes().collect();
    let mut html = String::new();
    let mut i = 0;
    while i < changes.len() {
        let tag = changes[i].tag();
        let run_end = changes[i..]
            .iter()
            .position(|c| c.tag() != tag)
            .map_or(changes.len(), |n| i + n);
        let text: String = changes[i..run_end].iter().map(|c| c.value()).collect();
        match tag {
            similar::ChangeTag::Equal => {
                html.push_str(&escape(&shorten(&text, i == 0, run_end == changes.len())))
            }
            similar::ChangeTag::Delete => html.push_str(&format!("<del>{}</del>", escape(&text))),
            similar::ChangeTag::Insert => html.push_str(&format!("<ins>{}</ins>", escape(&text))),
        }
        i = run_end;
    }
    html
}

/// Unchanged text between changes: the words next to a change are kept, the rest elided.
fn shorten(text: &str, at_start: bool, at_end: bool) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let keep_head = if at_start { 0 } else { CONTEXT_WORDS };
    let keep_tail = if at_end { 0 } else { CONTEXT_WORDS };
    if words.len() <= keep_head + keep_tail + 1 {
        return text.to_owned();
    }
    let head = words[..keep_head].join(" ");
    let tail = words[words.len() - keep_tail..].join(" ");
    format!(
        "{head}{}…{}{tail}",
        if keep_head > 0 { " " } else { "" },
        if keep_tail > 0 { " " } else { "" }
    )
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_only_changed_words() {
        let html = word_diff_html("rotate every year", "rotate every 90 days");
        assert!(html.contains("<del>year</del>"), "{html}");
        assert!(html.contains("<ins>90 days</ins>"), "{html}");
        assert!(html.starts_with("rotate every "));
        let long = "a b c d e f g h i j k l m n o p q r s t";
        let html = word_diff_html(&format!("{long} x {long}"), &format!("{long} y {long}"));
        assert!(html.starts_with("…"), "{html}");
        assert!(html.ends_with("…"), "{html}");
    }
}
