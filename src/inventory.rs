//! The scope inventory (`content/inventory.toml`): every workflow in which keys are shared
//! with customers.
//!
//! Input: the file's text. Output: typed [`Workflow`]s, or a KG030 finding at the line and
//! column of the first problem (malformed TOML, an unknown key, a wrong type). Values that
//! parse but say nothing (a blank id or delivery, an empty `protects`) are KG030 findings of
//! [`crate::lint`], at the value, with every other finding.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::{toml_error_help, toml_error_message, toml_error_position};
use crate::diag::{self, Diagnostic};
use crate::source::TextFile;

/// What a shared key protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protects {
    /// Account data in transit.
    Transmission,
    /// Account data at rest.
    Storage,
}

/// One key-sharing workflow.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// Stable id that addenda name in `workflows`, with its place in the file.
    pub id: Spanned<String>,
    /// What key material is shared, with its place in the file.
    pub key_material: Spanned<String>,
    /// Which customers take part, with its place in the file.
    pub customers: Spanned<String>,
    /// What the key protects, with its place in the file.
    pub protects: Spanned<Vec<Protects>>,
    /// How the key reaches the customer, with its place in the file.
    pub delivery: Spanned<String>,
    /// How and when the key is updated, with its place in the file.
    pub updates: Spanned<String>,
}

/// The parsed inventory.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Workflows in file order.
    #[serde(default, rename = "workflow")]
    pub workflows: Vec<Workflow>,
}

/// Parses `file`, or says at which line and column it is not a valid inventory.
pub fn parse(file: &TextFile) -> Result<Inventory, Diagnostic> {
    toml::from_str(&file.text).map_err(|e| {
        Diagnostic::new(
            &diag::FRONT_MATTER,
            &file.rel,
            toml_error_position(&file.text, &e, 0),
            format!("invalid inventory: {}", toml_error_message(&e)),
            toml_error_help(&e),
        )
    })
}
