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
//!   → render::render   (rayon)      -> OutputTree         pages, assets, theme files
//!   → OutputTree::commit            staging folder, then atomic swap
//! ```
//!
//! Problems in content are [`diag::Diagnostic`]s, all collected; problems running the tool
//! are [`error::Error`]s. Every command goes through the same checks ([`lint::check`]), so
//! a build can never fail on content that lint passed.

pub mod compose;
pub mod config;
pub mod content;
pub mod diag;
pub mod error;
pub mod frontmatter;
pub mod inventory;
pub mod links;
pub mod lint;
pub mod markdown;
pub mod output;
pub mod render;
pub mod source;
pub mod theme;

use config::Config;
use diag::Diagnostic;
use error::Result;
use output::OutputTree;
use source::Sources;

/// The draft's content folder, relative to the site root.
pub const DRAFT_DIR: &str = "content";

/// The URL folder of the draft.
pub const DRAFT_LABEL: &str = "next";

/// What a build was asked to include.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Build the draft under `/next/`.
    pub drafts: bool,
}

/// The outcome of checking (and possibly rendering) a site.
#[derive(Debug)]
pub struct Checked {
    /// The content that was read, for quoting source lines in messages.
    pub sources: Sources,
    /// Every finding, configured and sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The rendered site, when rendering was asked for and no error was found.
    pub output: Option<OutputTree>,
}

impl Checked {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        diag::counts(&self.diagnostics).0 > 0
    }
}

/// Checks the draft and, when nothing is wrong, renders the site.
pub fn build(config: &Config, options: BuildOptions) -> Result<Checked> {
    // Load the theme first: a broken theme stops the build before any content is read.
    let theme = theme::Theme::load(&config.root, &config.theme)?;
    run(config, Some((&theme, options)))
}

/// The shared pipeline: load, parse, compose, check, and render when `render` is given.
fn run(config: &Config, render: Option<(&theme::Theme, BuildOptions)>) -> Result<Checked> {
    let sources = source::load(&config.root, DRAFT_DIR)?;
    let mut diags = sources.diagnostics.clone();
    let content = content::parse(&sources, &mut diags);
    let composed = compose::compose(&content, &mut diags);
    diags.extend(lint::check(&content));
    let diagnostics = lint::configure(diags, config)?;
    let clean = diag::counts(&diagnostics).0 == 0;
    let output = match render {
        Some((theme, options)) if clean => {
            let mut versions = Vec::new();
            if options.drafts {
                versions.push(render::Version {
                    label: DRAFT_LABEL.to_owned(),
                    draft: true,
                    content_dir: DRAFT_DIR,
                    guides: &composed,
                });
            }
            let site = render::Site { config, versions };
            Some(render::render(&site, theme)?)
        }
        _ => None,
    };
    Ok(Checked {
        sources,
        diagnostics,
        output,
    })
}
