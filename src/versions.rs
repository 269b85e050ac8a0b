//! Published versions: the release ledger, frozen snapshots, and their integrity.
//!
//! `releases/ledger.toml` lists every release in publication order; the last is *latest*.
//! Each entry records the version, date, approver, the digest of the frozen content, the
//! digest of the customer notes and the digest of the previous entry, and is itself digested,
//! so the entries form a hash chain: removing, reordering or editing a past entry breaks it
//! (KG051). Each release folder `releases/<version>/` holds `content/` (the frozen copy),
//! `NOTES.md` and `FILES.sha256` (one `sha256  path` line per content file, coreutils
//! format); the ledger's content digest is the digest of `FILES.sha256`, so an edited, added or
//! removed snapshot file is reported by name (KG050).
//!
//! Input: the site root. Output: [`Releases`] — the verified ledger and findings. Nothing here
//! renders or writes; `keyguide release` ([`crate::release`]) appends entries.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::config::{toml_error_help, toml_error_message, toml_error_position};
use crate::diag::{self, Diagnostic, LineIndex};
use crate::error::{Error, Result};
use crate::frontmatter::{Date, required_date};

/// The ledger file, relative to the site root.
pub const LEDGER: &str = "releases/ledger.toml";

/// The digest a first entry names as its predecessor.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// One release, as recorded in the ledger.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Version label, e.g. `1.2.0`.
    pub version: String,
    /// Release date.
    #[serde(
        deserialize_with = "required_date",
        serialize_with = "crate::frontmatter::serialize_date"
    )]
    pub date: Date,
    /// Who approved it.
    pub approver: String,
    /// `sha256:` digest of `FILES.sha256`.
    pub content_digest: String,
    /// `sha256:` digest of `NOTES.md`.
    pub notes_digest: String,
    /// Digest of the previous entry ([`GENESIS`] for the first).
    pub previous: String,
    /// Digest of this entry's other fields.
    pub digest: String,
}

impl Record {
    /// The entry as it is appended to `releases/ledger.toml`.
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
        format!(
            "[[release]]\nversion = {}\ndate = {}\napprover = {}\ncontent_digest = {}\nnotes_digest = {}\nprevious = {}\ndigest = {}\n",
            q(&self.version),
            self.date,
            q(&self.approver),
            q(&self.content_digest),
            q(&self.notes_digest),
            q(&self.previous),
            q(&self.digest)
        )
    }

    /// The digest this entry must carry: SHA-256 over its other fields, one per line.
    pub fn compute_digest(&self) -> String {
        let canonical = format!(
            "keyguide-ledger-v1\nversion={}\ndate={}\napprover={}\ncontent_digest={}\nnotes_digest={}\nprevious={}\n",
            self.version,
            self.date,
            self.approver,
            self.content_digest,
            self.notes_digest,
            self.previous
        );
        sha256(canonical.as_bytes())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    #[serde(default, rename = "release")]
    releases: Vec<Spanned<RawRecord>>,
}

/// An entry as written, before its date is checked (the ledger stores dates as TOML dates).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    version: String,
    #[serde(deserialize_with = "required_date")]
    date: Date,
    approver: String,
    content_digest: String,
    notes_digest: String,
    previous: String,
    digest: String,
}

/// The verified ledger.
#[derive(Debug, Clone, Default)]
pub struct Releases {
    /// Records in publication order (only those that parsed).
    pub records: Vec<Record>,
    /// Integrity findings (KG030 for a malformed ledger, KG050, KG051).
    pub diagnostics: Vec<Diagnostic>,
    /// The ledger text, for quoting lines in messages.
    pub ledger_text: Option<String>,
}

impl Releases {
    /// The latest release.
    pub fn latest(&self) -> Option<&Record> {
        self.records.last()
    }

    /// The record of `version`.
    pub fn get(&self, version: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.version == version)
    }

    /// The content folder of `version`, relative to the site root.
    pub fn content_dir(version: &str) -> String {
        format!("releases/{version}/content")
    }

    /// The released version labels, oldest first, separated by `, ` (for help texts).
    pub fn labels(&self) -> String {
        self.records
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Digest of the last entry, the head of the chain.
    pub fn head(&self) -> &str {
        self.records.last().map_or(GENESIS, |r| r.digest.as_str())
    }
}

/// `sha256:` and the hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Names at the root of the built site that a version folder must not take. Compared
/// without regard to case, because a site is often checked out or hosted on a file system
/// that ignores case (`Latest/` would overwrite `latest/`).
pub const RESERVED_LABELS: &[&str] = &[
    "latest",
    "next",
    "releases",
    "static",
    "feeds",
    "sha256sums",
    "well-known",
];

/// File extensions a label must not end with: the site root holds `index.html`,
/// `versions.json`, `releases.xml` and similar files, and a folder of the same name would
/// collide with them.
const RESERVED_EXTENSIONS: &[&str] = &[
    ".html", ".htm", ".json", ".xml", ".txt", ".sig", ".pub", ".js", ".css",
];

/// Whether `label` is a valid version label: `[0-9A-Za-z][0-9A-Za-z._-]*`, at most 64
/// characters, and not one of the site's own root names ([`RESERVED_LABELS`], or a name
/// ending like a file, e.g. `index.html`).
pub fn valid_label(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    let mut chars = label.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !RESERVED_LABELS.contains(&lower.as_str())
        && !RESERVED_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
        && label.len() <= 64
}

/// What a valid label looks like, for help lines.
pub fn label_help() -> String {
    format!(
        "use letters, digits, `.`, `_` and `-`, starting with a letter or digit (e.g. 1.2.0); \
         the site's own names ({}) and names ending in a file extension such as `.html` are taken",
        RESERVED_LABELS.join(", ")
    )
}

/// `FILES.sha256` of a content tree: one coreutils line per file, sorted by path.
pub fn files_listing(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .iter()
        .map(|(path, bytes)| format!("{}  {path}\n", &sha256(bytes)[7..]))
        .collect()
}

/// The files a release freezes from the content folder `dir` of the site at `root`:
/// everything except the hidden files and editor leftovers keyguide skips (see
/// [`crate::source::ignored`]).
pub fn content_files(root: &Path, dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    Ok(read_tree(root, dir)?
        .into_iter()
        .filter(|(path, _)| !path.split('/').any(crate::source::ignored))
        .collect())
}

/// Every file under `dir` (inside the site at `root`), by path relative to it
/// (`/`-separated), skipping nothing: a snapshot is compared byte for byte (and a theme
/// folder read whole). A symbolic link is followed only to an ordinary file inside the site
/// root, so no link can make keyguide read, publish or freeze a file from elsewhere.
fn list_tree(root: &Path, dir: &Path) -> Result<BTreeMap<String, std::path::PathBuf>> {
    let mut files = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let root_real = root.canonicalize().map_err(Error::io("resolving", root))?;
    let dir_real = dir.canonicalize().map_err(Error::io("resolving", dir))?;
    if !dir_real.starts_with(&root_real) {
        return Err(Error::Usage {
            message: format!(
                "refusing to read {}: it is a symbolic link to a folder outside the site root",
                dir.display()
            ),
            help: "copy the folder into the site instead of linking it".into(),
        });
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            action: "reading",
            source: e.into(),
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let refuse = |why: &str| Error::Usage {
            message: format!("refusing to read {}: {why}", entry.path().display()),
            help: "replace it with an ordinary file inside the site, or remove it".into(),
        };
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(&root_real) => {}
                Ok(_) => {
                    return Err(refuse(
                        "it is a symbolic link that leads outside the site root",
                    ));
                }
                Err(_) => return Err(refuse("it is a symbolic link that loops or leads nowhere")),
            }
        }
        // The walk knows each entry's type already; only a link's target needs a look.
        let file = match entry.path_is_symlink() {
            true => std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()),
            false => entry.file_type().is_file(),
        };
        if !file {
            return Err(refuse(
                "it is not an ordinary file (a named pipe, socket, device or linked folder)",
            ));
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        files.insert(rel, entry.into_path());
    }
    Ok(files)
}

/// The files of [`list_tree`], read.
pub fn read_tree(root: &Path, dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    list_tree(root, dir)?
        .into_iter()
        .map(|(rel, path)| {
            let bytes = std::fs::read(&path).map_err(Error::io("reading", &path))?;
            Ok((rel, bytes))
        })
        .collect()
}

/// The SHA-256 of the file at `path` as hex, `known` when the build has it already.
fn file_digest(path: &Path, known: Option<crate::memo::Digest>) -> Result<String> {
    let digest = match known {
        Some(digest) => digest,
        None => crate::memo::digest_file(path).map_err(Error::io("reading", path))?,
    };
    Ok(crate::memo::hex(&digest))
}

/// Reads the ledger and checks the chain and every snapshot.
pub fn load(root: &Path) -> Result<Releases> {
    read_ledger(root)?.check(root, &|_, _| None)
}

/// The SHA-256 of a snapshot's file as a build already read it: `(i, path)` names record
/// `i`'s file by its path in `FILES.sha256`.
pub type Known<'k> = dyn Fn(usize, &str) -> Option<crate::memo::Digest> + Sync + 'k;

/// A ledger read and its chain checked; the snapshots are compared by [`Ledger::check`].
#[derive(Debug)]
pub struct Ledger {
    releases: Releases,
    /// Whether the ledger parsed: when it did not, no snapshot or release folder is judged.
    parsed: bool,
}

/// Reads `releases/ledger.toml` and checks its hash chain, reading no snapshot.
pub fn read_ledger(root: &Path) -> Result<Ledger> {
    let mut releases = Releases::default();
    let path = root.join(LEDGER);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Ledger {
                releases,
                parsed: true,
            });
        }
        Err(e) => return Err(Error::io("reading", &path)(e)),
    };
    let parsed = match parse_ledger(&text) {
        Ok((records, diagnostics)) => {
            releases.records = records;
            releases.diagnostics = diagnostics;
            true
        }
        Err(unreadable) => {
            releases.diagnostics.push(unreadable);
            false
        }
    };
    releases.ledger_text = Some(text);
    Ok(Ledger { releases, parsed })
}

impl Ledger {
    /// The records in publication order (only those that parsed).
    pub fn records(&self) -> &[Record] {
        &self.releases.records
    }

    /// Compares every snapshot with its record (KG050) and looks for release folders the
    /// ledger does not list (KG051). A file whose digest `known` gives is not read again;
    /// every other file is read and hashed whole.
    pub fn check(self, root: &Path, known: &Known<'_>) -> Result<Releases> {
        let mut out = self.releases;
        if !self.parsed {
            return Ok(out);
        }
        use rayon::prelude::*;
        let found: Vec<Result<Vec<Diagnostic>>> = out
            .records
            .par_iter()
            .enumerate()
            .map(|(i, record)| {
                let mut found = Vec::new();
                check_snapshot(root, record, &|path| known(i, path), &mut found)?;
                Ok(found)
            })
            .collect();
        for found in found {
            out.diagnostics.extend(found?);
        }
        let mut found = Vec::new();
        check_orphans(root, &out, &mut found)?;
        out.diagnostics.extend(found);
        Ok(out)
    }
}

/// Parses the text of `releases/ledger.toml` and checks its hash chain, without reading any
/// snapshot: the records in publication order and the KG051 findings about them, or, when the
/// ledger cannot be read at all, one KG051 finding at the line and column of the problem.
pub fn parse_ledger(text: &str) -> std::result::Result<(Vec<Record>, Vec<Diagnostic>), Diagnostic> {
    let mut records: Vec<Record> = Vec::new();
    let mut diagnostics = Vec::new();
    let lines = LineIndex::new(text);
    let at = |offset: usize| lines.line_col(text, offset);
    let parsed: LedgerFile = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            return Err(Diagnostic::new(
                &diag::LEDGER_BROKEN,
                LEDGER,
                toml_error_position(text, &e, 0),
                format!("the ledger cannot be read: {}", toml_error_message(&e)),
                format!(
                    "{}; restore releases/ledger.toml from version control — the ledger is append-only",
                    toml_error_help(&e)
                ),
            ));
        }
    };
    let mut previous = GENESIS.to_owned();
    for spanned in parsed.releases {
        let offset = spanned.span().start;
        let raw = spanned.into_inner();
        let record = Record {
            version: raw.version,
            date: raw.date,
            approver: raw.approver,
            content_digest: raw.content_digest,
            notes_digest: raw.notes_digest,
            previous: raw.previous,
            digest: raw.digest,
        };
        let broken = |message: String| {
            Diagnostic::new(
                &diag::LEDGER_BROKEN,
                LEDGER,
                at(offset),
                message,
                "restore releases/ledger.toml from version control: published releases cannot be changed, removed or reordered; publish a correction as a new release",
            )
        };
        if records
            .iter()
            .any(|r| r.version.eq_ignore_ascii_case(&record.version))
            || !valid_label(&record.version)
            || record.approver.chars().any(char::is_control)
        {
            diagnostics.push(broken(format!(
                "entry `{}` repeats a version, is not a valid label, or has a control character in its approver",
                record.version
            )));
            // Such an entry names no folder keyguide may open: a label like `../x` would
            // lead out of releases/.
            previous = record.digest;
            continue;
        } else if record.digest != record.compute_digest() {
            diagnostics.push(broken(format!(
                "entry `{}` was altered: its digest no longer matches its fields",
                record.version
            )));
        } else if record.previous != previous {
            diagnostics.push(broken(format!(
                "entry `{}` does not follow the entry before it: an entry was removed, reordered or inserted",
                record.version
            )));
        }
        previous = record.digest.clone();
        records.push(record);
    }
    Ok((records, diagnostics))
}

/// KG050: the snapshot of `record` must match its recorded digests, file by file.
fn check_snapshot(
    root: &Path,
    record: &Record,
    known: &(dyn Fn(&str) -> Option<crate::memo::Digest> + Sync),
    out: &mut Vec<Diagnostic>,
) -> Result<()> {
    let dir = root.join("releases").join(&record.version);
    let v = &record.version;
    let modified = |file: String, message: String| {
        Diagnostic::new(
            &diag::RELEASE_MODIFIED,
            &file,
            (1, 1),
            message,
            format!(
                "restore releases/{v}/ from version control: a published version never changes; publish the correction as a new release"
            ),
        )
    };
    let listing_path = dir.join("FILES.sha256");
    let listing = std::fs::read(&listing_path).unwrap_or_default();
    if sha256(&listing) != record.content_digest {
        out.push(modified(
            format!("releases/{v}/FILES.sha256"),
            format!("the file list of released version {v} differs from the ledger record"),
        ));
    }
    let notes = std::fs::read(dir.join("NOTES.md")).unwrap_or_default();
    if sha256(&notes) != record.notes_digest {
        out.push(modified(
            format!("releases/{v}/NOTES.md"),
            format!("the release notes of version {v} differ from the ledger record"),
        ));
    }
    let recorded: BTreeMap<String, String> = String::from_utf8_lossy(&listing)
        .lines()
        .filter_map(|l| {
            l.split_once("  ")
                .map(|(d, p)| (p.to_owned(), d.to_owned()))
        })
        .collect();
    let actual = list_tree(root, &dir.join("content"))?;
    // Hashing what the build has not read already is most of this: in parallel, reported in
    // path order (the first unreadable file by path is the error).
    use rayon::prelude::*;
    let actual_list: Vec<(&String, &std::path::PathBuf)> = actual.iter().collect();
    let changed: Vec<Result<Option<Diagnostic>>> = actual_list
        .par_iter()
        .map(|&(path, file)| {
            let message = match recorded.get(path) {
                None => format!("file added to released version {v}"),
                Some(d) if *d != file_digest(file, known(path))? => {
                    format!("file of released version {v} was modified")
                }
                Some(_) => return Ok(None),
            };
            Ok(Some(modified(
                format!("releases/{v}/content/{path}"),
                message,
            )))
        })
        .collect();
    for found in changed {
        out.extend(found?);
    }
    for path in recorded.keys().filter(|p| !actual.contains_key(*p)) {
        out.push(modified(
            format!("releases/{v}/content/{path}"),
            format!("file removed from released version {v}"),
        ));
    }
    Ok(())
}

/// KG051: a release folder that the ledger does not list means an entry was removed.
fn check_orphans(root: &Path, releases: &Releases, out: &mut Vec<Diagnostic>) -> Result<()> {
    let dir = root.join("releases");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    for name in names {
        if releases.get(&name).is_none() {
            out.push(Diagnostic::new(
                &diag::LEDGER_BROKEN,
                &format!("releases/{name}"),
                (1, 1),
                format!("releases/{name}/ is not in the ledger: its entry was removed"),
                "restore releases/ledger.toml from version control; releases are never withdrawn, only superseded",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_spec() {
        for ok in ["1.0.0", "2026.11", "v2-rc_1"] {
            assert!(valid_label(ok), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "1/2",
            "..",
            "a b",
            "latest",
            "next",
            ".hidden",
            "Next",
            "Index.HTML",
            "manifest.json.sig",
            "SHA256SUMS",
        ] {
            assert!(!valid_label(bad), "{bad}");
        }
    }

    #[test]
    fn digests_cover_every_field() {
        let mut r = Record {
            version: "1.0.0".into(),
            date: Date::from_calendar_date(2026, time::Month::November, 1).unwrap_or(Date::MIN),
            approver: "CISO".into(),
            content_digest: sha256(b"a"),
            notes_digest: sha256(b"b"),
            previous: GENESIS.into(),
            digest: String::new(),
        };
        let d = r.compute_digest();
        r.approver = "CISO ".into();
        assert_ne!(d, r.compute_digest());
    }
}
