//! Rendering: composed guides become HTML pages through the theme.
//!
//! Input: the [`Site`] (which versions to build, each with its composed guides) and a
//! [`Theme`]. Output: an [`OutputTree`] with every page, the guides' assets and the theme's
//! static files. Markdown becomes HTML in [`crate::markdown::HtmlWriter`]; this module only
//! builds the typed contexts the templates see and lays pages out at their URLs (SPEC 5):
//! `/<version>/<guide>/`, `/<version>/<guide>/<integration>/`, assets beside their guide.

mod feeds;
mod host;
pub mod post;
mod releases;
mod search;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::frontmatter::Date;
pub use releases::ReleaseNotes;

use crate::compose::{ComposedGuide, Node, Origin, Part, State, Tree};
use crate::config::Config;
use crate::error::Result;
use crate::links::{self, Target};
use crate::markdown::HtmlWriter;
use crate::memo::Digest;
use crate::output::OutputTree;
use crate::theme::Theme;

/// One version of the guidance to build.
#[derive(Debug)]
pub struct Version<'c> {
    /// URL folder and label, e.g. `next` or `1.2.0`.
    pub label: String,
    /// Whether this is the unreleased draft.
    pub draft: bool,
    /// The content folder it was built from, relative to the site root.
    pub content_dir: &'c str,
    /// Its guides, composed.
    pub guides: &'c [ComposedGuide<'c>],
    /// Release date (none for the draft).
    pub date: Option<Date>,
    /// Approver (none for the draft).
    pub approver: Option<&'c str>,
    /// Whether this is the latest release.
    pub latest: bool,
    /// The digest of its content folder ([`crate::source::Sources::digest`]).
    pub sources: Digest,
}

impl Version<'_> {
    /// The page folder of (guide, integration) in this version, when the page exists there.
    fn page_dir(&self, guide: &str, integration: Option<&str>) -> Option<String> {
        let g = self.guides.iter().find(|g| g.guide.id == guide)?;
        if let Some(stem) = integration {
            g.integrations.iter().find(|(p, _)| p.stem == stem)?;
        }
        let target = Target::Page {
            guide: guide.to_owned(),
            integration: integration.map(str::to_owned),
        };
        links::url(&self.label, &target)
    }

    /// The closest page to (guide, integration) in this version: the page itself, else the
    /// guide's top, else the version's root.
    fn closest_dir(&self, guide: &str, integration: Option<&str>) -> String {
        self.page_dir(guide, integration)
            .or_else(|| self.page_dir(guide, None))
            .unwrap_or_else(|| format!("{}/", self.label))
    }
}

/// Everything the renderer builds.
#[derive(Debug)]
pub struct Site<'c> {
    /// The site configuration.
    pub config: &'c Config,
    /// Versions to build, newest first (the draft, when built, before every release).
    pub versions: Vec<Version<'c>>,
    /// Release notes of every release, newest first.
    pub notes: Vec<ReleaseNotes<'c>>,
    /// The published signing key, when the build is signed.
    pub signing: Option<&'c crate::signing::Published>,
}

impl Site<'_> {
    /// The latest release.
    fn latest(&self) -> Option<&Version<'_>> {
        self.versions.iter().find(|v| v.latest)
    }
}

#[derive(Serialize)]
struct SiteCtx<'a> {
    title: &'a str,
    base_url: &'a str,
    owner: &'a str,
}

#[derive(Serialize)]
struct VersionCtx<'a> {
    label: &'a str,
    draft: bool,
    latest: bool,
    title: String,
    date: Option<String>,
    approver: Option<&'a str>,
    superseded_by: Option<Superseded<'a>>,
    /// The SRI value of the version's `print.css` (it changes only with the version's
    /// label, date and approver, which every page of the version shows anyway).
    print_integrity: String,
}

#[derive(Serialize)]
struct Superseded<'a> {
    label: &'a str,
    date: String,
    url: String,
}

#[derive(Serialize)]
struct SwitchItem<'a> {
    label: &'a str,
    title: String,
    url: String,
    current: bool,
    latest: bool,
    draft: bool,
}

#[derive(Serialize)]
struct LinksCtx {
    releases: String,
    feed: String,
}

#[derive(Serialize)]
struct NavItem<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct NavGuide<'a> {
    #[serde(flatten)]
    item: NavItem<'a>,
    integrations: Vec<NavItem<'a>>,
}

#[derive(Serialize)]
struct GuideRef<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct IntegrationCtx<'a> {
    id: &'a str,
    title: &'a str,
    workflows: Vec<&'a str>,
}

#[derive(Serialize)]
struct TocEntry<'a> {
    id: &'a str,
    title: &'a str,
    level: u8,
    children: Vec<TocEntry<'a>>,
}

#[derive(Serialize)]
struct PartCtx {
    origin: Origin,
    html: String,
}

#[derive(Serialize)]
struct SectionCtx<'a> {
    id: &'a str,
    level: u8,
    title_html: String,
    origin: State,
    parts: Vec<PartCtx>,
}

#[derive(Serialize)]
struct PageCtx<'a> {
    title: &'a str,
    summary: Option<&'a str>,
    owner: &'a str,
    last_reviewed: Option<String>,
    guide: GuideRef<'a>,
    integration: Option<IntegrationCtx<'a>>,
    toc: Vec<TocEntry<'a>>,
    intro: Vec<PartCtx>,
    sections: Vec<SectionCtx<'a>>,
    feed: Option<String>,
}

#[derive(Serialize)]
struct VersionLink<'a> {
    label: &'a str,
    title: String,
    url: String,
    draft: bool,
    latest: bool,
    date: Option<String>,
    approver: Option<&'a str>,
}

#[derive(Serialize)]
struct LatestLink<'a> {
    label: &'a str,
    url: String,
}

#[derive(Serialize)]
struct LandingCtx<'a> {
    published: bool,
    drafts: bool,
    versions: Vec<VersionLink<'a>>,
    latest: Option<LatestLink<'a>>,
    /// How to verify the site: on the site's own landing page only.
    verify: Option<VerifyCtx<'a>>,
}

/// What the landing page tells customers about verifying the site.
#[derive(Serialize)]
struct VerifyCtx<'a> {
    /// The published key, when the build is signed.
    signing: Option<&'a crate::signing::Published>,
    manifest_url: String,
    signature_url: String,
    sums_url: String,
    public_key_url: String,
    allowed_signers_url: String,
    namespace: &'static str,
}

/// The context every template gets.
#[derive(Serialize)]
struct Context<'a> {
    site: SiteCtx<'a>,
    root: String,
    page_kind: &'static str,
    version: Option<VersionCtx<'a>>,
    nav: Vec<NavGuide<'a>>,
    switcher: Vec<SwitchItem<'a>>,
    links: LinksCtx,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<PageCtx<'a>>,
    #[serde(flatten)]
    landing: Option<LandingCtx<'a>>,
    #[serde(flatten)]
    extra: Option<releases::Extra<'a>>,
    /// The search box: the index of the page's version (the latest release on pages of no
    /// version), or none when nothing is built.
    search: Option<SearchCtx>,
}

#[derive(Serialize)]
struct SearchCtx {
    /// URL of the version's `search-index.js`.
    index: String,
    /// URL of the version's root, which result URLs are relative to.
    root: String,
    /// What is searched, e.g. "Version 1.1.0".
    title: String,
}

impl SearchCtx {
    /// Search of `version` from a page in folder `dir`.
    fn new(version: &Version<'_>, dir: &str) -> SearchCtx {
        SearchCtx {
            index: links::relative(dir, &format!("{}/{}", version.label, search::INDEX_FILE)),
            root: links::relative(dir, &format!("{}/", version.label)),
            title: version_title(version),
        }
    }
}

impl<'a> Context<'a> {
    /// A context for a page in folder `dir` (relative to the output root), with the parts
    /// every page shares; callers fill in the rest.
    fn new(site: &'a Site<'_>, dir: &str, page_kind: &'static str) -> Context<'a> {
        Context {
            site: site_ctx(site.config),
            root: links::relative(dir, ""),
            page_kind,
            version: None,
            nav: Vec::new(),
            switcher: Vec::new(),
            links: LinksCtx {
                releases: links::relative(dir, "releases/"),
                feed: links::relative(dir, "releases.xml"),
            },
            page: None,
            landing: None,
            extra: None,
            search: site
                .latest()
                .or(site.versions.first())
                .map(|v| SearchCtx::new(v, dir)),
        }
    }
}

/// A page to render: which version, guide and (optionally) integration.
struct Job<'c> {
    version: &'c Version<'c>,
    guide: &'c ComposedGuide<'c>,
    integration: Option<usize>,
}

impl Job<'_> {
    /// The page's folder relative to the output root.
    fn dir(&self) -> String {
        let target = Target::Page {
            guide: self.guide.guide.id.to_owned(),
            integration: self
                .integration
                .map(|i| self.guide.integrations[i].0.stem.to_owned()),
        };
        links::url(&self.version.label, &target).unwrap_or_default()
    }
}

/// Guide and integration pages of an earlier build, post-processed, by output path, with their
/// search index entries and the digest of everything each depended on. `keyguide serve` keeps one across rebuilds, so an
/// edit re-renders only the pages it touches.
///
/// A page's digest covers the site's shape (configuration, theme files, every version's
/// label, date, approver and guide/integration ids — what the switcher, banners and links are
/// made of), its own version's guide and integration titles (the navigation), and the page's
/// own sources (its base guide's text and, for an integration page, its addendum's), which is
/// more than its search entry depends on. Everything else the build writes (landing, release
/// notes, feeds, the search indexes made of the entries, manifest) is rebuilt every time.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: std::sync::Mutex<std::collections::HashMap<String, Cached>>,
    rendered: std::sync::atomic::AtomicUsize,
}

impl PageCache {
    /// Guide and integration pages the last build rendered rather than reused.
    pub fn rendered(&self) -> usize {
        self.rendered.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The page at `path`, when it was built from inputs of digest `key`.
    fn get(&self, path: &str, key: u64) -> Option<Cached> {
        let pages = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pages.get(path).filter(|c| c.key == key).cloned()
    }

    fn put(&self, path: String, page: Cached) {
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pages.insert(path, page);
    }
}

/// A page as the cache keeps it.
#[derive(Debug, Clone)]
struct Cached {
    /// The digest of what it was built from.
    key: u64,
    /// The page, post-processed, shared with the output trees that hold it.
    bytes: std::sync::Arc<Vec<u8>>,
    /// Its entry in the version's search index.
    search: std::sync::Arc<str>,
    /// The SHA-256 of `bytes`, for the manifest and the KG010 memo.
    digest: Digest,
}

/// The digest of what every page depends on besides its own version and sources: the
/// configuration, the theme, and every version's label, date, approver and which guides and
/// integrations it has (the switcher links to the same page in each version).
fn site_key(site: &Site<'_>, theme: &Theme) -> Digest {
    use std::hash::Hash as _;
    let mut h = crate::memo::DigestHasher::default();
    format!("{:?}", site.config).hash(&mut h);
    theme.identity.hash(&mut h);
    for v in &site.versions {
        (&v.label, v.draft, v.latest, v.content_dir, v.approver).hash(&mut h);
        v.date.map(|d| d.to_string()).hash(&mut h);
        for g in v.guides {
            g.guide.id.hash(&mut h);
            for (a, _) in &g.integrations {
                a.stem.hash(&mut h);
            }
        }
    }
    h.digest()
}

/// The digest of what a released version's folder is made of: the site's shape
/// ([`site_key`]), the version's label and its content folder. The signing key is not in
/// it: only the site's landing page shows the key.
fn version_key(site_key: &Digest, version: &Version<'_>) -> Digest {
    crate::memo::digest_of(&[site_key, version.label.as_bytes(), &version.sources])
}

/// The digest of a version's guide and integration titles (the navigation shows them).
fn titles_key(version: &Version<'_>) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    for g in version.guides {
        g.guide.base.matter.title.hash(&mut h);
        for (a, _) in &g.integrations {
            a.matter.title.hash(&mut h);
        }
    }
    h.finish()
}

/// The digest of a page: the site's shape, its version's titles, and the page's own sources.
fn page_key(site_key: &Digest, titles_key: u64, job: &Job<'_>) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::hash::DefaultHasher::new();
    (site_key, titles_key).hash(&mut h);
    job.dir().hash(&mut h);
    job.guide.guide.base.file.digest.hash(&mut h);
    if let Some(i) = job.integration {
        job.guide.integrations[i].0.file.digest.hash(&mut h);
    }
    h.finish()
}

/// A guide or integration page, rendered now or reused (already post-processed) from the cache.
struct Rendered {
    path: String,
    bytes: crate::output::Made,
    /// Its entry in the version's search index.
    search: std::sync::Arc<str>,
    /// The SHA-256 of `bytes`, when the page comes from the cache.
    reused: Option<Digest>,
    /// The page's digest, when there is a cache.
    key: u64,
}

/// Renders the whole site into `out` (empty; when it has a staging folder, guide pages are
/// written there as they are rendered), reusing pages from `cache` where nothing they
/// depend on changed. Returns the site and the SHA-256 of the files the cache knows it for
/// (the pages).
pub fn render(
    site: &Site<'_>,
    theme: &Theme,
    cache: Option<&PageCache>,
    keep: Option<crate::stored::Keep<'_>>,
    mut out: OutputTree,
) -> Result<(OutputTree, BTreeMap<String, Digest>)> {
    let site_key = site_key(site, theme);
    let (assets, static_files) = post::Assets::from_static(&theme.static_files);
    let post = post::Post {
        assets: &assets,
        base_url: &site.config.base_url,
        base_path: &site.config.base_path,
    };
    let mut jobs: Vec<Job<'_>> = site
        .versions
        .iter()
        .flat_map(|version| {
            version.guides.iter().flat_map(move |guide| {
                std::iter::once(None)
                    .chain((0..guide.integrations.len()).map(Some))
                    .map(move |integration| Job {
                        version,
                        guide,
                        integration,
                    })
            })
        })
        .collect();
    // Released versions kept by an earlier build are published as they were.
    let mut kept = std::collections::HashSet::new();
    if let Some(keep) = keep {
        // Each entry is checked file by file; entries are checked in parallel.
        let found: Vec<_> = site
            .versions
            .par_iter()
            .filter(|v| !v.draft)
            .map(|version| {
                let prefix = format!("{}/", version.label);
                let key = version_key(&site_key, version);
                // A kept copy must hold at least the pages this build would render.
                let mut pages = vec!["index.html".to_owned(), search::INDEX_FILE.to_owned()];
                pages.extend(
                    jobs.iter()
                        .filter(|j| std::ptr::eq(j.version, version))
                        .map(|j| format!("{}index.html", j.dir().trim_start_matches(&prefix))),
                );
                (version, keep.get(&key, &prefix, &pages, true))
            })
            .collect();
        for (version, files) in found {
            let Some(files) = files else { continue };
            for (path, file) in files {
                out.insert_stored(path, file)?;
            }
            kept.insert(version.label.as_str());
        }
    }
    jobs.retain(|j| !kept.contains(j.version.label.as_str()));
    let titles: std::collections::HashMap<&str, u64> = match cache {
        Some(_) => site
            .versions
            .iter()
            .map(|v| (v.label.as_str(), titles_key(v)))
            .collect(),
        None => std::collections::HashMap::new(),
    };
    let maker = out.maker();
    let render_one = |job: &Job<'_>| -> Result<Rendered> {
        let path = format!("{}index.html", job.dir());
        let key = match cache {
            Some(_) => {
                let titles = titles.get(job.version.label.as_str()).copied();
                page_key(&site_key, titles.unwrap_or_default(), job)
            }
            None => 0,
        };
        if let Some(page) = cache.and_then(|c| c.get(&path, key)) {
            return Ok(Rendered {
                path,
                bytes: crate::output::Made::Memory(page.bytes),
                search: page.search,
                reused: Some(page.digest),
                key,
            });
        }
        // Post-processed at once, while the page is in the cache of this core.
        let html = post.process(&path, &render_page(site, theme, job)?)?;
        Ok(Rendered {
            bytes: maker.make(&path, html.into_bytes())?,
            path,
            search: search_entry(job).into(),
            reused: None,
            key,
        })
    };
    let mut reused = BTreeMap::new();
    // Guide and integration pages, post-processed already.
    let mut pages_done = std::collections::HashSet::new();
    let mut keys = Vec::new();
    let mut rendered = 0;
    // Each version's search index, made as its pages are (jobs are in site order). Pages
    // are rendered in parallel a batch at a time, and each page's entry is freed once it is
    // in the index (unless the cache keeps it): the entries of all pages at once were as
    // large again as the index.
    let mut indexes: std::collections::HashMap<&str, search::Index> =
        std::collections::HashMap::new();
    for batch in jobs.chunks(rayon::current_num_threads() * 64) {
        let pages: Vec<Result<Rendered>> = batch.par_iter().map(render_one).collect();
        for (job, page) in batch.iter().zip(pages) {
            let page = page?;
            let label = job.version.label.as_str();
            let index = match indexes.entry(label) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(search::Index::new(&maker, &format!("{label}/"))?)
                }
            };
            index.push(&page.search)?;
            if let Some(digest) = page.reused {
                reused.insert(page.path.clone(), digest);
            } else {
                rendered += 1;
                if cache.is_some() {
                    keys.push((page.path.clone(), page.key, page.search));
                }
            }
            pages_done.insert(page.path.clone());
            out.insert_made(page.path, page.bytes)?;
        }
    }
    if let Some(cache) = cache {
        cache
            .rendered
            .store(rendered, std::sync::atomic::Ordering::Relaxed);
    }
    // Content assets are published as the author wrote them; everything else that ends in
    // .html came from the theme and is post-processed.
    let mut content_assets = std::collections::BTreeSet::new();
    for version in site
        .versions
        .iter()
        .filter(|v| !kept.contains(v.label.as_str()))
    {
        for guide in version.guides {
            for asset in guide.guide.assets {
                let target = Target::Asset {
                    guide: guide.guide.id.to_owned(),
                    path: asset.within_guide.clone(),
                };
                if let Some(path) = links::output_path(&version.label, &target) {
                    content_assets.insert(path.clone());
                    out.insert(path, asset.bytes.clone())?;
                }
            }
        }
        let dir = format!("{}/", version.label);
        let index = match indexes.remove(version.label.as_str()) {
            Some(index) => index,
            None => search::Index::new(&maker, &dir)?,
        };
        let (path, index) = index.finish()?;
        out.insert_made(path, index)?;
        out.insert(format!("{dir}print.css"), host::print_css(site, version))?;
        let root = render_landing(site, theme, Some(version), &dir)?;
        out.insert(format!("{dir}index.html"), root.into_bytes())?;
    }
    for (path, bytes) in static_files {
        out.insert(path, bytes)?;
    }
    out.insert(
        "index.html".into(),
        render_landing(site, theme, None, "")?.into_bytes(),
    )?;
    let mut not_found = Context::new(site, "", "404");
    not_found.root = site.config.base_path.clone();
    if let Some(search) = &mut not_found.search {
        search.index = format!("{}{}", site.config.base_path, search.index);
        search.root = format!("{}{}", site.config.base_path, search.root);
    }
    not_found.links.releases = format!("{}releases/", site.config.base_path);
    not_found.links.feed = format!("{}releases.xml", site.config.base_path);
    out.insert(
        "404.html".into(),
        theme.render("404.html", &not_found)?.into_bytes(),
    )?;
    let keep_by_shape = keep.map(|k| (k, &site_key));
    releases::render(site, theme, &post, &mut out, &mut pages_done, keep_by_shape)?;
    out.insert("sitemap.xml".into(), host::sitemap(site))?;
    out.insert("robots.txt".into(), host::robots(site))?;
    out.insert("_headers".into(), host::headers(site))?;
    let theme_pages: Vec<(&str, &[u8])> = out
        .files()
        .filter(|(path, _)| {
            path.ends_with(".html")
                && !content_assets.contains(*path)
                && !pages_done.contains(*path)
        })
        .collect();
    let processed: Vec<Result<(String, String)>> = theme_pages
        .par_iter()
        .map(|(path, bytes)| {
            let html = post.process(path, &String::from_utf8_lossy(bytes))?;
            Ok(((*path).to_owned(), html))
        })
        .collect();
    for page in processed {
        let (path, html) = page?;
        out.replace(&path, html.into_bytes());
    }
    if let Some(cache) = cache {
        // Only newly rendered pages: reused ones are in the cache already.
        for (path, key, search) in keys {
            if let Some(bytes) = out.get_shared(&path) {
                let digest = crate::memo::digest(&bytes);
                reused.insert(path.clone(), digest);
                cache.put(
                    path,
                    Cached {
                        key,
                        bytes,
                        search,
                        digest,
                    },
                );
            }
        }
    }
    Ok((out, reused))
}

fn site_ctx(config: &Config) -> SiteCtx<'_> {
    SiteCtx {
        title: &config.title,
        base_url: &config.base_url,
        owner: config.owner.as_deref().unwrap_or(&config.title),
    }
}

/// The version block of a page in `v` showing (guide, integration), with the banner link to
/// the same page in the latest release when `v` is superseded.
fn version_ctx<'a>(
    site: &'a Site<'_>,
    v: &'a Version<'_>,
    dir: &str,
    page: Option<(&str, Option<&str>)>,
) -> VersionCtx<'a> {
    let superseded_by = match site.latest() {
        Some(latest) if !v.draft && !v.latest => Some(Superseded {
            label: &latest.label,
            date: latest.date.map(|d| d.to_string()).unwrap_or_default(),
            url: links::relative(
                dir,
                &page.map_or_else(
                    || format!("{}/", latest.label),
                    |(g, i)| latest.closest_dir(g, i),
                ),
            ),
        }),
        _ => None,
    };
    VersionCtx {
        label: &v.label,
        draft: v.draft,
        latest: v.latest,
        title: version_title(v),
        date: v.date.map(|d| d.to_string()),
        approver: v.approver,
        superseded_by,
        print_integrity: post::integrity(&host::print_css(site, v)),
    }
}

fn version_title(v: &Version<'_>) -> String {
    if v.draft {
        "Unreleased draft".to_owned()
    } else {
        format!("Version {}", v.label)
    }
}

/// The version switcher for a page of (guide, integration) in folder `dir`, currently `v`.
fn switcher<'a>(
    site: &'a Site<'_>,
    current: &Version<'_>,
    dir: &str,
    page: Option<(&str, Option<&str>)>,
) -> Vec<SwitchItem<'a>> {
    site.versions
        .iter()
        .map(|v| {
            let to = page.map_or_else(|| format!("{}/", v.label), |(g, i)| v.closest_dir(g, i));
            SwitchItem {
                label: &v.label,
                title: version_title(v),
                url: links::relative(dir, &to),
                current: v.label == current.label,
                latest: v.latest,
                draft: v.draft,
            }
        })
        .collect()
}

/// The landing page (`version` none, at the root) or a version's root page.
fn render_landing(
    site: &Site<'_>,
    theme: &Theme,
    version: Option<&Version<'_>>,
    dir: &str,
) -> Result<String> {
    let shown = version.or(site.latest()).or(site.versions.first());
    let mut ctx = Context::new(site, dir, "landing");
    ctx.nav = shown.map(|v| nav(v, dir, None)).unwrap_or_default();
    if let Some(v) = version {
        ctx.version = Some(version_ctx(site, v, dir, None));
        ctx.search = Some(SearchCtx::new(v, dir));
        ctx.switcher = switcher(site, v, dir, None);
    }
    ctx.landing = Some(LandingCtx {
        published: site.versions.iter().any(|v| !v.draft),
        drafts: site.versions.iter().any(|v| v.draft),
        versions: site
            .versions
            .iter()
            .map(|v| VersionLink {
                label: &v.label,
                title: version_title(v),
                url: links::relative(dir, &format!("{}/", v.label)),
                draft: v.draft,
                latest: v.latest,
                date: v.date.map(|d| d.to_string()),
                approver: v.approver,
            })
            .collect(),
        latest: site.latest().map(|v| LatestLink {
            label: &v.label,
            url: links::relative(dir, &format!("{}/", v.label)),
        }),
        verify: version.is_none().then(|| VerifyCtx {
            signing: site.signing,
            manifest_url: links::relative(dir, crate::manifest::MANIFEST),
            signature_url: links::relative(dir, crate::manifest::SIGNATURE),
            sums_url: links::relative(dir, crate::manifest::SUMS),
            public_key_url: links::relative(
                dir,
                &format!("{}/signing-key.pub", crate::manifest::WELL_KNOWN),
            ),
            allowed_signers_url: links::relative(
                dir,
                &format!("{}/allowed_signers", crate::manifest::WELL_KNOWN),
            ),
            namespace: crate::signing::NAMESPACE,
        }),
    });
    theme.render("index.html", &ctx)
}

/// The navigation of `version`, with URLs relative to `from_dir`; `current` is the
/// (guide, integration) being shown. A page lists only its own guide and that guide's
/// integrations, so its size does not grow with the site (mdBook's sidebar of every page
/// makes a build quadratic); the version's root page lists every guide and integration.
fn nav<'a>(
    version: &'a Version<'_>,
    from_dir: &str,
    current: Option<(&str, Option<&str>)>,
) -> Vec<NavGuide<'a>> {
    version
        .guides
        .iter()
        .filter(|g| current.is_none_or(|(guide, _)| guide == g.guide.id))
        .map(|g| {
            let id = g.guide.id;
            let page_url = |integration: Option<&str>| {
                let target = Target::Page {
                    guide: id.to_owned(),
                    integration: integration.map(str::to_owned),
                };
                let to = links::url(&version.label, &target).unwrap_or_default();
                links::relative(from_dir, &to)
            };
            NavGuide {
                item: NavItem {
                    id,
                    title: &g.guide.base.matter.title,
                    url: page_url(None),
                    current: current == Some((id, None)),
                },
                integrations: g
                    .integrations
                    .iter()
                    .map(|(page, _)| NavItem {
                        id: page.stem,
                        title: &page.matter.title,
                        url: page_url(Some(page.stem)),
                        current: current == Some((id, Some(page.stem))),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The page's entry in its version's search index.
fn search_entry(job: &Job<'_>) -> String {
    let guide = job.guide;
    let guide_title = &guide.guide.base.matter.title;
    match job.integration.map(|i| &guide.integrations[i]) {
        Some((page, tree)) => search::entry(
            guide_title,
            &page.matter.title,
            guide.guide.id,
            Some(page.stem),
            tree,
        ),
        None => search::entry(guide_title, guide_title, guide.guide.id, None, &guide.base),
    }
}

fn render_page(site: &Site<'_>, theme: &Theme, job: &Job<'_>) -> Result<String> {
    let dir = job.dir();
    let guide = job.guide;
    let base = &guide.guide.base;
    let integration = job.integration.map(|i| &guide.integrations[i]);
    let (tree, title) = match integration {
        Some((page, tree)) => (tree, page.matter.title.as_str()),
        None => (&guide.base, base.matter.title.as_str()),
    };
    let content_dir = job.version.content_dir;
    let version = &job.version.label;
    let rewrite = |dest: &str| {
        let resolved = links::resolve(&base.file.rel, content_dir, dest)?;
        let to = links::url(version, &resolved.target)?;
        let mut url = links::relative(&dir, &to);
        if let Some(fragment) = resolved.fragment {
            url.push('#');
            url.push_str(&links::encode_fragment(&fragment));
        }
        Some(url)
    };
    let mut writer = HtmlWriter::new(&rewrite);
    let scope = integration.map_or("base", |(p, _)| p.stem);
    let scope_of = |origin: Origin| match origin {
        Origin::Base => "base",
        Origin::Addendum => scope,
    };
    // The footnotes the page shows: a reference whose note is not on the page (it was in a
    // section the addendum replaced) gets no link to it.
    for part in tree.intro.iter().chain(tree.nodes().flat_map(|n| &n.parts)) {
        writer.define(part.events, scope_of(part.origin));
    }
    let mut parts = |parts: &[Part<'_>]| -> Vec<PartCtx> {
        parts
            .iter()
            .map(|p| PartCtx {
                origin: p.origin,
                html: writer.html(p.events, scope_of(p.origin)),
            })
            .collect()
    };
    let intro = parts(&tree.intro);
    let sections = tree
        .nodes()
        .map(|n| SectionCtx {
            id: n.id,
            level: n.level,
            title_html: {
                let title = Part {
                    origin: n.title_origin,
                    events: n.title_events,
                };
                parts(&[title]).pop().map(|p| p.html).unwrap_or_default()
            },
            origin: n.state,
            parts: parts(&n.parts),
        })
        .collect();
    let page = PageCtx {
        title,
        summary: base.matter.summary.as_deref(),
        owner: base
            .matter
            .owner
            .as_deref()
            .or(site.config.owner.as_deref())
            .unwrap_or_default(),
        last_reviewed: base.matter.last_reviewed.map(|d| d.to_string()),
        guide: GuideRef {
            id: guide.guide.id,
            title: &base.matter.title,
            url: links::relative(
                &dir,
                &links::url(
                    version,
                    &Target::Page {
                        guide: guide.guide.id.to_owned(),
                        integration: None,
                    },
                )
                .unwrap_or_default(),
            ),
        },
        integration: integration.map(|(p, _)| IntegrationCtx {
            id: p.stem,
            title: &p.matter.title,
            workflows: p
                .matter
                .workflows
                .iter()
                .map(|w| w.get_ref().as_str())
                .collect(),
        }),
        toc: toc(tree),
        intro,
        sections,
        feed: integration
            .map(|(p, _)| links::relative(&dir, &releases::feed_path(guide.guide.id, p.stem))),
    };
    let shown = (guide.guide.id, integration.map(|(p, _)| p.stem));
    let mut ctx = Context::new(
        site,
        &dir,
        if integration.is_some() {
            "integration"
        } else {
            "guide"
        },
    );
    ctx.version = Some(version_ctx(site, job.version, &dir, Some(shown)));
    ctx.search = Some(SearchCtx::new(job.version, &dir));
    ctx.switcher = switcher(site, job.version, &dir, Some(shown));
    ctx.nav = nav(job.version, &dir, Some(shown));
    ctx.page = Some(page);
    let template = if integration.is_some() {
        "integration.html"
    } else {
        "guide.html"
    };
    theme.render(template, &ctx)
}

fn toc<'a>(tree: &'a Tree<'_>) -> Vec<TocEntry<'a>> {
    fn entry<'a>(n: &'a Node<'_>) -> TocEntry<'a> {
        TocEntry {
            id: n.id,
            title: n.title,
            level: n.level,
            children: n.children.iter().map(entry).collect(),
        }
    }
    tree.sections.iter().map(entry).collect()
}
