//! KG052 release notes and KG061 stale addenda: the rules that compare versions.
//!
//! (KG050 and KG051, the integrity of snapshots and ledger, are checked while the ledger is
//! read, in [`crate::versions::load`].)

use std::collections::BTreeSet;
use std::path::Path;

use crate::content::Content;
use crate::diag::{self, Diagnostic};
use crate::diff::{self, ChangeKind};
use crate::versions::Releases;

/// KG052: every release whose content changed (its content digest differs from the one
/// before; the first release always) has customer notes: a body after the front matter of
/// `NOTES.md` that is more than HTML comments and white space.
pub fn notes(root: &Path, releases: &Releases, out: &mut Vec<Diagnostic>) {
    for (i, record) in releases.records.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| releases.records.get(p));
        if previous.is_some_and(|p| p.content_digest == record.content_digest) {
            continue;
        }
        let rel = format!("releases/{}/NOTES.md", record.version);
        let text = std::fs::read_to_string(root.join(&rel)).unwrap_or_default();
        let body = crate::frontmatter::split(&rel, &text).map_or(text.as_str(), |s| s.body);
        if notes_are_empty(body) {
            out.push(Diagnostic::new(
                &diag::RELEASE_NOTES_MISSING,
                &rel,
                (1, 1),
                format!("version {} changed the guidance but its release notes are empty", record.version),
                "tell customers what changed and what they must do; since the notes are part of the release, publish them with a new release",
            ));
        }
    }
}

/// Whether release notes say nothing to customers: only white space and HTML comments (a
/// comment is guidance for the author, not notes for customers).
pub fn notes_are_empty(body: &str) -> bool {
    strip_comments(body).trim().is_empty()
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    out.push_str(rest);
    out
}

/// KG061: a base section changed since the latest release, and an addendum that appends to or
/// replaces it did not change its own part — its integration text may no longer fit.
pub fn stale_addenda(latest: Option<&Content<'_>>, draft: &Content<'_>, out: &mut Vec<Diagnostic>) {
    let Some(latest) = latest else { return };
    let changes = diff::diff(Some(latest), draft);
    // (guide, integration, section) of every changed section: a set, since a site has
    // thousands of addenda and most builds change nothing.
    let changed: BTreeSet<(&str, Option<&str>, &str)> = changes
        .iter()
        .filter(|c| c.change == ChangeKind::Changed)
        .map(|c| {
            (
                c.guide.as_str(),
                c.integration.as_deref(),
                c.section.as_str(),
            )
        })
        .collect();
    for guide in &draft.guides {
        if !changed
            .iter()
            .any(|&(g, i, _)| g == guide.id && i.is_none())
        {
            continue;
        }
        let Some(before) = latest.guide(guide.id) else {
            continue;
        };
        for addendum in &guide.addenda {
            if !before.addenda.iter().any(|a| a.stem == addendum.stem) {
                continue;
            }
            for section in addendum.doc.all_sections() {
                let id = section.id.as_str();
                if changed.contains(&(guide.id, None, id))
                    && !changed.contains(&(guide.id, Some(addendum.stem), id))
                {
                    out.push(super::at(
                        &diag::STALE_ADDENDUM,
                        addendum,
                        section.offset,
                        format!(
                            "the base guide's `{}` section changed since the last release, but this addendum's part of it did not",
                            section.id
                        ),
                        "read the base section again and update this integration's text if it no longer fits (any edit clears this warning)".into(),
                    ));
                }
            }
        }
    }
}
