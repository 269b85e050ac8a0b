//! Diagnostics: findings about a site's content, and how they are printed.
//!
//! Every stage that reads content returns its findings as [`Diagnostic`]s instead of
//! stopping at the first one, so an author sees everything wrong in one run. Positions are
//! byte offsets while the pipeline runs and become 1-based line:column here, through
//! [`LineIndex`]. Severity is data: a rule has a default, configuration may change it, and
//! only `main` decides what the exit status is.

pub mod formats;

use std::fmt::Write as _;
use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, but does not fail the command unless `--deny-warnings`.
    Warning,
    /// Fails lint and stops the build from writing output.
    Error,
}

/// A check keyguide runs, with its stable id and name.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier, e.g. `KG030`.
    pub id: &'static str,
    /// Stable kebab-case name, e.g. `front-matter`.
    pub name: &'static str,
    /// Severity unless configuration says otherwise.
    pub default: Severity,
    /// False for rules whose findings configuration may not hide or downgrade.
    pub configurable: bool,
    /// Whether printing may quote the source line (never for secrets).
    pub quote_source: bool,
}

macro_rules! rules {
    ($($konst:ident = $id:literal $name:literal $sev:ident configurable=$conf:literal quote=$quote:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` ", $name)]
            pub const $konst: Rule = Rule {
                id: $id,
                name: $name,
                default: Severity::$sev,
                configurable: $conf,
                quote_source: $quote,
            };
        )*
        /// Every rule keyguide knows, in id order.
        pub const ALL_RULES: &[&Rule] = &[$(&$konst),*];
    };
}

rules! {
    MISSING_SECTION = "KG001" "missing-section" Error configurable=true quote=false;
    MISSING_SUBSECTION = "KG002" "missing-subsection" Error configurable=true quote=true;
    THIN_SECTION = "KG003" "thin-section" Error configurable=true quote=true;
    DUPLICATE_SECTION = "KG004" "duplicate-section" Error configurable=true quote=true;
    KEY_MATERIAL = "KG010" "key-material" Error configurable=false quote=false;
    BROKEN_LINK = "KG020" "broken-link" Error configurable=true quote=true;
    BROKEN_ANCHOR = "KG021" "broken-anchor" Error configurable=true quote=true;
    FRONT_MATTER = "KG030" "front-matter" Error configurable=true quote=true;
    DOCUMENT_CONTROL = "KG031" "document-control" Error configurable=true quote=false;
    REVIEW_OVERDUE = "KG032" "review-overdue" Warning configurable=true quote=true;
    UNCOVERED_WORKFLOW = "KG040" "uncovered-workflow" Error configurable=true quote=true;
    UNKNOWN_WORKFLOW = "KG041" "unknown-workflow" Error configurable=true quote=true;
    PROHIBITED_CHANNEL = "KG042" "prohibited-channel" Error configurable=true quote=true;
    RELEASE_MODIFIED = "KG050" "release-modified" Error configurable=false quote=false;
    LEDGER_BROKEN = "KG051" "ledger-broken" Error configurable=false quote=true;
    RELEASE_NOTES_MISSING = "KG052" "release-notes-missing" Error configurable=true quote=false;
    INVALID_REPLACE = "KG060" "invalid-replace" Error configurable=true quote=true;
    STALE_ADDENDUM = "KG061" "stale-addendum" Warning configurable=true quote=true;
    UNSAFE_HTML = "KG070" "unsafe-html" Error configurable=true quote=true;
    EXCEPTION = "KG080" "exception" Error configurable=true quote=true;
    INVALID_SOURCE = "KG090" "invalid-source" Error configurable=false quote=false;
    EVIDENCE = "KG100" "evidence" Error configurable=false quote=false;
    EVIDENCE_LEAK = "KG101" "evidence-leak" Error configurable=false quote=false;
}

impl Rule {
    /// A one-line description, for SARIF rule metadata and documentation.
    pub fn description(&self) -> &'static str {
        match self.id {
            "KG001" => "A required section is absent from a guide or compiled integration guide.",
            "KG002" => "A required subsection is absent.",
            "KG003" => "A required section has too few words or holds a placeholder.",
            "KG004" => "One section id is used twice in one document.",
            "KG010" => "Private or secret key material appears in content.",
            "KG020" => "An internal link points to a page or file that does not exist.",
            "KG021" => "A link points to a #fragment that no heading defines.",
            "KG030" => "Front matter or a content TOML file is invalid.",
            "KG031" => "A base guide lacks an owner or a last review date.",
            "KG032" => "A guide's periodic review is due or overdue.",
            "KG040" => "An inventory workflow is covered by no addendum.",
            "KG041" => "An addendum names a workflow missing from the inventory.",
            "KG042" => "An inventory delivery channel is one the profile prohibits.",
            "KG050" => "A released snapshot differs from its ledger record.",
            "KG051" => {
                "A ledger entry was removed, reordered or altered; the hash chain is broken."
            }
            "KG052" => "A release whose content changed has no customer release notes.",
            "KG061" => {
                "A base section changed since the last release, but an addendum that appends to or replaces it did not."
            }
            "KG060" => "An addendum replaces a section the base guide does not mark replaceable.",
            "KG070" => "Content holds a script, an inline event handler or a javascript: URL.",
            "KG080" => "An exception has expired or lacks compensating guidance.",
            "KG100" => {
                "A row of evidence/customers.csv or distribution.csv is malformed, unknown or duplicated."
            }
            "KG101" => "The built site would publish a customer name or id from evidence/.",
            _ => "A content file cannot be used: not UTF-8, binary, too large or misplaced.",
        }
    }
}

/// One finding about one place in the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable rule id.
    pub rule: &'static str,
    /// Stable rule name.
    pub name: &'static str,
    /// Error or warning, after configuration.
    pub severity: Severity,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What was expected, and how to fix it.
    pub help: String,
    #[serde(skip)]
    quote_source: bool,
}

impl Diagnostic {
    /// A finding of `rule` at a line and column of `file`.
    pub fn new(
        rule: &'static Rule,
        file: &str,
        (line, column): (usize, usize),
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic {
            rule: rule.id,
            name: rule.name,
            severity: rule.default,
            file: file.to_owned(),
            line: line.max(1),
            column: column.max(1),
            message: message.into(),
            help: help.into(),
            quote_source: rule.quote_source,
        }
    }

    /// The same finding with another severity (for rules whose severity depends on the
    /// finding, such as a review that is overdue rather than due soon).
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The order findings are always reported in: file, line, column, rule, then message so
    /// that two findings of one rule at one place still sort the same way every run.
    fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (&self.file, self.line, self.column, self.rule, &self.message)
    }
}

/// Sorts findings into their reporting order and drops exact repeats.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// Counts of errors and warnings.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diags.len() - errors)
}

/// Start offsets of the lines of one text, for turning byte offsets into line:column.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// 1-based line and character column of byte `offset` in `text` (the text indexed).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, column + 1)
    }
}

/// Looks up the text of a site file by its site-relative path, to quote it in messages.
pub trait SourceText {
    /// The file's text, when keyguide has it.
    fn text(&self, file: &str) -> Option<&str>;
}

/// Line and column of byte `at` of a file that is not valid UTF-8 from there on, counting
/// only the text before it.
pub fn position_in_bytes(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = String::from_utf8_lossy(bytes.get(..at).unwrap_or(bytes));
    LineIndex::new(&before).line_col(&before, before.len())
}

/// Writes findings rustc-style, with the source line and a caret, then a count.
pub fn write_human(
    out: &mut dyn Write,
    diags: &[Diagnostic],
    sources: &dyn SourceText,
) -> std::io::Result<()> {
    let bold = Style::new().bold();
    let blue = Style::new().fg_color(Some(AnsiColor::Blue.into())).bold();
    for d in diags {
        let colour = match d.severity {
            Severity::Error => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            Severity::Warning => Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
        };
        let label = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{colour}{label}[{}]{colour:#}{bold}: {}{bold:#}",
            d.rule, d.message
        );
        let _ = writeln!(s, "  {blue}-->{blue:#} {}:{}:{}", d.file, d.line, d.column);
        if let Some(line) = quoted_line(d, sources) {
            let gutter = d.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = line
                .chars()
                .take(d.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(s, "{pad} {blue}|{blue:#}");
            let _ = writeln!(s, "{blue}{gutter} |{blue:#} {line}");
            let _ = writeln!(s, "{pad} {blue}|{blue:#} {caret_pad}{colour}^{colour:#}");
        }
        let pad = " ".repeat(d.line.to_string().len());
        let _ = writeln!(s, "{pad} {blue}={blue:#} {bold}help{bold:#}: {}\n", d.help);
        out.write_all(s.as_bytes())?;
    }
    let (errors, warnings) = counts(diags);
    if errors + warnings > 0 {
        writeln!(
            out,
            "{bold}{} error{}, {} warning{}{bold:#}",
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        )?;
    }
    Ok(())
}

/// The source line a finding points at, unless its rule forbids quoting (secrets).
fn quoted_line<'a>(d: &Diagnostic, sources: &'a dyn SourceText) -> Option<&'a str> {
    if !d.quote_source {
        return None;
    }
    let line = sources.text(&d.file)?.lines().nth(d.line - 1)?;
    Some(line.trim_end_matches('\r'))
}

/// "s" unless `n` is one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "ab\nçd\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), (1, 1));
        assert_eq!(idx.line_col(text, 3), (2, 1));
        assert_eq!(idx.line_col(text, 5), (2, 2));
        assert_eq!(idx.line_col(text, 100), (3, 1));
    }
}
