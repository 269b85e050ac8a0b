//! Errors that stop keyguide from running at all (exit status 2).
//!
//! Problems in a site's *content* are not errors: they are [`crate::diag::Diagnostic`]s,
//! collected in full and reported together. An [`Error`] means the command could not do its
//! work: bad usage, an unreadable or malformed configuration, a broken theme, an I/O failure.
//! Every variant names the file it is about, and the message says what to do next.

use std::path::PathBuf;

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {action} failed: {source}\n  help: {}", io_help(source))]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What keyguide was doing ("reading", "creating folder", ...).
        action: &'static str,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// No `keyguide.toml` in the current folder or any parent (no `--root` given).
    #[error(
        "no keyguide.toml found in {start} or any parent folder\n  help: run `keyguide init DIR` to create a site, or pass `--root DIR`"
    )]
    NoSite {
        /// Where the search started.
        start: PathBuf,
    },
    /// `--root` names no site: a folder that does not exist, is not a folder, or holds no
    /// `keyguide.toml` (`--root` is the site folder itself; no parent is searched).
    #[error("--root {root}: {message}\n  help: {help}")]
    NoSiteAtRoot {
        /// The folder given to `--root`.
        root: PathBuf,
        /// What is wrong with it.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// A configuration-like file (keyguide.toml, theme.toml) is malformed.
    #[error("{file}:{line}:{column}: {message}\n  help: {help}")]
    Config {
        /// The file, as given to the user.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// A theme could not be loaded or one of its templates failed.
    #[error("theme `{theme}`: {message}\n  help: {help}")]
    Theme {
        /// The theme name.
        theme: String,
        /// What is wrong, including the template file and line where known.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// A signing or verification key cannot be used. Names where the key came from (a path
    /// or an environment variable), never its text.
    #[error("{origin}: {message}\n  help: {help}")]
    Key {
        /// The key's path, or the environment variable that held it.
        origin: String,
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },
    /// The command line asked for something keyguide will not do.
    #[error("{message}\n  help: {help}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path and the action that failed.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io {
            path,
            action,
            source,
        }
    }
}

/// What to do about a failed file operation, by its kind.
fn io_help(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            "free space on that disk (or choose another folder) and run the command again; nothing already published was changed"
        }
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            "make the folder writable (and readable) for this user, or choose another folder"
        }
        ErrorKind::NotFound => "check that the path exists and is spelled as intended",
        _ => "check the path, its permissions and the disk, then run the command again",
    }
}

/// Result type of operations that can fail to run.
pub type Result<T, E = Error> = std::result::Result<T, E>;
