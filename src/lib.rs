//! keyguide: a static site generator for customer key handling guidance (PCI DSS v4.0.1
//! Requirement 3.7.9).
//!
//! One pipeline, one type per stage:
//!
//! ```text
//! Config
//!   → source::load                  -> Sources            files, sorted by path
//!   → content::parse   (rayon)      -> Content            front matter + section trees
//!   → compose::compose (rayon)      -> [ComposedGuide]    base + addendum → compiled guides
//!   → lint::check                   -> Vec<Diagnostic>    sorted (file, line, column, rule)
//!   → coverage::report              -> coverage::Report   (keyguide coverage)
//!   → render::render   (rayon)      -> OutputTree         pages, assets, theme files
//!   → lint::secrets::check_output   KG010 over the rendered files too
//!   → manifest::seal                SHA256SUMS, manifest.json, its SSH signature
//!   → OutputTree::commit            staging folder, then atomic swap
//! ```
//!
//! Problems in content are [`diag::Diagnostic`]s, all collected; problems running the tool
//! are [`error::Error`]s. Every command goes through the same checks ([`lint::check`]), so
//! a build can never fail on content that lint passed.

pub mod compose;
pub mod config;
pub mod content;
pub mod coverage;
pub mod diag;
pub mod diff;
pub mod error;
pub mod frontmatter;
pub mod fuzzing;
pub mod inventory;
pub mod links;
pub mod lint;
pub mod manifest;
pub mod markdown;
pub mod output;
pub mod profile;
pub mod release;
pub mod render;
pub mod serve;
pub mod signing;
pub mod source;
pub mod theme;
pub mod verify;
pub mod versions;

use config::Config;
use diag::Diagnostic;
use error::Result;
use frontmatter::Date;
use output::OutputTree;
use source::Sources;

/// The draft's content folder, relative to the site root.
pub const DRAFT_DIR: &str = "content";

/// The URL folder of the draft.
pub const DRAFT_LABEL: &str = "next";

/// What a build was asked to include.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions<'c> {
    /// Build the draft under `/next/`.
    pub drafts: bool,
    /// The date reviews and exceptions are judged at.
    pub as_of: Date,
    /// Pages rendered by an earlier build of the same process (`keyguide serve`), reused
    /// when nothing they depend on changed.
    pub cache: Option<&'c render::PageCache>,
}

/// The outcome of checking (and possibly rendering) a site.
#[derive(Debug)]
pub struct Checked {
    /// The content that was read, for quoting source lines in messages.
    pub sources: Sources,
    /// Every finding, configured and sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The rendered site, when a build was asked for and no error was found.
    pub output: Option<OutputTree>,
    /// Coverage, when asked for.
    pub coverage: Option<coverage::Report>,
    /// Section changes from the latest release to the draft (empty before the first).
    pub draft_changes: Vec<diff::Change>,
    /// Number of published releases.
    pub published: usize,
}

impl Checked {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        diag::counts(&self.diagnostics).0 > 0
    }
}

/// What to do after the checks.
enum Then<'t> {
    Nothing,
    Coverage,
    Render(
        &'t theme::Theme,
        BuildOptions<'t>,
        &'t str,
        Option<&'t signing::Signer>,
    ),
}

/// Checks the draft and, when nothing is wrong, renders the site and seals it with its
/// manifest (signed when `signer` is given). `output_label` names the output folder in
/// findings about the rendered files.
pub fn build(
    config: &Config,
    options: BuildOptions<'_>,
    output_label: &str,
    signer: Option<&signing::Signer>,
) -> Result<Checked> {
    // Load the theme first: a broken theme stops the build before any content is read.
    let theme = theme::Theme::load(&config.root, &config.theme)?;
    run(
        config,
        options.as_of,
        Then::Render(&theme, options, output_label, signer),
    )
}

/// Checks the draft.
pub fn lint(config: &Config, as_of: Date) -> Result<Checked> {
    run(config, as_of, Then::Nothing)
}

/// Checks the draft and reports its coverage.
pub fn coverage(config: &Config, as_of: Date) -> Result<Checked> {
    run(config, as_of, Then::Coverage)
}

/// The shared pipeline: load the draft and every release, parse, compose, check, then what
/// `then` asks for.
fn run(config: &Config, as_of: Date, then: Then<'_>) -> Result<Checked> {
    let profile = profile::Profile::load(&config.root, &config.profile)?;
    let releases = versions::load(&config.root)?;
    let sources = source::load(&config.root, DRAFT_DIR)?;
    let snapshots = releases
        .records
        .iter()
        .map(|r| source::load(&config.root, &versions::Releases::content_dir(&r.version)))
        .collect::<Result<Vec<_>>>()?;
    let mut diags = sources.diagnostics.clone();
    diags.extend(releases.diagnostics.iter().cloned());
    diags.extend(snapshots.iter().flat_map(|s| s.diagnostics.iter().cloned()));
    let content = content::parse(&sources, &mut diags);
    let released: Vec<content::Content<'_>> = snapshots
        .iter()
        .map(|s| content::parse(s, &mut diags))
        .collect();
    let exceptions = lint::exceptions::load(&sources, &mut diags);
    let composed = compose::compose(&content, &mut diags);
    let released_composed: Vec<Vec<compose::ComposedGuide<'_>>> = released
        .iter()
        .map(|c| compose::compose(c, &mut diags))
        .collect();
    let ctx = lint::Ctx {
        content: &content,
        composed: &composed,
        profile: &profile,
        config,
        exceptions: &exceptions,
        as_of,
    };
    diags.extend(lint::check(&ctx));
    lint::releases::notes(&config.root, &releases, &mut diags);
    lint::releases::stale_addenda(released.last(), &content, &mut diags);
    let mut diagnostics = lint::configure(diags, config)?;
    let clean = diag::counts(&diagnostics).0 == 0;
    let mut checked = Checked {
        sources: Sources::default(),
        diagnostics: Vec::new(),
        output: None,
        coverage: None,
        // Only a release needs these, and only against an earlier release.
        draft_changes: released
            .last()
            .map(|latest| diff::diff(Some(latest), &content))
            .unwrap_or_default(),
        published: releases.records.len(),
    };
    match then {
        Then::Nothing => {}
        Then::Coverage => checked.coverage = Some(coverage::report(&ctx)),
        Then::Render(theme, options, label, signer) if clean => {
            let published = signer.map(signing::Signer::published).transpose()?;
            let mut versions = Vec::new();
            if options.drafts {
                versions.push(render::Version {
                    label: DRAFT_LABEL.to_owned(),
                    draft: true,
                    content_dir: DRAFT_DIR,
                    guides: &composed,
                    date: None,
                    approver: None,
                    latest: false,
                });
            }
            let mut notes = Vec::new();
            for (i, record) in releases.records.iter().enumerate().rev() {
                versions.push(render::Version {
                    label: record.version.clone(),
                    draft: false,
                    content_dir: &snapshots[i].dir,
                    guides: &released_composed[i],
                    date: Some(record.date),
                    approver: Some(&record.approver),
                    latest: i + 1 == releases.records.len(),
                });
                let previous = i.checked_sub(1);
                notes.push(render::ReleaseNotes {
                    label: &record.version,
                    date: record.date,
                    approver: &record.approver,
                    notes: release::notes_body(&config.root, &record.version)?,
                    previous: previous.map(|p| releases.records[p].version.as_str()),
                    changes: diff::diff(previous.map(|p| &released[p]), &released[i]),
                });
            }
            let site = render::Site {
                config,
                versions,
                notes,
                signing: published.as_ref(),
            };
            let mut output = render::render(&site, theme, options.cache)?;
            let leaks = lint::secrets::check_output(&output, label);
            if leaks.is_empty() {
                let seal = manifest::Seal {
                    base_url: &config.base_url,
                    releases: &releases,
                    signer: signer.zip(published.as_ref()),
                    expires_days: config.signing_expires_days,
                };
                manifest::seal(&mut output, &seal)?;
                checked.output = Some(output);
            } else {
                diagnostics.extend(leaks);
                diag::sort(&mut diagnostics);
            }
        }
        Then::Render(..) => {}
    }
    checked.diagnostics = diagnostics;
    checked.sources = sources;
    Ok(checked)
}

/// What changed from version `from` to version `to` (release labels, `latest`, or `draft`
/// for the working draft in `content/`), by section and by file.
pub fn diff_versions(config: &Config, from: &str, to: &str) -> Result<diff::Comparison> {
    let releases = versions::load(&config.root)?;
    let resolve =
        |label: &str| -> Result<String> {
            match label {
                "draft" => Ok(label.to_owned()),
                "latest" => releases.latest().map(|r| r.version.clone()).ok_or_else(|| {
                    error::Error::Usage {
                        message: "nothing is released yet, so there is no `latest`".into(),
                        help: "compare with `draft`, or release a first version".into(),
                    }
                }),
                v if releases.get(v).is_some() => Ok(v.to_owned()),
                v => Err(error::Error::Usage {
                    message: format!("unknown version `{v}`"),
                    help: format!(
                        "name a released version ({}), `latest` or `draft`",
                        releases
                            .records
                            .iter()
                            .map(|r| r.version.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            }
        };
    let dir = |label: &str| match label {
        "draft" => DRAFT_DIR.to_owned(),
        v => versions::Releases::content_dir(v),
    };
    let (from, to) = (resolve(from)?, resolve(to)?);
    let (old, new) = (
        source::load(&config.root, &dir(&from))?,
        source::load(&config.root, &dir(&to))?,
    );
    let mut ignored = Vec::new();
    let changes = diff::diff(
        Some(&content::parse(&old, &mut ignored)),
        &content::parse(&new, &mut ignored),
    );
    let files = diff::files(
        &versions::content_files(&config.root.join(dir(&from)))?,
        &versions::content_files(&config.root.join(dir(&to)))?,
    );
    Ok(diff::Comparison {
        from,
        to,
        changes,
        files,
    })
}
