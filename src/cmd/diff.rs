//! `keyguide diff`: what changed between two versions, section by section.

use std::io::Write as _;
use std::path::Path;

use keyguide::diff::ChangeKind;
use keyguide::error::Result;
use serde::Serialize;

use super::stream_error;
use crate::Outcome;
use crate::cli::{DiffArgs, DiffFormat};

#[derive(Serialize)]
struct Report<'a> {
    from: &'a str,
    to: &'a str,
    changes: &'a [keyguide::diff::Change],
}

/// Runs `keyguide diff`.
pub fn run(root: Option<&Path>, args: &DiffArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let changes = keyguide::diff_versions(&config, &args.from, &args.to)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        DiffFormat::Json => {
            let report = Report {
                from: &args.from,
                to: &args.to,
                changes: &changes,
            };
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(std::io::Error::from)
                .map_err(stream_error)?;
            writeln!(out).map_err(stream_error)?;
        }
        DiffFormat::Human => {
            if changes.is_empty() {
                writeln!(out, "no changes from {} to {}", args.from, args.to)
                    .map_err(stream_error)?;
            }
            let mut document = None;
            for c in &changes {
                let doc = match &c.integration {
                    Some(i) => format!("{}/{i}", c.guide),
                    None => c.guide.clone(),
                };
                if document.as_ref() != Some(&doc) {
                    writeln!(out, "{doc}").map_err(stream_error)?;
                    document = Some(doc);
                }
                let sign = match c.change {
                    ChangeKind::Added => "+ added  ",
                    ChangeKind::Removed => "- removed",
                    ChangeKind::Changed => "~ changed",
                };
                writeln!(out, "  {sign} #{} ({})", c.section, c.title).map_err(stream_error)?;
            }
        }
    }
    Ok(Outcome::Success)
}
