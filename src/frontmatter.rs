//! Front matter: the TOML block between `+++` lines at the top of every page.
//!
//! Input: a page's text. Output: the typed front matter and the Markdown body with its byte
//! offset in the file, or a KG030 finding at the line and column *of the file* (not of the
//! block) where the problem is. YAML front matter (`---`) is recognised only to say clearly
//! that keyguide wants TOML, as Zola and Hugo's TOML form do.

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::config::{toml_error_help, toml_error_message, toml_error_position};
use crate::diag::{self, Diagnostic};

/// A calendar date, as written in front matter (`2026-10-01`).
pub type Date = time::Date;

/// Front matter of a base guide (`_index.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseMatter {
    /// Page title.
    pub title: String,
    /// Document owner; falls back to the site's `owner`.
    #[serde(default)]
    pub owner: Option<String>,
    /// Date of the last document review.
    #[serde(default, deserialize_with = "date")]
    pub last_reviewed: Option<Date>,
    /// One-sentence description for indexes.
    #[serde(default)]
    pub summary: Option<String>,
}

/// Front matter of an integration addendum.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddendumMatter {
    /// Page title.
    pub title: String,
    /// Inventory workflow ids this addendum covers, with their places in the front matter.
    #[serde(default)]
    pub workflows: Vec<Spanned<String>>,
    /// Required section ids taken from the base guide unchanged, with their places.
    #[serde(default)]
    pub inherit: Vec<Spanned<String>>,
}

/// A page split into front matter and body.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The TOML between the `+++` lines.
    pub toml: &'a str,
    /// Byte offset of `toml` in the file.
    pub toml_offset: usize,
    /// The Markdown after the closing `+++` line.
    pub body: &'a str,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
}

/// Splits `text` (the file `rel`) at its `+++` lines.
pub fn split<'a>(rel: &str, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    if first_line == "---" {
        return Err(Diagnostic::new(
            &diag::FRONT_MATTER,
            rel,
            (1, 1),
            "YAML front matter (`---`) is not supported",
            "write the front matter as TOML between `+++` lines, e.g. `title = \"...\"`",
        ));
    }
    if first_line != "+++" {
        return Err(Diagnostic::new(
            &diag::FRONT_MATTER,
            rel,
            (1, 1),
            "the page has no front matter",
            "start the file with a `+++` line, the TOML front matter (at least `title = \"...\"`), and a closing `+++` line",
        ));
    }
    let toml_offset = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = toml_offset;
    for line in text[toml_offset..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let body_offset = offset + line.len();
            return Ok(Split {
                toml: &text[toml_offset..offset],
                toml_offset,
                body: &text[body_offset..],
                body_offset,
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::new(
        &diag::FRONT_MATTER,
        rel,
        (1, 1),
        "the front matter opened on line 1 is never closed",
        "did you forget the closing `+++` line after the front matter?",
    ))
}

/// Parses the front matter of `split` (from the file `rel` with text `text`) into `T`.
pub fn parse<T: serde::de::DeserializeOwned>(
    rel: &str,
    text: &str,
    split: &Split<'_>,
) -> Result<T, Diagnostic> {
    toml::from_str(split.toml).map_err(|e| {
        let at = toml_error_position(text, &e, split.toml_offset);
        Diagnostic::new(
            &diag::FRONT_MATTER,
            rel,
            at,
            format!("invalid front matter: {}", toml_error_message(&e)),
            toml_error_help(&e),
        )
    })
}

/// Byte offset in `text` (the whole file `rel`) of the value of the front matter's top-level
/// `key`, when the front matter parses and sets it. Typed front matter keeps no spans for
/// plain values, so a finding about a value that parsed but says nothing (`owner = ""`)
/// looks it up here, to point at the value as type errors do.
pub fn value_offset(rel: &str, text: &str, key: &str) -> Option<usize> {
    let split = split(rel, text).ok()?;
    let table: std::collections::BTreeMap<String, Spanned<toml::Value>> =
        toml::from_str(split.toml).ok()?;
    table.get(key).map(|v| split.toml_offset + v.span().start)
}

/// Deserializes an optional TOML local date, refusing times and offsets.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    required_date(d).map(Some)
}

/// Writes a date as `YYYY-MM-DD` (`serialize_with`).
pub fn serialize_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date.to_string())
}

/// Writes an optional date as `YYYY-MM-DD` or null (`serialize_with`).
pub fn serialize_opt_date<S: serde::Serializer>(
    date: &Option<Date>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => serialize_date(d, s),
        None => s.serialize_none(),
    }
}

/// Parses `YYYY-MM-DD` (command-line dates, dates in the manifest).
pub fn parse_date(s: &str) -> Result<Date, String> {
    let bad = || format!("`{s}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28");
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(bad());
    }
    let mut parts = s.splitn(3, '-');
    let mut next = || {
        parts
            .next()
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next()?, next()?, next()?);
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let year = i32::try_from(y).map_err(|_| bad())?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// Deserializes a TOML local date (`2026-10-01`), refusing times and offsets.
pub fn required_date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    use serde::de::Error;
    let value = toml::value::Datetime::deserialize(d)?;
    let expected = || D::Error::custom(format!("expected a date like 2026-10-01, found `{value}`"));
    match (value.date, value.time, value.offset) {
        (Some(date), None, None) => {
            let month = time::Month::try_from(date.month).map_err(|_| expected())?;
            Date::from_calendar_date(i32::from(date.year), month, date.day).map_err(|_| expected())
        }
        _ => Err(expected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_crlf_front_matter() {
        let text = "+++\r\ntitle = \"T\"\r\n+++\r\nBody\r\n";
        let s = split("f.md", text).ok();
        assert_eq!(
            s.map(|s| (s.toml, s.body)),
            Some(("title = \"T\"\r\n", "Body\r\n"))
        );
    }

    #[test]
    fn finds_the_offset_of_a_value_in_the_file() {
        let text = "+++\ntitle = \"T\"\nowner   =  \"\"\n+++\n";
        assert_eq!(value_offset("f.md", text, "owner"), text.find("\"\""));
        assert_eq!(value_offset("f.md", text, "summary"), None);
    }

    #[test]
    fn points_errors_at_the_file_line() {
        let text = "+++\ntitle = \"T\"\nowner = 3\n+++\n";
        let s = split("f.md", text).ok();
        let d = s.and_then(|s| parse::<BaseMatter>("f.md", text, &s).err());
        assert_eq!(d.map(|d| (d.line, d.column)), Some((3, 9)));
    }
}
