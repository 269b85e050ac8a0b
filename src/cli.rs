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
    /// Serve the draft on loopback, rebuilding and reloading open pages on every save.
    #[command(after_help = "Examples:\n  keyguide serve\n  keyguide serve --port 8080 --open")]
    Serve(ServeArgs),
    /// Make a new Ed25519 signing key: PATH (mode 0600) and PATH.pub.
    #[command(
        after_help = "Example:\n  keyguide keygen ~/.config/keyguide/signing-key\n  # then store the key text as the KEYGUIDE_SIGNING_KEY secret of your CI or Netlify site"
    )]
    Keygen(KeygenArgs),
    /// Verify a downloaded site: signature, every file, the ledger chain, and no rollback.
    #[command(
        after_help = "Examples:\n  keyguide verify site/ --allowed-signers allowed_signers --identity keys@acme.example\n  keyguide verify site/ --public-key signing-key.pub --previous last-manifest.json"
    )]
    Verify(VerifyArgs),
    /// Check the distribution evidence: which in-scope customers lack the current guidance.
    #[command(
        after_help = "Examples:\n  keyguide audit\n  keyguide audit --as-of 2026-12-15 --format csv > audit.csv"
    )]
    Audit(AuditArgs),
    /// Write the assessor's evidence pack: a static HTML index plus JSON (private: holds
    /// customer names).
    #[command(
        after_help = "Examples:\n  keyguide evidence --out evidence-pack\n  keyguide evidence --out evidence-pack --as-of 2026-12-31 --sign-key ~/.config/keyguide/signing-key"
    )]
    Evidence(EvidenceArgs),
}

/// `keyguide audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// Judge deadlines and exceptions on this date (YYYY-MM-DD) instead of today, from the
    /// releases and records dated up to it.
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
    pub as_of: Option<Date>,
}

/// `keyguide evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Folder to write the pack to (replaced as a whole: a new or empty folder, or an
    /// earlier pack; never inside the site's own folders).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Judge the audit on this date (YYYY-MM-DD) instead of today; the pack is the same
    /// bytes for the same date and inputs.
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
    pub as_of: Option<Date>,
    /// The signing key of the site copy inside the pack.
    #[command(flatten)]
    pub signing: SigningArgs,
}

/// `keyguide serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on; the next free one is used when it is taken.
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// Address to listen on. The default keeps the draft on this machine.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the site in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// `keyguide keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key; the public key goes to PATH.pub. Never overwrites.
    pub path: PathBuf,
    /// The signer identity for the allowed_signers line (default: keyguide.toml's
    /// `[signing] identity` or its base_url host, when run in a site).
    #[arg(long, value_name = "ID")]
    pub identity: Option<String>,
}

/// `keyguide verify`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("trust").required(true).args(["allowed_signers", "public_key"])))]
pub struct VerifyArgs {
    /// The downloaded site (the folder holding manifest.json).
    pub site_dir: PathBuf,
    /// An allowed_signers file (ssh-keygen format) naming the keys you trust.
    #[arg(long, value_name = "FILE", requires = "identity")]
    pub allowed_signers: Option<PathBuf>,
    /// The identity the site signs as, matched against the allowed_signers principals.
    #[arg(long, value_name = "ID", requires = "allowed_signers")]
    pub identity: Option<String>,
    /// The site's OpenSSH public key, checked against the fingerprint in your contract.
    #[arg(long, value_name = "FILE", conflicts_with = "allowed_signers")]
    pub public_key: Option<PathBuf>,
    /// A manifest.json you verified before: the new one must extend it (no rollback, no
    /// rewritten history).
    #[arg(long, value_name = "MANIFEST")]
    pub previous: Option<PathBuf>,
    /// Judge `expires` and allowed_signers validity (valid-after, valid-before) on this date
    /// (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
    pub as_of: Option<Date>,
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
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
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
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
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
    /// JSON (for coverage, the format of SPEC section 11).
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

/// Output formats of `keyguide coverage` and `keyguide audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table for people.
    Human,
    /// JSON (for coverage, the format of SPEC section 11).
    Json,
    /// Comma-separated values with a header row, for spreadsheets.
    Csv,
}

/// `keyguide coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// Judge exception expiry on this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE", value_parser = keyguide::frontmatter::parse_date)]
    pub as_of: Option<Date>,
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
    /// Render every released version afresh, neither reusing nor keeping output in
    /// .keyguide/cache/ (see "Build-once for releases" in the README).
    #[arg(long)]
    pub no_cache: bool,
    /// The signing key.
    #[command(flatten)]
    pub signing: SigningArgs,
}

/// How `build` and `evidence` find the key that signs manifest.json.
#[derive(Debug, Args)]
pub struct SigningArgs {
    /// Sign manifest.json with this Ed25519 key (OpenSSH format, mode 0600, outside the
    /// site). Without it, the key text in KEYGUIDE_SIGNING_KEY is used, if set.
    #[arg(long, value_name = "PATH")]
    pub sign_key: Option<PathBuf>,
    /// Fail unless the build is signed (production deploys).
    #[arg(long)]
    pub require_signature: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
