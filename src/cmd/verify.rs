//! `keyguide verify`: check a downloaded site against its signed manifest.

use std::io::Write as _;

use keyguide::error::Result;
use keyguide::verify::{self, Request, Trust};

use super::stream_error;
use crate::Outcome;
use crate::cli::VerifyArgs;

/// Runs `keyguide verify`. Exit 0 when every check holds, 1 listing every failed check.
pub fn run(args: &VerifyArgs) -> Result<Outcome> {
    let trust = match (&args.public_key, &args.allowed_signers, &args.identity) {
        (Some(key), _, _) => Trust::PublicKey(key),
        (None, Some(file), Some(identity)) => Trust::AllowedSigners { file, identity },
        // clap requires one of the two forms; this is the same message it gives.
        _ => {
            return Err(keyguide::error::Error::Usage {
                message: "no trusted key given".into(),
                help: "pass --allowed-signers FILE --identity ID, or --public-key FILE".into(),
            });
        }
    };
    let request = Request {
        site: &args.site_dir,
        trust,
        previous: args.previous.as_deref(),
        as_of: super::as_of(args.as_of)?,
    };
    let report = verify::verify(&request)?;
    let mut out = std::io::stdout().lock();
    let site = args.site_dir.display();
    if report.failures.is_empty() {
        writeln!(
            out,
            "verified {site}: good signature by {}, {} files match, ledger of {} release(s) intact",
            report.signed_by.as_deref().unwrap_or("?"),
            report.files,
            report.sequence.unwrap_or(0)
        )
        .map_err(stream_error)?;
        if args.previous.is_some() {
            writeln!(out, "  and it extends the manifest given with --previous (no rollback, no rewritten record)")
                .map_err(stream_error)?;
        }
        if !report.absent.is_empty() {
            writeln!(
                out,
                "  not in this copy: {} (host configuration the host applies and does not serve; checked where the folder holds it)",
                report.absent.join(", ")
            )
            .map_err(stream_error)?;
        }
        if !report.unsigned.is_empty() {
            writeln!(
                out,
                "  not covered by the signature: {} (host configuration the host applies; compare it with the published site's by other means)",
                report.unsigned.join(", ")
            )
            .map_err(stream_error)?;
        }
        return Ok(Outcome::Success);
    }
    writeln!(out, "verification of {site} FAILED:").map_err(stream_error)?;
    for failure in &report.failures {
        writeln!(out, "  - {failure}").map_err(stream_error)?;
    }
    Ok(Outcome::Failed)
}
