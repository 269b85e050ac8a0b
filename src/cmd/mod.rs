//! One module per subcommand: glue between the command line and the library.

mod audit;
mod build;
mod coverage;
mod diff;
mod evidence;
mod init;
mod keygen;
mod lint;
mod release;
mod serve;
mod verify;

use std::path::Path;

use keyguide::config::{self, Config};
use keyguide::error::{Error, Result};
use keyguide::frontmatter::Date;

use crate::Outcome;
use crate::cli::{Cli, Command};

/// Runs the command `cli` asks for.
pub fn run(cli: Cli) -> Result<Outcome> {
    if !matches!(cli.command, Command::Serve(_)) {
        keyguide::memo::ends_with_its_command();
    }
    match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Build(args) => build::run(cli.root.as_deref(), &args),
        Command::Lint(args) => lint::run(cli.root.as_deref(), &args),
        Command::Coverage(args) => coverage::run(cli.root.as_deref(), &args),
        Command::Release(args) => release::run(cli.root.as_deref(), &args),
        Command::Diff(args) => diff::run(cli.root.as_deref(), &args),
        Command::Serve(args) => serve::run(cli.root.as_deref(), &args),
        Command::Keygen(args) => keygen::run(cli.root.as_deref(), &args),
        Command::Verify(args) => verify::run(&args),
        Command::Audit(args) => audit::run(cli.root.as_deref(), &args),
        Command::Evidence(args) => evidence::run(cli.root.as_deref(), &args),
    }
}

/// The site's configuration, found from `--root` or the current folder.
fn load_config(root: Option<&Path>) -> Result<Config> {
    let root = config::find_root(root)?;
    Config::load(&root)
}

/// The date checks are judged at when `--as-of` is not given: the day of
/// `SOURCE_DATE_EPOCH` when set (reproducible CI), else today (UTC).
fn as_of(given: Option<Date>) -> Result<Date> {
    if let Some(date) = given {
        return Ok(date);
    }
    keyguide::today()
}

/// Maps an I/O error on standard output or error to an [`Error`].
fn stream_error(e: std::io::Error) -> Error {
    Error::Io {
        path: std::path::PathBuf::from("<output>"),
        action: "writing",
        source: e,
    }
}
