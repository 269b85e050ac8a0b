//! Distribution evidence (`evidence/`, SPEC 7): the private records that prove the guidance
//! reached every in-scope customer. Never published.
//!
//! - `customers.csv`, header `id,name,workflows`: one customer per row; `workflows` lists
//!   inventory workflow ids separated by `;` (empty: the customer shares no keys with us and
//!   is out of scope).
//! - `distribution.csv`, header `customer,version,channel,date,reference`: one row per
//!   version sent to a customer, with the channel, the ISO 8601 date and a reference an
//!   assessor can follow (a ticket, a portal download log id).
//!
//! Both files may hold `#` comment lines and blank lines; fields are trimmed. Every problem is
//! a KG100 finding at the row's line and the field's column: a malformed row, an unknown
//! customer, version or workflow, a date in the future or before the version was released,
//! a duplicated customer or row. Findings name customers by id only, never by name, so CI
//! logs stay free of customer names.
//!
//! [`leaks`] checks the other half of the promise: no built file contains a customer's name
//! or id.

pub mod audit;
pub mod leaks;
pub mod pack;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::diag::{self, Diagnostic, LineIndex};
use crate::error::{Error, Result};
use crate::frontmatter::{Date, parse_date};
use crate::lint::exceptions::Exception;
use crate::source::{MAX_TEXT_BYTES, ReadError, TextFile, read_bounded};
use crate::versions::Releases;

/// The customer list, relative to the site root.
pub const CUSTOMERS: &str = "evidence/customers.csv";

/// The distribution records, relative to the site root.
pub const DISTRIBUTION: &str = "evidence/distribution.csv";

const CUSTOMER_HEADER: [&str; 3] = ["id", "name", "workflows"];
const DISTRIBUTION_HEADER: [&str; 5] = ["customer", "version", "channel", "date", "reference"];

/// One customer (`customers.csv`).
#[derive(Debug, Clone)]
pub struct Customer {
    /// Stable id, e.g. `CUS-0001`.
    pub id: String,
    /// Name, private: shown only in `keyguide audit` and the evidence pack.
    pub name: String,
    /// Inventory workflow ids the customer takes part in.
    pub workflows: Vec<String>,
    /// Line in `customers.csv`.
    pub line: usize,
}

impl Customer {
    /// Whether the customer shares keys with us in a workflow of the inventory.
    pub fn in_scope(&self) -> bool {
        !self.workflows.is_empty()
    }
}

/// One version sent to one customer (`distribution.csv`).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Customer id.
    pub customer: String,
    /// Released version label.
    pub version: String,
    /// How it was sent, e.g. `portal` or `email`.
    pub channel: String,
    /// When it was sent.
    pub date: Date,
    /// Where an assessor can check it, e.g. a ticket or a portal log id.
    pub reference: String,
    /// Line in `distribution.csv`.
    pub line: usize,
}

/// The evidence folder, checked.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Customers in file order.
    pub customers: Vec<Customer>,
    /// Deliveries in file order.
    pub deliveries: Vec<Delivery>,
}

/// What the evidence is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Inventory workflow ids.
    pub workflows: &'a BTreeSet<&'a str>,
    /// The release ledger.
    pub releases: &'a Releases,
    /// No delivery may be dated after this day.
    pub today: Date,
}

/// Reads and checks `evidence/` under `root`: none when there is no `customers.csv` (and no
/// `distribution.csv`). Problems become KG100 findings in `diags`; rows with problems are
/// left out of the result.
pub fn load(
    root: &Path,
    known: Known<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Evidence>> {
    let customers_file = read(root, CUSTOMERS, diags)?;
    let distribution_file = read(root, DISTRIBUTION, diags)?;
    let Some(customers_file) = customers_file else {
        // A customers.csv that is there but unreadable has its own finding.
        if distribution_file.is_some() && !root.join(CUSTOMERS).exists() {
            diags.push(finding(
                DISTRIBUTION,
                (1, 1),
                "distribution records without evidence/customers.csv".into(),
                "add evidence/customers.csv with the header `id,name,workflows`, one row per customer",
            ));
        }
        return Ok(None);
    };
    let mut evidence = Evidence::default();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let customers_read = rows(&customers_file, &CUSTOMER_HEADER, diags, |row| {
        let (id, name, workflows) = (row.get(0), row.get(1), row.get(2));
        if id.is_empty() || name.is_empty() {
            row.problem(
                usize::from(!id.is_empty()),
                "a customer needs an id and a name".into(),
                "fill in both, e.g. `CUS-0001,Example Retail Ltd,wf-api-wrap`",
            );
            return;
        }
        if let Some(first) = first_line(&mut first_seen, id.to_owned(), row.line) {
            row.problem(
                0,
                format!("customer `{id}` is listed twice (first on line {first})"),
                "keep one row per customer; list every workflow in its `workflows` field, separated by `;`",
            );
            return;
        }
        // `;` as specified; a comma inside a quoted cell ("wf-a, wf-b") is what people type
        // in a spreadsheet, and no workflow id holds either.
        let workflows: Vec<String> = workflows
            .split([';', ','])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = workflows
            .iter()
            .find(|w| !known.workflows.contains(w.as_str()))
        {
            row.problem(
                2,
                format!("customer `{id}` names workflow `{unknown}`, which is not in content/inventory.toml"),
                "name workflow ids from content/inventory.toml, separated by `;`",
            );
            return;
        }
        evidence.customers.push(Customer {
            id: id.to_owned(),
            name: name.to_owned(),
            workflows,
            line: row.line,
        });
    });
    let Some(distribution_file) = distribution_file else {
        return Ok(Some(evidence));
    };
    let customer_ids: BTreeSet<&str> = first_seen.keys().map(String::as_str).collect();
    let mut seen_rows: HashMap<[String; 5], usize> = HashMap::new();
    rows(&distribution_file, &DISTRIBUTION_HEADER, diags, |row| {
        let fields = [0, 1, 2, 3, 4].map(|i| row.get(i).to_owned());
        let [customer, version, channel, date, reference] = &fields;
        if let Some(i) = fields.iter().position(String::is_empty) {
            row.problem(
                i,
                format!("the `{}` field is empty", DISTRIBUTION_HEADER[i]),
                "every record needs the customer id, version, channel, date (YYYY-MM-DD) and a reference an assessor can look up",
            );
            return;
        }
        // With an unreadable customer list every record would be "unknown": say it once.
        if customers_read && !customer_ids.contains(customer.as_str()) {
            row.problem(
                0,
                format!("customer `{customer}` is not in evidence/customers.csv"),
                "add the customer to evidence/customers.csv, or correct the id",
            );
            return;
        }
        let Some(record) = known.releases.get(version) else {
            row.problem(
                1,
                format!("version `{version}` is not in releases/ledger.toml"),
                &format!("name a released version: {}", released(known.releases)),
            );
            return;
        };
        let date = match parse_date(date) {
            Ok(d) => d,
            Err(message) => {
                row.problem(3, message, &date_help(date));
                return;
            }
        };
        if date > known.today {
            row.problem(
                3,
                format!("{date} is in the future (today is {})", known.today),
                "record a distribution once it has happened",
            );
            return;
        }
        if date < record.date {
            row.problem(
                3,
                format!(
                    "{date} is before version {version} was released ({})",
                    record.date
                ),
                "correct the date or the version",
            );
            return;
        }
        if let Some(first) = first_line(&mut seen_rows, fields.clone(), row.line) {
            row.problem(
                0,
                format!("this record repeats line {first}"),
                "remove the duplicate row",
            );
            return;
        }
        evidence.deliveries.push(Delivery {
            customer: customer.clone(),
            version: version.clone(),
            channel: channel.clone(),
            date,
            reference: reference.clone(),
            line: row.line,
        });
    });
    Ok(Some(evidence))
}

/// KG100 for customer exceptions (`content/exceptions.toml`) naming a customer that
/// `evidence/customers.csv` does not list.
pub fn check_exceptions(
    evidence: &Evidence,
    exceptions: &[Exception],
    file: Option<&TextFile>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(file) = file else {
        return;
    };
    let lines = LineIndex::new(&file.text);
    for customer in exceptions.iter().filter_map(|e| e.customer.as_ref()) {
        if !evidence
            .customers
            .iter()
            .any(|c| &c.id == customer.get_ref())
        {
            diags.push(finding(
                &file.rel,
                lines.line_col(&file.text, customer.span().start),
                format!(
                    "the exception names customer `{}`, which is not in evidence/customers.csv",
                    customer.get_ref()
                ),
                "use the customer's id from evidence/customers.csv",
            ));
        }
    }
}

/// The released versions, for help texts.
fn released(releases: &Releases) -> String {
    if releases.records.is_empty() {
        return "none yet (release one with `keyguide release`)".into();
    }
    releases.labels()
}

fn finding(file: &str, at: (usize, usize), message: String, help: &str) -> Diagnostic {
    Diagnostic::new(&diag::EVIDENCE, file, at, message, help)
}

/// The text of `root/rel`, none when it does not exist; a KG100 finding when it is not UTF-8.
fn read(root: &Path, rel: &str, diags: &mut Vec<Diagnostic>) -> Result<Option<TextFile>> {
    let path = root.join(rel);
    let bytes = match read_bounded(&path, MAX_TEXT_BYTES) {
        Ok(b) => b,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(ReadError::Io(e)) => return Err(Error::io("reading", &path)(e)),
        Err(ReadError::NotRegular) => {
            diags.push(finding(
                rel,
                (1, 1),
                "is not a regular file (a named pipe, socket or device)".into(),
                "replace it with the CSV file itself",
            ));
            return Ok(None);
        }
        Err(ReadError::TooBig(len)) => {
            diags.push(finding(
                rel,
                (1, 1),
                format!(
                    "is {}; keyguide reads evidence files of at most {} MiB",
                    crate::source::size_text(len),
                    MAX_TEXT_BYTES / (1024 * 1024)
                ),
                "archive old distribution records in a separate file",
            ));
            return Ok(None);
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(TextFile::new(
            rel.to_owned(),
            text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned(),
        ))),
        Err(e) => {
            let text = String::from_utf8_lossy(e.as_bytes());
            let offset = e.utf8_error().valid_up_to();
            diags.push(finding(
                rel,
                LineIndex::new(&text).line_col(&text, offset),
                "not valid UTF-8".into(),
                "save the file as UTF-8 (most spreadsheet programs offer \"CSV UTF-8\")",
            ));
            Ok(None)
        }
    }
}

/// One data row of a CSV file, for reporting problems at a field.
struct Row<'r> {
    file: &'r TextFile,
    lines: &'r LineIndex,
    record: &'r csv::StringRecord,
    /// Byte offset of the row's first character.
    start: usize,
    line: usize,
    diags: &'r mut Vec<Diagnostic>,
}

impl Row<'_> {
    fn get(&self, i: usize) -> &str {
        self.record.get(i).unwrap_or("")
    }

    /// A finding at field `i` of this row.
    fn problem(&mut self, i: usize, message: String, help: &str) {
        let offset = field_offset(&self.file.text, self.start, i);
        self.diags.push(finding(
            &self.file.rel,
            self.lines.line_col(&self.file.text, offset),
            message,
            help,
        ));
    }
}

/// Parses `file` as CSV with the header `header`, calling `each` for every data row of the
/// right width; other problems become findings. Returns whether the header was right, so
/// the rows were read.
///
/// Spreadsheet exports are taken as they come: rows whose fields are all empty (`,,,,`) are
/// skipped like blank lines, empty fields past the last column (a trailing comma) are
/// dropped, and the header's letter case does not matter.
fn rows(
    file: &TextFile,
    header: &[&str],
    diags: &mut Vec<Diagnostic>,
    mut each: impl FnMut(&mut Row<'_>),
) -> bool {
    let lines = LineIndex::new(&file.text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(file.text.as_bytes());
    let mut header_seen = false;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let offset = e.position().map_or(0, |p| p.byte());
                diags.push(finding(
                    &file.rel,
                    lines.line_col(&file.text, usize::try_from(offset).unwrap_or(0)),
                    format!("not valid CSV: {e}"),
                    "save the file as comma-separated values with a header row",
                ));
                return header_seen;
            }
        }
        let filled = record
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_empty())
            .last()
            .map_or(0, |(i, _)| i + 1);
        if filled == 0 {
            continue;
        }
        if record.len() > header.len() {
            record.truncate(filled.max(header.len()));
        }
        let start = row_start(&file.text, record.position().map_or(0, |p| p.byte()));
        let line = lines.line_col(&file.text, start).0;
        if !header_seen {
            header_seen = true;
            if !record
                .iter()
                .map(str::to_ascii_lowercase)
                .eq(header.iter().copied())
            {
                let (message, help) = header_problem(&record, header);
                diags.push(finding(&file.rel, (line, 1), message, &help));
                return false;
            }
            continue;
        }
        if record.len() != header.len() {
            diags.push(finding(
                &file.rel,
                (line, 1),
                format!(
                    "this row has {} field(s); expected {} ({})",
                    record.len(),
                    header.len(),
                    header.join(",")
                ),
                "quote a field that holds a comma, e.g. \"Example, Ltd\"",
            ));
            continue;
        }
        let mut row = Row {
            file,
            lines: &lines,
            record: &record,
            start,
            line,
            diags,
        };
        // A line break or an escape sequence in a name would garble the audit table, or
        // rewrite the terminal that shows it.
        if let Some((i, c)) = record
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.chars().find(|c| c.is_control()).map(|c| (i, c)))
        {
            row.problem(
                i,
                format!(
                    "the `{}` field holds a control character (U+{:04X})",
                    header[i],
                    u32::from(c)
                ),
                "remove it: fields are single lines of plain text",
            );
            continue;
        }
        each(&mut row);
    }
    if !header_seen {
        diags.push(finding(
            &file.rel,
            (1, 1),
            "the file is empty".into(),
            &format!("start it with the header row `{}`", header.join(",")),
        ));
    }
    header_seen
}

/// The message and help for a header row that is not `header`: a file saved with `;` or
/// tabs between fields (what spreadsheets in many locales write as "CSV") gets told so.
fn header_problem(record: &csv::StringRecord, header: &[&str]) -> (String, String) {
    let found = record.iter().collect::<Vec<_>>().join(",");
    let expected = header.join(",");
    let separator = [(';', "semicolons"), ('\t', "tabs")]
        .into_iter()
        .find(|(c, _)| record.len() == 1 && found.contains(*c));
    match separator {
        Some((_, name)) => (
            format!("the fields are separated by {name}, not commas"),
            format!(
                "export the sheet as \"CSV UTF-8 (comma delimited)\", or replace the separators with commas; the header must be `{expected}`"
            ),
        ),
        None => (
            format!("the header is `{found}`; expected `{expected}`"),
            format!("make the first row exactly `{expected}`"),
        ),
    }
}

/// The start of the row the CSV reader places at `byte`: after a `\r\n` line end the reader
/// places the next row at the `\n`, which would put findings at the end of the line before.
fn row_start(text: &str, byte: u64) -> usize {
    let at = usize::try_from(byte).unwrap_or(0).min(text.len());
    let rest = text.get(at..).unwrap_or("");
    at + (rest.len() - rest.trim_start_matches(['\r', '\n']).len())
}

/// Records `key` as first seen on `line`, or returns the line it was first seen on.
fn first_line<K: std::hash::Hash + Eq>(
    seen: &mut HashMap<K, usize>,
    key: K,
    line: usize,
) -> Option<usize> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(line);
            None
        }
    }
}

/// How to fix a date that is not `YYYY-MM-DD`, recognising what spreadsheets write: day and
/// month with slashes or dots (`29/11/2026`, `11/29/2026`) and a date with a time.
fn date_help(text: &str) -> String {
    const EXPORT: &str = "format the column as YYYY-MM-DD before exporting";
    if let Some(day) = text
        .get(..10)
        .filter(|_| text.len() > 10 && text[10..].starts_with(['T', ' ']))
    {
        if parse_date(day).is_ok() {
            return format!("keep only the day, `{day}`");
        }
    }
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    let numbers: Option<Vec<u8>> = match parts.as_slice() {
        [a, b, y] if y.len() == 4 && a.len() <= 2 && b.len() <= 2 => {
            [a, b].iter().map(|p| p.parse().ok()).collect()
        }
        _ => None,
    };
    let year = parts.get(2).and_then(|y| y.parse::<i32>().ok());
    let (Some(numbers), Some(year)) = (numbers, year) else {
        return "write the date as YYYY-MM-DD".into();
    };
    let day = |d: u8, m: u8| {
        time::Month::try_from(m)
            .ok()
            .and_then(|m| Date::from_calendar_date(year, m, d).ok())
    };
    let readings: BTreeSet<Date> = [day(numbers[0], numbers[1]), day(numbers[1], numbers[0])]
        .into_iter()
        .flatten()
        .collect();
    match readings.iter().collect::<Vec<_>>().as_slice() {
        [one] => format!("write it as `{one}`; {EXPORT}"),
        [a, b] => {
            format!("`{text}` could be {a} or {b}: write the one meant as YYYY-MM-DD; {EXPORT}")
        }
        _ => "write the date as YYYY-MM-DD".into(),
    }
}

/// Byte offset in `text` of field `i` of the record starting at byte `start`: commas inside
/// double quotes do not count, and leading blanks are skipped (fields are trimmed).
fn field_offset(text: &str, start: usize, i: usize) -> usize {
    let rest = text.get(start..).unwrap_or("");
    let mut quoted = false;
    let mut commas = 0;
    let mut field_start = 0;
    if i > 0 {
        for (at, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    commas += 1;
                    if commas == i {
                        field_start = at + 1;
                        break;
                    }
                }
                '\n' if !quoted => break,
                _ => {}
            }
        }
    }
    let blanks =
        rest[field_start..].len() - rest[field_start..].trim_start_matches([' ', '\t']).len();
    start + field_start + blanks
}

/// Every customer's deliveries, by customer id.
pub fn by_customer(evidence: &Evidence) -> BTreeMap<&str, Vec<&Delivery>> {
    let mut map: BTreeMap<&str, Vec<&Delivery>> = BTreeMap::new();
    for d in &evidence.deliveries {
        map.entry(d.customer.as_str()).or_default().push(d);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_offsets_skip_quoted_commas_and_blanks() {
        let text = "a,b\n  x , \"y, z\",  w\n";
        assert_eq!(field_offset(text, 4, 0), 6);
        assert_eq!(&text[field_offset(text, 4, 1)..][..1], "\"");
        assert_eq!(&text[field_offset(text, 4, 2)..][..1], "w");
    }

    #[test]
    fn spreadsheet_dates_get_a_precise_hint() {
        assert!(date_help("29.11.2026").starts_with("write it as `2026-11-29`"));
        assert!(date_help("11/29/2026").starts_with("write it as `2026-11-29`"));
        assert!(date_help("4/4/2026").starts_with("write it as `2026-04-04`"));
        assert!(date_help("03/11/2026").contains("could be 2026-03-11 or 2026-11-03"));
        assert_eq!(
            date_help("2026-11-29T08:00:00Z"),
            "keep only the day, `2026-11-29`"
        );
        for hopeless in [
            "31/31/2026",
            "yesterday",
            "29/11/26",
            "2026-13-01 10:00",
            "é/1/2026",
        ] {
            assert_eq!(
                date_help(hopeless),
                "write the date as YYYY-MM-DD",
                "{hopeless}"
            );
        }
    }

    #[test]
    fn rows_after_crlf_start_on_their_own_line() {
        let text = "a,b\r\nc,d\r\n";
        assert_eq!(row_start(text, 4), 5);
        assert_eq!(row_start(text, 5), 5);
        assert_eq!(row_start(text, 99), text.len());
    }
}
