//! KG080: approved exceptions (`content/exceptions.toml`).
//!
//! An exception records that a customer or a workflow does not follow part of the guidance,
//! why, who approved it, until when, and which guidance applies instead. It must name exactly
//! one of `customer` or `workflow` (an existing workflow), point its `compensating` guidance
//! at a section that exists (`guide#section` or `guide/integration#section`), and not have
//! expired. An active workflow exception whose compensating reference names section `x`
//! excuses the addenda covering that workflow from writing or inheriting `x` (KG001), and
//! coverage shows such sections as "excepted".

use serde::Deserialize;
use toml::Spanned;

use crate::config::{toml_error_help, toml_error_message, toml_error_position};
use crate::content::Page;
use crate::diag::{self, Diagnostic, LineIndex};
use crate::frontmatter::{AddendumMatter, Date, required_date};
use crate::source::Sources;

use super::Ctx;

/// One approved exception.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Stable id, e.g. `ex-001`.
    pub id: Spanned<String>,
    /// The customer it applies to (an id from `evidence/customers.csv`, checked by
    /// `keyguide audit`), or none for a workflow exception.
    #[serde(default)]
    pub customer: Option<Spanned<String>>,
    /// The workflow it applies to, or none for a customer exception.
    #[serde(default)]
    pub workflow: Option<Spanned<String>>,
    /// Why the guidance cannot be followed.
    pub reason: String,
    /// The guidance that applies instead: `guide#section` or `guide/integration#section`.
    #[serde(default)]
    pub compensating: Option<Spanned<String>>,
    /// Who approved it.
    pub approver: String,
    /// Last day it applies.
    #[serde(deserialize_with = "required_date")]
    pub expires: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionsFile {
    #[serde(default, rename = "exception")]
    exceptions: Vec<Exception>,
}

impl Exception {
    /// Whether it still applies on `as_of`.
    pub fn active(&self, as_of: Date) -> bool {
        self.expires >= as_of
    }

    /// The section id its compensating guidance names.
    pub fn compensated_section(&self) -> Option<&str> {
        self.compensating
            .as_ref()?
            .get_ref()
            .split_once('#')
            .map(|(_, s)| s)
    }
}

/// Parses `exceptions.toml`, when the content has one; problems become KG030 findings.
pub fn load(sources: &Sources, diags: &mut Vec<Diagnostic>) -> Vec<Exception> {
    let Some(file) = &sources.exceptions else {
        return Vec::new();
    };
    match toml::from_str::<ExceptionsFile>(&file.text) {
        Ok(parsed) => parsed.exceptions,
        Err(e) => {
            diags.push(Diagnostic::new(
                &diag::FRONT_MATTER,
                &file.rel,
                toml_error_position(&file.text, &e, 0),
                format!("invalid exceptions file: {}", toml_error_message(&e)),
                toml_error_help(&e),
            ));
            Vec::new()
        }
    }
}

/// Whether an active exception for one of `page`'s workflows compensates section `id`.
pub fn excepts(ctx: &Ctx<'_>, page: &Page<'_, AddendumMatter>, id: &str) -> bool {
    ctx.exceptions.iter().any(|e| {
        e.active(ctx.as_of)
            && e.compensated_section() == Some(id)
            && e.workflow.as_ref().is_some_and(|w| {
                page.matter
                    .workflows
                    .iter()
                    .any(|p| p.get_ref() == w.get_ref())
            })
    })
}

/// Runs KG080.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let Some(file) = &ctx.content.sources.exceptions else {
        return;
    };
    let lines = LineIndex::new(&file.text);
    let mut finding = |offset: usize, message: String, help: &str| {
        out.push(Diagnostic::new(
            &diag::EXCEPTION,
            &file.rel,
            lines.line_col(&file.text, offset),
            message,
            help,
        ));
    };
    let mut ids: Vec<&str> = Vec::new();
    for e in ctx.exceptions {
        let id = e.id.get_ref();
        let at = e.id.span().start;
        if ids.contains(&id.as_str()) {
            finding(
                at,
                format!("exception id `{id}` is used twice"),
                "give each exception its own id",
            );
        }
        ids.push(id);
        match (&e.customer, &e.workflow) {
            (Some(_), Some(_)) | (None, None) => finding(
                at,
                format!("exception `{id}` must name exactly one of `customer` or `workflow`"),
                "write `customer = \"c-004\"` for one customer, or `workflow = \"wf-id\"` for a whole workflow",
            ),
            // An inventory that could not be read has unknown workflows, not missing ones.
            (None, Some(w))
                if !ctx.content.inventory_broken
                    && !ctx
                        .content
                        .inventory
                        .workflows
                        .iter()
                        .any(|x| x.id.get_ref() == w.get_ref()) =>
            {
                finding(
                    w.span().start,
                    format!(
                        "exception `{id}` names workflow `{}`, which is not in the inventory",
                        w.get_ref()
                    ),
                    "name a workflow id from content/inventory.toml",
                )
            }
            _ => {}
        }
        if e.approver.trim().is_empty() || e.reason.trim().is_empty() {
            finding(
                at,
                format!("exception `{id}` has an empty `approver` or `reason`"),
                "an assessor asks who accepted the risk and why: name the approver's role and the reason",
            );
        }
        if !e.active(ctx.as_of) {
            finding(
                at,
                format!("exception `{id}` expired on {}", e.expires),
                "renew it with a new approval and expiry date, or remove it once the customer follows the guidance",
            );
        }
        match &e.compensating {
            None => finding(
                at,
                format!("exception `{id}` has no compensating guidance"),
                "add `compensating = \"guide/integration#section\"` naming the guidance that applies instead",
            ),
            Some(c) if !reference_exists(ctx, c.get_ref()) => finding(
                c.span().start,
                format!(
                    "exception `{id}`: compensating guidance `{}` does not exist",
                    c.get_ref()
                ),
                "write `guide#section` or `guide/integration#section` with ids that exist in the content",
            ),
            Some(_) => {}
        }
    }
}

/// Whether `guide[/integration]#section` names a section that exists.
fn reference_exists(ctx: &Ctx<'_>, reference: &str) -> bool {
    let Some((page, section)) = reference.split_once('#') else {
        return false;
    };
    let (guide, integration) = match page.split_once('/') {
        Some((g, i)) => (g, Some(i)),
        None => (page, None),
    };
    let Some(composed) = ctx.composed.iter().find(|c| c.guide.id == guide) else {
        return false;
    };
    let tree = match integration {
        None => Some(&composed.base),
        Some(stem) => composed
            .integrations
            .iter()
            .find(|(p, _)| p.stem == stem)
            .map(|(_, t)| t),
    };
    tree.is_some_and(|t| t.nodes().any(|n| n.id == section))
}
