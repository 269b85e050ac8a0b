//! Internal links: what a relative link in a page points at, and where that lives in the
//! built site.
//!
//! Authors link the way they would in any Markdown repository — relative paths to `.md`
//! files and assets, resolved from the file the link is written in (`_index.md#storage`,
//! `../vault/hsm-key-ceremony.md#rotation`, `flow.svg`). [`resolve`] turns such a link into
//! a [`Target`] in the content tree; [`url`] gives the target's path in a built version.
//! External links (with a scheme or `//`), site-absolute paths (`/...`) and bare fragments
//! are left alone.
//!
//! Links are URLs, so `my%20flow.svg` names the file `my flow.svg` and `#%C3%BCbersicht`
//! the section id `übersicht`: paths and fragments are percent-decoded before they are
//! looked up, and encoded again when written into the built page.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// Characters encoded in a path segment of a built link.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Characters encoded in the fragment of a built link.
const FRAGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// `text` with `%XX` escapes decoded (invalid UTF-8 replaced, so a broken link still
/// reports rather than fails).
pub fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// `fragment` (decoded) ready to follow `#` in a built link.
pub fn encode_fragment(fragment: &str) -> String {
    utf8_percent_encode(fragment, FRAGMENT).to_string()
}

/// What an internal link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A base guide (`<guide>/_index.md` or the folder itself) or, with `integration`, the
    /// compiled integration guide of `<guide>/<integration>.md`.
    Page {
        /// The guide folder.
        guide: String,
        /// The addendum stem.
        integration: Option<String>,
    },
    /// A file in a guide folder.
    Asset {
        /// The guide folder.
        guide: String,
        /// Path inside the guide folder.
        path: String,
    },
    /// A path that leaves the content folder or names no guide.
    Outside(String),
}

/// A resolved link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// What it points at.
    pub target: Target,
    /// The `#fragment`, without `#`.
    pub fragment: Option<String>,
}

/// Resolves `dest`, written in the file `source` (site-relative, inside `content_dir`).
/// `None` for links that are not relative file links.
pub fn resolve(source: &str, content_dir: &str, dest: &str) -> Option<Resolved> {
    if is_external(dest) || dest.starts_with('/') || dest.starts_with('#') || dest.is_empty() {
        return None;
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(decode(f))),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let dir = source.rsplit_once('/').map_or("", |(d, _)| d);
    let mut segments: Vec<String> = dir
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    for seg in path.split('/').map(decode) {
        match seg.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(seg),
        }
    }
    let joined = segments.join("/");
    let inside = joined
        .strip_prefix(content_dir)
        .and_then(|r| r.strip_prefix('/'));
    let target = match inside.map(|r| r.split('/').collect::<Vec<_>>()).as_deref() {
        Some([guide]) | Some([guide, "_index.md"]) => Target::Page {
            guide: (*guide).to_owned(),
            integration: None,
        },
        Some([guide, file]) if file.ends_with(".md") => Target::Page {
            guide: (*guide).to_owned(),
            integration: Some(file.trim_end_matches(".md").to_owned()),
        },
        Some([guide, rest @ ..]) if !rest.is_empty() => Target::Asset {
            guide: (*guide).to_owned(),
            path: rest.join("/"),
        },
        _ => Target::Outside(joined),
    };
    Some(Resolved { target, fragment })
}

/// Whether `dest` has a URL scheme (`https:`, `mailto:`) or is protocol-relative.
pub fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let scheme = dest.split(':').next().unwrap_or("");
    dest.contains(':')
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The file path of `target` in the version folder `version` (e.g. `next`), relative to the
/// output root: folders end with `/`.
pub fn output_path(version: &str, target: &Target) -> Option<String> {
    match target {
        Target::Page {
            guide,
            integration: None,
        } => Some(format!("{version}/{guide}/")),
        Target::Page {
            guide,
            integration: Some(i),
        } => Some(format!("{version}/{guide}/{i}/")),
        Target::Asset { guide, path } => Some(format!("{version}/{guide}/{path}")),
        Target::Outside(_) => None,
    }
}

/// [`output_path`] as a URL path: each segment percent-encoded where it needs to be (asset
/// names may hold spaces; guide and page names are URL-safe already).
pub fn url(version: &str, target: &Target) -> Option<String> {
    let path = output_path(version, target)?;
    let encoded: Vec<String> = path
        .split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect();
    Some(encoded.join("/"))
}

/// The relative URL from the page whose folder is `from_dir` to `to` (both relative to the
/// output root; `from_dir` is empty or ends with `/`). Relative URLs keep the site working
/// under any path prefix and when opened from disk.
pub fn relative(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from.len() - common);
    out.push_str(&to_parts[common..].join("/"));
    if out.is_empty() { "./".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(guide: &str, integration: Option<&str>) -> Target {
        Target::Page {
            guide: guide.into(),
            integration: integration.map(Into::into),
        }
    }

    #[test]
    fn resolves_relative_links_from_the_source_file() {
        let r = resolve("content/gateway/mtls.md", "content", "_index.md#storage");
        assert_eq!(
            r.map(|r| (r.target, r.fragment)),
            Some((page("gateway", None), Some("storage".into())))
        );
        let r = resolve("content/gateway/_index.md", "content", "../vault/hsm.md");
        assert_eq!(r.map(|r| r.target), Some(page("vault", Some("hsm"))));
        let r = resolve("content/gateway/_index.md", "content", "img/flow.svg");
        assert_eq!(
            r.map(|r| r.target),
            Some(Target::Asset {
                guide: "gateway".into(),
                path: "img/flow.svg".into()
            })
        );
        let r = resolve(
            "content/gateway/_index.md",
            "content",
            "../../keyguide.toml",
        );
        assert_eq!(
            r.map(|r| r.target),
            Some(Target::Outside("keyguide.toml".into()))
        );
        let r = resolve("content/g/_index.md", "content", "my%20flow.svg#%C3%BCber");
        let r = r.map(|r| (r.target, r.fragment));
        assert_eq!(
            r,
            Some((
                Target::Asset {
                    guide: "g".into(),
                    path: "my flow.svg".into()
                },
                Some("über".into())
            ))
        );
        if let Some((target, _)) = r {
            assert_eq!(
                url("next", &target).as_deref(),
                Some("next/g/my%20flow.svg")
            );
        }
        assert_eq!(
            resolve("content/g/_index.md", "content", "https://x.example/a"),
            None
        );
        assert_eq!(
            resolve("content/g/_index.md", "content", "mailto:a@b.example"),
            None
        );
    }

    #[test]
    fn relative_urls_climb_only_as_far_as_needed() {
        assert_eq!(relative("next/gateway/mtls/", "next/gateway/"), "../");
        assert_eq!(relative("next/gateway/", "next/gateway/"), "./");
        assert_eq!(
            relative("next/gateway/", "next/vault/hsm/"),
            "../vault/hsm/"
        );
        assert_eq!(relative("", "static/style.css"), "static/style.css");
        assert_eq!(
            relative("next/gateway/", "next/gateway/flow.svg"),
            "flow.svg"
        );
    }
}
