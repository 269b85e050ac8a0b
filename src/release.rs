//! `keyguide release`: freeze the draft as a new published version.
//!
//! Input: a clean draft (lint without errors), a new version label, the approver, the date
//! and the customer notes. Output: `releases/<version>/content/` (a byte-for-byte copy of
//! `content/`), `releases/<version>/NOTES.md`, `releases/<version>/FILES.sha256`, and a new
//! hash-chained entry at the end of `releases/ledger.toml`.
//!
//! All or nothing: the whole new `releases/` folder is assembled in a staging folder beside
//! it and swapped in with one atomic rename ([`OutputTree::commit`]), so a failure or a kill
//! at any moment leaves `releases/` either as it was or fully released. (A kill can leave a
//! hidden `.keyguide-staging-releases-*` folder in the site root; nothing reads it, and the
//! next release removes it.)

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Config;
use crate::diag::{self, Diagnostic};
use crate::diff::{self, Change, ChangeKind, FileChange};
use crate::error::{Error, Result};
use crate::frontmatter::Date;
use crate::output::{self, OutputTree};
use crate::source::{MAX_TEXT_BYTES, ReadError, TextFile, read_bounded, size_text};
use crate::versions::{self, Record, Releases};
use crate::{Checked, DRAFT_DIR};

/// What `keyguide release` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The new version label.
    pub version: String,
    /// Who approved it.
    pub approver: String,
    /// The release date.
    pub date: Date,
    /// Customer notes (Markdown) from the file the user named (`--notes`), as
    /// [`read_notes`] read it. None writes the list of changes as notes.
    pub notes: Option<Notes>,
}

/// The customer notes file named with `--notes`.
#[derive(Debug, Clone)]
pub struct Notes {
    /// The name the user gave the file, as findings show it.
    pub name: String,
    /// Its bytes, or the KG090 finding that says why keyguide will not use it (too large,
    /// not a regular file): such a file refuses the release like unusable content.
    pub bytes: std::result::Result<Vec<u8>, Diagnostic>,
}

/// Reads the notes file `path` as keyguide reads every text file: at most
/// [`MAX_TEXT_BYTES`], never past it, and only an ordinary file (a named pipe would wait
/// forever). A file the system will not open (missing, no permission) is an error: the
/// command cannot run.
pub fn read_notes(path: &Path) -> Result<Notes> {
    let name = path.display().to_string();
    let finding = |message: String, help: &str| {
        Diagnostic::new(&diag::INVALID_SOURCE, &name, (1, 1), message, help)
    };
    let bytes = match read_bounded(path, MAX_TEXT_BYTES) {
        Ok(bytes) => Ok(bytes),
        Err(ReadError::Io(e)) => return Err(Error::io("reading", path)(e)),
        Err(ReadError::NotRegular) => Err(finding(
            "is not a regular file (a named pipe, socket or device)".into(),
            "write the release notes to an ordinary Markdown file and pass its path to --notes",
        )),
        Err(ReadError::TooBig(len)) => Err(finding(
            format!(
                "is {}; keyguide reads files of at most {} MiB",
                size_text(len),
                MAX_TEXT_BYTES / (1024 * 1024)
            ),
            "release notes are published for customers to read: say what changed in a few paragraphs, and link to longer material instead of pasting it",
        )),
    };
    Ok(Notes { name, bytes })
}

/// The outcome of a release.
#[derive(Debug)]
pub enum Outcome {
    /// The draft has errors; nothing was written.
    Refused(Box<Checked>),
    /// The release was written.
    Released(Record),
}

/// Releases the draft of the site at `config.root`.
pub fn release(config: &Config, request: &Request) -> Result<Outcome> {
    let v = &request.version;
    if !versions::valid_label(v) {
        return Err(Error::Usage {
            message: format!("`{v}` is not a valid version label"),
            help: versions::label_help(),
        });
    }
    if request.approver.chars().any(char::is_control) {
        return Err(Error::Usage {
            message: "the approver holds a line break or another control character".into(),
            help: "name the approver on one line, e.g. --approver \"Chief Information Security Officer\"".into(),
        });
    }
    if request.approver.trim().is_empty() {
        return Err(Error::Usage {
            message: "the approver is empty".into(),
            help: "name who approved this version, e.g. --approver \"Chief Information Security Officer\"".into(),
        });
    }
    // One release at a time: two at once would each read the same ledger and swap in their
    // own `releases/`, and one would be lost.
    let _lock = lock(config)?;
    // The notes and the approver are frozen with the release and published on every later
    // build: checked like content first (KG010, KG070, KG090, KG101), since a finding in a
    // published release could never be fixed.
    let approver = TextFile::new("--approver".into(), request.approver.clone());
    let (notes, unreadable) = match &request.notes {
        Some(Notes {
            name,
            bytes: Ok(bytes),
        }) => match crate::source::decode(name, bytes.clone()) {
            Ok(text) => (Some(TextFile::new(name.clone(), text)), None),
            Err(finding) => (None, Some(finding)),
        },
        Some(Notes {
            bytes: Err(finding),
            ..
        }) => (None, Some(finding.clone())),
        None => (None, None),
    };
    let pending: Vec<TextFile> = std::iter::once(approver).chain(notes.clone()).collect();
    let mut checked = crate::lint_release(config, request.date, &pending)?;
    if let Some(finding) = unreadable {
        checked.diagnostics.push(finding);
    }
    if checked.has_errors() {
        return Ok(Outcome::Refused(Box::new(checked)));
    }
    let releases = versions::load(&config.root)?;
    let taken = releases
        .records
        .iter()
        .find(|r| r.version.eq_ignore_ascii_case(v));
    if taken.is_some() || config.root.join("releases").join(v).exists() {
        let existing = taken.map_or(v.as_str(), |r| r.version.as_str());
        return Err(Error::Usage {
            message: format!("version {existing} already exists"),
            help: "published versions never change; choose a new label for the correction".into(),
        });
    }
    let root = &config.root;
    let draft = versions::content_files(root, &root.join(DRAFT_DIR))?;
    let files = match releases.latest() {
        Some(latest) => {
            let previous =
                versions::content_files(root, &root.join(Releases::content_dir(&latest.version)))?;
            let files = diff::files(&previous, &draft);
            if files.is_empty() {
                return Err(Error::Usage {
                    message: format!("nothing changed since version {}", latest.version),
                    help: "edit the draft in content/ first; `keyguide diff latest draft` shows what would be released".into(),
                });
            }
            if request.date < latest.date {
                return Err(Error::Usage {
                    message: format!(
                        "{} is before the latest release's date ({})",
                        request.date, latest.date
                    ),
                    help:
                        "releases are recorded in publication order: date this one on or after the latest release's date"
                            .into(),
                });
            }
            files
        }
        None => Vec::new(),
    };
    if let Some(notes) = notes
        .as_ref()
        .filter(|n| crate::lint::releases::notes_are_empty(&n.text))
    {
        return Err(Error::Usage {
            message: format!("the release notes file {} is empty", notes.rel),
            help: "write what changed for customers in the notes file, or leave out --notes to start from a list of the changes".into(),
        });
    }
    let mut tree = BTreeMap::new();
    for (path, bytes) in versions::read_tree(root, &root.join("releases"))? {
        if path != "ledger.toml" {
            tree.insert(path, bytes);
        }
    }
    let listing = versions::files_listing(&draft);
    for (path, bytes) in draft {
        tree.insert(format!("{v}/content/{path}"), bytes);
    }
    let body = match (&notes, releases.latest()) {
        (Some(notes), _) => notes.text.to_string(),
        (None, Some(latest)) => {
            let changes = crate::diff_versions(config, &latest.version, "draft")?.changes;
            template(Some(&latest.version), &changes, &files)
        }
        (None, None) => template(None, &[], &files),
    };
    let notes = format!(
        "+++\nversion = {}\ndate = {}\napprover = {}\n+++\n\n{}\n",
        toml::Value::String(v.clone()),
        request.date,
        toml::Value::String(request.approver.clone()),
        body.trim_end()
    );
    let mut record = Record {
        version: v.clone(),
        date: request.date,
        approver: request.approver.clone(),
        content_digest: versions::sha256(listing.as_bytes()),
        notes_digest: versions::sha256(notes.as_bytes()),
        previous: releases.head().to_owned(),
        digest: String::new(),
    };
    record.digest = record.compute_digest();
    tree.insert(format!("{v}/FILES.sha256"), listing.into_bytes());
    tree.insert(format!("{v}/NOTES.md"), notes.into_bytes());
    let mut ledger = match &releases.ledger_text {
        Some(text) if !text.trim().is_empty() => format!("{}\n\n", text.trim_end()),
        _ => "# keyguide release ledger: append-only, hash-chained. Never edit by hand.\n\n"
            .to_owned(),
    };
    ledger.push_str(&record.to_toml());
    tree.insert("ledger.toml".into(), ledger.into_bytes());
    let mut out = OutputTree::default();
    for (path, bytes) in tree {
        out.insert(path, bytes)?;
    }
    out.commit(&root.join("releases"))?;
    Ok(Outcome::Released(record))
}

/// Holds the site's release lock (`.keyguide/release.lock`) until dropped, waiting while
/// another release of the same site holds it.
fn lock(config: &Config) -> Result<std::fs::File> {
    let dir = config.root.join(".keyguide");
    std::fs::create_dir_all(&dir).map_err(Error::io("creating folder", &dir))?;
    output::lock_file(&dir.join("release.lock"), |_| {})
}

/// Release notes to start from: the section changes, for the author to put in customer
/// language.
fn template(previous: Option<&str>, changes: &[Change], files: &[FileChange]) -> String {
    let mut s = String::from("## What changed\n\n");
    let Some(previous) = previous else {
        s.push_str("First published version of this guidance.\n");
        return s;
    };
    s.push_str(&format!("Changes since version {previous}:\n\n"));
    for c in changes {
        let doc = match &c.integration {
            Some(i) => format!("{}/{i}", c.guide),
            None => c.guide.clone(),
        };
        s.push_str(&format!(
            "- `{doc}`: section \"{}\" {}\n",
            c.title,
            what(c.change)
        ));
    }
    // Files whose change shows in no section (an inventory, an asset, front matter).
    let shown = |path: &str| {
        changes.iter().any(|c| {
            let stem = c.integration.as_deref().unwrap_or("_index");
            path == format!("{}/{stem}.md", c.guide)
        })
    };
    for f in files.iter().filter(|f| !shown(&f.path)) {
        s.push_str(&format!("- file `{}` {}\n", f.path, what(f.change)));
    }
    s
}

fn what(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

/// The Markdown body of `releases/<version>/NOTES.md` (after its front matter).
pub fn notes_body(root: &Path, version: &str) -> Result<String> {
    let rel = format!("releases/{version}/NOTES.md");
    let text =
        std::fs::read_to_string(root.join(&rel)).map_err(Error::io("reading", root.join(&rel)))?;
    Ok(crate::frontmatter::split(&rel, &text)
        .map_or(text.as_str(), |s| s.body)
        .to_owned())
}
