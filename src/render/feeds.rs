//! Atom 1.0 feeds of the release notes: `/releases.xml` for the whole site, and
//! `/feeds/<guide>/<integration>.xml` for customers who follow one integration (its entries:
//! the releases that changed that integration or its base guide). Entry ids are the release
//! pages' URLs, so they never change; `updated` is the release date, never the clock.

use std::collections::HashMap;

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use rayon::prelude::*;

use super::Site;
use super::releases::{DocumentChanges, ReleaseNotes, documents, feed_path};
use crate::error::Result;
use crate::output::OutputTree;

/// Writes every feed: `releases.xml`, and one per integration page of any version built
/// (each page links its feed). With nothing released yet they are valid feeds without
/// entries, so a reader can subscribe before the first release.
///
/// The per-integration feeds depend on the site's shape ([`super::site_key`]), every
/// version's sources (titles, and the changes between releases) and every release's notes:
/// with `keep` (the store and the site's shape), `keyguide build` keeps them like a released
/// version's folder and publishes them again while those are the same.
pub fn render(
    site: &Site<'_>,
    out: &mut OutputTree,
    keep: Option<(crate::stored::Keep<'_>, &crate::memo::Digest)>,
) -> Result<()> {
    let base = &site.config.base_url;
    // Each release's changes, grouped per document and rendered once: every feed shares them.
    let docs: Vec<Vec<DocumentChanges>> =
        site.notes.iter().map(|n| documents(site, n, "")).collect();
    // Each release's notes as HTML, made once for the thousands of feeds that show them.
    let notes: Vec<(&ReleaseNotes<'_>, String)> =
        site.notes.iter().map(|n| (n, n.notes_html())).collect();
    let all: Vec<Entry> = notes
        .iter()
        .zip(&docs)
        .map(|(n, d)| entry(site, n, &d.iter().collect::<Vec<_>>(), None))
        .collect();
    let title = format!("{} — release notes", site.config.title);
    out.insert(
        "releases.xml".into(),
        feed(site, &title, &format!("{base}/releases.xml"), all),
    )?;
    // A document's changes by (guide, integration), per release: a feed takes its guide's
    // base page and its own integration page, found directly rather than by a scan of every
    // document of every release for each of thousands of feeds.
    let by_page: Vec<HashMap<(&str, Option<&str>), &DocumentChanges>> = docs
        .iter()
        .map(|d| {
            d.iter()
                .map(|c| ((c.guide.as_str(), c.integration.as_deref()), c))
                .collect()
        })
        .collect();
    // Every integration page of every version built links its feed: an integration only in
    // the draft or only in an older release has one too. Titled as in the latest release,
    // else as in the newest version that has it.
    let mut seen = std::collections::HashSet::new();
    let pages: Vec<(&str, &crate::content::Page<'_, _>)> = site
        .latest()
        .into_iter()
        .chain(&site.versions)
        .flat_map(|v| {
            v.guides.iter().flat_map(|g| {
                g.integrations
                    .iter()
                    .map(move |(page, _)| (g.guide.id, *page))
            })
        })
        .filter(|(guide, page)| seen.insert((*guide, page.stem)))
        .collect();
    if let Some((keep, site_key)) = keep {
        let mut inputs: Vec<&[u8]> = vec![site_key, b"per-integration feeds"];
        inputs.extend(site.versions.iter().map(|v| v.sources.as_slice()));
        inputs.extend(site.notes.iter().map(|n| n.notes.as_bytes()));
        let key = crate::memo::digest_of(&inputs);
        let expected: Vec<String> = (pages.iter())
            .map(|(guide, page)| feed_path(guide, page.stem)["feeds/".len()..].to_owned())
            .collect();
        if let Some(files) = keep.get(&key, "feeds/", &expected, false) {
            for (path, file) in files {
                out.insert_stored(path, file)?;
            }
            return Ok(());
        }
    }
    let maker = out.maker();
    let feeds: Vec<Result<(String, crate::output::Made)>> = pages
        .par_iter()
        .map(|&(guide, page)| {
            let only = (guide, page.stem);
            let entries: Vec<Entry> = notes
                .iter()
                .zip(&by_page)
                .filter_map(|(n, d)| {
                    let mine: Vec<&DocumentChanges> = [None, Some(only.1)]
                        .into_iter()
                        .filter_map(|i| d.get(&(only.0, i)).copied())
                        .collect();
                    (!mine.is_empty()).then(|| entry(site, n, &mine, Some(only)))
                })
                .collect();
            let path = feed_path(only.0, only.1);
            let title = format!(
                "{} — {} — release notes",
                site.config.title, page.matter.title
            );
            let bytes = feed(site, &title, &format!("{base}/{path}"), entries);
            let made = maker.make(&path, bytes)?;
            Ok((path, made))
        })
        .collect();
    for made in feeds {
        let (path, made) = made?;
        out.insert_made(path, made)?;
    }
    Ok(())
}

/// One release (with its notes as HTML) as an entry showing the changes of `docs`; `only`
/// names the integration of a per-integration feed.
fn entry(
    site: &Site<'_>,
    (notes, notes_html): &(&ReleaseNotes<'_>, String),
    docs: &[&DocumentChanges],
    only: Option<(&str, &str)>,
) -> Entry {
    let url = format!("{}/releases/{}/", site.config.base_url, notes.label);
    let mut html = notes_html.clone();
    if notes.previous.is_none() {
        html.push_str("<p>First published version: every guide below is new.</p>");
    }
    for d in docs {
        html.push_str(&format!("<h2>{}</h2>", crate::diff::escape(&d.title)));
        if d.sections.is_empty() {
            continue;
        }
        html.push_str("<ul>");
        for s in &d.sections {
            html.push_str(&format!(
                "<li><strong>{}</strong> ({:?}): {}</li>",
                crate::diff::escape(&s.title),
                s.change,
                s.diff_html
            ));
        }
        html.push_str("</ul>");
    }
    let id = match only {
        Some((g, i)) => format!("{url}#{g}/{i}"),
        None => url.clone(),
    };
    Entry {
        id,
        title: Text::plain(format!(
            "Version {} ({}), approved by {}",
            notes.label, notes.date, notes.approver
        )),
        updated: date_time(notes.date),
        links: vec![Link {
            href: url,
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            ..Link::default()
        }],
        content: Some(Content {
            value: Some(html),
            content_type: Some("html".into()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn feed(site: &Site<'_>, title: &str, self_url: &str, entries: Vec<Entry>) -> Vec<u8> {
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        // A feed without entries (nothing released yet) was last updated at no time at
        // all; Atom needs an RFC 3339 date, so it says the Unix epoch.
        .unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH.fixed_offset());
    let feed = Feed {
        id: self_url.to_owned(),
        title: Text::plain(title),
        updated,
        authors: vec![Person {
            name: site
                .config
                .owner
                .clone()
                .unwrap_or_else(|| site.config.title.clone()),
            ..Person::default()
        }],
        links: vec![
            Link {
                href: self_url.to_owned(),
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Link::default()
            },
            Link {
                href: format!("{}/releases/", site.config.base_url),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Link::default()
            },
        ],
        entries,
        ..Feed::default()
    };
    // XML 1.0 has no way to write most control characters, even escaped: a form feed or an
    // escape sequence pasted into release notes would leave the whole feed unreadable.
    let mut text: String = feed
        .to_string()
        .chars()
        .filter(|&c| is_xml_char(c))
        .collect();
    text.push('\n');
    text.into_bytes()
}

/// Whether XML 1.0 allows `c` in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Midnight UTC of `date`.
fn date_time(date: crate::frontmatter::Date) -> atom_syndication::FixedDateTime {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(
            date.year(),
            u32::from(u8::from(date.month())),
            u32::from(date.day()),
            0,
            0,
            0,
        )
        .single()
        .unwrap_or_default()
        .fixed_offset()
}
