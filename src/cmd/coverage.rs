//! `keyguide coverage`: the state of every required section in every document.

use std::io::Write as _;
use std::path::Path;

use keyguide::coverage::Report;
use keyguide::diag;
use keyguide::error::Result;

use super::stream_error;
use crate::Outcome;
use crate::cli::{CoverageArgs, ReportFormat};

/// Runs `keyguide coverage`. Exit 1 when a required section is missing anywhere.
pub fn run(root: Option<&Path>, args: &CoverageArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let checked = keyguide::coverage(&config, super::as_of(args.as_of)?)?;
    let Some(report) = &checked.coverage else {
        return Ok(Outcome::Failed);
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Human => write_table(&mut out, report),
        ReportFormat::Json => serde_json::to_writer_pretty(&mut out, report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        ReportFormat::Csv => write_csv(&mut out, report),
    }
    .map_err(stream_error)?;
    if checked.has_errors() && args.format == ReportFormat::Human {
        let (errors, _) = diag::counts(&checked.diagnostics);
        eprintln!("note: lint reports {errors} error(s); run `keyguide lint` for details");
    }
    let missing = report
        .documents
        .iter()
        .any(|d| d.sections.values().any(|s| *s == "missing"));
    Ok(if missing {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

fn document_name(d: &keyguide::coverage::Document) -> String {
    match &d.integration {
        Some(i) => format!("{}/{i}", d.guide),
        None => d.guide.clone(),
    }
}

fn write_table(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    let names: Vec<String> = report.documents.iter().map(document_name).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let col = report
        .section_ids
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(9)
        .max(9);
    write!(out, "{:width$}", "document")?;
    for id in &report.section_ids {
        write!(out, "  {id:col$}")?;
    }
    writeln!(out, "  elements")?;
    for (d, name) in report.documents.iter().zip(&names) {
        write!(out, "{name:width$}")?;
        for id in &report.section_ids {
            write!(
                out,
                "  {:col$}",
                d.sections.get(id).copied().unwrap_or("missing")
            )?;
        }
        let addressed: Vec<&str> = d
            .elements
            .iter()
            .filter(|(_, ok)| **ok)
            .map(|(e, _)| e.as_str())
            .collect();
        writeln!(
            out,
            "  {}/{} ({})",
            addressed.len(),
            d.elements.len(),
            addressed.join(" ")
        )?;
    }
    writeln!(out, "\nworkflow coverage:")?;
    for (wf, docs) in &report.workflows {
        let covered = if docs.is_empty() {
            "NOT COVERED".to_owned()
        } else {
            docs.join(", ")
        };
        writeln!(out, "  {wf}: {covered}")?;
    }
    Ok(())
}

fn write_csv(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    let mut header = vec!["guide".to_owned(), "integration".to_owned()];
    header.extend(report.section_ids.iter().cloned());
    header.extend(report.element_ids.iter().cloned());
    writeln!(out, "{}", header.join(","))?;
    for d in &report.documents {
        let mut row = vec![d.guide.clone(), d.integration.clone().unwrap_or_default()];
        row.extend(
            report
                .section_ids
                .iter()
                .map(|id| d.sections.get(id).copied().unwrap_or("missing").to_owned()),
        );
        row.extend(
            report
                .element_ids
                .iter()
                .map(|e| d.elements.get(e).copied().unwrap_or(false).to_string()),
        );
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}
