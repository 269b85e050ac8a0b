//! `keyguide keygen`: a new Ed25519 signing key.

use std::io::Write as _;
use std::path::Path;

use keyguide::config::{self, Config};
use keyguide::error::Result;
use keyguide::signing;

use super::stream_error;
use crate::Outcome;
use crate::cli::KeygenArgs;

/// Identity when neither `--identity` nor a site names one.
const FALLBACK_IDENTITY: &str = "keyguide";

/// Runs `keyguide keygen`.
pub fn run(root: Option<&Path>, args: &KeygenArgs) -> Result<Outcome> {
    let identity = match &args.identity {
        Some(id) => id.clone(),
        None => config::find_root(root)
            .and_then(|r| Config::load(&r))
            .map_or_else(|_| FALLBACK_IDENTITY.to_owned(), |c| c.signing_identity),
    };
    let published = signing::keygen(&args.path, &identity)?;
    let path = args.path.display();
    eprintln!(
        "wrote {path} (private, mode 0600) and {path}.pub\n  fingerprint: {}\n  \
         give customers this fingerprint through a channel other than the site (e.g. the contract)\n  \
         sign builds with `keyguide build --sign-key {path}` or the key text in {}\n\
         allowed_signers line:",
        published.fingerprint,
        signing::KEY_ENV
    );
    writeln!(std::io::stdout().lock(), "{}", published.allowed_signers).map_err(stream_error)?;
    Ok(Outcome::Success)
}
