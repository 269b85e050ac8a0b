//! The manifest of a built site: what was published, file by file, signed.
//!
//! Input: the rendered [`OutputTree`], the ledger, and optionally a [`Signer`]. Output, added
//! to the tree by [`seal`]:
//!
//! - `/.well-known/keyguide/signing-key.pub` and `allowed_signers` (signed builds only);
//! - `SHA256SUMS`: coreutils lines for every file except itself, `manifest.json`,
//!   `manifest.json.sig` and the host configuration files ([`HOST_FILES`]), so
//!   `sha256sum -c SHA256SUMS` checks the site and any copy of it;
//! - `manifest.json` ([`Manifest`]): schema id, base_url, sequence (number of releases),
//!   ledger head, every published version's ledger record, an optional `expires` date, and
//!   every file except itself and its signature, with size and SHA-256 — `SHA256SUMS`
//!   included, which ties the plain checksum file to the signature;
//! - `manifest.json.sig`: an SSH signature over the exact bytes of `manifest.json`.
//!
//! Everything is sorted and nothing depends on the clock, the thread count or the file
//! system, so the same input gives the same bytes.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::error::Result;
use crate::frontmatter::{Date, parse_date};
use crate::memo::{self, Digest};
use crate::output::OutputTree;
use crate::signing::{Published, Signer};
use crate::versions::{Record, Releases};

/// The manifest's schema id; the JSON Schema is `schema/manifest.schema.json`.
pub const SCHEMA: &str = "urn:keyguide:manifest:1";
/// The manifest's path in the output.
pub const MANIFEST: &str = "manifest.json";
/// The signature's path in the output.
pub const SIGNATURE: &str = "manifest.json.sig";
/// The checksum file's path in the output.
pub const SUMS: &str = "SHA256SUMS";
/// Where the public key and allowed_signers line are published.
pub const WELL_KNOWN: &str = ".well-known/keyguide";
/// Host configuration files at the output root. Netlify and Cloudflare Pages read them and
/// do not serve them, so a customer's copy of the site never holds them. The manifest lists
/// them like every file (a changed `_redirects` could send `/latest/` to a superseded
/// version), and `verify` checks them where they are; a copy without them still verifies.
/// `SHA256SUMS` leaves them out, so `sha256sum -c` works on such a copy.
pub const HOST_FILES: &[&str] = &["_redirects", "_headers"];

/// `manifest.json`. Parsing is strict: unknown fields, duplicate keys and trailing data are
/// errors, so no two readers can see two different manifests in the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The site's base URL.
    pub base_url: String,
    /// Number of published releases; grows by one with every release.
    pub sequence: u64,
    /// Digest of the last ledger entry ([`versions::GENESIS`] before the first release).
    pub ledger_head: String,
    /// Last day the manifest should be trusted (`[signing] expires_days` after the latest
    /// release), if the site sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Every published version's ledger record, oldest first.
    pub versions: Vec<ManifestRecord>,
    /// Every output file but the manifest and its signature, sorted by path.
    pub files: Vec<FileEntry>,
}

/// A ledger record as the manifest carries it (the date as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRecord {
    /// Version label.
    pub version: String,
    /// Release date, `YYYY-MM-DD`.
    pub date: String,
    /// Who approved it.
    pub approver: String,
    /// `sha256:` digest of the release's `FILES.sha256`.
    pub content_digest: String,
    /// `sha256:` digest of its `NOTES.md`.
    pub notes_digest: String,
    /// Digest of the previous record.
    pub previous: String,
    /// Digest of this record.
    pub digest: String,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the output root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256, as `sha256sum` prints it.
    pub sha256: String,
}

impl From<&Record> for ManifestRecord {
    fn from(r: &Record) -> Self {
        ManifestRecord {
            version: r.version.clone(),
            date: r.date.to_string(),
            approver: r.approver.clone(),
            content_digest: r.content_digest.clone(),
            notes_digest: r.notes_digest.clone(),
            previous: r.previous.clone(),
            digest: r.digest.clone(),
        }
    }
}

impl ManifestRecord {
    /// The ledger record, or why the date is not a date.
    pub fn to_record(&self) -> std::result::Result<Record, String> {
        Ok(Record {
            version: self.version.clone(),
            date: parse_date(&self.date)?,
            approver: self.approver.clone(),
            content_digest: self.content_digest.clone(),
            notes_digest: self.notes_digest.clone(),
            previous: self.previous.clone(),
            digest: self.digest.clone(),
        })
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn hex_sha256(bytes: &[u8]) -> String {
    memo::hex(&memo::digest(bytes))
}

/// The SHA-256 of every file in `tree`, by path: those in `known` (files a cache knows
/// unchanged), the others hashed now, in parallel. The KG010 check of the output and [`seal`]
/// share them, so each file is hashed once.
pub fn digests(tree: &OutputTree, mut known: BTreeMap<String, Digest>) -> BTreeMap<String, Digest> {
    known.extend(tree.stored().map(|(path, f)| (path.to_owned(), f.digest)));
    known.extend(tree.written().map(|(path, f)| (path.to_owned(), f.digest)));
    let files: Vec<(&str, &[u8])> = tree
        .files()
        .filter(|(path, _)| !known.contains_key(*path))
        .collect();
    let hashed: Vec<(String, Digest)> = files
        .par_iter()
        .map(|(path, bytes)| ((*path).to_owned(), memo::digest(bytes)))
        .collect();
    known.extend(hashed);
    known
}

/// One `SHA256SUMS` line for `path`, escaped the way coreutils escapes names holding a
/// backslash or a newline.
pub fn sums_line(sha256: &str, path: &str) -> String {
    if path.contains(['\\', '\n', '\r']) {
        let escaped = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{sha256}  {escaped}\n")
    } else {
        format!("{sha256}  {path}\n")
    }
}

/// What `SHA256SUMS` holds for a manifest listing `files`: a line for every file but
/// `SHA256SUMS` itself, in the manifest's order.
pub fn sums_text(files: &[FileEntry]) -> String {
    files
        .iter()
        .filter(|f| f.path != SUMS && !HOST_FILES.contains(&f.path.as_str()))
        .map(|f| sums_line(&f.sha256, &f.path))
        .collect()
}

/// Size and digest of every file in `tree`, in path order: from `digests` where it has the
/// file, else hashed now (in parallel).
fn entries(tree: &OutputTree, digests: &BTreeMap<String, Digest>) -> Vec<FileEntry> {
    let files: Vec<(&str, &[u8])> = tree.files().collect();
    let mut entries: Vec<FileEntry> = files
        .par_iter()
        .map(|(path, bytes)| FileEntry {
            path: (*path).to_owned(),
            size: bytes.len() as u64,
            sha256: memo::hex(
                &digests
                    .get(*path)
                    .copied()
                    .unwrap_or_else(|| memo::digest(bytes)),
            ),
        })
        .collect();
    let on_disk: Vec<(&str, u64, &Digest)> = tree
        .stored()
        .map(|(path, f)| (path, f.size, &f.digest))
        .chain(tree.written().map(|(path, f)| (path, f.size, &f.digest)))
        .collect();
    entries.par_extend(on_disk.par_iter().map(|&(path, size, digest)| FileEntry {
        path: path.to_owned(),
        size,
        sha256: memo::hex(digest),
    }));
    entries.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// What [`seal`] needs besides the tree.
pub struct Seal<'a> {
    /// The site's base URL.
    pub base_url: &'a str,
    /// The ledger.
    pub releases: &'a Releases,
    /// The key to sign with, and what it publishes.
    pub signer: Option<(&'a Signer, &'a Published)>,
    /// `[signing] expires_days`.
    pub expires_days: Option<u32>,
}

/// Adds the published key, `SHA256SUMS`, `manifest.json` and (with a key) its signature to
/// `tree`, whose files' digests are `digests` (from [`digests`]).
pub fn seal(
    tree: &mut OutputTree,
    digests: &BTreeMap<String, Digest>,
    seal: &Seal<'_>,
) -> Result<()> {
    if let Some((_, published)) = seal.signer {
        tree.insert(
            format!("{WELL_KNOWN}/signing-key.pub"),
            format!("{}\n", published.public_key).into_bytes(),
        )?;
        tree.insert(
            format!("{WELL_KNOWN}/allowed_signers"),
            format!("{}\n", published.allowed_signers).into_bytes(),
        )?;
    }
    let mut files = entries(tree, digests);
    let sums = sums_text(&files);
    let sums_entry = FileEntry {
        path: SUMS.to_owned(),
        size: sums.len() as u64,
        sha256: hex_sha256(sums.as_bytes()),
    };
    let at = files.partition_point(|f| f.path.as_str() < SUMS);
    files.insert(at, sums_entry);
    tree.insert(SUMS.to_owned(), sums.into_bytes())?;
    let records = &seal.releases.records;
    let manifest = Manifest {
        schema: SCHEMA.to_owned(),
        base_url: seal.base_url.to_owned(),
        sequence: records.len() as u64,
        ledger_head: seal.releases.head().to_owned(),
        expires: expires(records.last().map(|r| r.date), seal.expires_days),
        versions: records.iter().map(ManifestRecord::from).collect(),
        files,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(std::io::Error::from)
        .map_err(crate::error::Error::io("writing", MANIFEST))?;
    bytes.push(b'\n');
    if let Some((signer, _)) = seal.signer {
        tree.insert(SIGNATURE.to_owned(), signer.sign(&bytes)?.into_bytes())?;
    }
    tree.insert(MANIFEST.to_owned(), bytes)?;
    Ok(())
}

/// `latest + days`, as `YYYY-MM-DD`.
fn expires(latest: Option<Date>, days: Option<u32>) -> Option<String> {
    let date = latest?.checked_add(Duration::days(i64::from(days?)))?;
    Some(date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_lines_escape_like_coreutils() {
        assert_eq!(sums_line("ab", "a b.svg"), "ab  a b.svg\n");
        assert_eq!(sums_line("ab", "a\\b\nc"), "\\ab  a\\\\b\\nc\n");
    }

    #[test]
    fn strict_parsing_refuses_unknown_and_duplicate_fields() {
        let ok = r#"{"schema":"s","base_url":"u","sequence":0,"ledger_head":"h","versions":[],"files":[]}"#;
        assert!(serde_json::from_str::<Manifest>(ok).is_ok());
        let unknown = ok.replace(r#""files":[]"#, r#""files":[],"extra":1"#);
        assert!(serde_json::from_str::<Manifest>(&unknown).is_err());
        let duplicate = ok.replace(r#""sequence":0"#, r#""sequence":0,"sequence":9"#);
        assert!(serde_json::from_str::<Manifest>(&duplicate).is_err());
        assert!(serde_json::from_str::<Manifest>(&format!("{ok} {{}}")).is_err());
    }
}
