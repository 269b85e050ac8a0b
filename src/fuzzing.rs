//! Fuzzing harnesses: one function per fuzz target of `fuzz/` (see `fuzz/README.md`).
//!
//! Each harness takes the fuzzer's raw bytes, drives one stage of keyguide through its public
//! entry point, and checks what must hold for any input: positions in findings point inside
//! the file, parsed slices are where their offsets say, a serialized ledger reads back the
//! same, a site nobody could have signed never verifies. A panic, in keyguide or in these
//! checks, is what the fuzzer reports. The same functions replay `fuzz/regressions/<target>/`
//! in `cargo test` on a stable toolchain ([`TARGETS`]), so a fixed crash stays fixed.
//!
//! Structured inputs (composition, verification) are decoded from the bytes with
//! [`arbitrary`], so the fuzzer mutates documents and site files rather than one flat string.

use arbitrary::{Arbitrary, Unstructured};

use crate::compose::{self, Addendum};
use crate::diag::{Diagnostic, LineIndex};
use crate::frontmatter::{self, AddendumMatter, BaseMatter, Date};
use crate::lint::key_material;
use crate::manifest::{self, FileEntry, Manifest, ManifestRecord};
use crate::markdown::{self, HtmlWriter};
use crate::verify::{self, Request, Trust};
use crate::versions::{self, GENESIS, Record};

/// A harness: it takes the fuzzer's bytes and panics only when keyguide misbehaves.
pub type Harness = fn(&[u8]);

/// Every harness by the name of its fuzz target, for replaying regression inputs.
pub const TARGETS: &[(&str, Harness)] = &[
    ("front_matter", front_matter),
    ("markdown", markdown),
    ("compose", compose),
    ("key_material", key_material),
    ("ledger", ledger),
    ("verify", verify),
];

/// The file name findings are reported against.
const REL: &str = "guides/fuzz/_index.md";

/// Checks that a finding about `text` names `file` at a line and column that exist in it,
/// and says what is wrong and how to fix it.
fn check_position(d: &Diagnostic, file: &str, text: &str) {
    assert_eq!(d.file, file, "finding about another file: {d:?}");
    assert!(
        !d.message.is_empty() && !d.help.is_empty(),
        "finding without message or help: {d:?}"
    );
    let line = text.split('\n').nth(d.line - 1);
    let Some(line) = line else {
        panic!(
            "finding on line {} of a {}-line file: {d:?}",
            d.line,
            text.split('\n').count()
        );
    };
    let width = line.chars().count();
    assert!(
        d.column <= width + 1,
        "finding at column {} of a {width}-character line: {d:?}",
        d.column
    );
}

/// Front matter splitting and parsing, as both page kinds, plus `YYYY-MM-DD` dates.
pub fn front_matter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = frontmatter::parse_date(&text);
    let split = match frontmatter::split(REL, &text) {
        Ok(split) => split,
        Err(d) => return check_position(&d, REL, &text),
    };
    assert_eq!(
        text.get(split.toml_offset..split.toml_offset + split.toml.len()),
        Some(split.toml),
        "front matter slice is not at its offset"
    );
    assert_eq!(
        text.get(split.body_offset..),
        Some(split.body),
        "body slice is not at its offset"
    );
    if let Err(d) = frontmatter::parse::<BaseMatter>(REL, &text, &split) {
        check_position(&d, REL, &text);
    }
    match frontmatter::parse::<AddendumMatter>(REL, &text, &split) {
        Ok(matter) => {
            for id in matter.workflows.iter().chain(&matter.inherit) {
                assert!(
                    split.toml.get(id.span()).is_some(),
                    "span {:?} outside the front matter",
                    id.span()
                );
            }
        }
        Err(d) => check_position(&d, REL, &text),
    }
}

/// Markdown to section tree, and each section's HTML.
pub fn markdown(data: &[u8]) {
    let text = std::sync::Arc::new(String::from_utf8_lossy(data).into_owned());
    let doc = markdown::parse(&text, 0);
    let lines = LineIndex::new(&text);
    let rewrite = |_: &str| None;
    let mut writer = HtmlWriter::new(&rewrite);
    let _ = writer.html(&doc.intro, "intro");
    for s in doc.all_sections() {
        assert!(
            text.is_char_boundary(s.offset) && s.offset < text.len().max(1),
            "section offset {} is not a place in the text",
            s.offset
        );
        assert!((1..=6).contains(&s.level), "heading level {}", s.level);
        let _ = lines.line_col(&text, s.offset);
        let _ = (s.words(), s.own_text(), writer.html(&s.body, &s.id));
    }
    for offset in doc
        .links
        .iter()
        .map(|l| l.offset)
        .chain(doc.html.iter().map(|h| h.offset))
    {
        assert!(
            text.is_char_boundary(offset),
            "offset {offset} inside a character"
        );
    }
}

/// A base guide and an addendum, as the composition target decodes them.
#[derive(Debug, Arbitrary)]
struct Composition {
    base: String,
    addendum: String,
    inherit: Vec<String>,
}

/// Composition: a base guide body and an addendum body compile into one guide.
pub fn compose(data: &[u8]) {
    let Ok(input) = Composition::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let base = markdown::parse(&std::sync::Arc::new(input.base), 0);
    let text = std::sync::Arc::new(input.addendum);
    let doc = markdown::parse(&text, 0);
    let inherit: Vec<toml::Spanned<String>> = input
        .inherit
        .into_iter()
        .map(|id| toml::Spanned::new(0..0, id))
        .collect();
    let rel = "guides/fuzz/acme.md";
    let addendum = Addendum {
        rel,
        text: &text,
        doc: &doc,
        inherit: &inherit,
    };
    let (tree, diagnostics) = compose::compile(&base, &addendum);
    for d in &diagnostics {
        check_position(d, rel, &text);
    }
    let ids: Vec<&str> = tree.nodes().map(|n| n.id).collect();
    for s in &base.sections {
        assert!(ids.contains(&s.id.as_str()), "base section `{}` lost", s.id);
    }
    for s in doc.all_sections() {
        assert!(
            ids.contains(&s.id.as_str()),
            "addendum section `{}` lost",
            s.id
        );
    }
}

/// The key-material detector (KG010) over one file.
pub fn key_material(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = key_material::is_key_file_name(&text);
    let findings = key_material::scan(&text);
    for pair in findings.windows(2) {
        assert!(
            pair[0].offset < pair[1].offset,
            "findings out of order: {pair:?}"
        );
    }
    for f in &findings {
        assert!(
            f.offset < text.len() && text.is_char_boundary(f.offset),
            "finding at {} is not a place in the text",
            f.offset
        );
        assert!(!f.kind.is_empty(), "finding without a kind");
    }
}

/// The release ledger: parsing, the hash chain, and writing entries back.
pub fn ledger(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (records, diagnostics) = match versions::parse_ledger(&text) {
        Ok(parsed) => parsed,
        Err(d) => return check_position(&d, versions::LEDGER, &text),
    };
    for d in &diagnostics {
        check_position(d, versions::LEDGER, &text);
    }
    // `keyguide release` appends entries with `Record::to_toml`: they must read back as the
    // same records, and with the same verdicts unless an entry was refused (a bad label names
    // no record, so written back without it the chain reads differently).
    let refused = diagnostics
        .iter()
        .any(|d| d.message.contains("is not a valid label"));
    let written: String = records.iter().map(Record::to_toml).collect();
    match versions::parse_ledger(&written) {
        Ok((again, again_diagnostics)) => {
            assert_eq!(again, records, "written ledger reads back differently");
            if !refused {
                let messages =
                    |ds: &[Diagnostic]| ds.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
                assert_eq!(messages(&again_diagnostics), messages(&diagnostics));
            }
        }
        Err(d) => panic!("written ledger cannot be read: {d:?}\n{written}"),
    }
}

/// Names the site files of the verification target may have; the fuzzer picks among them,
/// so nothing it writes lands outside its scratch folder.
const SITE_FILES: &[&str] = &[
    "index.html",
    "latest/index.html",
    "1.0.0/guides/a/index.html",
    "static/app.css",
    ".well-known/keyguide/signing-key.pub",
    "_headers",
    "_redirects",
    "SHA256SUMS",
    "manifest.json.sig",
];

/// A public key no one holds the private half of; only it is trusted.
const TRUSTED_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDA3cCD1i+K3tefBVqyvvmGlVYwHe/b6QwfAsc4zKx0E";

/// A site folder, as the verification target decodes it.
#[derive(Debug, Arbitrary)]
struct Site {
    files: Vec<(u8, Vec<u8>)>,
    manifest: ManifestBytes,
    sums: Sums,
    signature: Option<Vec<u8>>,
    /// An allowed_signers file and identity, or the one trusted public key.
    signers: Option<(String, String)>,
    previous: Option<ManifestBytes>,
}

#[derive(Debug, Arbitrary)]
enum Sums {
    Missing,
    /// What `keyguide build` writes for the manifest's files.
    Derived,
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
enum ManifestBytes {
    Raw(Vec<u8>),
    Built(BuiltManifest),
}

#[derive(Debug, Arbitrary)]
struct BuiltManifest {
    schema: Option<String>,
    base_url: String,
    sequence: Option<u64>,
    ledger_head: Option<String>,
    expires: Option<String>,
    versions: Vec<BuiltRecord>,
    files: Vec<Listed>,
}

#[derive(Debug, Arbitrary)]
struct BuiltRecord {
    version: String,
    date: String,
    approver: String,
    /// Chain the record correctly (digests computed) or take the digests as given.
    chained: bool,
    digests: [String; 4],
}

#[derive(Debug, Arbitrary)]
enum Listed {
    /// A file of the site, with its true size and digest.
    Site(u8),
    Entry {
        path: String,
        size: u64,
        sha256: String,
    },
}

impl BuiltManifest {
    fn into_manifest(self, site: &[(&str, &[u8])]) -> Manifest {
        let mut previous = GENESIS.to_owned();
        let mut versions = Vec::new();
        for r in self.versions {
            let [content, notes, prev, digest] = r.digests;
            let mut record = ManifestRecord {
                version: r.version,
                date: r.date,
                approver: r.approver,
                content_digest: content,
                notes_digest: notes,
                previous: prev,
                digest,
            };
            if r.chained {
                record.content_digest = versions::sha256(record.content_digest.as_bytes());
                record.notes_digest = versions::sha256(record.notes_digest.as_bytes());
                record.previous = previous.clone();
                if let Ok(full) = record.to_record() {
                    record.digest = full.compute_digest();
                }
            }
            previous = record.digest.clone();
            versions.push(record);
        }
        let mut files: Vec<FileEntry> = self
            .files
            .into_iter()
            .filter_map(|l| match l {
                Listed::Site(i) => {
                    site.get(usize::from(i) % site.len().max(1))
                        .map(|(path, bytes)| FileEntry {
                            path: (*path).to_owned(),
                            size: bytes.len() as u64,
                            sha256: manifest::hex_sha256(bytes),
                        })
                }
                Listed::Entry { path, size, sha256 } => Some(FileEntry { path, size, sha256 }),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Manifest {
            schema: self.schema.unwrap_or_else(|| manifest::SCHEMA.to_owned()),
            base_url: self.base_url,
            sequence: self.sequence.unwrap_or(versions.len() as u64),
            ledger_head: self.ledger_head.unwrap_or(previous),
            expires: self.expires,
            versions,
            files,
        }
    }
}

impl ManifestBytes {
    fn into_bytes(self, site: &[(&str, &[u8])]) -> (Vec<u8>, Option<Manifest>) {
        match self {
            ManifestBytes::Raw(bytes) => (bytes, None),
            ManifestBytes::Built(built) => {
                let m = built.into_manifest(site);
                (serde_json::to_vec_pretty(&m).unwrap_or_default(), Some(m))
            }
        }
    }
}

/// Manifest verification of a whole site folder, written to a scratch folder: manifest,
/// `SHA256SUMS`, signature, site files, trusted keys and an earlier manifest.
pub fn verify(data: &[u8]) {
    let Ok(input) = Site::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let Ok(scratch) = tempfile::tempdir() else {
        return;
    };
    let site = scratch.path().join("site");
    let write = |rel: &str, bytes: &[u8]| {
        let path = site.join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(path, bytes);
    };
    let _ = std::fs::create_dir_all(&site);
    let mut files: Vec<(&str, &[u8])> = Vec::new();
    for (pick, bytes) in &input.files {
        let name = SITE_FILES[usize::from(*pick) % SITE_FILES.len()];
        files.retain(|(n, _)| *n != name);
        files.push((name, bytes));
    }
    files.sort();
    let (manifest_bytes, built) = input.manifest.into_bytes(&files);
    for (name, bytes) in &files {
        write(name, bytes);
    }
    write(manifest::MANIFEST, &manifest_bytes);
    if let Some(sig) = &input.signature {
        write(manifest::SIGNATURE, sig);
    }
    match (&input.sums, &built) {
        (Sums::Missing, _) => {}
        (Sums::Raw(bytes), _) => write(manifest::SUMS, bytes),
        (Sums::Derived, Some(m)) => write(manifest::SUMS, manifest::sums_text(&m.files).as_bytes()),
        (Sums::Derived, None) => {}
    }
    let previous = input.previous.map(|p| {
        let path = scratch.path().join("previous.json");
        let _ = std::fs::write(&path, p.into_bytes(&files).0);
        path
    });
    let key_file = scratch.path().join("signing-key.pub");
    let _ = std::fs::write(&key_file, TRUSTED_KEY);
    let signers_file = scratch.path().join("allowed_signers");
    let trust = match &input.signers {
        Some((text, identity)) => {
            let _ = std::fs::write(&signers_file, text);
            Trust::AllowedSigners {
                file: &signers_file,
                identity,
            }
        }
        None => Trust::PublicKey(&key_file),
    };
    let request = Request {
        site: &site,
        trust,
        previous: previous.as_deref(),
        as_of: Date::from_ordinal_date(2026, 333).unwrap_or(Date::MIN),
    };
    match verify::verify(&request) {
        // No one holds the trusted key, so no input may verify.
        Ok(report) => assert!(
            !report.failures.is_empty(),
            "a site no one signed verified: {report:?}"
        ),
        Err(e) => assert!(!e.to_string().is_empty(), "error without a message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FRONT_MATTER;

    #[test]
    #[should_panic(expected = "finding on line 3 of a 2-line file")]
    fn a_finding_past_the_last_line_is_caught() {
        let d = Diagnostic::new(&FRONT_MATTER, REL, (3, 1), "m", "h");
        check_position(&d, REL, "one line\n");
    }

    #[test]
    #[should_panic(expected = "column 5 of a 3-character line")]
    fn a_finding_past_the_end_of_its_line_is_caught() {
        let d = Diagnostic::new(&FRONT_MATTER, REL, (1, 5), "m", "h");
        check_position(&d, REL, "été\n");
    }

    #[test]
    fn a_finding_just_after_the_last_character_is_a_place() {
        let d = Diagnostic::new(&FRONT_MATTER, REL, (1, 4), "m", "h");
        check_position(&d, REL, "été");
    }
}
