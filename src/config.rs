//! `keyguide.toml`: read, checked strictly, then resolved into a [`Config`].
//!
//! Parsing and resolving are separate steps: [`RawConfig`] mirrors the file exactly (with
//! `deny_unknown_fields`, so a misspelt key is an error, never silently ignored), and
//! [`RawConfig::resolve`] destructures every field into the validated [`Config`] that the
//! rest of the pipeline uses, so a new field cannot be forgotten.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::LineIndex;
use crate::error::{Error, Result};

/// The configuration file's name.
pub const FILE_NAME: &str = "keyguide.toml";

/// The built-in profile used when `profile` is not set.
pub const DEFAULT_PROFILE: &str = "pci-dss-4.0.1-3.7.9";

/// `keyguide.toml` exactly as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    title: String,
    base_url: Spanned<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    theme: Option<Spanned<String>>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    lint: RawLint,
    #[serde(default)]
    review: RawReview,
    #[serde(default)]
    signing: RawSigning,
    #[serde(default)]
    evidence: RawEvidence,
    /// Response headers for `_headers`: name → value; `""` removes a default.
    #[serde(default)]
    headers: std::collections::BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLint {
    #[serde(default)]
    warn: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    interval_days: Option<u32>,
    warn_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    grace_days: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigning {
    identity: Option<Spanned<String>>,
    expires_days: Option<Spanned<u32>>,
}

/// The site's resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site root: the folder holding `keyguide.toml`.
    pub root: PathBuf,
    /// Site title, shown on every page.
    pub title: String,
    /// Absolute URL the site is published at, without a trailing slash.
    pub base_url: String,
    /// The path part of `base_url`, always starting and ending with `/` (e.g. `/keys/`).
    pub base_path: String,
    /// Built-in profile name or a path relative to the root.
    pub profile: String,
    /// Theme name: `default` or a folder under `themes/`.
    pub theme: String,
    /// Default document owner for guides that do not name one.
    pub owner: Option<String>,
    /// Rule ids downgraded to warnings.
    pub lint_warn: Vec<String>,
    /// Rule ids switched off.
    pub lint_allow: Vec<String>,
    /// Days after `last_reviewed` at which a guide is overdue.
    pub review_interval_days: u32,
    /// Days before the due date from which a review is flagged.
    pub review_warn_days: u32,
    /// Principal named in the allowed_signers line: `[signing] identity`, or the host of
    /// `base_url` (e.g. `trust.example.com`).
    pub signing_identity: String,
    /// Response headers every page gets (`_headers`), in order: the defaults
    /// ([`DEFAULT_HEADERS`]) with `[headers]` applied.
    pub headers: Vec<(String, String)>,
    /// Days after the latest release that the manifest stays fresh (`[signing]
    /// expires_days`); none: it does not expire.
    pub signing_expires_days: Option<u32>,
    /// Days after a release within which every in-scope customer must have received it
    /// (`[evidence] grace_days`, default 30).
    pub evidence_grace_days: u32,
}

impl Config {
    /// Reads and resolves `root/keyguide.toml`.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join(FILE_NAME);
        let bytes = std::fs::read(&path).map_err(Error::io("reading", &path))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, column) =
                crate::diag::position_in_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
            Error::Config {
                file: path.display().to_string(),
                line,
                column,
                message: "not valid UTF-8".into(),
                help: "save keyguide.toml as UTF-8 (most editors: \"Save with encoding\" → UTF-8)"
                    .into(),
            }
        })?;
        let raw: RawConfig = parse_toml(&path, &text)?;
        raw.resolve(root, &path, &text)
    }

    /// Replaces `base_url` (for deploy previews), keeping the same validation.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Config> {
        let (url, path) = split_base_url(base_url).map_err(|message| Error::Usage {
            message: format!("--base-url {base_url:?}: {message}"),
            help: "pass an absolute URL such as https://deploy-preview-1.example.net/".into(),
        })?;
        self.base_url = url;
        self.base_path = path;
        Ok(self)
    }
}

impl RawConfig {
    /// Validates every field and turns the file into a [`Config`].
    fn resolve(self, root: &Path, path: &Path, text: &str) -> Result<Config> {
        let RawConfig {
            title,
            base_url,
            profile,
            theme,
            owner,
            lint: RawLint { warn, allow },
            review:
                RawReview {
                    interval_days,
                    warn_days,
                },
            signing:
                RawSigning {
                    identity,
                    expires_days,
                },
            evidence: RawEvidence { grace_days },
            headers,
        } = self;
        let invalid = |offset: usize, message: String, help: &str| {
            let (line, column) = LineIndex::new(text).line_col(text, offset);
            Error::Config {
                file: path.display().to_string(),
                line,
                column,
                message,
                help: help.to_owned(),
            }
        };
        let (base_url, base_path) = split_base_url(base_url.get_ref()).map_err(|m| {
            invalid(
                base_url.span().start,
                format!("base_url {:?}: {m}", base_url.get_ref()),
                "write base_url as an absolute URL, e.g. base_url = \"https://trust.example.com/keys\"",
            )
        })?;
        let signing_identity = match identity {
            Some(id) => {
                if let Some(problem) = crate::signing::identity_problem(id.get_ref()) {
                    return Err(invalid(
                        id.span().start,
                        format!("[signing] identity {:?} {problem}", id.get_ref()),
                        "name the signer as one word, e.g. identity = \"keys@trust.example.com\"",
                    ));
                }
                id.into_inner()
            }
            None => host(&base_url),
        };
        let headers = resolve_headers(headers).map_err(|(offset, message)| {
            invalid(
                offset,
                message,
                "write `\"Header-Name\" = \"value\"` under [headers]: a name of letters, digits and `-`, a value on one line; `\"\"` removes a default header",
            )
        })?;
        // A number of days that may not exceed `max` (`what` says how long that is).
        let at_most =
            |days: Option<Spanned<u32>>, max: u32, key: &str, what: &str, help: &str| match days {
                Some(d) if *d.get_ref() > max => Err(invalid(
                    d.span().start,
                    format!("{key} = {} is more than {max} ({what})", d.get_ref()),
                    help,
                )),
                other => Ok(other.map(Spanned::into_inner)),
            };
        let theme = match theme {
            Some(t) if !is_simple_name(t.get_ref()) => {
                return Err(invalid(
                    t.span().start,
                    format!("theme {:?} is not a folder name", t.get_ref()),
                    "name a folder under themes/ (letters, digits, `-`, `_`), or \"default\"",
                ));
            }
            Some(t) => t.into_inner(),
            None => "default".to_owned(),
        };
        Ok(Config {
            root: root.to_path_buf(),
            title,
            base_url,
            base_path,
            profile: profile.unwrap_or_else(|| DEFAULT_PROFILE.to_owned()),
            theme,
            owner,
            lint_warn: warn,
            lint_allow: allow,
            review_interval_days: interval_days.unwrap_or(365),
            review_warn_days: warn_days.unwrap_or(30),
            signing_identity,
            signing_expires_days: at_most(
                expires_days,
                MAX_EXPIRES_DAYS,
                "[signing] expires_days",
                "ten years",
                "a manifest meant to go stale should do so within years; leave expires_days out for none",
            )?,
            evidence_grace_days: at_most(
                grace_days,
                MAX_GRACE_DAYS,
                "[evidence] grace_days",
                "a year",
                "customers should have the current guidance within weeks of a release; the default is 30",
            )?
            .unwrap_or(DEFAULT_GRACE_DAYS),
            headers,
        })
    }
}

/// Days customers have to receive a new version when `[evidence] grace_days` is not set.
pub const DEFAULT_GRACE_DAYS: u32 = 30;

/// The longest `[evidence] grace_days` accepted: a year.
const MAX_GRACE_DAYS: u32 = 366;

/// The longest `[signing] expires_days` accepted: ten years.
const MAX_EXPIRES_DAYS: u32 = 3653;

/// The security headers every page gets unless `[headers]` changes them. The default theme
/// loads nothing from elsewhere and has no inline script or style, so the strictest policy
/// holds.
pub const DEFAULT_HEADERS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
    ("X-Frame-Options", "DENY"),
];

/// The defaults with `[headers]` applied: a listed name replaces the default of the same
/// name (compared without regard to case) or is added after the defaults; `""` removes it.
fn resolve_headers(
    given: std::collections::BTreeMap<String, Spanned<String>>,
) -> std::result::Result<Vec<(String, String)>, (usize, String)> {
    let mut headers: Vec<(String, String)> = DEFAULT_HEADERS
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for (name, value) in given {
        let offset = value.span().start;
        let valid_name =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid_name {
            return Err((offset, format!("[headers] `{name}` is not a header name")));
        }
        let value = value.into_inner();
        if value.contains(['\r', '\n']) || value.chars().any(char::is_control) {
            return Err((
                offset,
                format!("[headers] `{name}` holds a line break or control character"),
            ));
        }
        let value = value.trim().to_owned();
        match headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some(i) if value.is_empty() => {
                headers.remove(i);
            }
            Some(i) => headers[i].1 = value,
            None if value.is_empty() => {}
            None => headers.push((name, value)),
        }
    }
    Ok(headers)
}

/// The host of an absolute URL, lower-cased (`https://Trust.Example.com:8443/keys` →
/// `trust.example.com`; an IPv6 literal keeps its brackets' content).
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    };
    host.to_ascii_lowercase()
}

/// Whether `name` is usable as one path component: ASCII letters, digits, `-`, `_`, `.`,
/// not starting with a dot.
pub fn is_simple_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Splits an absolute http(s) URL into (URL without trailing slash, path with slashes).
fn split_base_url(url: &str) -> std::result::Result<(String, String), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with https:// or http://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return Err("has no host".into());
    }
    if path.contains(['?', '#']) || url.chars().any(char::is_whitespace) {
        return Err("must not contain spaces, a query or a fragment".into());
    }
    let path = path.trim_matches('/');
    let base_path = if path.is_empty() {
        "/".to_owned()
    } else {
        format!("/{path}/")
    };
    Ok((url.trim_end_matches('/').to_owned(), base_path))
}

/// Parses TOML into `T`, turning a failure into an error at the file's line and column.
pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = toml_error_position(text, &e, 0);
        Error::Config {
            file: path.display().to_string(),
            line,
            column,
            message: toml_error_message(&e),
            help: toml_error_help(&e),
        }
    })
}

/// Line and column of a TOML error, for TOML that starts at byte `base` of `file_text`.
pub fn toml_error_position(file_text: &str, e: &toml::de::Error, base: usize) -> (usize, usize) {
    let offset = base + e.span().map_or(0, |s| s.start);
    LineIndex::new(file_text).line_col(file_text, offset)
}

/// The TOML error's message on one line, without the snippet the toml crate adds.
pub fn toml_error_message(e: &toml::de::Error) -> String {
    e.message().trim().replace('\n', "; ")
}

/// A suggestion for a TOML error, based on what kind of error it is.
pub fn toml_error_help(e: &toml::de::Error) -> String {
    let m = e.message();
    if m.contains("unknown field") {
        "remove the key or correct its spelling; the expected keys are listed above".into()
    } else if m.contains("missing field") {
        "add the missing key".into()
    } else if m.contains("invalid type") {
        "change the value to the expected type (strings in quotes, dates as 2026-10-01, lists in [ ])".into()
    } else {
        "fix the TOML syntax at this position (see https://toml.io)".into()
    }
}

/// The site root: `explicit` when given, else the nearest folder from the current
/// directory upwards that holds `keyguide.toml`.
pub fn find_root(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        if dir.join(FILE_NAME).is_file() {
            return Ok(dir.to_path_buf());
        }
        return Err(no_site_at(dir));
    }
    let cwd = std::env::current_dir().map_err(Error::io("reading current folder", "."))?;
    cwd.ancestors()
        .find(|dir| dir.join(FILE_NAME).is_file())
        .map(Path::to_path_buf)
        .ok_or(Error::NoSite { start: cwd })
}

/// Why `--root dir` is not a site, and what to pass instead.
fn no_site_at(dir: &Path) -> Error {
    let init = format!(
        "pass the folder that holds keyguide.toml, or create a site there with `keyguide init {}`",
        dir.display()
    );
    let (message, help) = match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ("the folder does not exist".to_owned(), init)
        }
        Err(e) => (
            format!("the folder cannot be read: {e}"),
            "check the path and its permissions".to_owned(),
        ),
        Ok(meta) if !meta.is_dir() => (
            "not a folder".to_owned(),
            "pass the site's folder, the one that holds keyguide.toml".to_owned(),
        ),
        Ok(_) => {
            // --root is taken as given, but the site may be just above it (`--root content`).
            let above = dir.canonicalize().ok().and_then(|d| {
                d.ancestors()
                    .skip(1)
                    .find(|a| a.join(FILE_NAME).is_file())
                    .map(Path::to_path_buf)
            });
            let help = match above {
                Some(site) => format!(
                    "{} holds keyguide.toml: pass `--root {}`, or leave out --root to search upwards from the current folder",
                    site.display(),
                    site.display()
                ),
                None => init,
            };
            (
                "the folder holds no keyguide.toml (with --root, parent folders are not searched)"
                    .to_owned(),
                help,
            )
        }
    };
    Error::NoSiteAtRoot {
        root: dir.to_path_buf(),
        message,
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_identity_is_the_lower_cased_host() {
        assert_eq!(host("https://Trust.Example.COM/keys"), "trust.example.com");
        assert_eq!(host("https://[::1]:8443/keys"), "::1");
        assert_eq!(host("https://user@trust.example:8443"), "trust.example");
    }

    #[test]
    fn base_url_keeps_its_path_with_slashes() {
        assert_eq!(
            split_base_url("https://trust.acme.example/keys/").ok(),
            Some(("https://trust.acme.example/keys".into(), "/keys/".into()))
        );
        assert_eq!(
            split_base_url("https://a.example").ok(),
            Some(("https://a.example".into(), "/".into()))
        );
        assert!(split_base_url("trust.acme.example").is_err());
    }
}
