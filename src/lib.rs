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
pub mod evidence;
pub mod frontmatter;
pub mod fuzzing;
pub mod inventory;
pub mod links;
pub mod lint;
pub mod manifest;
pub mod markdown;
pub mod memo;
pub mod output;
pub mod profile;
pub mod raw_html;
pub mod release;
pub mod render;
pub mod serve;
pub mod signing;
pub mod source;
pub mod stored;
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
    /// What earlier builds of the same process (`keyguide serve`) left to reuse.
    pub cache: Option<&'c Cache>,
    /// Released versions' output kept by earlier builds (`keyguide build`).
    pub store: Option<&'c stored::Store>,
    /// The output folder the site will be committed to, when pages are to be written into
    /// a staging folder beside it as they are rendered (`keyguide build`): memory then
    /// stays flat however many pages there are. Otherwise the site is held in memory.
    pub out: Option<&'c std::path::Path>,
}

/// What a process that builds again and again (`keyguide serve`) keeps between builds.
#[derive(Debug, Default)]
pub struct Cache {
    /// Rendered pages, reused when nothing they depend on changed.
    pub pages: render::PageCache,
    /// Parses and scans, reused for the same text.
    pub memo: memo::Memo,
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
    /// Number of published releases.
    pub published: usize,
    /// The SHA-256 of every file of `output` but the manifest's own.
    pub digests: std::collections::BTreeMap<String, memo::Digest>,
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
    let own = memo::Memo::default();
    let memo = options.cache.map_or(&own, |c| &c.memo);
    if let Some(store) = options.store {
        memo.remember(&store.stamps());
    }
    memo.begin();
    let checked = run(
        config,
        DRAFT_DIR,
        options.as_of,
        memo,
        &[],
        Then::Render(&theme, options, output_label, signer),
    );
    if let Some(store) = options.store {
        // Only the next build's head start depends on it.
        let _ = store.keep_stamps(&memo.remembered());
    }
    memo.sweep();
    memo::drop_in_background(own);
    checked
}

/// Checks the draft.
pub fn lint(config: &Config, as_of: Date) -> Result<Checked> {
    lint_release(config, as_of, &[])
}

/// Checks the draft as `keyguide release` does: with `notes`, the release notes and approver
/// about to be frozen, checked like every published release's notes.
pub fn lint_release(config: &Config, as_of: Date, notes: &[source::TextFile]) -> Result<Checked> {
    let memo = memo::Memo::default();
    let checked = run(config, DRAFT_DIR, as_of, &memo, notes, Then::Nothing);
    memo::drop_in_background(memo);
    checked
}

/// Checks the draft and reports its coverage.
pub fn coverage(config: &Config, as_of: Date) -> Result<Checked> {
    let memo = memo::Memo::default();
    let checked = run(config, DRAFT_DIR, as_of, &memo, &[], Then::Coverage);
    memo::drop_in_background(memo);
    checked
}

/// Checks a released version's snapshot and reports its coverage: what customers hold.
/// `memo` holds the work of a build that just read the same files, so nothing is parsed
/// twice.
pub fn release_coverage(
    config: &Config,
    version: &str,
    as_of: Date,
    memo: &memo::Memo,
) -> Result<Checked> {
    let dir = versions::Releases::content_dir(version);
    run(config, &dir, as_of, memo, &[], Then::Coverage)
}

/// The shared pipeline: load the content in `dir` (the draft, or a release's snapshot) and
/// every release, parse, compose, check, then what `then` asks for. Work on a file's
/// contents is done once per distinct content (`memo`).
fn run(
    config: &Config,
    dir: &str,
    as_of: Date,
    memo: &memo::Memo,
    pending: &[source::TextFile],
    then: Then<'_>,
) -> Result<Checked> {
    let profile = profile::Profile::load(&config.root, &config.profile)?;
    let ledger = versions::read_ledger(&config.root)?;
    use rayon::prelude::*;
    // Side by side: walking a folder is one core's work, which the other's reading covers.
    let (sources, snapshots) = rayon::join(
        || source::load(&config.root, dir, memo),
        || {
            ledger
                .records()
                .par_iter()
                .map(|r| {
                    let dir = versions::Releases::content_dir(&r.version);
                    source::load(&config.root, &dir, memo)
                })
                .collect::<Result<Vec<_>>>()
        },
    );
    let (sources, snapshots) = (sources?, snapshots?);
    // KG050 compares each snapshot file with its record; the files just loaded are not read
    // and hashed a second time.
    let known: Vec<_> = snapshots.iter().map(Sources::file_digests).collect();
    let releases = ledger.check(&config.root, &|i, path| {
        known.get(i).and_then(|k| k.get(path)).copied()
    })?;
    let mut diags = sources.diagnostics.clone();
    diags.extend(releases.diagnostics.iter().cloned());
    diags.extend(snapshots.iter().flat_map(|s| s.diagnostics.iter().cloned()));
    let content = content::parse(&sources, memo, &mut diags);
    // Releases are parsed and composed side by side: each is small work on a page's
    // scale (most pages are the draft's, already parsed), so one at a time left cores idle.
    let released: Vec<content::Content<'_>> =
        each_with_findings(&snapshots, &mut diags, |s, d| content::parse(s, memo, d));
    let exceptions = lint::exceptions::load(&sources, &mut diags);
    // Records are real events: judged against today, not the day reviews are judged at (a
    // pack or lint for an earlier day must not call later records "in the future").
    let evidence = load_evidence(
        config,
        &content.inventory,
        &releases,
        &sources,
        &exceptions,
        today()?,
        &mut diags,
    )?;
    // Release notes are published on the release pages and in the feeds: checked like
    // content, and with them the notes of a release about to be made.
    let mut notes = release_notes(&config.root, &releases, &mut diags);
    notes.extend(pending.iter().cloned());
    lint::secrets::check_texts(notes.iter(), memo, &mut diags);
    lint::html::check_notes(notes.iter(), &mut diags);
    if let Some(evidence) = &evidence {
        // What a build publishes from: every version's guides and the release notes.
        let published = std::iter::once(&sources)
            .chain(&snapshots)
            .flat_map(Sources::guide_texts)
            .chain(&notes);
        diags.extend(evidence::leaks::check_sources(
            published,
            &evidence.customers,
        ));
    }
    let shared = compose::Shared::default();
    let mut composed = compose::compose(&content, &shared, &mut diags);
    let released_composed: Vec<Vec<compose::ComposedGuide<'_>>> =
        each_with_findings(&released, &mut diags, |c, d| {
            compose::compose(c, &shared, d)
        });
    let released_pages: Vec<(&str, &[compose::ComposedGuide<'_>])> = releases
        .records
        .iter()
        .zip(&released_composed)
        .map(|(r, c)| (r.version.as_str(), c.as_slice()))
        .collect();
    let ctx = lint::Ctx {
        content: &content,
        composed: &composed,
        released: &released_pages,
        profile: &profile,
        config,
        exceptions: &exceptions,
        as_of,
        memo,
        settings: lint::Ctx::settings_digest(&profile, &exceptions, as_of),
    };
    // The latest release is compared with the draft beside the checks, on a core of its own.
    let (found, stale) = rayon::join(
        || lint::check(&ctx),
        || {
            let mut stale = Vec::new();
            lint::releases::stale_addenda(released.last(), &content, &mut stale);
            stale
        },
    );
    diags.extend(found);
    lint::releases::notes(&config.root, &releases, &mut diags);
    diags.extend(stale);
    let mut diagnostics = lint::configure(diags, config)?;
    let clean = diag::counts(&diagnostics).0 == 0;
    let mut checked = Checked {
        sources: Sources::default(),
        diagnostics: Vec::new(),
        output: None,
        coverage: None,
        published: releases.records.len(),
        digests: Default::default(),
    };
    match then {
        Then::Nothing => {}
        Then::Coverage => checked.coverage = Some(coverage::report(&ctx)),
        Then::Render(theme, options, label, signer) if clean => {
            let published = signer.map(signing::Signer::published).transpose()?;
            // The draft's compiled guides were for the checks; rendering needs them only
            // when the draft is published. Freed first, rendering reuses their memory.
            let draft = options.drafts.then_some(std::mem::take(&mut composed));
            let mut versions = Vec::new();
            if let Some(guides) = &draft {
                versions.push(render::Version {
                    label: DRAFT_LABEL.to_owned(),
                    draft: true,
                    content_dir: DRAFT_DIR,
                    guides,
                    date: None,
                    approver: None,
                    latest: false,
                    sources: sources.digest(),
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
                    sources: snapshots[i].digest(),
                });
                let previous = i.checked_sub(1);
                notes.push(render::ReleaseNotes {
                    label: &record.version,
                    date: record.date,
                    approver: &record.approver,
                    notes: release::notes_body(&config.root, &record.version)?,
                    previous: previous.map(|p| releases.records[p].version.as_str()),
                    // A first release is listed by document, not diffed against nothing:
                    // its notes would otherwise repeat every section of the guidance.
                    changes: previous
                        .map(|p| diff::diff(Some(&released[p]), &released[i]))
                        .unwrap_or_default(),
                });
            }
            let site = render::Site {
                config,
                versions,
                notes,
                signing: published.as_ref(),
            };
            // Kept output passed the customer-name check of its build: the names are part
            // of its key.
            let salt = evidence.as_ref().map_or([0; 32], |e| {
                let names: Vec<&[u8]> = e
                    .customers
                    .iter()
                    .flat_map(|c| [c.id.as_bytes(), c.name.as_bytes()])
                    .collect();
                memo::digest_of(&names)
            });
            let keep = options.store.map(|s| s.keep(salt));
            let tree = match options.out {
                Some(out) => {
                    OutputTree::staged(match options.store.and_then(|s| s.previous_output(out)) {
                        Some(previous) => output::Staging::recycling(out, &previous)?,
                        None => output::Staging::beside(out)?,
                    })
                }
                None => OutputTree::default(),
            };
            let (mut output, known) =
                render::render(&site, theme, options.cache.map(|c| &c.pages), keep, tree)?;
            let digests = manifest::digests(&output, known);
            let mut leaks = lint::secrets::check_output(&output, &digests, memo, label)?;
            if let Some(evidence) = &evidence {
                leaks.extend(evidence::leaks::check_output(
                    &output,
                    &evidence.customers,
                    label,
                )?);
            }
            if leaks.is_empty() {
                let seal = manifest::Seal {
                    base_url: &config.base_url,
                    releases: &releases,
                    signer: signer.zip(published.as_ref()),
                    expires_days: config.signing_expires_days,
                };
                manifest::seal(&mut output, &digests, &seal)?;
                checked.output = Some(output);
                checked.digests = digests;
            } else {
                diagnostics.extend(leaks);
                diag::sort(&mut diagnostics);
            }
        }
        Then::Render(..) => {}
    }
    checked.diagnostics = diagnostics;
    // What borrows goes first.
    memo::drop_at_exit((composed, released_composed, shared));
    memo::drop_at_exit((released, content));
    memo::drop_at_exit(snapshots);
    checked.sources = sources;
    Ok(checked)
}

/// `work` done on each of `items` in parallel; its findings are appended to `diags` in the
/// order of `items`.
fn each_with_findings<'t, T: Sync, R: Send>(
    items: &'t [T],
    diags: &mut Vec<Diagnostic>,
    work: impl Fn(&'t T, &mut Vec<Diagnostic>) -> R + Sync,
) -> Vec<R> {
    use rayon::prelude::*;
    let done: Vec<(R, Vec<Diagnostic>)> = items
        .par_iter()
        .map(|item| {
            let mut found = Vec::new();
            (work(item, &mut found), found)
        })
        .collect();
    done.into_iter()
        .map(|(result, found)| {
            diags.extend(found);
            result
        })
        .collect()
}

/// Today for checks that need it (no distribution record may be dated later): the day of
/// `SOURCE_DATE_EPOCH` when set (reproducible CI), else today (UTC).
pub fn today() -> Result<Date> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(|t| t.date())
            .ok_or_else(|| error::Error::Usage {
                message: format!("SOURCE_DATE_EPOCH={epoch:?} is not a number of seconds since 1970"),
                help: "set it to a Unix timestamp, e.g. `SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`".into(),
            }),
        Err(_) => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// Every release's notes; one that is not text (not UTF-8, or holding a NUL byte) is a
/// KG090 finding instead (a missing one is KG052's business).
fn release_notes(
    root: &std::path::Path,
    releases: &versions::Releases,
    diags: &mut Vec<Diagnostic>,
) -> Vec<source::TextFile> {
    releases
        .records
        .iter()
        .filter_map(|r| {
            let rel = format!("releases/{}/NOTES.md", r.version);
            let bytes = std::fs::read(root.join(&rel)).ok()?;
            match source::decode(&rel, bytes) {
                Ok(text) => Some(source::TextFile::new(rel, text)),
                Err(finding) => {
                    diags.push(finding);
                    None
                }
            }
        })
        .collect()
}

/// Reads and checks `evidence/` against the inventory, the ledger and the exceptions; no
/// record may be dated after `today`.
fn load_evidence(
    config: &Config,
    inventory: &inventory::Inventory,
    releases: &versions::Releases,
    sources: &Sources,
    exceptions: &[lint::exceptions::Exception],
    today: Date,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<evidence::Evidence>> {
    let workflows = inventory
        .workflows
        .iter()
        .map(|w| w.id.get_ref().as_str())
        .collect();
    let known = evidence::Known {
        workflows: &workflows,
        releases,
        today,
    };
    let loaded = evidence::load(&config.root, known, diags)?;
    if let Some(evidence) = &loaded {
        evidence::check_exceptions(evidence, exceptions, sources.exceptions.as_ref(), diags);
    }
    Ok(loaded)
}

/// What `keyguide audit` and `keyguide evidence` read: the records and what they are
/// checked against.
#[derive(Debug)]
pub struct Audited {
    /// The draft's content files, for quoting source lines in messages.
    pub sources: Sources,
    /// Findings in the evidence, the inventory, the exceptions and the ledger, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The release ledger.
    pub releases: versions::Releases,
    /// The draft's scope inventory.
    pub inventory: inventory::Inventory,
    /// The draft's approved exceptions.
    pub exceptions: Vec<lint::exceptions::Exception>,
    /// The evidence, none when `evidence/customers.csv` does not exist.
    pub evidence: Option<evidence::Evidence>,
    /// The verdict, when there is evidence, a release, and no error.
    pub audit: Option<evidence::audit::Audit>,
}

impl Audited {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        diag::counts(&self.diagnostics).0 > 0
    }
}

/// Checks the distribution evidence against the draft's inventory and exceptions and the
/// ledger (no record may be dated after `today`), and judges every customer on `as_of`
/// from the records dated up to that day (SPEC 7). Reads only what that needs, not the
/// guides.
pub fn audit(config: &Config, as_of: Date, today: Date) -> Result<Audited> {
    let releases = versions::load(&config.root)?;
    let sources = source::load(&config.root, DRAFT_DIR, &memo::Memo::default())?;
    let mut diags = releases.diagnostics.clone();
    let inventory = match &sources.inventory {
        Some(file) => inventory::parse(file).unwrap_or_else(|d| {
            diags.push(d);
            inventory::Inventory::default()
        }),
        None => inventory::Inventory::default(),
    };
    let exceptions = lint::exceptions::load(&sources, &mut diags);
    let evidence = load_evidence(
        config,
        &inventory,
        &releases,
        &sources,
        &exceptions,
        today,
        &mut diags,
    )?;
    diag::sort(&mut diags);
    let audit = match &evidence {
        Some(e) if diag::counts(&diags).0 == 0 => {
            evidence::audit::audit(e, &releases, &exceptions, config.evidence_grace_days, as_of)
        }
        _ => None,
    };
    Ok(Audited {
        sources,
        diagnostics: diags,
        releases,
        inventory,
        exceptions,
        evidence,
        audit,
    })
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
                        releases.labels()
                    ),
                }),
            }
        };
    let dir = |label: &str| match label {
        "draft" => DRAFT_DIR.to_owned(),
        v => versions::Releases::content_dir(v),
    };
    let (from, to) = (resolve(from)?, resolve(to)?);
    let (mut ignored, memo) = (Vec::new(), memo::Memo::default());
    let (old, new) = (
        source::load(&config.root, &dir(&from), &memo)?,
        source::load(&config.root, &dir(&to), &memo)?,
    );
    let changes = diff::diff(
        Some(&content::parse(&old, &memo, &mut ignored)),
        &content::parse(&new, &memo, &mut ignored),
    );
    let files = diff::files(
        &versions::content_files(&config.root, &config.root.join(dir(&from)))?,
        &versions::content_files(&config.root, &config.root.join(dir(&to)))?,
    );
    Ok(diff::Comparison {
        from,
        to,
        changes,
        files,
    })
}
