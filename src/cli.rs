//! The command line: one clap derive struct per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use keyguide::diag::formats::Format;
use keyguide::frontmatter::Date;

/// keyguide — publish customer key handling guidance (PCI DSS v4.0.1 Req. 3.7.9) as a
/// versioned static site with enforced required sections.
#[derive(Debug, Parser)]
#[command(name = "keyguide", version, propagate_version = true)]
pub struct Cli {
    /// Site root (default: the nearest parent folder holding keyguide.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a new site: keyguide.toml, one guide, one addendum, an inventory.
    #[command(
        after_help = "Example:\n  keyguide init acme-keys && cd acme-keys && keyguide build --drafts"
    )]
    Init(InitArgs),
    /// Check the content and build the static site.
    #[command(
        after_help = "Examples:\n  keyguide build --drafts                 # preview the draft under /next/\n  keyguide build --out dist --base-url https://deploy-preview-7.example.net/"
    )]
    Build(BuildArgs),
    /// Check the content against the profile and every rule; the pull-request gate.
    #[command(
        after_help = "Examples:\n  keyguide lint\n  keyguide lint --format sarif > keyguide.sarif\n  keyguide lint --format github --deny-warnings --as-of 2026-11-28"
    )]
    Lint(LintArgs),
    /// Publish the draft as a new immutable version, with customer release notes.
    #[command(
        after_help = "Examples:\n  keyguide diff latest draft                # what customers will be told changed\n  keyguide release 1.2.0 --approver \"Chief Information Security Officer\" --notes notes.md"
    )]
    Release(ReleaseArgs),
    /// Show the section-level changes between two versions (or `draft`).
    #[command(
        after_help = "Examples:\n  keyguide diff 1.0.0 1.1.0\n  keyguide diff latest                      # latest release → draft\n  keyguide diff 1.0.0 draft --format json"
    )]
    Diff(DiffArgs),
    /// Show, for every guide and integration, the state of each required section.
    #[command(
        after_help = "Examples:\n  keyguide coverage\n  keyguide coverage --format csv > coverage.csv"
    )]
    Coverage(CoverageArgs),
}

/// `keyguide lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Judge review dates and exception expiry on this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,
}

/// `keyguide release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The new version label, e.g. 1.2.0.
    #[arg(value_name = "VERSION")]
    pub label: String,
    /// Who approved this version (name or role).
    #[arg(long)]
    pub approver: String,
    /// Release date (YYYY-MM-DD; default: today, or the day of SOURCE_DATE_EPOCH).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<Date>,
    /// Customer release notes (Markdown). Without it, the list of changed sections is used.
    #[arg(long, value_name = "FILE")]
    pub notes: Option<PathBuf>,
}

/// Output formats of `keyguide diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A list for people.
    Human,
    /// The JSON of SPEC section 11.
    Json,
}

/// `keyguide diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older version: a release label, `latest` or `draft`.
    pub from: String,
    /// The newer version (default: `draft`).
    #[arg(default_value = "draft")]
    pub to: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
}

/// Output formats of `keyguide coverage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// A table for people.
    Human,
    /// The JSON of SPEC section 11.
    Json,
    /// One row per document, one column per required section and element.
    Csv,
}

/// `keyguide coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: CoverageFormat,
    /// Judge exception expiry on this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let bad = || format!("`{s}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28");
    let mut parts = s.splitn(3, '-');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next()?, next()?, next()?);
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let year = i32::try_from(y).map_err(|_| bad())?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// `keyguide init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the site in (created if missing; must not hold a site already).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// `keyguide build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Output folder (default: `public/` in the site root).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also build the unreleased draft (`content/`) under /next/, bannered "unreleased".
    #[arg(long)]
    pub drafts: bool,
    /// Publish under this URL instead of keyguide.toml's base_url (deploy previews).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
