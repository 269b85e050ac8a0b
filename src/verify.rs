//! `keyguide verify`: what a customer runs on a downloaded copy of the site.
//!
//! Input: a built site folder, the keys trusted to sign it (an allowed_signers file and an
//! identity, or one public key), optionally an older manifest. Output: a [`Report`] listing
//! every check that failed; an [`Error`] only when verification cannot run at all (no trusted
//! key, unreadable files).
//!
//! The manifest's bytes are read once: the signature is checked over those bytes and the same
//! bytes are parsed, strictly ([`Manifest`] refuses unknown fields, duplicate keys and trailing
//! data), so what was verified is exactly what is read.
//!
//! Checks: the signature (trusted key, namespace `keyguide-manifest`); the schema; every listed
//! file present with its size and SHA-256, and no file on disk that the manifest does not list;
//! `SHA256SUMS` agreeing with the manifest; the ledger chain (each record's digest, each
//! `previous` link, the head, the sequence); `expires`; and with an older manifest, that the new
//! one extends it: the same record for every old version and a sequence no lower. Rendered files
//! of old versions may differ between the two (a new theme re-renders them, and the new
//! manifest attests the new files); the records, what the approver approved, may not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::error::{Error, Result};
use crate::frontmatter::{Date, parse_date};
use crate::manifest::{self, Manifest};
use crate::signing::NAMESPACE;
use crate::versions::GENESIS;

/// Which keys are trusted to sign the site.
pub enum Trust<'a> {
    /// Lines of an allowed_signers file whose principals match `identity`.
    AllowedSigners {
        /// The allowed_signers file.
        file: &'a Path,
        /// The identity the site signs as.
        identity: &'a str,
    },
    /// One OpenSSH public key file.
    PublicKey(&'a Path),
}

/// What to verify.
pub struct Request<'a> {
    /// The built site.
    pub site: &'a Path,
    /// The trusted keys.
    pub trust: Trust<'a>,
    /// A manifest verified earlier, which the new one must extend.
    pub previous: Option<&'a Path>,
    /// The date `expires` and allowed_signers validity are judged at.
    pub as_of: Date,
}

/// The result of verification.
#[derive(Debug, Default)]
pub struct Report {
    /// Every failed check, in the order checked.
    pub failures: Vec<String>,
    /// Fingerprint of the key that made a good signature.
    pub signed_by: Option<String>,
    /// Files whose digest was checked.
    pub files: usize,
    /// The manifest's sequence, when it could be read.
    pub sequence: Option<u64>,
    /// Host configuration files present in the folder that the manifest does not list (a
    /// manifest from before they were listed): no signature covers them.
    pub unsigned: Vec<String>,
    /// Host configuration files the manifest lists that the folder lacks, as a copy served
    /// by the host does: not checked.
    pub absent: Vec<String>,
}

/// Verifies the site at `request.site`.
pub fn verify(request: &Request<'_>) -> Result<Report> {
    let trusted = trusted_keys(&request.trust, request.as_of)?;
    let mut report = Report::default();
    let site = request.site;
    if !site.is_dir() {
        return Err(Error::Usage {
            message: format!("{} is not a folder", site.display()),
            help: "pass the folder of the downloaded site, the one holding manifest.json".into(),
        });
    }
    let Some(bytes) = read_optional(&site.join(manifest::MANIFEST))? else {
        report.failures.push(
            "manifest.json is missing: this is not a keyguide site, or it was not published whole"
                .into(),
        );
        return Ok(report);
    };
    match read_optional(&site.join(manifest::SIGNATURE))? {
        None => report
            .failures
            .push("manifest.json.sig is missing: the site is not signed".into()),
        Some(sig) => match check_signature(&trusted, &bytes, &sig) {
            Ok(fingerprint) => report.signed_by = Some(fingerprint),
            Err(why) => report.failures.push(why),
        },
    }
    let manifest: Manifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            let (line, column) = json_position(&e);
            report.failures.push(format!(
                "manifest.json is not a valid manifest (line {line}, column {column}): {}",
                json_message(&e)
            ));
            return Ok(report);
        }
    };
    report.sequence = Some(manifest.sequence);
    if manifest.schema != manifest::SCHEMA {
        report.failures.push(format!(
            "manifest.json has schema `{}`; this keyguide reads `{}`",
            manifest.schema,
            manifest::SCHEMA
        ));
    }
    report.files = check_files(site, &manifest, &mut report.failures)?;
    let listed = |f: &&str| manifest.files.iter().any(|e| e.path == *f);
    let present = |f: &&str| std::fs::symlink_metadata(site.join(f)).is_ok();
    let host = manifest::HOST_FILES.iter();
    report.unsigned = (host.clone())
        .filter(|f| present(f) && !listed(f))
        .map(|f| (*f).to_owned())
        .collect();
    report.absent = host
        .filter(|f| !present(f) && listed(f))
        .map(|f| (*f).to_owned())
        .collect();
    report.files -= report.absent.len();
    check_ledger(&manifest, &mut report.failures);
    if let Some(expires) = &manifest.expires {
        match parse_date(expires) {
            Ok(date) if request.as_of > date => report.failures.push(format!(
                "the manifest expired on {expires}; the site has not been rebuilt from a recent release since"
            )),
            Ok(_) => {}
            Err(e) => report.failures.push(format!("manifest `expires`: {e}")),
        }
    }
    if let Some(previous) = request.previous {
        check_extends(previous, &manifest, &mut report.failures)?;
    }
    Ok(report)
}

/// The bytes of `path`, or none when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("reading", path)(e)),
    }
}

/// Checks the SSH signature `sig` over `message`; the good key's fingerprint, or why not.
fn check_signature(
    trusted: &Trusted,
    message: &[u8],
    sig: &[u8],
) -> std::result::Result<String, String> {
    let sig = SshSig::from_pem(sig)
        .map_err(|e| format!("manifest.json.sig is not an SSH signature: {e}"))?;
    let signer = PublicKey::from(sig.public_key().clone());
    let fingerprint = signer.fingerprint(HashAlg::Sha256).to_string();
    if sig.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(format!(
            "manifest.json.sig is a {} signature (key {fingerprint}); keyguide sites are signed with Ed25519 only",
            sig.algorithm()
        ));
    }
    let Some(key) = trusted
        .keys
        .iter()
        .find(|k| k.key_data() == sig.public_key())
    else {
        // A line for this very key that the trust file holds but does not accept says best
        // why the signature is refused; else every refused line for the identity does.
        let refused: Vec<&str> = match trusted
            .refused
            .iter()
            .find(|(k, _)| k.key_data() == sig.public_key())
        {
            Some((_, why)) => vec![why.as_str()],
            None => trusted
                .refused
                .iter()
                .map(|(_, why)| why.as_str())
                .collect(),
        };
        if refused.is_empty() {
            return Err(format!(
                "manifest.json.sig was made with key {fingerprint}, which is not a trusted key for this site"
            ));
        }
        return Err(format!(
            "manifest.json.sig was made with key {fingerprint}, which the allowed_signers file does not accept for this identity:\n      {}",
            refused.join("\n      ")
        ));
    };
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "manifest.json.sig is for namespace `{}`, not `{NAMESPACE}`",
            sig.namespace()
        ));
    }
    key.verify(NAMESPACE, message, &sig).map_err(|_| {
        format!("manifest.json.sig does not match manifest.json: the manifest was changed after signing (key {fingerprint})")
    })?;
    Ok(fingerprint)
}

/// Every listed file against the disk, and every file on disk against the list. Returns the
/// number of files whose digest was checked.
fn check_files(site: &Path, manifest: &Manifest, failures: &mut Vec<String>) -> Result<usize> {
    let mut listed = BTreeMap::new();
    for (i, f) in manifest.files.iter().enumerate() {
        if f.sha256.len() != 64
            || !f
                .sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            failures.push(format!(
                "the manifest's digest of `{}` is not 64 lower-case hex digits",
                f.path
            ));
        }
        if !safe_path(&f.path) {
            failures.push(format!(
                "the manifest lists `{}`, which is not a plain path inside the site",
                f.path
            ));
        } else if listed.insert(f.path.as_str(), f).is_some() {
            failures.push(format!("the manifest lists `{}` twice", f.path));
        } else if i > 0 && manifest.files[i - 1].path >= f.path {
            failures.push(format!(
                "the manifest's files are not sorted at `{}`",
                f.path
            ));
        }
    }
    let on_disk = files_on_disk(site, failures)?;
    let results: Vec<Option<String>> = listed
        .par_iter()
        .map(|(path, entry)| {
            let full = site.join(path);
            // Only regular files are read: a FIFO or device would block or never end.
            if std::fs::symlink_metadata(&full).is_ok_and(|m| !m.is_file()) {
                return Some(format!("{path}: not a regular file"));
            }
            let bytes = match std::fs::read(&full) {
                Ok(b) => b,
                // The host reads its configuration and does not serve it: a copy lacks it.
                Err(_) if manifest::HOST_FILES.contains(path) => return None,
                Err(_) if !on_disk.contains_key(*path) => return Some(format!("{path}: missing")),
                Err(e) => return Some(format!("{path}: cannot be read: {e}")),
            };
            if bytes.len() as u64 != entry.size {
                Some(format!(
                    "{path}: {} bytes, the manifest says {}",
                    bytes.len(),
                    entry.size
                ))
            } else if manifest::hex_sha256(&bytes) != entry.sha256 {
                Some(format!(
                    "{path}: content differs from the manifest (SHA-256 mismatch)"
                ))
            } else {
                None
            }
        })
        .collect();
    failures.extend(results.into_iter().flatten());
    for path in on_disk.keys() {
        let own = [manifest::MANIFEST, manifest::SIGNATURE].contains(&path.as_str())
            || manifest::HOST_FILES.contains(&path.as_str());
        if !listed.contains_key(path.as_str()) && !own {
            failures.push(format!("{path}: not in the manifest (a file was added)"));
        }
    }
    let sums = manifest::sums_text(&manifest.files);
    if listed.contains_key(manifest::SUMS) {
        if let Ok(text) = std::fs::read(site.join(manifest::SUMS)) {
            if text != sums.as_bytes() {
                failures.push(
                    "SHA256SUMS does not list the same files and digests as the manifest".into(),
                );
            }
        }
    } else {
        failures.push("the manifest does not list SHA256SUMS".into());
    }
    Ok(listed.len())
}

/// Whether a manifest path is relative, `/`-separated and free of `.` and `..` parts.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// Every file under `site` by `/`-separated relative path; symlinks are reported, not followed.
fn files_on_disk(site: &Path, failures: &mut Vec<String>) -> Result<BTreeMap<String, PathBuf>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(site).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Io {
            path: site.to_path_buf(),
            action: "reading",
            source: e.into(),
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel: Vec<String> = entry
            .path()
            .strip_prefix(site)
            .unwrap_or(entry.path())
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        if entry.path_is_symlink() {
            failures.push(format!(
                "{rel}: a symbolic link; a published site holds only files"
            ));
        }
        files.insert(rel, entry.path().to_path_buf());
    }
    Ok(files)
}

/// The records chain from [`GENESIS`] to `ledger_head`, and `sequence` counts them.
fn check_ledger(manifest: &Manifest, failures: &mut Vec<String>) {
    let mut previous = GENESIS.to_owned();
    let mut seen: Vec<&str> = Vec::new();
    for r in &manifest.versions {
        if let Some(problem) = record_problem(r) {
            failures.push(format!("version {:?}: {problem}", r.version));
        }
        if seen.contains(&r.version.as_str()) {
            failures.push(format!("version {} appears twice in the ledger", r.version));
        }
        seen.push(&r.version);
        if r.previous != previous {
            failures.push(format!(
                "version {}: its `previous` does not name the record before it (the ledger was reordered or a record removed)",
                r.version
            ));
        }
        match r.to_record() {
            Ok(record) if record.compute_digest() != r.digest => failures.push(format!(
                "version {}: the record does not match its digest (it was edited)",
                r.version
            )),
            Ok(_) => {}
            Err(e) => failures.push(format!("version {}: date: {e}", r.version)),
        }
        previous = r.digest.clone();
    }
    if manifest.ledger_head != previous {
        failures.push("ledger_head is not the digest of the last record".into());
    }
    if manifest.sequence != manifest.versions.len() as u64 {
        failures.push(format!(
            "sequence is {} but the manifest has {} records",
            manifest.sequence,
            manifest.versions.len()
        ));
    }
}

/// What is malformed in a record, as the schema would say: the label, the digests, the
/// approver. (The date is checked when the record's digest is recomputed.)
fn record_problem(r: &manifest::ManifestRecord) -> Option<String> {
    if !crate::versions::valid_label(&r.version) {
        return Some("is not a valid version label".into());
    }
    if r.approver.trim().is_empty() || r.approver.chars().any(char::is_control) {
        return Some("the approver is empty or holds a control character".into());
    }
    let digests = [
        ("content_digest", &r.content_digest),
        ("notes_digest", &r.notes_digest),
        ("previous", &r.previous),
        ("digest", &r.digest),
    ];
    digests
        .iter()
        .find(|(_, d)| {
            !d.strip_prefix("sha256:").is_some_and(|hex| {
                hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
        })
        .map(|(name, _)| format!("`{name}` is not `sha256:` and 64 lower-case hex digits"))
}

/// Where a JSON error is, as the 1-based line and column every other keyguide message
/// gives. serde_json counts columns from 1 too, except that an error found at the start of
/// a line (or at the end of the input, after a newline) is at column 0, and an error with no
/// place in the input at line 0: both are clamped to 1.
fn json_position(e: &serde_json::Error) -> (usize, usize) {
    (e.line().max(1), e.column().max(1))
}

/// A JSON error's message without the " at line L column C" serde_json appends, since
/// keyguide gives the (corrected) position itself.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// The new manifest extends the one at `previous`: no lower sequence, and every old record
/// unchanged at its place.
fn check_extends(previous: &Path, new: &Manifest, failures: &mut Vec<String>) -> Result<()> {
    let bytes = std::fs::read(previous).map_err(Error::io("reading", previous))?;
    let old: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Config {
        file: previous.display().to_string(),
        line: json_position(&e).0,
        column: json_position(&e).1,
        message: format!("not a keyguide manifest: {}", json_message(&e)),
        help: "pass the manifest.json saved from an earlier verification".into(),
    })?;
    if new.sequence < old.sequence {
        failures.push(format!(
            "rollback: the manifest has sequence {} but the previous one had {}; this is an older site",
            new.sequence, old.sequence
        ));
    }
    for (i, record) in old.versions.iter().enumerate() {
        match new.versions.get(i) {
            Some(r) if r == record => {}
            Some(r) => failures.push(format!(
                "history rewritten: record {} was version {} ({}) and is now version {} ({})",
                i + 1,
                record.version,
                record.digest,
                r.version,
                r.digest
            )),
            None => failures.push(format!(
                "version {} of the previous manifest is missing",
                record.version
            )),
        }
    }
    Ok(())
}

/// What a trust file says about the identity: the keys it accepts, and the lines that name
/// the identity but are not accepted.
#[derive(Default)]
struct Trusted {
    /// Keys a good signature may be made with.
    keys: Vec<PublicKey>,
    /// Keys of allowed_signers lines that name the identity but do not apply (another
    /// namespace, out of their validity, `cert-authority`), each with `FILE:LINE: why; what to
    /// change`. A signature made with one of them fails verification (exit 1) and says why.
    refused: Vec<(PublicKey, String)>,
}

/// The public keys trusted for this verification. A file that cannot be read or parsed, or
/// names the identity on no line at all (a mistyped `--identity`, the wrong file), is an
/// error: nothing was verified. A file whose lines for the identity all refuse the
/// signature is a verification that failed, reported by [`check_signature`].
fn trusted_keys(trust: &Trust<'_>, as_of: Date) -> Result<Trusted> {
    match trust {
        Trust::PublicKey(path) => {
            let text = std::fs::read_to_string(path).map_err(Error::io("reading", *path))?;
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .unwrap_or_default();
            let key = PublicKey::from_openssh(line).map_err(|_| Error::Key {
                origin: path.display().to_string(),
                message: "is not an OpenSSH public key".into(),
                help: "pass the site's signing-key.pub (a line starting `ssh-ed25519 AAAA`), checked against the fingerprint in your contract".into(),
            })?;
            Ok(Trusted {
                keys: vec![key],
                refused: Vec::new(),
            })
        }
        Trust::AllowedSigners { file, identity } => {
            let text = std::fs::read_to_string(file).map_err(Error::io("reading", *file))?;
            let mut trusted = Trusted::default();
            for (n, line) in text.lines().enumerate() {
                let entry = allowed_signer(line).map_err(|message| Error::Config {
                    file: file.display().to_string(),
                    line: n + 1,
                    column: 1,
                    message,
                    help: "write `principal namespaces=\"keyguide-manifest\" ssh-ed25519 AAAA...` (the line the site publishes in /.well-known/keyguide/allowed_signers)".into(),
                })?;
                let Some(entry) = entry.filter(|e| e.names(identity)) else {
                    continue;
                };
                match entry.refusal(as_of) {
                    None => trusted.keys.push(entry.key),
                    Some(why) => {
                        let at = format!("{}:{}: ", file.display(), n + 1);
                        trusted.refused.push((entry.key, at + &why));
                    }
                }
            }
            if trusted.keys.is_empty() && trusted.refused.is_empty() {
                return Err(Error::Key {
                    origin: file.display().to_string(),
                    message: format!("has no line for `{identity}`"),
                    help: "check --identity against the principals in the file (the first field of each line), or add the site's line to the file (it publishes it in /.well-known/keyguide/allowed_signers)".into(),
                });
            }
            Ok(trusted)
        }
    }
}

/// One allowed_signers line (see `ssh-keygen(1)`, ALLOWED SIGNERS).
struct AllowedSigner {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    cert_authority: bool,
    /// The first day the key may be used (the day after, when a time of day was given).
    valid_after: Option<Date>,
    /// The first day the key may no longer be used.
    valid_before: Option<Date>,
    key: PublicKey,
}

impl AllowedSigner {
    /// Whether the line's principals name `identity`.
    fn names(&self, identity: &str) -> bool {
        pattern_list_matches(&self.principals, identity)
    }

    /// Whether the line makes its key a signer of keyguide manifests for an identity it
    /// names, on `as_of`.
    #[cfg(test)]
    fn applies(&self, identity: &str, as_of: Date) -> bool {
        self.names(identity) && self.refusal(as_of).is_none()
    }

    /// Why this line does not accept a keyguide manifest signature made on `as_of`, and what
    /// to change; none when it does.
    fn refusal(&self, as_of: Date) -> Option<String> {
        let mut why = Vec::new();
        if self.cert_authority {
            why.push("it is a `cert-authority` line, which trusts certificates its key signs, and keyguide signs manifests with a plain key; remove `cert-authority` from the line to trust the key itself".to_owned());
        }
        if let Some(ns) = self
            .namespaces
            .as_ref()
            .filter(|ns| !pattern_list_matches(ns, NAMESPACE))
        {
            let only_negated = ns.iter().all(|p| p.starts_with('!'));
            let excluded = if only_negated {
                " (a list of only `!` patterns allows no namespace at all)"
            } else {
                ""
            };
            why.push(format!(
                "its `namespaces=\"{}\"` does not allow `{NAMESPACE}`{excluded}; write `namespaces=\"{NAMESPACE}\"`",
                ns.join(",")
            ));
        }
        if let Some(after) = self.valid_after.filter(|&d| as_of < d) {
            why.push(format!(
                "its `valid-after` makes the key valid only from {after}, after {as_of}; check the date with the site's owner, or pass --as-of to verify as of a later day"
            ));
        }
        if let Some(before) = self.valid_before.filter(|&d| as_of >= d) {
            why.push(format!(
                "its `valid-before` expired the key on {before} (verifying as of {as_of}); get the site's current line (it publishes it in /.well-known/keyguide/allowed_signers), or pass --as-of with an earlier day to check a copy as it stood then"
            ));
        }
        (!why.is_empty()).then(|| why.join("; and "))
    }
}

/// Whether `text` matches a comma-separated pattern list as ssh-keygen matches principals
/// and namespaces (`match_pattern_list` in OpenSSH): some pattern matches it, and no negated
/// one (`!pattern`) does; a matching negated pattern rejects whatever else matches.
fn pattern_list_matches(patterns: &[String], text: &str) -> bool {
    let negated = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .any(|p| glob(p, text));
    !negated
        && patterns
            .iter()
            .any(|p| !p.starts_with('!') && glob(p, text))
}

/// Parses one line; none for blank lines and comments.
fn allowed_signer(line: &str) -> std::result::Result<Option<AllowedSigner>, String> {
    let tokens = tokenize(line.trim());
    let Some(first) = tokens.first() else {
        return Ok(None);
    };
    if first.starts_with('#') {
        return Ok(None);
    }
    let is_key_type =
        |t: &str| t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-");
    let (options, rest) = match tokens.get(1) {
        Some(t) if !is_key_type(t) => (Some(t.as_str()), &tokens[2..]),
        _ => (None, &tokens[1..]),
    };
    let (Some(kind), Some(data)) = (rest.first(), rest.get(1)) else {
        return Err("expected a principal, optional options, a key type and a key".into());
    };
    let key = PublicKey::from_openssh(&format!("{kind} {data}"))
        .map_err(|_| format!("`{kind}` key that cannot be read"))?;
    let mut entry = AllowedSigner {
        principals: unquote(first).split(',').map(str::to_owned).collect(),
        namespaces: None,
        cert_authority: false,
        valid_after: None,
        valid_before: None,
        key,
    };
    for option in options.map(split_options).unwrap_or_default() {
        let (name, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
        let value = unquote(value);
        match name.to_ascii_lowercase().as_str() {
            "cert-authority" => entry.cert_authority = true,
            "namespaces" => entry.namespaces = Some(value.split(',').map(str::to_owned).collect()),
            // Dates are judged by the day, so a time of day is rounded towards "not valid":
            // ssh-keygen and keyguide then never disagree in the key's favour.
            "valid-after" => {
                let (day, timed) = signer_date(value)?;
                entry.valid_after = Some(if timed {
                    day.next_day().unwrap_or(day)
                } else {
                    day
                });
            }
            "valid-before" => entry.valid_before = Some(signer_date(value)?.0),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(Some(entry))
}

/// Splits on white space outside double quotes.
fn tokenize(line: &str) -> Vec<String> {
    split_outside_quotes(line, char::is_whitespace)
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect()
}

/// Splits an options field on commas outside double quotes.
fn split_options(options: &str) -> Vec<String> {
    split_outside_quotes(options, |c| c == ',')
}

/// Splits `text` at every character `is_separator` accepts outside double quotes; the
/// quotes stay in the pieces.
fn split_outside_quotes(text: &str, is_separator: impl Fn(char) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && is_separator(c) {
            out.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The day of an allowed_signers time (`YYYYMMDD[HHMM[SS]][Z]`), and whether it gave a time of
/// day later than midnight.
fn signer_date(value: &str) -> std::result::Result<(Date, bool), String> {
    let bad = || format!("`{value}` is not a time like 20261128 or 202611281200Z");
    let digits = value.trim_end_matches(['Z', 'z']);
    if !(digits.len() == 8 || digits.len() == 12 || digits.len() == 14)
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let d = &digits[..8];
    let day = parse_date(&format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])).map_err(|_| bad())?;
    Ok((day, digits[8..].bytes().any(|b| b != b'0')))
}

/// Whether `text` matches the ssh pattern `pattern` (`*` any run, `?` one character).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDA3cCD1i+K3tefBVqyvvmGlVYwHe/b6QwfAsc4zKx0E";

    fn day(s: &str) -> Date {
        parse_date(s).unwrap_or(Date::MIN)
    }

    #[test]
    fn allowed_signers_lines_honour_principals_namespaces_and_validity() {
        let line = format!(
            "keys@acme.example,*@ops.example namespaces=\"git,keyguide-manifest\" {KEY} comment"
        );
        let e = allowed_signer(&line).ok().flatten();
        assert!(
            e.as_ref()
                .is_some_and(|e| e.applies("keys@acme.example", day("2026-11-28")))
        );
        assert!(
            e.as_ref()
                .is_some_and(|e| e.applies("a@ops.example", day("2026-11-28")))
        );
        assert!(
            !e.as_ref()
                .is_some_and(|e| e.applies("x@evil.example", day("2026-11-28")))
        );
        let git_only = allowed_signer(&format!("keys@acme.example namespaces=\"git\" {KEY}"))
            .ok()
            .flatten();
        assert!(!git_only.is_some_and(|e| e.applies("keys@acme.example", day("2026-11-28"))));
        let dated = allowed_signer(&format!("k valid-before=\"20261001\" {KEY}"))
            .ok()
            .flatten();
        assert!(!dated.is_some_and(|e| e.applies("k", day("2026-11-28"))));
        assert!(allowed_signer("# comment").ok().flatten().is_none());
        assert!(allowed_signer("k nonsense").is_err());
        assert!(allowed_signer(&format!("k bogus-option {KEY}")).is_err());
    }

    #[test]
    fn globs_match_like_ssh_patterns() {
        assert!(glob("*@acme.example", "keys@acme.example"));
        assert!(glob("k?ys", "keys"));
        assert!(!glob("keys", "keys2"));
        assert!(glob("*", ""));
    }
}
