//! Machine-readable finding formats: JSON (SPEC 4.1), SARIF 2.1.0 for GitHub code scanning,
//! and GitHub Actions workflow commands with a Markdown step summary.
//!
//! None of them quotes source text: a finding's message and help are all that leave the
//! tool, so key material found by KG010 can never be echoed through a report.

use std::io::Write;

use serde::Serialize;
use serde_json::json;

use super::{ALL_RULES, Diagnostic, Severity, counts};

/// Output formats of `keyguide lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style, for people.
    Human,
    /// One JSON object with every finding and the counts.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions annotations (`::error file=...::`).
    Github,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: &'a [Diagnostic],
    errors: usize,
    warnings: usize,
}

/// Writes the JSON report.
pub fn write_json(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    let (errors, warnings) = counts(diags);
    let report = JsonReport {
        diagnostics: diags,
        errors,
        warnings,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Writes a SARIF 2.1.0 log with every rule in `tool.driver.rules`.
pub fn write_sarif(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    let rules: Vec<_> = ALL_RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.description() },
                "fullDescription": { "text": r.description() },
                "defaultConfiguration": { "level": level(r.default) },
                "properties": { "tags": ["keyguide", "pci-dss"] },
            })
        })
        .collect();
    let results: Vec<_> = diags
        .iter()
        .map(|d| {
            let index = ALL_RULES.iter().position(|r| r.id == d.rule).unwrap_or(0);
            json!({
                "ruleId": d.rule,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": format!("{}\nhelp: {}", d.message, d.help) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": d.line, "startColumn": d.column },
                    }
                }],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "keyguide",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// Writes GitHub Actions workflow commands, one annotation per finding.
pub fn write_github(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    for d in diags {
        writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            level(d.severity),
            escape_property(&d.file),
            d.line,
            d.column,
            escape_property(&format!("{} {}", d.rule, d.name)),
            escape_data(&format!("{}\nhelp: {}", d.message, d.help)),
        )?;
    }
    let (errors, warnings) = counts(diags);
    writeln!(out, "keyguide: {errors} error(s), {warnings} warning(s)")
}

/// The full list as a Markdown table, for `$GITHUB_STEP_SUMMARY` (GitHub shows only the
/// first few annotations of a step).
pub fn step_summary(diags: &[Diagnostic]) -> String {
    let (errors, warnings) = counts(diags);
    let mut s = format!("### keyguide lint: {errors} error(s), {warnings} warning(s)\n\n");
    if diags.is_empty() {
        s.push_str("No findings.\n");
        return s;
    }
    s.push_str("| severity | rule | location | message |\n|---|---|---|---|\n");
    for d in diags {
        s.push_str(&format!(
            "| {} | {} {} | `{}:{}:{}` | {} |\n",
            level(d.severity),
            d.rule,
            d.name,
            visible(&d.file).replace('`', "'"),
            d.line,
            d.column,
            visible(&d.message)
                .replace('|', "\\|")
                .replace(['\r', '\n'], " "),
        ));
    }
    s
}

/// Escapes a workflow command's message: `%`, CR and LF as GitHub's runner decodes them,
/// and every other control character (and bidirectional override) made visible, since
/// the runner has no escape for them and would pass them to the log viewer as they are.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// `s` with control characters other than tab, CR and LF, and the bidirectional controls
/// that reorder text on screen, written as `\u{1b}`: finding messages quote link targets,
/// ids and values from content (percent-decoded), which may hold an ESC starting a terminal
/// colour sequence. The human format strips such sequences as it writes, and JSON and SARIF
/// escape them as JSON does (`\u001b`); the GitHub format and its step summary, which have
/// no escape for them, show them like this.
fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes a workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_values() {
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(escape_data("x: y,\r\n"), "x: y,%0D%0A");
        assert_eq!(escape_data("a\u{1b}[31mb\tc"), "a\\u{1b}[31mb\tc");
        assert_eq!(escape_property("a\u{7}\u{202e},"), "a\\u{7}\\u{202e}%2C");
    }
}
