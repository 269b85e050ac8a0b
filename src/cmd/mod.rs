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
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(|t| t.date())
            .ok_or_else(|| Error::Usage {
                message: format!("SOURCE_DATE_EPOCH={epoch:?} is not a number of seconds since 1970"),
                help: "set it to a Unix timestamp, e.g. `SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`".into(),
            }),
        Err(_) => Ok(time::OffsetDateTime::now_utc().date()),
    }
}

/// Maps an I/O error on standard output or error to an [`Error`].
fn stream_error(e: std::io::Error) -> Error {
    Error::Io {
        path: std::path::PathBuf::from("<output>"),
        action: "writing",
        source: e,
    }
}
