//! `keyguide init`: scaffold a site that builds and lints clean, for an author to edit.

use std::path::Path;

use keyguide::error::{Error, Result};

use crate::Outcome;
use crate::cli::InitArgs;

/// The scaffold: (path in the new site, text). `{{TODAY}}` becomes today's date as lint
/// sees it ([`keyguide::today`], so `SOURCE_DATE_EPOCH` when set): a new guide was last
/// reviewed the day it was written, and a scaffold made and linted under the same
/// `SOURCE_DATE_EPOCH` is never reviewed "after" the day lint judges it at.
const FILES: &[(&str, &str)] = &[
    ("keyguide.toml", include_str!("scaffold/keyguide.toml")),
    (
        "content/inventory.toml",
        include_str!("scaffold/inventory.toml"),
    ),
    (
        "content/payment-api/_index.md",
        include_str!("scaffold/_index.md"),
    ),
    (
        "content/payment-api/partner-api.md",
        include_str!("scaffold/partner-api.md"),
    ),
    (".gitignore", include_str!("scaffold/gitignore")),
];

/// Runs `keyguide init`.
pub fn run(args: &InitArgs) -> Result<Outcome> {
    let dir = &args.dir;
    for existing in ["keyguide.toml", "content"] {
        if dir.join(existing).exists() {
            return Err(Error::Usage {
                message: format!("{} already holds a site ({existing} exists)", dir.display()),
                help: "choose an empty or new folder, e.g. `keyguide init my-guidance`".into(),
            });
        }
    }
    let today = keyguide::today()?.to_string();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if path.exists() {
            return Err(Error::Usage {
                message: format!("{} already exists", path.display()),
                help: "move it away or choose another folder".into(),
            });
        }
        write(&path, &text.replace("{{TODAY}}", &today))?;
    }
    eprintln!(
        "created a keyguide site in {}\n  next: cd {} && keyguide build --drafts",
        dir.display(),
        dir.display()
    );
    Ok(Outcome::Success)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(Error::io("creating folder", parent))?;
    }
    std::fs::write(path, text).map_err(Error::io("writing", path))
}
