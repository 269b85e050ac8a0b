//! The `keyguide` binary: parses the command line, runs a command, maps the outcome to the
//! exit status: 0 success, 1 the content or a check failed, 2 the command could not run,
//! 130 a build interrupted with Ctrl-C.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;

/// mimalloc rather than the system allocator: a build makes and frees millions of small
/// strings and trees, and with glibc's allocator a tenth of a 10,000-page build went to
/// malloc and free alone.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a command concluded.
pub enum Outcome {
    /// Everything passed.
    Success,
    /// The content or a check failed (exit 1).
    Failed,
    /// Ctrl-C stopped it (exit 130, as the shell reports a process ended by SIGINT).
    Interrupted,
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cmd::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(e) => {
            let mut err = anstream::stderr();
            let red = anstyle::Style::new()
                .fg_color(Some(anstyle::AnsiColor::Red.into()))
                .bold();
            let _ = std::io::Write::write_fmt(&mut err, format_args!("{red}error{red:#}: {e}\n"));
            ExitCode::from(2)
        }
    }
}
