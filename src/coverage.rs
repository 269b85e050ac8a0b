//! Coverage: for every base guide and compiled integration guide, the state of each required
//! section and which requirement elements are addressed; and which addenda cover each
//! inventory workflow. The evidence an assessor asks for first ("where is transmission,
//! storage and updating covered for this integration?").
//!
//! States: `own` (the document's own text: a base guide's section, or a section the addendum
//! adds under a required title), `appended`, `replaced`, `inherited`, `excepted` (an active
//! approved exception compensates it) and `missing`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compose::{State, Tree};
use crate::lint::Ctx;
use crate::lint::exceptions::excepts;
use crate::profile::Profile;

/// Coverage of the whole site (SPEC 11, `keyguide coverage --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Required section ids in profile order, for tables.
    #[serde(skip)]
    pub section_ids: Vec<String>,
    /// Requirement elements in profile order.
    #[serde(skip)]
    pub element_ids: Vec<String>,
    /// One entry per base guide and per integration, sorted by guide then integration.
    pub documents: Vec<Document>,
    /// Workflow id → documents covering it (`guide/integration`).
    pub workflows: BTreeMap<String, Vec<String>>,
}

/// Coverage of one document.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Guide id.
    pub guide: String,
    /// Addendum stem, or none for the base guide.
    pub integration: Option<String>,
    /// Required section id → state.
    pub sections: BTreeMap<String, &'static str>,
    /// Requirement element → addressed.
    pub elements: BTreeMap<String, bool>,
    /// Document control, for the evidence pack (not part of the coverage JSON).
    #[serde(skip)]
    pub control: Control,
}

/// Who owns a document and when it was last reviewed (its base guide's front matter).
#[derive(Debug, Clone, Default)]
pub struct Control {
    /// Page title.
    pub title: String,
    /// Owner, or the site's default owner.
    pub owner: Option<String>,
    /// Last review.
    pub last_reviewed: Option<crate::frontmatter::Date>,
}

/// Computes coverage from the same context the rules see.
pub fn report(ctx: &Ctx<'_>) -> Report {
    let profile = ctx.profile;
    let mut documents = Vec::new();
    for composed in ctx.composed {
        let guide = composed.guide.id.to_owned();
        let matter = &composed.guide.base.matter;
        let control = |title: &str| Control {
            title: title.to_owned(),
            owner: matter.owner.clone().or_else(|| ctx.config.owner.clone()),
            last_reviewed: matter.last_reviewed,
        };
        let base = states(profile, &composed.base, |_, _| "own");
        documents.push(document(
            profile,
            (guide.clone(), None),
            base,
            control(&matter.title),
        ));
        for (page, tree) in &composed.integrations {
            let sections = states(profile, tree, |id, state| match state {
                State::Appended => "appended",
                State::Replaced => "replaced",
                State::Inherited => "inherited",
                State::Added => "own",
                State::Own if excepts(ctx, page, id) => "excepted",
                State::Own => "missing",
            });
            documents.push(document(
                profile,
                (guide.clone(), Some(page.stem.to_owned())),
                sections,
                control(&page.matter.title),
            ));
        }
    }
    let mut workflows: BTreeMap<String, Vec<String>> = ctx
        .content
        .inventory
        .workflows
        .iter()
        .map(|w| (w.id.get_ref().clone(), Vec::new()))
        .collect();
    for guide in &ctx.content.guides {
        for page in &guide.addenda {
            for wf in &page.matter.workflows {
                workflows
                    .entry(wf.get_ref().clone())
                    .or_default()
                    .push(format!("{}/{}", guide.id, page.stem));
            }
        }
    }
    Report {
        section_ids: profile.sections.iter().map(|s| s.id.clone()).collect(),
        element_ids: profile
            .sections
            .iter()
            .flat_map(|s| s.elements.clone())
            .collect(),
        documents,
        workflows,
    }
}

/// The state of each required section in `tree`, through `state_of` for present ones.
fn states(
    profile: &Profile,
    tree: &Tree<'_>,
    state_of: impl Fn(&str, State) -> &'static str,
) -> BTreeMap<String, &'static str> {
    profile
        .sections
        .iter()
        .map(|req| {
            // A section the addendum adds under the required title counts as its own text;
            // otherwise the node with the required id carries the composition state.
            let node = tree
                .nodes()
                .filter(|n| req.matches(n.id, n.title))
                .max_by_key(|n| n.state == State::Added);
            let state = node.map_or("missing", |n| state_of(&req.id, n.state));
            (req.id.clone(), state)
        })
        .collect()
}

fn document(
    profile: &Profile,
    (guide, integration): (String, Option<String>),
    sections: BTreeMap<String, &'static str>,
    control: Control,
) -> Document {
    let elements = profile
        .sections
        .iter()
        .flat_map(|s| {
            let addressed = sections.get(&s.id).is_some_and(|st| *st != "missing");
            s.elements.iter().map(move |e| (e.clone(), addressed))
        })
        .collect();
    Document {
        guide,
        integration,
        sections,
        elements,
        control,
    }
}
