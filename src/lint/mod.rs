//! The rule engine shared by `lint` and `build`.
//!
//! Input: parsed content (composition reports its own findings while it runs). Output: every finding, with severities
//! adjusted by `[lint]` in keyguide.toml and sorted (file, line, column, rule). `build` and
//! `lint` both call [`check`], so lint can never pass while build fails.

use crate::config::Config;
use crate::content::{self, Content};
use crate::diag::{self, ALL_RULES, Diagnostic, Rule, Severity};
use crate::error::{Error, Result};

/// Runs every rule over `content` and its `composed` guides.
pub fn check(content: &Content<'_>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for guide in &content.guides {
        diags.extend(content::duplicate_sections(&guide.base));
        for addendum in &guide.addenda {
            diags.extend(content::duplicate_sections(addendum));
        }
    }
    diags
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
/// configuration errors.
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
                    "rule {} ({}) cannot be lowered or switched off",
                    r.id, r.name
                ),
                None => format!("[lint] {key} names `{id}`, which is not a keyguide rule"),
            };
            let known: Vec<&str> = ALL_RULES.iter().map(|r| r.id).collect();
            Err(Error::Config {
                file: config
                    .root
                    .join(crate::config::FILE_NAME)
                    .display()
                    .to_string(),
                line: 1,
                column: 1,
                message: problem,
                help: format!(
                    "remove it from [lint] {key}; rules that can be configured: {}",
                    known.join(", ")
                ),
            })
        })
        .collect()
}
