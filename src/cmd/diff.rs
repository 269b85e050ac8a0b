//! `keyguide diff`: what changed between two versions, by section, then by file.

use std::io::Write as _;
use std::path::Path;

use keyguide::diff::ChangeKind;
use keyguide::error::Result;

use super::stream_error;
use crate::Outcome;
use crate::cli::{DiffArgs, DiffFormat};

/// Runs `keyguide diff`.
pub fn run(root: Option<&Path>, args: &DiffArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let report = keyguide::diff_versions(&config, &args.from, &args.to)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(std::io::Error::from)
                .map_err(stream_error)?;
            writeln!(out).map_err(stream_error)?;
        }
        DiffFormat::Human => {
            if report.files.is_empty() {
                writeln!(out, "no changes from {} to {}", report.from, report.to)
                    .map_err(stream_error)?;
            }
            let mut document = None;
            for c in &report.changes {
                let doc = match &c.integration {
                    Some(i) => format!("{}/{i}", c.guide),
                    None => c.guide.clone(),
                };
                if document.as_ref() != Some(&doc) {
                    writeln!(out, "{doc}").map_err(stream_error)?;
                    document = Some(doc);
                }
                writeln!(out, "  {} #{} ({})", sign(c.change), c.section, c.title)
                    .map_err(stream_error)?;
            }
            if !report.files.is_empty() {
                writeln!(out, "files").map_err(stream_error)?;
            }
            for f in &report.files {
                writeln!(out, "  {} {}", sign(f.change), f.path).map_err(stream_error)?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn sign(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "+ added  ",
        ChangeKind::Removed => "- removed",
        ChangeKind::Changed => "~ changed",
    }
}
