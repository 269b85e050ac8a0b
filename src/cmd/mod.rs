//! One module per subcommand: glue between the command line and the library.

mod build;
mod init;

use std::path::Path;

use keyguide::config::{self, Config};
use keyguide::error::Result;

use crate::Outcome;
use crate::cli::{Cli, Command};

/// Runs the command `cli` asks for.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Build(args) => build::run(cli.root.as_deref(), &args),
    }
}

/// The site's configuration, found from `--root` or the current folder.
fn load_config(root: Option<&Path>) -> Result<Config> {
    let root = config::find_root(root)?;
    Config::load(&root)
}
