//! `keyguide release`: lint, freeze the draft, append to the ledger.

use std::path::Path;

use keyguide::diag;
use keyguide::error::{Error, Result};
use keyguide::release::{self, Outcome as Released, Request};

use super::stream_error;
use crate::Outcome;
use crate::cli::ReleaseArgs;

/// Runs `keyguide release`.
pub fn run(root: Option<&Path>, args: &ReleaseArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let notes = args.notes.as_deref().map(release::read_notes).transpose()?;
    let request = Request {
        version: args.label.clone(),
        approver: args.approver.clone(),
        date: release_date(args.date)?,
        notes,
    };
    match release::release(&config, &request)? {
        Released::Refused(checked) => {
            let mut err = anstream::stderr();
            diag::write_human(&mut err, &checked.diagnostics, &checked.sources)
                .map_err(stream_error)?;
            eprintln!("release refused: fix the errors above; nothing was written");
            Ok(Outcome::Failed)
        }
        Released::Released(record) => {
            eprintln!(
                "released version {} ({}, approved by {})\n  frozen in releases/{}/, ledger entry {}\n  next: commit releases/ and publish with `keyguide build`",
                record.version, record.date, record.approver, record.version, record.digest
            );
            Ok(Outcome::Success)
        }
    }
}

/// The release date: `--date`, which may not be after today (a future date would also push
/// the manifest's `expires` out), or today.
fn release_date(given: Option<keyguide::frontmatter::Date>) -> Result<keyguide::frontmatter::Date> {
    let today = super::as_of(None)?;
    match given {
        Some(date) if date > today => Err(Error::Usage {
            message: format!("--date {date} is after today ({today})"),
            help:
                "a release is recorded when it is approved and published; date it today or earlier"
                    .into(),
        }),
        Some(date) => Ok(date),
        None => Ok(today),
    }
}
