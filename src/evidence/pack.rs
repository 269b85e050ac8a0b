//! `keyguide evidence`: the assessor's evidence pack (SPEC 7).
//!
//! One folder that answers the questions an assessor asks about Requirement 3.7.9:
//!
//! - `index.html` (with `style.css`): the requirement and how each part is met, the scope
//!   inventory, the current guides (links into the site copy), the coverage matrix, document
//!   control, exceptions, the distribution audit, and how to verify the signed manifest;
//! - `evidence.json`: the same facts for tools;
//! - `site/`: the published site exactly as `keyguide build` makes it, manifest and
//!   signature included, so the assessor can verify it offline and read every guide.
//!
//! The pack holds customer names: it is private, like `evidence/`. It is a pure function of
//! its inputs and the `--as-of` date, so the same inputs give the same bytes.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use super::audit::Audit;
use crate::config::Config;
use crate::coverage;
use crate::error::{Error, Result};
use crate::frontmatter::{Date, serialize_date, serialize_opt_date};
use crate::inventory::Inventory;
use crate::lint::exceptions::Exception;
use crate::manifest::{MANIFEST, Manifest, SIGNATURE, SUMS, WELL_KNOWN};
use crate::output::OutputTree;
use crate::profile::Profile;
use crate::signing::{NAMESPACE, Published};
use crate::versions::Releases;

/// The pack's facts for tools; its presence marks a folder as an earlier pack.
pub const JSON: &str = "evidence.json";

/// Where the site copy goes inside the pack.
pub const SITE_DIR: &str = "site";

const TEMPLATE: &str = include_str!("pack.html");
const STYLE: &str = include_str!("pack.css");

/// What the pack is made from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The site configuration.
    pub config: &'a Config,
    /// The profile of required sections.
    pub profile: &'a Profile,
    /// The release ledger.
    pub releases: &'a Releases,
    /// The scope inventory.
    pub inventory: &'a Inventory,
    /// The approved exceptions.
    pub exceptions: &'a [Exception],
    /// Coverage of the latest release.
    pub coverage: &'a coverage::Report,
    /// The distribution audit.
    pub audit: &'a Audit,
    /// The built, sealed site.
    pub site: &'a OutputTree,
    /// The signing key's public half, when the site is signed.
    pub signed: Option<&'a Published>,
}

/// The pack's facts (`evidence.json`, and the page's template context).
#[derive(Debug, Serialize)]
struct Pack<'a> {
    schema: &'static str,
    title: &'a str,
    base_url: &'a str,
    #[serde(serialize_with = "serialize_date")]
    as_of: Date,
    requirement: Requirement<'a>,
    scope: Vec<Workflow<'a>>,
    documents: Vec<Document<'a>>,
    section_ids: &'a [String],
    element_ids: &'a [String],
    versions: Vec<Version<'a>>,
    exceptions: Vec<ExceptionRow<'a>>,
    audit: &'a Audit,
    manifest: ManifestFacts<'a>,
}

#[derive(Debug, Serialize)]
struct Requirement<'a> {
    profile: &'a str,
    title: &'a str,
    text: Option<&'a str>,
    sections: Vec<RequiredSection<'a>>,
}

/// A required section, the elements it traces to, and how many documents hold it.
#[derive(Debug, Serialize)]
struct RequiredSection<'a> {
    id: &'a str,
    title: &'a str,
    elements: &'a [String],
    present: usize,
    documents: usize,
}

#[derive(Debug, Serialize)]
struct Workflow<'a> {
    id: &'a str,
    key_material: &'a str,
    customers: &'a str,
    protects: Vec<&'static str>,
    delivery: &'a str,
    updates: &'a str,
    covered_by: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Document<'a> {
    name: String,
    title: &'a str,
    owner: Option<&'a str>,
    #[serde(serialize_with = "serialize_opt_date")]
    last_reviewed: Option<Date>,
    #[serde(serialize_with = "serialize_opt_date")]
    review_due: Option<Date>,
    /// Path of the page inside the pack.
    page: String,
    /// The published URL.
    url: String,
    sections: &'a BTreeMap<String, &'static str>,
    elements: &'a BTreeMap<String, bool>,
}

#[derive(Debug, Serialize)]
struct Version<'a> {
    version: &'a str,
    #[serde(serialize_with = "serialize_date")]
    date: Date,
    approver: &'a str,
    content_digest: &'a str,
    digest: &'a str,
    latest: bool,
    notes: String,
}

#[derive(Debug, Serialize)]
struct ExceptionRow<'a> {
    id: &'a str,
    customer: Option<&'a str>,
    workflow: Option<&'a str>,
    reason: &'a str,
    compensating: Option<&'a str>,
    approver: &'a str,
    #[serde(serialize_with = "serialize_date")]
    expires: Date,
    active: bool,
}

#[derive(Debug, Serialize)]
struct ManifestFacts<'a> {
    path: String,
    sequence: usize,
    ledger_head: &'a str,
    files: usize,
    signed: bool,
    identity: &'a str,
    fingerprint: Option<&'a str>,
    namespace: &'static str,
    commands: Vec<String>,
}

/// Builds the pack's files.
pub fn build(inputs: &Inputs<'_>) -> Result<OutputTree> {
    // The pack states how many files the manifest lists, which `keyguide verify` reports
    // too: not the site's file count, which also holds the manifest, its signature and the
    // host files the manifest leaves out.
    let listed = inputs
        .site
        .get(MANIFEST)
        .and_then(|bytes| serde_json::from_slice::<Manifest>(bytes).ok())
        .map(|m| m.files.len())
        .ok_or_else(|| internal("the built site has no readable manifest.json"))?;
    let pack = facts(inputs, listed);
    let json = serde_json::to_vec_pretty(&pack).map_err(|e| internal(&e.to_string()))?;
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_formatter(crate::theme::html_formatter);
    env.add_template("index.html", TEMPLATE)
        .map_err(|e| internal(&e.to_string()))?;
    let html = env
        .get_template("index.html")
        .and_then(|t| {
            // The audit table lists what needs action first; evidence.json keeps SPEC 11's
            // order by id.
            t.render(minijinja::context! {
                distribution => minijinja::Value::from(minijinja::value::Serde(inputs.audit.worst_first())),
                ..minijinja::Value::from(minijinja::value::Serde(&pack))
            })
        })
        .map_err(|e| internal(&e.to_string()))?;
    let mut tree = OutputTree::default();
    tree.insert("index.html".into(), html.into_bytes())?;
    tree.insert("style.css".into(), STYLE.as_bytes().to_vec())?;
    tree.insert(JSON.into(), json)?;
    // The site was built in memory (no staging folder), so every file is in `files`.
    for (path, bytes) in inputs.site.files() {
        tree.insert(format!("{SITE_DIR}/{path}"), bytes.to_vec())?;
    }
    Ok(tree)
}

/// What the pack says; `listed` is the number of files manifest.json lists.
fn facts<'a>(inputs: &Inputs<'a>, listed: usize) -> Pack<'a> {
    let Inputs {
        config,
        profile,
        releases,
        inventory,
        exceptions,
        coverage,
        audit,
        site: _,
        signed,
    } = *inputs;
    let latest = &audit.latest;
    let documents = coverage
        .documents
        .iter()
        .map(|d| {
            let rel = match &d.integration {
                Some(i) => format!("{latest}/{}/{i}/", d.guide),
                None => format!("{latest}/{}/", d.guide),
            };
            let review_due = d.control.last_reviewed.and_then(|r| {
                r.checked_add(time::Duration::days(i64::from(config.review_interval_days)))
            });
            Document {
                name: match &d.integration {
                    Some(i) => format!("{}/{i}", d.guide),
                    None => d.guide.clone(),
                },
                title: &d.control.title,
                owner: d.control.owner.as_deref(),
                last_reviewed: d.control.last_reviewed,
                review_due,
                page: format!("{SITE_DIR}/{rel}index.html"),
                url: format!("{}/{rel}", config.base_url),
                sections: &d.sections,
                elements: &d.elements,
            }
        })
        .collect();
    let scope = inventory
        .workflows
        .iter()
        .map(|w| Workflow {
            id: w.id.get_ref(),
            key_material: w.key_material.get_ref(),
            customers: w.customers.get_ref(),
            protects: w
                .protects
                .get_ref()
                .iter()
                .map(|p| match p {
                    crate::inventory::Protects::Transmission => "transmission",
                    crate::inventory::Protects::Storage => "storage",
                })
                .collect(),
            delivery: w.delivery.get_ref(),
            updates: w.updates.get_ref(),
            covered_by: coverage
                .workflows
                .get(w.id.get_ref())
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let versions = releases
        .records
        .iter()
        .rev()
        // What the ledger said on the day judged, as the audit does.
        .filter(|r| r.date <= audit.as_of)
        .map(|r| Version {
            version: &r.version,
            date: r.date,
            approver: &r.approver,
            content_digest: &r.content_digest,
            digest: &r.digest,
            latest: &r.version == latest,
            notes: format!("{SITE_DIR}/releases/{}/index.html", r.version),
        })
        .collect();
    let exceptions = exceptions
        .iter()
        .map(|e| ExceptionRow {
            id: e.id.get_ref(),
            customer: e.customer.as_ref().map(|c| c.get_ref().as_str()),
            workflow: e.workflow.as_ref().map(|w| w.get_ref().as_str()),
            reason: &e.reason,
            compensating: e.compensating.as_ref().map(|c| c.get_ref().as_str()),
            approver: &e.approver,
            expires: e.expires,
            active: e.active(audit.as_of),
        })
        .collect();
    let identity = signed.map_or(config.signing_identity.as_str(), |p| p.identity.as_str());
    let commands = vec![
        format!("cd {SITE_DIR}"),
        format!(
            "ssh-keygen -Y verify -f {WELL_KNOWN}/allowed_signers -I {identity} -n {NAMESPACE} -s {SIGNATURE} < {MANIFEST}"
        ),
        format!("sha256sum -c {SUMS}"),
        format!(
            "keyguide verify . --allowed-signers {WELL_KNOWN}/allowed_signers --identity {identity}"
        ),
    ];
    Pack {
        schema: "urn:keyguide:evidence:1",
        title: &config.title,
        base_url: &config.base_url,
        as_of: audit.as_of,
        requirement: Requirement {
            profile: &profile.id,
            title: &profile.title,
            text: profile.requirement.as_deref(),
            sections: profile
                .sections
                .iter()
                .map(|s| RequiredSection {
                    id: &s.id,
                    title: &s.title,
                    elements: &s.elements,
                    present: coverage
                        .documents
                        .iter()
                        .filter(|d| d.sections.get(&s.id).is_some_and(|st| *st != "missing"))
                        .count(),
                    documents: coverage.documents.len(),
                })
                .collect(),
        },
        scope,
        documents,
        section_ids: &coverage.section_ids,
        element_ids: &coverage.element_ids,
        versions,
        exceptions,
        audit,
        manifest: ManifestFacts {
            path: format!("{SITE_DIR}/{MANIFEST}"),
            sequence: releases.records.len(),
            ledger_head: releases.head(),
            files: listed,
            signed: signed.is_some(),
            identity,
            fingerprint: signed.map(|p| p.fingerprint.as_str()),
            namespace: NAMESPACE,
            commands,
        },
    }
}

/// An error in keyguide itself, not in the user's input.
fn internal(message: &str) -> Error {
    Error::Usage {
        message: format!("could not write the evidence pack: {message}"),
        help: "this is a bug in keyguide; please report it with the command you ran".into(),
    }
}
