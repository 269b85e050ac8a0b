//! `keyguide audit`: which in-scope customers lack the current guidance (SPEC 7).

use std::io::Write as _;
use std::path::Path;

use keyguide::config::Config;
use keyguide::error::{Error, Result};
use keyguide::evidence::audit::{Audit, Entry};
use keyguide::frontmatter::Date;
use keyguide::{Audited, diag};

use super::stream_error;
use crate::Outcome;
use crate::cli::{AuditArgs, ReportFormat};

/// Runs `keyguide audit`. Exit 1 when a record is bad or an in-scope customer is out of date.
pub fn run(root: Option<&Path>, args: &AuditArgs) -> Result<Outcome> {
    let config = super::load_config(root)?;
    let as_of = super::as_of(args.as_of)?;
    let audited = keyguide::audit(&config, as_of, super::as_of(None)?)?;
    let Some(audit) = judged(&config, &audited, as_of)? else {
        return Ok(Outcome::Failed);
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Human => write_table(&mut out, audit),
        ReportFormat::Json => serde_json::to_writer_pretty(&mut out, audit)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        ReportFormat::Csv => write_csv(&mut out, audit),
    }
    .map_err(stream_error)?;
    Ok(if audit.has_gaps() {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// The audit on `as_of`, after printing the findings; none when an error in the records
/// stops it. An error when there is nothing to audit.
pub(super) fn judged<'a>(
    config: &Config,
    audited: &'a Audited,
    as_of: Date,
) -> Result<Option<&'a Audit>> {
    let mut err = anstream::stderr();
    diag::write_human(&mut err, &audited.diagnostics, &audited.sources).map_err(stream_error)?;
    if audited.evidence.is_none() && !audited.has_errors() {
        return Err(Error::Usage {
            message: format!(
                "there is no distribution evidence: {} does not exist",
                config
                    .root
                    .join(keyguide::evidence::CUSTOMERS)
                    .display()
            ),
            help: "create evidence/customers.csv (header `id,name,workflows`) and evidence/distribution.csv (header `customer,version,channel,date,reference`); see the README's \"Distribution evidence\" section".into(),
        });
    }
    if audited.releases.records.is_empty() && !audited.has_errors() {
        return Err(Error::Usage {
            message: "nothing is released yet, so no customer can be owed a version".into(),
            help: "publish the guidance with `keyguide release VERSION --approver NAME` first"
                .into(),
        });
    }
    if let Some(first) = audited.releases.records.first()
        && audited.audit.is_none()
        && !audited.has_errors()
    {
        return Err(Error::Usage {
            message: format!(
                "nothing was released by {as_of}: the first release, {}, is dated {}",
                first.version, first.date
            ),
            help: format!("audit a day on or after {}", first.date),
        });
    }
    if audited.audit.is_none() {
        writeln!(
            err,
            "audit refused: fix the errors above, since the result would not be reliable"
        )
        .map_err(stream_error)?;
    }
    Ok(audited.audit.as_ref())
}

/// What a customer last received, in words.
pub fn received(e: &Entry) -> String {
    let mut text = match (&e.last_version, e.last_date, &e.channel, &e.reference) {
        (Some(version), Some(date), Some(channel), Some(reference)) => {
            format!("{version} on {date} via {channel} ({reference})")
        }
        _ => "nothing".to_owned(),
    };
    if let Some(days) = e.late_days {
        text.push_str(&format!(", {days} day(s) after the deadline"));
    }
    if let Some(since) = e.overdue_since {
        text.push_str(&format!("; overdue since {since}"));
    }
    if let Some(id) = &e.exception {
        text.push_str(&format!("; exception {id}"));
    }
    text
}

fn write_table(out: &mut dyn std::io::Write, audit: &Audit) -> std::io::Result<()> {
    writeln!(
        out,
        "distribution audit as of {}: version {} (released {}) is due at every in-scope customer by {} ({} days' grace)\n",
        audit.as_of, audit.latest, audit.released, audit.due, audit.grace_days
    )?;
    let widest = |texts: &mut dyn Iterator<Item = &str>, header: &str| {
        texts
            .map(|t| t.chars().count())
            .fold(header.chars().count(), usize::max)
    };
    let id_width = widest(
        &mut audit.customers.iter().map(|e| e.id.as_str()),
        "customer",
    );
    let name_width = widest(&mut audit.customers.iter().map(|e| e.name.as_str()), "name");
    writeln!(
        out,
        "{:12}  {:id_width$}  {:name_width$}  last received",
        "status", "customer", "name"
    )?;
    for e in audit.worst_first() {
        writeln!(
            out,
            "{:12}  {:id_width$}  {:name_width$}  {}",
            e.status.as_str(),
            e.id,
            e.name,
            received(e)
        )?;
    }
    let s = &audit.summary;
    writeln!(
        out,
        "\n{} in scope: {} current, {} pending, {} outdated, {} never received, {} excepted; {} out of scope",
        s.in_scope, s.current, s.pending, s.outdated, s.never, s.excepted, s.out_of_scope
    )
}

fn write_csv(out: &mut dyn std::io::Write, audit: &Audit) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "name",
        "workflows",
        "status",
        "last_version",
        "last_date",
        "channel",
        "reference",
        "late_days",
        "overdue_since",
        "exception",
    ])?;
    for e in &audit.customers {
        w.write_record(
            [
                e.id.clone(),
                e.name.clone(),
                e.workflows.join(";"),
                e.status.as_str().to_owned(),
                e.last_version.clone().unwrap_or_default(),
                e.last_date.map(|d| d.to_string()).unwrap_or_default(),
                e.channel.clone().unwrap_or_default(),
                e.reference.clone().unwrap_or_default(),
                e.late_days.map(|d| d.to_string()).unwrap_or_default(),
                e.overdue_since.map(|d| d.to_string()).unwrap_or_default(),
                e.exception.clone().unwrap_or_default(),
            ]
            .map(inert),
        )?;
    }
    w.flush()
}

/// `cell`, made safe to open in a spreadsheet: names and references come from CRM and ticket
/// exports, and a cell starting with `=`, `+`, `-`, `@` or a control character would run as a
/// formula (CSV injection), so it gets a leading `'`, which spreadsheets show as text.
fn inert(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}
