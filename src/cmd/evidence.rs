//! `keyguide evidence`: the assessor's evidence pack (SPEC 7).

use std::io::Write as _;
use std::path::Path;

use keyguide::error::{Error, Result};
use keyguide::evidence::pack::{self, Inputs, SITE_DIR};
use keyguide::profile::Profile;
use keyguide::{BuildOptions, diag};

use super::stream_error;
use crate::Outcome;
use crate::cli::EvidenceArgs;

/// Runs `keyguide evidence`. Writes the pack even when customers are out of date (it shows
/// them), and then exits 1 as `keyguide audit` does.
pub fn run(root: Option<&Path>, args: &EvidenceArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let out = super::build::output_dir(&config.root, Some(&args.out))?;
    refuse_foreign_folder(&out)?;
    let as_of = super::as_of(args.as_of)?;
    let audited = keyguide::audit(&config, as_of, super::as_of(None)?)?;
    let Some(audit) = super::audit::judged(&config, &audited, as_of)? else {
        return Ok(Outcome::Failed);
    };
    let signer = super::build::signer(&config, &args.signing, &out)?;
    // The build and the coverage of the latest release read the same files: they share
    // one cache, so each file is parsed and checked once.
    let cache = keyguide::Cache::default();
    let options = BuildOptions {
        drafts: false,
        as_of,
        cache: Some(&cache),
        store: None,
        out: None,
    };
    let label = format!("{}/{SITE_DIR}", out.display());
    let built = keyguide::build(&config, options, &label, signer.as_ref())?;
    let mut err = anstream::stderr();
    let Some(site) = &built.output else {
        diag::write_human(&mut err, &built.diagnostics, &built.sources).map_err(stream_error)?;
        writeln!(
            err,
            "evidence pack refused: the site does not build; {} was left as it was",
            out.display()
        )
        .map_err(stream_error)?;
        return Ok(Outcome::Failed);
    };
    let released = keyguide::release_coverage(&config, &audit.latest, as_of, &cache.memo)?;
    let coverage = released.coverage.as_ref().ok_or_else(|| Error::Usage {
        message: format!(
            "the coverage of version {} could not be computed",
            audit.latest
        ),
        help: "run `keyguide lint` to see what is wrong".into(),
    })?;
    let profile = Profile::load(&config.root, &config.profile)?;
    let published = signer.as_ref().map(|s| s.published()).transpose()?;
    let tree = pack::build(&Inputs {
        config: &config,
        profile: &profile,
        releases: &audited.releases,
        inventory: &audited.inventory,
        exceptions: &audited.exceptions,
        coverage,
        audit,
        site,
        signed: published.as_ref(),
    })?;
    for left in tree.commit(&out)? {
        writeln!(err, "warning: {left}").map_err(super::stream_error)?;
    }
    writeln!(
        err,
        "wrote the evidence pack ({} files) to {}; open {}/index.html\n\
         to read its guides with their styles, serve it: python3 -m http.server -d {}\n\
         it names customers: keep it private",
        tree.len(),
        out.display(),
        out.display(),
        out.display()
    )
    .map_err(stream_error)?;
    if signer.is_none() {
        writeln!(
            err,
            "note: the site copy in the pack is not signed (pass --sign-key PATH or set {})",
            keyguide::signing::KEY_ENV
        )
        .map_err(stream_error)?;
    }
    Ok(if audit.has_gaps() {
        writeln!(
            err,
            "audit: {} in-scope customer(s) out of date; see the pack's distribution audit",
            audit.out_of_date
        )
        .map_err(stream_error)?;
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// Refuses an `--out` folder that holds files but no earlier pack: writing the pack swaps in
/// a whole new folder, so `--out ~/Documents` would delete the user's documents.
fn refuse_foreign_folder(out: &Path) -> Result<()> {
    let Ok(mut entries) = std::fs::read_dir(out) else {
        // Missing (it is created) or not a folder (the commit explains).
        return Ok(());
    };
    if entries.next().is_none() || out.join(pack::JSON).is_file() {
        return Ok(());
    }
    Err(Error::Usage {
        message: format!(
            "--out {} holds other files, and the evidence pack replaces the whole folder",
            out.display()
        ),
        help: "choose a new or empty folder, e.g. `--out evidence-pack`; an earlier pack (with its evidence.json) is replaced".into(),
    })
}
