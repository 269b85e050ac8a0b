//! `keyguide audit`: did every in-scope customer receive the current guidance in time?
//!
//! Each version is due at every in-scope customer within the grace period after its release
//! (`[evidence] grace_days`, default 30). A customer is judged against the newest version
//! whose deadline has passed: having received that version or a later one keeps them in
//! date, since a later version supersedes it. So a customer is
//!
//! - `current`: received the latest version (`late_days` says by how much they got it after
//!   its deadline, if they did);
//! - `due`: has not received the latest version, but its grace period is still running and
//!   they hold every version whose deadline has passed;
//! - `overdue`: missed a deadline (`overdue_since` is the first one missed): a gap, exit 1;
//! - `excepted`: would be due or overdue, but an active approved exception in
//!   `content/exceptions.toml` names the customer;
//! - `out-of-scope`: takes part in no inventory workflow.
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
    /// Missed a deadline.
    Overdue,
    /// Owes the latest version, still within its grace period.
    Due,
    /// Would be due or overdue; an approved exception applies.
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
            Status::Overdue => "overdue",
            Status::Due => "due",
            Status::Excepted => "excepted",
            Status::Current => "current",
            Status::OutOfScope => "out-of-scope",
        }
    }
}

/// The version customers must hold.
#[derive(Debug, Clone, Serialize)]
pub struct Latest {
    /// Its label.
    pub version: String,
    /// Its release date.
    #[serde(serialize_with = "serialize_date")]
    pub released: Date,
    /// The last day of its grace period.
    #[serde(serialize_with = "serialize_date")]
    pub due: Date,
}

/// The last version a customer received.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// Version label.
    pub version: String,
    /// The first day it was sent to them.
    #[serde(serialize_with = "serialize_date")]
    pub date: Date,
    /// How.
    pub channel: String,
    /// Where an assessor can check it.
    pub reference: String,
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
    pub last_received: Option<Received>,
    /// Days after the deadline the latest version was received, when it was late.
    pub late_days: Option<i64>,
    /// The day after the first missed deadline, for `overdue`.
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
    /// `due`.
    pub due: usize,
    /// `overdue`.
    pub overdue: usize,
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
    /// Days each version has to reach customers.
    pub grace_days: u32,
    /// The version customers must hold.
    pub latest: Latest,
    /// Counts.
    pub summary: Summary,
    /// Every customer, worst status first, then by id.
    pub customers: Vec<Entry>,
}

impl Audit {
    /// Whether any in-scope customer is out of date.
    pub fn has_gaps(&self) -> bool {
        self.summary.overdue > 0
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
                last_received: newest.map(|(i, d)| Received {
                    version: records[i].version.clone(),
                    date: d.date,
                    channel: d.channel.clone(),
                    reference: d.reference.clone(),
                }),
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
                Status::Due | Status::Overdue if exception.is_some() => {
                    entry.status = Status::Excepted;
                    entry.exception = exception;
                }
                Status::Overdue => {
                    let missed = held.map_or(0, |i| i + 1);
                    entry.overdue_since = due(&records[missed]).next_day();
                }
                _ => {}
            }
            count(&mut summary, entry.status);
            entry
        })
        .collect();
    customers.sort_by(|a, b| (a.status, &a.id).cmp(&(b.status, &b.id)));
    Some(Audit {
        as_of,
        grace_days,
        latest: Latest {
            version: latest.version.clone(),
            released: latest.date,
            due: due(latest),
        },
        summary,
        customers,
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
        Status::Overdue
    } else {
        Status::Due
    }
}

fn count(summary: &mut Summary, status: Status) {
    let slot = match status {
        Status::Overdue => &mut summary.overdue,
        Status::Due => &mut summary.due,
        Status::Excepted => &mut summary.excepted,
        Status::Current => &mut summary.current,
        Status::OutOfScope => &mut summary.out_of_scope,
    };
    *slot += 1;
    if status != Status::OutOfScope {
        summary.in_scope += 1;
    }
}
