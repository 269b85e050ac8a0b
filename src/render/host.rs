//! Files for crawlers and hosts: `sitemap.xml`, `robots.txt` and `_headers`.
//!
//! - `sitemap.xml` lists the landing page and every page of the latest release only: older
//!   versions are `noindex` (a search engine should send customers to current guidance) and
//!   the draft is never listed.
//! - `robots.txt` allows everything but the draft folder and names the sitemap.
//! - `_headers` (read by Netlify and Cloudflare Pages, which do not serve it) sets the
//!   security headers of keyguide.toml `[headers]` on every path, and a one-year immutable
//!   cache on the fingerprinted files under `assets/`, whose names change with their content.

use crate::DRAFT_LABEL;
use crate::links::{self, Target};

use super::{Site, post};

/// `sitemap.xml`: absolute URLs of the landing page and the latest release's pages.
pub fn sitemap(site: &Site<'_>) -> Vec<u8> {
    let base = &site.config.base_url;
    let mut urls = vec![format!("{base}/")];
    if let Some(latest) = site.latest() {
        urls.push(format!("{base}/{}/", latest.label));
        for guide in latest.guides {
            let id = guide.guide.id;
            let integrations = guide.integrations.iter().map(|(a, _)| Some(a.stem));
            for integration in std::iter::once(None).chain(integrations) {
                let target = Target::Page {
                    guide: id.to_owned(),
                    integration: integration.map(str::to_owned),
                };
                if let Some(path) = links::url(&latest.label, &target) {
                    urls.push(format!("{base}/{path}"));
                }
            }
        }
    }
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            crate::diff::escape(&url)
        ));
    }
    xml.push_str("</urlset>\n");
    xml.into_bytes()
}

/// `robots.txt`.
pub fn robots(site: &Site<'_>) -> Vec<u8> {
    format!(
        "User-agent: *\nDisallow: {}{DRAFT_LABEL}/\n\nSitemap: {}/sitemap.xml\n",
        site.config.base_path, site.config.base_url
    )
    .into_bytes()
}

/// `_headers`, in the format Netlify and Cloudflare Pages share.
pub fn headers(site: &Site<'_>) -> Vec<u8> {
    let base = &site.config.base_path;
    let mut text = format!("{base}*\n");
    for (name, value) in &site.config.headers {
        text.push_str(&format!("  {name}: {value}\n"));
    }
    text.push_str(&format!(
        "{base}{}/*\n  Cache-Control: public, max-age=31536000, immutable\n",
        post::ASSETS_DIR
    ));
    text.into_bytes()
}
