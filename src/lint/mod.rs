//! The rule engine shared by `lint` and `build`.
//!
//! Input: parsed content, its composed guides and the profile. Output: every finding, with
//! severities adjusted by `[lint]` in keyguide.toml, sorted (file, line, column, rule).
//! `build` and `lint` both call [`check`], so lint can never pass while build fails. Each
//! rule family lives in its own module and appends its findings; none stops at the first.

pub mod document;
pub mod exceptions;
pub mod html;
pub mod inventory;
pub mod key_material;
pub mod links;
pub mod releases;
pub mod secrets;
pub mod sections;

use crate::compose::ComposedGuide;
use crate::config::Config;
use crate::content::{self, Content};
use crate::diag::{self, ALL_RULES, Diagnostic, Rule, Severity};
use crate::error::{Error, Result};
use crate::frontmatter::Date;
use crate::profile::Profile;

/// Everything a rule may look at.
pub struct Ctx<'a> {
    /// The parsed content.
    pub content: &'a Content<'a>,
    /// Its composed guides, in the order of `content.guides`.
    pub composed: &'a [ComposedGuide<'a>],
    /// Each released version's label and composed guides, oldest first: links to the
    /// site's own URLs (`<base_url>/1.0.0/...`) are checked against them.
    pub released: &'a [(&'a str, &'a [ComposedGuide<'a>])],
    /// The required-section profile.
    pub profile: &'a Profile,
    /// The site configuration.
    pub config: &'a Config,
    /// The approved exceptions.
    pub exceptions: &'a [exceptions::Exception],
    /// The date reviews and exceptions are judged at.
    pub as_of: Date,
    /// Scans and findings of earlier builds, reused for the same inputs.
    pub memo: &'a crate::memo::Memo,
    /// The digest of what every rule may read besides the pages: the profile, the approved
    /// exceptions and the date ([`Ctx::settings_digest`]).
    pub settings: crate::memo::Digest,
}

impl Ctx<'_> {
    /// The digest of the profile, the exceptions and the date, for [`Ctx::settings`].
    pub fn settings_digest(
        profile: &Profile,
        exceptions: &[exceptions::Exception],
        as_of: Date,
    ) -> crate::memo::Digest {
        let settings = format!("{profile:?}\n{exceptions:?}\n{as_of}");
        crate::memo::digest(settings.as_bytes())
    }

    /// The findings of the check `family` on one page, which reads only the settings
    /// ([`Ctx::settings`]) and `pages` (files named by their path and content digest): made by
    /// `check` once per distinct inputs, then reused.
    pub(crate) fn per_page(
        &self,
        family: &str,
        pages: &[&crate::source::TextFile],
        out: &mut Vec<Diagnostic>,
        check: impl FnOnce(&mut Vec<Diagnostic>),
    ) {
        let mut inputs: Vec<&[u8]> = vec![family.as_bytes(), &self.settings];
        for page in pages {
            inputs.push(page.rel.as_bytes());
            inputs.push(&page.digest);
        }
        let key = crate::memo::digest_of(&inputs);
        let found = self.memo.findings(&key, || {
            let mut found = Vec::new();
            check(&mut found);
            found
        });
        out.extend(found.iter().cloned());
    }
}

/// Runs every rule.
///
/// The groups of rules run side by side, each in parallel over the pages: one after the
/// other, a group with a step on one core (the inventory's, say) left the other cores idle.
/// Their findings are joined in the order of the groups, whatever finished first.
pub fn check(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    type Group<'g> = &'g (dyn Fn(&mut Vec<Diagnostic>) + Sync);
    let groups: [Group<'_>; 9] = [
        &|out| {
            each(&ctx.content.guides, out, |guide, out| {
                ctx.per_page("KG004", &[guide.base.file], out, |out| {
                    out.extend(content::duplicate_sections(&guide.base));
                });
                for addendum in &guide.addenda {
                    ctx.per_page("KG004", &[addendum.file], out, |out| {
                        out.extend(content::duplicate_sections(addendum));
                    });
                }
            })
        },
        &|out| sections::check(ctx, out),
        &|out| links::check(ctx, out),
        &|out| document::check(ctx, out),
        &|out| inventory::check(ctx, out),
        &|out| html::check(ctx, out),
        &|out| exceptions::check(ctx, out),
        &|out| secrets::check(ctx.content.sources, ctx.memo, out),
        &|out| secrets::check_published_text(ctx, out),
    ];
    use rayon::prelude::*;
    let found: Vec<Vec<Diagnostic>> = groups
        .par_iter()
        .map(|group| {
            let mut out = Vec::new();
            group(&mut out);
            out
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// Applies `[lint] warn` and `allow` from the configuration, then sorts.
pub fn configure(mut diags: Vec<Diagnostic>, config: &Config) -> Result<Vec<Diagnostic>> {
    let warn = rules_named(&config.lint_warn, "warn", config)?;
    let allow = rules_named(&config.lint_allow, "allow", config)?;
    diags.retain(|d| !allow.iter().any(|r| r.id == d.rule));
    for d in &mut diags {
        if warn.iter().any(|r| r.id == d.rule) {
            d.severity = Severity::Warning;
        }
    }
    diag::sort(&mut diags);
    Ok(diags)
}

/// The rules named in `[lint] <key>`; unknown ids and rules that may not be lowered are
/// configuration errors, pointed at the line that names them.
fn rules_named(ids: &[String], key: &str, config: &Config) -> Result<Vec<&'static Rule>> {
    ids.iter()
        .map(|id| {
            let rule = ALL_RULES
                .iter()
                .copied()
                .find(|r| r.id.eq_ignore_ascii_case(id) || r.name == id);
            let problem = match rule {
                Some(r) if r.configurable => return Ok(r),
                Some(r) => format!(
                    "[lint] {key} names {} ({}), which cannot be lowered or switched off",
                    r.id, r.name
                ),
                None => format!("[lint] {key} names `{id}`, which is not a keyguide rule"),
            };
            let configurable: Vec<&str> = ALL_RULES
                .iter()
                .filter(|r| r.configurable)
                .map(|r| r.id)
                .collect();
            let path = config.root.join(crate::config::FILE_NAME);
            let (line, column) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| {
                    let at = text.find(&format!("\"{id}\""))?;
                    Some(diag::LineIndex::new(&text).line_col(&text, at))
                })
                .unwrap_or((1, 1));
            Err(Error::Config {
                file: path.display().to_string(),
                line,
                column,
                message: problem,
                help: format!(
                    "remove it from [lint] {key}; rules that can be configured: {}",
                    configurable.join(", ")
                ),
            })
        })
        .collect()
}

/// Runs `check` on each of `items` (guides) in parallel and appends the findings in the order of
/// `items`, so the result is the same as one pass in order.
pub(crate) fn each<T: Sync>(
    items: &[T],
    out: &mut Vec<Diagnostic>,
    check: impl Fn(&T, &mut Vec<Diagnostic>) + Sync,
) {
    use rayon::prelude::*;
    let found: Vec<Vec<Diagnostic>> = items
        .par_iter()
        .map(|item| {
            let mut found = Vec::new();
            check(item, &mut found);
            found
        })
        .collect();
    out.extend(found.into_iter().flatten());
}

/// A finding at byte `offset` of the page `page`.
pub(crate) fn at<M>(
    rule: &'static Rule,
    page: &content::Page<'_, M>,
    offset: usize,
    message: String,
    help: String,
) -> Diagnostic {
    Diagnostic::new(rule, &page.file.rel, page.line_col(offset), message, help)
}
