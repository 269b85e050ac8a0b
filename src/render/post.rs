//! HTML post-processing: one streaming lol_html pass over every page the theme rendered.
//!
//! Templates and Markdown stay simple; what every page needs is added here, whatever theme
//! rendered it:
//!
//! - **Heading anchors**: every `h2`–`h6` with an `id` inside `<main>` gets a trailing
//!   `<a class="kg-anchor" href="#id">` (themes should not add their own).
//! - **External links** (`http:`, `https:`, `//`) get `rel="noopener noreferrer"`, added to
//!   any `rel` the link already has.
//! - **Links to the site itself by absolute URL** (starting with `base_url`, as authors paste
//!   them from the browser) become relative links, so they stay inside the copy a customer
//!   reads — a deploy preview, a mirror, a folder on disk. Relative Markdown links between
//!   pages and versions are resolved earlier, while Markdown is rendered ([`crate::links`]).
//! - **Scrollable blocks** in `<main>` (`pre`, and tables from Markdown, which have no
//!   class) get `tabindex="0"`, so keyboard users can scroll them when they overflow on a
//!   narrow screen.
//! - **Fingerprinted assets**: the theme's CSS and JavaScript files are published as
//!   `assets/<name>.<hash>.<ext>` ([`Assets`]), so hosts may cache them for a year
//!   (`_headers` says so); every `<link href>` and `<script src>` that points at one is
//!   rewritten to the fingerprinted name and given an SRI `integrity` attribute.

use std::collections::BTreeMap;

use base64::Engine as _;
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use sha2::{Digest as _, Sha384};

use crate::error::{Error, Result};
use crate::links;

/// The folder fingerprinted theme assets are published in.
pub const ASSETS_DIR: &str = "assets";

/// Theme static files that are fingerprinted: the ones pages load as subresources.
const FINGERPRINTED: &[&str] = &[".css", ".js"];

/// One fingerprinted file.
#[derive(Debug, Clone)]
struct Fingerprinted {
    /// Output path, e.g. `assets/style.3f2a9c1d04.css`.
    path: String,
    /// SRI value, `sha384-...`.
    integrity: String,
}

/// The theme's fingerprinted files, by their unfingerprinted output path (`static/style.css`).
#[derive(Debug, Default)]
pub struct Assets {
    files: BTreeMap<String, Fingerprinted>,
}

impl Assets {
    /// Splits the theme's static files into fingerprinted ones (CSS, JavaScript; returned with
    /// their new paths) and the rest (returned under `static/`).
    pub fn from_static(static_files: &[(String, Vec<u8>)]) -> (Assets, Vec<(String, Vec<u8>)>) {
        let mut assets = Assets::default();
        let mut out = Vec::new();
        for (path, bytes) in static_files {
            let original = format!("static/{path}");
            let Some(ext) = FINGERPRINTED.iter().find(|ext| path.ends_with(*ext)) else {
                out.push((original, bytes.clone()));
                continue;
            };
            let digest = Sha384::digest(bytes);
            let hex: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
            let stem = &path[..path.len() - ext.len()];
            let fingerprinted = Fingerprinted {
                path: format!("{ASSETS_DIR}/{stem}.{hex}{ext}"),
                integrity: integrity(bytes),
            };
            out.push((fingerprinted.path.clone(), bytes.clone()));
            assets.files.insert(original, fingerprinted);
        }
        (assets, out)
    }
}

/// What the pass needs to know about the site.
pub struct Post<'a> {
    /// The fingerprinted theme files.
    pub assets: &'a Assets,
    /// The site's base URL without a trailing `/`.
    pub base_url: &'a str,
    /// The path part of the base URL, starting and ending with `/`.
    pub base_path: &'a str,
}

impl Post<'_> {
    /// Post-processes the page at output path `page` (e.g. `1.1.0/gateway/index.html`).
    pub fn process(&self, page: &str, html: &str) -> Result<String> {
        let dir = page.rsplit_once('/').map_or("", |(d, _)| d);
        let dir = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let subresource = |el: &mut lol_html::html_content::Element<'_, '_>, attr: &str| {
            let Some(value) = el.get_attribute(attr) else {
                return Ok(());
            };
            let Some((target, absolute)) = self.output_path(&dir, &value) else {
                return Ok(());
            };
            if let Some(f) = self.assets.files.get(&target) {
                let url = if absolute {
                    format!("{}{}", self.base_path, f.path)
                } else {
                    links::relative(&dir, &f.path)
                };
                el.set_attribute(attr, &url)?;
                el.set_attribute("integrity", &f.integrity)?;
            }
            Ok(())
        };
        let settings = RewriteStrSettings::new()
            .append_element_content_handler(element!("link[href]", |el| {
                subresource(el, "href")
            }))
            .append_element_content_handler(element!("script[src]", |el| {
                subresource(el, "src")
            }))
            .append_element_content_handler(element!("a[href]", |el| {
                let Some(href) = el.get_attribute("href") else {
                    return Ok(());
                };
                if let Some(rest) = self.own_url(&href) {
                    el.set_attribute("href", &links::relative(&dir, rest))?;
                } else if is_external(&href) {
                    let mut rel: Vec<String> = el
                        .get_attribute("rel")
                        .map(|r| r.split_whitespace().map(str::to_owned).collect())
                        .unwrap_or_default();
                    for token in ["noopener", "noreferrer"] {
                        if !rel.iter().any(|r| r.eq_ignore_ascii_case(token)) {
                            rel.push(token.to_owned());
                        }
                    }
                    el.set_attribute("rel", &rel.join(" "))?;
                }
                Ok(())
            }))
            .append_element_content_handler(element!(
                "main pre:not([tabindex]), main table:not([class]):not([tabindex])",
                |el| {
                    el.set_attribute("tabindex", "0")?;
                    Ok(())
                }
            ))
            .append_element_content_handler(element!(
                "main h2[id], main h3[id], main h4[id], main h5[id], main h6[id]",
                |el| {
                    if let Some(id) = el.get_attribute("id") {
                        // lol_html gives the value as written, entities and all (`r&amp;d`):
                        // decoded first, so the link is escaped once, like the id.
                        let id = decode_entities(&id);
                        let href = escape_attr(&format!("#{}", links::encode_fragment(&id)));
                        el.append(
                            &format!(
                                " <a class=\"kg-anchor\" href=\"{href}\" aria-label=\"Link to this section\">#</a>"
                            ),
                            ContentType::Html,
                        );
                    }
                    Ok(())
                }
            ));
        rewrite_str(html, settings).map_err(|e| Error::Usage {
            message: format!("post-processing {page} failed: {e}"),
            help: "check the theme's templates produce well-formed HTML".into(),
        })
    }

    /// The output path a `href`/`src` value on a page in `dir` points at, and whether it was
    /// written site-absolute (`/keys/static/style.css`) rather than relative.
    fn output_path(&self, dir: &str, value: &str) -> Option<(String, bool)> {
        let path = value.split(['?', '#']).next().unwrap_or(value);
        if path.starts_with("//") || links::is_external(path) {
            return None;
        }
        if let Some(rest) = path.strip_prefix(self.base_path) {
            return Some((rest.to_owned(), true));
        }
        if path.starts_with('/') {
            return None;
        }
        let mut segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        for seg in path.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    segments.pop()?;
                }
                s => segments.push(s),
            }
        }
        Some((segments.join("/"), false))
    }

    /// For an absolute URL into this site, the output path it names (without the base URL).
    fn own_url<'h>(&self, href: &'h str) -> Option<&'h str> {
        let rest = href.strip_prefix(self.base_url)?;
        match rest.strip_prefix('/') {
            Some(r) => Some(r),
            None if rest.is_empty() => Some(""),
            None => None,
        }
    }
}

/// Whether `href` leaves the site: an `http(s):` or protocol-relative URL.
fn is_external(href: &str) -> bool {
    let lower = href.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// An attribute value as lol_html gives it (as written in the page) with its character
/// references decoded: numeric ones (`&#39;`, `&#x2f;`) and the named ones the template
/// engines write (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`). Those escapers turn every `&`
/// of the text into `&amp;`, so any other `&` is left as it is.
fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => number.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The SRI value of `bytes`: `sha384-` and the base64 of their SHA-384, as browsers compute
/// it.
pub fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(assets: &Assets) -> Post<'_> {
        Post {
            assets,
            base_url: "https://trust.example.com/keys",
            base_path: "/keys/",
        }
    }

    #[test]
    fn fingerprints_subresources_and_adds_integrity() {
        let (assets, files) = Assets::from_static(&[
            ("style.css".into(), b"body{}".to_vec()),
            ("logo.svg".into(), b"<svg/>".to_vec()),
        ]);
        assert!(
            files
                .iter()
                .any(|(p, _)| p.starts_with("assets/style.") && p.ends_with(".css"))
        );
        assert!(files.iter().any(|(p, _)| p == "static/logo.svg"));
        let html = post(&assets)
            .process(
                "1.0.0/g/index.html",
                r#"<link rel="stylesheet" href="../../static/style.css"><link rel="stylesheet" href="/keys/static/style.css">"#,
            )
            .unwrap_or_default();
        assert!(html.contains(r#"href="../../assets/style."#), "{html}");
        assert!(html.contains(r#"href="/keys/assets/style."#), "{html}");
        assert_eq!(html.matches("integrity=\"sha384-").count(), 2, "{html}");
    }

    #[test]
    fn decodes_character_references_once() {
        assert_eq!(
            decode_entities("r&amp;d&lt;&#x2f;&#39;&quot;&amp;amp;&nope;&"),
            "r&d</'\"&amp;&nope;&"
        );
        let assets = Assets::default();
        let html = post(&assets)
            .process(
                "1.0.0/g/index.html",
                r#"<main><h2 id="a&lt;b&amp;c&quot;d">T</h2></main>"#,
            )
            .unwrap_or_default();
        assert!(
            html.contains(r##"<a class="kg-anchor" href="#a%3Cb&amp;c%22d""##),
            "{html}"
        );
    }

    #[test]
    fn marks_external_links_rewrites_own_urls_and_anchors_headings() {
        let assets = Assets::default();
        let html = post(&assets)
            .process(
                "1.0.0/g/index.html",
                r#"<main><pre>x</pre><table><tr><td>1</td></tr></table><h2 id="storage">Storage</h2><h1 id="t">T</h1><a href="https://x.example" rel="external">x</a><a href="https://trust.example.com/keys/1.1.0/g/#storage">y</a><a href="mailto:a@b.example">m</a></main><h2 id="out">Out</h2>"#,
            )
            .unwrap_or_default();
        assert!(
            html.contains(r#"rel="external noopener noreferrer""#),
            "{html}"
        );
        assert!(
            html.contains(r##"href="../../1.1.0/g/#storage""##),
            "{html}"
        );
        assert!(
            html.contains(r##"Storage <a class="kg-anchor" href="#storage""##),
            "{html}"
        );
        assert_eq!(html.matches("kg-anchor").count(), 1, "{html}");
        assert!(
            html.contains(r#"<pre tabindex="0">"#) && html.contains(r#"<table tabindex="0">"#),
            "{html}"
        );
        assert!(!html.contains("mailto:a@b.example\" rel"), "{html}");
    }
}
