//! `keyguide keygen`: a new Ed25519 signing key.

use std::io::Write as _;
use std::path::Path;

use keyguide::config::{self, Config};
use keyguide::error::{Error, Result};
use keyguide::signing;

use super::stream_error;
use crate::Outcome;
use crate::cli::KeygenArgs;

/// Identity when neither `--identity` nor a site names one.
const FALLBACK_IDENTITY: &str = "keyguide";

/// Runs `keyguide keygen`.
pub fn run(root: Option<&Path>, args: &KeygenArgs) -> Result<Outcome> {
    let site = config::find_root(root).ok();
    if let Some(site) = &site {
        refuse_inside(&args.path, site)?;
    }
    let identity = match &args.identity {
        Some(id) => id.clone(),
        None => match site.as_deref().map(Config::load) {
            Some(Ok(c)) => c.signing_identity,
            Some(Err(e)) => return Err(e),
            None => {
                eprintln!(
                    "note: no site here and no --identity, so the allowed_signers line names `{FALLBACK_IDENTITY}`; \
                     the site's [signing] identity must match it"
                );
                FALLBACK_IDENTITY.to_owned()
            }
        },
    };
    if let Some(problem) = signing::identity_problem(&identity) {
        return Err(Error::Usage {
            message: format!("the identity {identity:?} {problem}"),
            help: "pass one word, e.g. --identity keys@trust.example.com".into(),
        });
    }
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

/// Refuses a key path inside the site: the key would be committed with it.
fn refuse_inside(path: &Path, site: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let (Ok(dir), Ok(site)) = (parent.canonicalize(), site.canonicalize()) else {
        return Ok(()); // a missing folder is reported by keygen itself
    };
    if dir.starts_with(&site) {
        return Err(Error::Usage {
            message: format!(
                "{} is inside the site at {}, where the key would be committed with the content",
                path.display(),
                site.display()
            ),
            help: "keep signing keys outside the repository, e.g. `keyguide keygen ~/.config/keyguide/signing-key`".into(),
        });
    }
    Ok(())
}
