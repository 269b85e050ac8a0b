//! KG101: the built site never contains a customer's name or id from `evidence/`.
//!
//! Every text file of the output is searched, in one pass, for every customer's id and name
//! (also HTML-escaped, as a page would show "Smith &amp; Sons"), as whole words and in any
//! letter case. Ids and names shorter than three characters are not searched: they would
//! match ordinary text. Findings name the customer by id only.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Customer;
use crate::diag::{self, Diagnostic};
use crate::output::{OutputTree, Part, Places};
use crate::source::TextFile;
use crate::theme::escape_html;

/// The fewest characters an id or name must have to be searched for.
const MIN_LEN: usize = 3;

/// What a search pattern is.
struct Needle<'c> {
    customer: &'c Customer,
    what: &'static str,
}

/// KG101 findings for the files of `tree` its build made, reported as `label/path`.
pub fn check_output(
    tree: &OutputTree,
    customers: &[Customer],
    label: &str,
) -> crate::error::Result<Vec<Diagnostic>> {
    let searcher = match Searcher::new(customers) {
        Ok(Some(searcher)) => searcher,
        Ok(None) => return Ok(Vec::new()),
        Err(refused) => return Ok(vec![refused]),
    };
    let found = tree.map_contents(|path, bytes, part| {
        let mut out = Vec::new();
        if let Ok(text) = std::str::from_utf8(bytes) {
            searcher.scan(text, &format!("{label}/{path}"), part, &mut out);
        }
        out
    })?;
    Ok(found.into_iter().flatten().collect())
}

/// KG101 findings for the files a build publishes from, at their own line and column, so
/// `keyguide lint` (the pull-request gate) fails where a build would.
pub fn check_sources<'t>(
    files: impl Iterator<Item = &'t TextFile>,
    customers: &[Customer],
) -> Vec<Diagnostic> {
    let searcher = match Searcher::new(customers) {
        Ok(Some(searcher)) => searcher,
        Ok(None) => return Vec::new(),
        Err(refused) => return vec![refused],
    };
    // The draft and each release's snapshot share most texts: each is searched once.
    let mut by_text: std::collections::HashMap<crate::memo::Digest, Vec<Diagnostic>> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for file in files {
        let found = by_text
            .entry(file.digest)
            .or_insert_with(|| searcher.scan_source(&file.text));
        out.extend(found.iter().cloned().map(|mut d| {
            d.file.clone_from(&file.rel);
            d
        }));
    }
    out
}

/// `text` as a reader sees it, for finding names: HTML tags and comments, Markdown emphasis
/// and code marks, soft hyphens and zero-width characters left out; character references
/// decoded; each run of white space (line breaks and no-break spaces included) one space.
/// With it, the offset in `text` of each byte it holds.
fn flatten(text: &str) -> (String, Vec<usize>) {
    let mut flat = String::with_capacity(text.len());
    let mut from = Vec::with_capacity(text.len());
    let mut push = |flat: &mut String, c: char, at: usize| {
        flat.push(c);
        from.extend(std::iter::repeat_n(at, c.len_utf8()));
    };
    let mut chars = text.char_indices().peekable();
    let mut space = false;
    while let Some((at, c)) = chars.next() {
        let rest = &text[at..];
        let decoded = match c {
            '<' if rest[1..]
                .starts_with(|n: char| n.is_ascii_alphabetic() || n == '/' || n == '!') =>
            {
                let end = rest.find('>').map_or(rest.len(), |e| e + 1);
                while chars.peek().is_some_and(|&(i, _)| i < at + end) {
                    chars.next();
                }
                continue;
            }
            '*' | '_' | '`' | '~' | '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}'
            | '\u{2060}' | '\u{feff}' => continue,
            '&' => match reference(rest) {
                Some((decoded, len)) => {
                    while chars.peek().is_some_and(|&(i, _)| i < at + len) {
                        chars.next();
                    }
                    decoded
                }
                None => Some('&'),
            },
            c => Some(c),
        };
        let Some(c) = decoded else { continue };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if std::mem::take(&mut space) && !flat.is_empty() {
            push(&mut flat, ' ', at);
        }
        push(&mut flat, c, at);
    }
    (flat, from)
}

/// The character reference that `text` starts with: what it stands for (none for a soft
/// hyphen or zero-width space) and its length; none if it is not one.
fn reference(text: &str) -> Option<(Option<char>, usize)> {
    let end = text.bytes().take(32).position(|b| b == b';')?;
    let name = &text[1..end];
    let c = if let Some(number) = name.strip_prefix('#') {
        let (radix, digits) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (16, hex),
            None => (10, number),
        };
        char::from_u32(u32::from_str_radix(digits, radix).ok()?)?
    } else {
        match name {
            "nbsp" => ' ',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "lt" => '<',
            "gt" => '>',
            "shy" | "ZeroWidthSpace" => return Some((None, end + 1)),
            _ => return None,
        }
    };
    Some((Some(c), end + 1))
}

/// Every customer's name and id, in the forms a page may show them, ready to search for.
struct Searcher<'c> {
    automaton: AhoCorasick,
    needles: Vec<Needle<'c>>,
}

impl<'c> Searcher<'c> {
    /// The searcher for `customers`: none when no name or id is long enough to search for;
    /// a finding when the list is too large to search.
    fn new(customers: &'c [Customer]) -> Result<Option<Searcher<'c>>, Diagnostic> {
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        // A set, not a scan of `patterns`: thousands of customers would make that quadratic.
        let mut seen = HashSet::new();
        for c in customers {
            // As minijinja themes escape text, and as Tera themes do (`'` and `/` as hex).
            let escaped = escape_html(&c.name);
            let tera = escaped.replace("&#39;", "&#x27;").replace('/', "&#x2F;");
            let forms = [
                (c.id.as_str(), "id"),
                (c.name.as_str(), "name"),
                (&escaped, "name"),
                (&tera, "name"),
            ];
            for (text, what) in forms {
                if text.chars().count() >= MIN_LEN && seen.insert(text.to_owned()) {
                    patterns.push(text.to_owned());
                    needles.push(Needle { customer: c, what });
                }
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            // Plain strings only fail past the automaton's size limit: refuse rather than skip.
            .map_err(|e| {
                Diagnostic::new(
                    &diag::EVIDENCE_LEAK,
                    super::CUSTOMERS,
                    (1, 1),
                    format!("the customer list is too large to search the built site for: {e}"),
                    "split the evidence across sites, or shorten customer names",
                )
            })?;
        Ok(Some(Searcher { automaton, needles }))
    }

    /// The findings in the source text `text` (their file left empty), as written and as a
    /// reader sees it: a name the source breaks across lines, spaces out, marks up or
    /// writes with character references is still the name.
    fn scan_source(&self, text: &str) -> Vec<Diagnostic> {
        let (flat, from) = flatten(text);
        let as_written = self.matches(text);
        let as_read = self
            .matches(&flat)
            .filter_map(|(at, needle)| Some((*from.get(at)?, needle)));
        // A name found both ways is reported once, where it starts.
        let mut seen = HashSet::new();
        let lines = diag::LineIndex::new(text);
        as_written
            .chain(as_read)
            .filter(|&(at, _)| seen.insert(at))
            .map(|(at, needle)| finding("", lines.line_col(text, at), needle))
            .collect()
    }

    /// Appends to `out` a finding for each whole-word name or id in `text`: the file `rel`,
    /// or the bytes read for `part` of it.
    fn scan(&self, text: &str, rel: &str, part: Option<&Part>, out: &mut Vec<Diagnostic>) {
        let mut places = Places::new(text, part);
        for (at, needle) in self.matches(text) {
            if let Some(at) = places.at(at) {
                out.push(finding(rel, at, needle));
            }
        }
    }

    /// Where each whole-word name or id in `text` starts, with what it is.
    fn matches<'s>(&'s self, text: &'s str) -> impl Iterator<Item = (usize, &'s Needle<'c>)> + 's {
        self.automaton
            .find_overlapping_iter(text)
            .filter(|m| whole_word(text, m.start(), m.end()))
            .map(|m| (m.start(), &self.needles[m.pattern().as_usize()]))
    }
}

fn finding(rel: &str, at: (usize, usize), needle: &Needle<'_>) -> Diagnostic {
    Diagnostic::new(
        &diag::EVIDENCE_LEAK,
        rel,
        at,
        format!(
            "the built site would publish the {} of customer `{}` (evidence/customers.csv line {})",
            needle.what, needle.customer.id, needle.customer.line
        ),
        "distribution evidence is private: take customer names and ids out of the guidance, release notes and theme",
    )
}

/// Whether `text[start..end]` is not part of a longer word.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|t| t.chars().next_back());
    let after = text.get(end..).and_then(|t| t.chars().next());
    let inside = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !inside(before) && !inside(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str, name: &str) -> Customer {
        Customer {
            id: id.into(),
            name: name.into(),
            workflows: vec!["wf".into()],
            line: 2,
        }
    }

    #[test]
    fn finds_names_and_ids_as_whole_words_in_any_case() {
        let mut tree = OutputTree::default();
        let page =
            "<p>Thanks to SMITH &amp; Sons</p>\n<p>ref CUS-0042.</p><p>CUS-00421 xCUS-0042</p>";
        tree.insert("a/index.html".into(), page.into()).ok();
        let found = check_output(&tree, &[customer("CUS-0042", "Smith & Sons")], "public")
            .unwrap_or_default();
        let places: Vec<(usize, usize, bool)> = found
            .iter()
            .map(|d| (d.line, d.column, d.message.contains("name")))
            .collect();
        assert_eq!(places, vec![(1, 14, true), (2, 8, false)]);
    }

    #[test]
    fn sources_are_searched_as_a_reader_sees_them() {
        let text =
            "Hello.\n\nWe told **Normal**\nCorp, then Nor&#109;al&nbsp;Corp, then\nNormal Corp.\n";
        let file = TextFile::new("notes.md".into(), text.into());
        let found = check_sources(std::iter::once(&file), &[customer("C-006", "Normal Corp")]);
        let places: Vec<(usize, usize)> = found.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(places, vec![(5, 1), (3, 11), (4, 12)]);
        assert_eq!(flatten("a <b>x</b>\u{ad}y &amp;").0, "a xy &");
    }

    #[test]
    fn short_ids_are_not_searched() {
        let mut tree = OutputTree::default();
        tree.insert("a.txt".into(), b"step 7 of 12".to_vec()).ok();
        let found = check_output(&tree, &[customer("7", "Zy")], "out");
        assert!(found.is_ok_and(|found| found.is_empty()));
    }
}
