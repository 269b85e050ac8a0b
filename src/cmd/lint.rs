//! `keyguide lint`: every rule over the draft, reported in the chosen format.

use std::io::Write as _;
use std::path::Path;

use keyguide::diag::formats::{self, Format};
use keyguide::diag::{self, Severity};
use keyguide::error::Result;

use super::stream_error;
use crate::Outcome;
use crate::cli::LintArgs;

/// Runs `keyguide lint`.
pub fn run(root: Option<&Path>, args: &LintArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let checked = keyguide::lint(&config, super::as_of(args.as_of)?)?;
    let diags = &checked.diagnostics;
    match args.format {
        // Findings for people go to stderr, like a compiler's; reports for tools to stdout.
        Format::Human => {
            let mut err = anstream::stderr();
            diag::write_human(&mut err, diags, &checked.sources).map_err(stream_error)?;
            if diags.is_empty() {
                writeln!(err, "lint: no findings").map_err(stream_error)?;
            }
        }
        Format::Json => {
            formats::write_json(&mut std::io::stdout().lock(), diags).map_err(stream_error)?
        }
        Format::Sarif => {
            formats::write_sarif(&mut std::io::stdout().lock(), diags).map_err(stream_error)?
        }
        Format::Github => {
            formats::write_github(&mut std::io::stdout().lock(), diags).map_err(stream_error)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(keyguide::error::Error::io("appending to", &path))?;
                file.write_all(formats::step_summary(diags).as_bytes())
                    .map_err(keyguide::error::Error::io("appending to", &path))?;
            }
        }
    }
    let failed = diags
        .iter()
        .any(|d| d.severity == Severity::Error || args.deny_warnings);
    // Freeing everything read takes a while; the process is done.
    keyguide::memo::drop_in_background(checked);
    Ok(if failed {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
