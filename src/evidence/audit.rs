//! `keyguide audit`: did every in-scope customer receive the current guidance in time?
//!
//! Each version is due at every in-scope customer within the grace period after its release
//! (`[evidence] grace_days`, default 30). A customer is judged against the newest version
//! whose deadline has passed: having received that version or a later one keeps them in
//! date, since a later version supersedes it. So a customer is
//!
//! - `current`: received the latest version (`late_days` says by how much they got it after
//!   its deadline, if they did);
//! - `pending`: has not received the latest version, but its grace period is still running
//!   and they hold every version whose deadline has passed;
//! - `outdated`: missed a deadline and holds only older versions: a gap, exit 1;
//! - `never`: missed a deadline and has no record at all: a gap, exit 1 (for both,
//!   `overdue_since` is the day after the first deadline missed);
//! - `excepted`: would be pending, outdated or never, but an active approved exception in
//!   `content/exceptions.toml` names the customer;
//! - `out-of-scope`: takes part in no inventory workflow.
//!
//! These are the words and the JSON shape of SPEC 11 (`out_of_date` counts `outdated` and
//! `never`), with more facts beside them: name, workflows, reference, deadlines.
//!
//! Judged on an earlier day (`--as-of`), the releases and records dated after it are left
//! out: the audit shows what the ledger and the evidence said on that day.

use serde::Serialize;

use super::{Customer, Delivery, Evidence, by_customer};
use crate::frontmatter::{Date, serialize_date, serialize_opt_date};
use crate::lint::exceptions::Exception;
use crate::versions::{Record, Releases};

/// A customer's distribution status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Missed a deadline; no record at all.
    Never,
    /// Missed a deadline; holds only older versions.
    Outdated,
    /// Owes the latest version, still within its grace period.
    Pending,
    /// Would be pending, outdated or never; an approved exception applies.
    Excepted,
    /// Holds the latest version.
    Current,
    /// Shares no keys with us.
    OutOfScope,
}

impl Status {
    /// The status as written in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Never => "never",
            Status::Outdated => "outdated",
            Status::Pending => "pending",
            Status::Excepted => "excepted",
            Status::Current => "current",
            Status::OutOfScope => "out-of-scope",
        }
    }

    /// Whether the customer missed a deadline: a gap in the distribution.
    pub fn out_of_date(self) -> bool {
        matches!(self, Status::Never | Status::Outdated)
    }
}

/// One customer's line in the audit.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Customer id.
    pub id: String,
    /// Customer name.
    pub name: String,
    /// Inventory workflows.
    pub workflows: Vec<String>,
    /// The verdict.
    pub status: Status,
    /// The newest version received, none if nothing was.
    pub last_version: Option<String>,
    /// The first day it was sent to them.
    #[serde(serialize_with = "serialize_opt_date")]
    pub last_date: Option<Date>,
    /// How it was sent.
    pub channel: Option<String>,
    /// Where an assessor can check it.
    pub reference: Option<String>,
    /// Days after the deadline the latest version was received, when it was late.
    pub late_days: Option<i64>,
    /// The day after the first missed deadline, for `outdated` and `never`.
    #[serde(serialize_with = "serialize_opt_date")]
    pub overdue_since: Option<Date>,
    /// The id of the exception that applies, for `excepted`.
    pub exception: Option<String>,
}

/// Counts by status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Customers in scope.
    pub in_scope: usize,
    /// `current`.
    pub current: usize,
    /// `pending`.
    pub pending: usize,
    /// `outdated`.
    pub outdated: usize,
    /// `never`.
    pub never: usize,
    /// `excepted`.
    pub excepted: usize,
    /// `out-of-scope`.
    pub out_of_scope: usize,
}

/// The audit result (`keyguide audit --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The day judged.
    #[serde(serialize_with = "serialize_date")]
    pub as_of: Date,
    /// The latest version released by then, which customers must hold.
    pub latest: String,
    /// Its release date.
    #[serde(serialize_with = "serialize_date")]
    pub released: Date,
    /// The last day of its grace period.
    #[serde(serialize_with = "serialize_date")]
    pub due: Date,
    /// Days each version has to reach customers.
    pub grace_days: u32,
    /// Every customer, by id (SPEC 11); [`Audit::worst_first`] orders them for people.
    pub customers: Vec<Entry>,
    /// Counts.
    pub summary: Summary,
    /// In-scope customers that missed a deadline (`outdated` and `never`).
    pub out_of_date: usize,
}

impl Audit {
    /// Whether any in-scope customer is out of date.
    pub fn has_gaps(&self) -> bool {
        self.out_of_date > 0
    }

    /// The customers worst status first, then by id: what a reader acts on comes first.
    pub fn worst_first(&self) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self.customers.iter().collect();
        entries.sort_by(|a, b| (a.status, &a.id).cmp(&(b.status, &b.id)));
        entries
    }
}

/// Judges every customer on `as_of`; none when nothing was released by then. Versions
/// released after `as_of` did not exist on that day, so they are owed by no one.
pub fn audit(
    evidence: &Evidence,
    releases: &Releases,
    exceptions: &[Exception],
    grace_days: u32,
    as_of: Date,
) -> Option<Audit> {
    let released = releases
        .records
        .iter()
        .take_while(|r| r.date <= as_of)
        .count();
    let records = &releases.records[..released];
    let latest = records.last()?;
    let due = |r: &Record| {
        r.date
            .checked_add(time::Duration::days(i64::from(grace_days)))
            .unwrap_or(Date::MAX)
    };
    // The newest release whose grace period has ended: every customer must hold it (or later).
    let required = records.iter().rposition(|r| due(r) < as_of);
    let index = |version: &str| records.iter().position(|r| r.version == version);
    let deliveries = by_customer(evidence);
    let mut summary = Summary::default();
    let mut customers: Vec<Entry> = evidence
        .customers
        .iter()
        .map(|c| {
            let got = deliveries.get(c.id.as_str()).map_or(&[][..], Vec::as_slice);
            let newest = newest(got, as_of, &index);
            let held = newest.map(|(i, _)| i);
            let exception = exceptions
                .iter()
                .find(|e| {
                    e.active(as_of) && e.customer.as_ref().is_some_and(|x| x.get_ref() == &c.id)
                })
                .map(|e| e.id.get_ref().clone());
            let mut entry = Entry {
                id: c.id.clone(),
                name: c.name.clone(),
                workflows: c.workflows.clone(),
                status: Status::Current,
                last_version: newest.map(|(i, _)| records[i].version.clone()),
                last_date: newest.map(|(_, d)| d.date),
                channel: newest.map(|(_, d)| d.channel.clone()),
                reference: newest.map(|(_, d)| d.reference.clone()),
                late_days: None,
                overdue_since: None,
                exception: None,
            };
            entry.status = judge(c, held, records.len() - 1, required);
            match entry.status {
                Status::Current => {
                    let late = newest.map_or(0, |(_, d)| (d.date - due(latest)).whole_days());
                    entry.late_days = (late > 0).then_some(late);
                }
                Status::Pending | Status::Outdated | Status::Never if exception.is_some() => {
                    entry.status = Status::Excepted;
                    entry.exception = exception;
                }
                Status::Outdated | Status::Never => {
                    let missed = held.map_or(0, |i| i + 1);
                    entry.overdue_since = due(&records[missed]).next_day();
                }
                _ => {}
            }
            count(&mut summary, entry.status);
            entry
        })
        .collect();
    customers.sort_by(|a, b| a.id.cmp(&b.id));
    Some(Audit {
        as_of,
        latest: latest.version.clone(),
        released: latest.date,
        due: due(latest),
        grace_days,
        customers,
        out_of_date: summary.outdated + summary.never,
        summary,
    })
}

/// The newest version among `got` by `as_of` (its ledger index), with the first delivery
/// of it.
fn newest<'d>(
    got: &[&'d Delivery],
    as_of: Date,
    index: &impl Fn(&str) -> Option<usize>,
) -> Option<(usize, &'d Delivery)> {
    got.iter()
        .filter(|d| d.date <= as_of)
        .filter_map(|d| Some((index(&d.version)?, *d)))
        .min_by(|(i, a), (j, b)| j.cmp(i).then(a.date.cmp(&b.date)).then(a.line.cmp(&b.line)))
}

/// The status before exceptions: `held` is the newest ledger index received, `latest` the
/// last index, `required` the newest index whose deadline has passed.
fn judge(c: &Customer, held: Option<usize>, latest: usize, required: Option<usize>) -> Status {
    if !c.in_scope() {
        Status::OutOfScope
    } else if held == Some(latest) {
        Status::Current
    } else if required.is_some_and(|r| held.is_none_or(|h| h < r)) {
        if held.is_some() {
            Status::Outdated
        } else {
            Status::Never
        }
    } else {
        Status::Pending
    }
}

fn count(summary: &mut Summary, status: Status) {
    let slot = match status {
        Status::Never => &mut summary.never,
        Status::Outdated => &mut summary.outdated,
        Status::Pending => &mut summary.pending,
        Status::Excepted => &mut summary.excepted,
        Status::Current => &mut summary.current,
        Status::OutOfScope => &mut summary.out_of_scope,
    };
    *slot += 1;
    if status != Status::OutOfScope {
        summary.in_scope += 1;
    }
}
