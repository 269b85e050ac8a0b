//! The command line: one clap derive struct per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
