//! `keyguide build`: check the content, render the site, swap it into the output folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use keyguide::config::Config;
use keyguide::error::{Error, Result};
use keyguide::signing::{KEY_ENV, KeySource, Signer};
use keyguide::{BuildOptions, diag};
use zeroize::Zeroizing;

use crate::Outcome;
use crate::cli::{BuildArgs, SigningArgs};

/// Runs `keyguide build`.
pub fn run(root: Option<&Path>, args: &BuildArgs) -> Result<Outcome> {
    let mut config = super::load_config(root)?;
    if let Some(url) = &args.base_url {
        config = config.with_base_url(url)?;
    }
    let out = output_dir(&config.root, args.out.as_deref())?;
    // Interrupted, the build removes its staging folder, which holds pages the output checks
    // have not passed yet (a killed build leaves it to the next build into the same place).
    // Where no handler can be installed, that is all that is lost.
    let _ = ctrlc::set_handler(|| {
        keyguide::output::abandon_staging();
        std::process::exit(130);
    });
    // The handler and this thread race to end the process: once the staging folder is
    // abandoned, writing into it fails ("the build was interrupted"), and that error must
    // not end the process with status 2 before the handler ends it with 130.
    match build(&config, args, &out) {
        Err(_) if keyguide::output::interrupted() => Ok(Outcome::Interrupted),
        done => done,
    }
}

/// Builds into `out` with the store, the signing key and the messages `args` ask for.
fn build(config: &Config, args: &BuildArgs, out: &Path) -> Result<Outcome> {
    let mut err = anstream::stderr();
    let io = super::stream_error;
    let store = match args.no_cache {
        true => None,
        // Without the store the build only takes longer: say why, and go on.
        false => keyguide::stored::Store::open(&config.root, |lock| {
            let _ = writeln!(
                err,
                "note: waiting for another keyguide build of this site to finish (it holds {})",
                lock.display()
            );
        })
        .unwrap_or_else(|e| {
            // The error carries its own help (what to remove, or what to make writable).
            let _ = writeln!(
                err,
                "warning: released versions are rendered afresh: {e}\n  \
                 = note: `--no-cache` builds without the cache, and without this warning"
            );
            None
        }),
    };
    if let Some(problem) = store.as_ref().and_then(|s| s.outputs_unusable()) {
        let _ = writeln!(
            err,
            "warning: every file is written anew: {problem}\n  \
             = help: remove it; keyguide makes the folder itself"
        );
    }
    let options = BuildOptions {
        drafts: args.drafts,
        as_of: super::as_of(None)?,
        cache: None,
        store: store.as_ref(),
        out: Some(out),
    };
    let signer = signer(config, &args.signing, out)?;
    let checked = keyguide::build(config, options, &out.display().to_string(), signer.as_ref())?;
    diag::write_human(&mut err, &checked.diagnostics, &checked.sources).map_err(io)?;
    let Some(output) = checked.output else {
        writeln!(
            err,
            "build refused: fix the errors above; {} was left as it was",
            out.display()
        )
        .map_err(io)?;
        return Ok(Outcome::Failed);
    };
    if !args.drafts && checked.published == 0 {
        writeln!(
            err,
            "warning: nothing is published yet, so the site is only a landing page\n  \
             = help: preview the draft with `keyguide build --drafts` (served under /next/), \
             or publish it with `keyguide release VERSION --approver NAME`"
        )
        .map_err(io)?;
    }
    for left in output.commit(out)? {
        // The new site is in place; only the old copy beside it is in the way.
        writeln!(err, "warning: {left}").map_err(io)?;
    }
    let reused = match store.as_ref().map_or(0, |s| s.reused()) {
        0 => String::new(),
        1 => " (1 released version reused from .keyguide/cache)".into(),
        n => format!(" ({n} released versions reused from .keyguide/cache)"),
    };
    writeln!(
        err,
        "built {} files into {}{reused}",
        output.len(),
        out.display()
    )
    .map_err(io)?;
    if let Some(Err(e)) = store.map(|s| s.save(out, &output, &checked.digests)) {
        // The site is built; only the next build's head start is lost.
        writeln!(
            err,
            "warning: released versions were not kept for the next build: {e}\n  \
             = help: check that {} is writable, or build with --no-cache",
            config.root.join(keyguide::stored::DIR).display()
        )
        .map_err(io)?;
    }
    match &signer {
        Some(s) => writeln!(
            err,
            "signed manifest.json as {} with key {}",
            config.signing_identity,
            s.fingerprint()
        ),
        None => writeln!(
            err,
            "manifest.json is not signed (pass --sign-key PATH or set {KEY_ENV})"
        ),
    }
    .map_err(io)?;
    // Freeing the site and everything read for it takes a while; the process is done.
    keyguide::memo::drop_in_background((output, checked.sources));
    Ok(Outcome::Success)
}

/// The signing key: `--sign-key`, else `KEYGUIDE_SIGNING_KEY`; an error without one when
/// `--require-signature` asks for it.
pub(super) fn signer(config: &Config, args: &SigningArgs, out: &Path) -> Result<Option<Signer>> {
    let source = match (&args.sign_key, std::env::var(KEY_ENV)) {
        (Some(path), _) => Some(KeySource::File(path)),
        (None, Ok(text)) if !text.trim().is_empty() => Some(KeySource::Env(Zeroizing::new(text))),
        _ => None,
    };
    match source {
        Some(source) => {
            let protected = [config.root.as_path(), out];
            Signer::load(source, &config.signing_identity, &protected).map(Some)
        }
        None if args.require_signature => Err(Error::Usage {
            message: "--require-signature was given but no signing key".into(),
            help: format!(
                "pass --sign-key PATH, or put the key text in {KEY_ENV} (make a key with `keyguide keygen PATH`)"
            ),
        }),
        None => Ok(None),
    }
}

/// The output folder: `--out` (relative to the current folder) or `<root>/public`. It may
/// not be the site root, a folder above it, or inside a folder keyguide reads, because the
/// build replaces the whole folder.
pub(super) fn output_dir(root: &Path, out: Option<&Path>) -> Result<PathBuf> {
    let out = match out {
        Some(p) => p.to_path_buf(),
        None => root.join("public"),
    };
    let abs = absolute(&out)?;
    let root = absolute(root)?;
    let protected = ["content", "releases", "themes", "evidence", ".keyguide"];
    let clash =
        root.starts_with(&abs) || protected.iter().any(|dir| abs.starts_with(root.join(dir)));
    if clash {
        return Err(Error::Usage {
            message: format!(
                "--out {} would replace the site's own files (the build swaps in a whole new folder)",
                out.display()
            ),
            help: "choose a folder of its own, e.g. `--out public`".into(),
        });
    }
    Ok(out)
}

/// `p` made absolute and normalised, following symlinks for the part that exists.
fn absolute(p: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(p).map_err(Error::io("resolving", p))?;
    // Canonicalise the longest existing ancestor so `..` and symlinks cannot hide a clash.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut real = existing
        .canonicalize()
        .map_err(Error::io("resolving", existing))?;
    real.extend(rest.iter().rev());
    Ok(real)
}
