//! Everything about published versions that is not a guide page: release notes pages with
//! section diffs, `/latest/` redirects (static pages plus a Netlify `_redirects` rule),
//! `/versions.json` for the switcher, and the Atom feeds (in [`super::feeds`]).

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::post::Post;
use super::{Context, Site, Version, feeds, links, nav};
use crate::diff::{self, Change, ChangeKind};
use crate::error::Result;
use crate::frontmatter::Date;
use crate::markdown;
use crate::output::OutputTree;
use crate::theme::Theme;

/// One release's notes and its changes from the release before.
#[derive(Debug, Clone)]
pub struct ReleaseNotes<'c> {
    /// Version label.
    pub label: &'c str,
    /// Release date.
    pub date: Date,
    /// Approver.
    pub approver: &'c str,
    /// The Markdown body of `NOTES.md`.
    pub notes: String,
    /// The previous release's label.
    pub previous: Option<&'c str>,
    /// Section changes from the previous release.
    pub changes: Vec<Change>,
}

impl ReleaseNotes<'_> {
    /// The notes as HTML.
    pub fn notes_html(&self) -> String {
        markdown::standalone_html(&self.notes)
    }
}

/// Page-specific context of the release pages and redirect pages.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Extra<'a> {
    /// `/releases/`.
    Releases {
        /// Every release, newest first.
        releases: Vec<ReleaseLink<'a>>,
    },
    /// `/releases/<version>/`.
    Release {
        /// The release shown.
        release: Box<ReleaseCtx<'a>>,
    },
    /// `/latest/...`.
    Redirect {
        /// Where the page sends the reader.
        target: String,
    },
}

/// A release in the index.
#[derive(Serialize)]
pub struct ReleaseLink<'a> {
    label: &'a str,
    title: String,
    date: String,
    approver: &'a str,
    url: String,
    latest: bool,
}

/// One release page.
#[derive(Serialize)]
pub struct ReleaseCtx<'a> {
    label: &'a str,
    title: String,
    date: String,
    approver: &'a str,
    latest: bool,
    site_url: String,
    notes_html: String,
    previous: Option<&'a str>,
    previous_url: Option<String>,
    next: Option<&'a str>,
    next_url: Option<String>,
    documents: Vec<DocumentChanges>,
}

/// The changes to one guide or integration.
#[derive(Serialize)]
pub struct DocumentChanges {
    pub(super) title: String,
    pub(super) guide: String,
    pub(super) integration: Option<String>,
    pub(super) url: Option<String>,
    pub(super) sections: Vec<SectionChange>,
}

/// One changed section.
#[derive(Serialize)]
pub struct SectionChange {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) change: ChangeKind,
    pub(super) diff_html: String,
}

/// The output path of an integration's own feed.
pub fn feed_path(guide: &str, integration: &str) -> String {
    format!("feeds/{guide}/{integration}.xml")
}

/// Writes release pages, redirects, versions.json and feeds into `out`.
/// The release pages, `versions.json`, the feeds and the `/latest/` redirects; the redirect
/// pages come post-processed by `post` and are added to `processed`; with `keep` (the store
/// and the digest of the site's shape), redirect pages and feeds an earlier build kept are
/// reused.
pub fn render(
    site: &Site<'_>,
    theme: &Theme,
    post: &Post<'_>,
    out: &mut OutputTree,
    processed: &mut HashSet<String>,
    keep: Option<(crate::stored::Keep<'_>, &crate::memo::Digest)>,
) -> Result<()> {
    let mut index = Context::new(site, "releases/", "releases");
    index.nav = site
        .latest()
        .map(|v| nav(v, "releases/", None))
        .unwrap_or_default();
    index.extra = Some(Extra::Releases {
        releases: site
            .notes
            .iter()
            .map(|n| ReleaseLink {
                label: n.label,
                title: format!("Version {}", n.label),
                date: n.date.to_string(),
                approver: n.approver,
                url: format!("{}/", n.label),
                latest: site.latest().is_some_and(|l| l.label == n.label),
            })
            .collect(),
    });
    out.insert(
        "releases/index.html".into(),
        theme.render("releases.html", &index)?.into_bytes(),
    )?;
    // Each release's page in parallel: with 50 releases, rendering them one after another
    // was a tenth of a build that reuses every version.
    use rayon::prelude::*;
    let pages: Vec<Result<(String, Vec<u8>)>> = (site.notes.par_iter().enumerate())
        .map(|(i, notes)| {
            let dir = format!("releases/{}/", notes.label);
            let mut ctx = Context::new(site, &dir, "release");
            ctx.nav = site
                .latest()
                .map(|v| nav(v, &dir, None))
                .unwrap_or_default();
            let next = i
                .checked_sub(1)
                .and_then(|n| site.notes.get(n))
                .map(|n| n.label);
            ctx.extra = Some(Extra::Release {
                release: Box::new(ReleaseCtx {
                    label: notes.label,
                    title: format!("Version {}", notes.label),
                    date: notes.date.to_string(),
                    approver: notes.approver,
                    latest: site.latest().is_some_and(|l| l.label == notes.label),
                    site_url: links::relative(&dir, &format!("{}/", notes.label)),
                    notes_html: notes.notes_html(),
                    previous: notes.previous,
                    previous_url: notes.previous.map(|p| format!("../{p}/")),
                    next,
                    next_url: next.map(|n| format!("../{n}/")),
                    documents: documents(site, notes, &dir),
                }),
            });
            let page = theme.render("release.html", &ctx)?.into_bytes();
            Ok((format!("{dir}index.html"), page))
        })
        .collect();
    for page in pages {
        let (path, bytes) = page?;
        out.insert(path, bytes)?;
    }
    if let Some(latest) = site.latest() {
        redirects(site, theme, post, latest, out, processed, keep)?;
    }
    out.insert("versions.json".into(), versions_json(site))?;
    feeds::render(site, out, keep)
}

/// The changes of one release, grouped per document, with links into that version. A first
/// release lists every document it publishes, with no sections: all of it is new, and the
/// guides themselves are one link away.
pub(super) fn documents(
    site: &Site<'_>,
    notes: &ReleaseNotes<'_>,
    dir: &str,
) -> Vec<DocumentChanges> {
    let version = site.versions.iter().find(|v| v.label == notes.label);
    let mut grouped: BTreeMap<(String, Option<String>), Vec<&Change>> = BTreeMap::new();
    for c in &notes.changes {
        grouped
            .entry((c.guide.clone(), c.integration.clone()))
            .or_default()
            .push(c);
    }
    if notes.previous.is_none() {
        for g in version.map_or(&[][..], |v| v.guides) {
            let id = g.guide.id.to_owned();
            grouped.entry((id.clone(), None)).or_default();
            for (page, _) in &g.integrations {
                grouped
                    .entry((id.clone(), Some(page.stem.to_owned())))
                    .or_default();
            }
        }
    }
    grouped
        .into_iter()
        .map(|((guide, integration), changes)| {
            let title = version
                .and_then(|v| document_title(v, &guide, integration.as_deref()))
                .unwrap_or_else(|| match &integration {
                    Some(i) => format!("{guide}/{i}"),
                    None => guide.clone(),
                });
            let url = version
                .and_then(|v| v.page_dir(&guide, integration.as_deref()))
                .map(|to| links::relative(dir, &to));
            DocumentChanges {
                title,
                guide,
                integration,
                url,
                sections: changes.into_iter().map(section_change).collect(),
            }
        })
        .collect()
}

fn section_change(c: &Change) -> SectionChange {
    let (old, new) = (
        c.old.as_deref().unwrap_or(""),
        c.new.as_deref().unwrap_or(""),
    );
    let diff_html = match c.change {
        ChangeKind::Changed => diff::word_diff_html(old, new),
        ChangeKind::Added => diff::escape(new),
        ChangeKind::Removed => diff::escape(old),
    };
    SectionChange {
        id: c.section.clone(),
        title: c.title.clone(),
        change: c.change,
        diff_html,
    }
}

/// The title of a guide or integration page in `v`.
pub(super) fn document_title(
    v: &Version<'_>,
    guide: &str,
    integration: Option<&str>,
) -> Option<String> {
    let g = v.guides.iter().find(|g| g.guide.id == guide)?;
    match integration {
        None => Some(g.guide.base.matter.title.clone()),
        Some(stem) => g
            .integrations
            .iter()
            .find(|(p, _)| p.stem == stem)
            .map(|(p, _)| p.matter.title.clone()),
    }
}

/// `/latest/...`: a static redirect page for every page of the latest release (the script
/// it loads keeps the `#fragment`), and the `_redirects` rule Netlify applies first. One per
/// page of the site, so they are rendered and post-processed in parallel, each in one task.
///
/// The pages depend on nothing but the site's shape (configuration, theme, every version's
/// label and pages: [`super::site_key`]), so `keyguide build` keeps them like a released
/// version's folder ([`crate::stored`]) and publishes them again while that shape is the same.
fn redirects(
    site: &Site<'_>,
    theme: &Theme,
    post: &Post<'_>,
    latest: &Version<'_>,
    out: &mut OutputTree,
    processed: &mut HashSet<String>,
    keep: Option<(crate::stored::Keep<'_>, &crate::memo::Digest)>,
) -> Result<()> {
    let base = &site.config.base_path;
    let rule = format!("{base}latest/*  {base}{}/:splat  302!\n", latest.label);
    out.insert("_redirects".into(), rule.into_bytes())?;
    let mut dirs = vec![String::new()];
    for g in latest.guides {
        dirs.push(format!("{}/", g.guide.id));
        for (p, _) in &g.integrations {
            dirs.push(format!("{}/{}/", g.guide.id, p.stem));
        }
    }
    if let Some((keep, site_key)) = keep {
        let key = crate::memo::digest_of(&[site_key, b"/latest/ redirect pages"]);
        let pages: Vec<String> = dirs.iter().map(|d| format!("{d}index.html")).collect();
        if let Some(files) = keep.get(&key, "latest/", &pages, false) {
            for (path, file) in files {
                processed.insert(path.clone());
                out.insert_stored(path, file)?;
            }
            return Ok(());
        }
    }
    let maker = out.maker();
    let pages: Vec<Result<(String, crate::output::Made)>> = dirs
        .par_iter()
        .map(|rest| {
            let dir = format!("latest/{rest}");
            let mut ctx = Context::new(site, &dir, "redirect");
            ctx.extra = Some(Extra::Redirect {
                target: links::relative(&dir, &format!("{}/{rest}", latest.label)),
            });
            let path = format!("{dir}index.html");
            let html = post.process(&path, &theme.render("redirect.html", &ctx)?)?;
            let made = maker.make(&path, html.into_bytes())?;
            Ok((path, made))
        })
        .collect();
    for page in pages {
        let (path, made) = page?;
        processed.insert(path.clone());
        out.insert_made(path, made)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct VersionsJson<'a> {
    latest: Option<&'a str>,
    versions: Vec<VersionEntry<'a>>,
}

#[derive(Serialize)]
struct VersionEntry<'a> {
    version: &'a str,
    date: String,
    approver: &'a str,
    url: String,
}

/// `/versions.json`: published versions, newest first (SPEC 11).
fn versions_json(site: &Site<'_>) -> Vec<u8> {
    let json = VersionsJson {
        latest: site.latest().map(|v| v.label.as_str()),
        versions: site
            .notes
            .iter()
            .map(|n| VersionEntry {
                version: n.label,
                date: n.date.to_string(),
                approver: n.approver,
                url: format!("{}{}/", site.config.base_path, n.label),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
