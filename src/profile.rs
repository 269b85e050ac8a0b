//! Required-section profiles: data, not code.
//!
//! A profile names the sections every base guide and compiled integration guide must hold,
//! their subsections, titles and aliases, the least number of words that counts as
//! substance, the words that mark unfinished text, the delivery channels the inventory may
//! not name, and the requirement elements each section traces to. The built-in
//! `pci-dss-4.0.1-3.7.9` profile is embedded from `profiles/`; `profile = "path.toml"` in
//! keyguide.toml loads a site's own. Nothing else in keyguide knows about PCI DSS.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::LineIndex;
use crate::error::{Error, Result};
use crate::markdown::Section;

/// Built-in profiles: (name, TOML).
const BUILT_IN: &[(&str, &str)] = &[(
    "pci-dss-4.0.1-3.7.9",
    include_str!("../profiles/pci-dss-4.0.1-3.7.9.toml"),
)];

/// A profile of required sections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Stable identifier.
    pub id: String,
    /// Human title, e.g. the requirement it implements.
    pub title: String,
    /// The requirement's text, quoted in the assessor's evidence pack.
    #[serde(default)]
    pub requirement: Option<String>,
    /// Fewest words a required section must hold, its subsections included.
    #[serde(default = "default_min_words")]
    pub min_words: usize,
    /// Fewest words each required subsection must hold on its own. Lower than `min_words`:
    /// a subsection of one or two precise sentences ("Rotate the key every 90 days, and at
    /// once when the integration changes owner.") is real guidance, while the section as a
    /// whole must still clear `min_words`.
    #[serde(default = "default_min_subsection_words")]
    pub min_subsection_words: usize,
    /// Words and phrases that mark unfinished text.
    #[serde(default)]
    pub placeholders: Vec<String>,
    /// A substring searcher for each normalised placeholder, made once: making them for
    /// every section was a tenth of the placeholder check.
    #[serde(skip)]
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// Required top-level sections.
    #[serde(rename = "section", default)]
    pub sections: Vec<Required>,
    /// Delivery channels the inventory may not name.
    #[serde(rename = "prohibited_channel", default)]
    pub prohibited_channels: Vec<Channel>,
    /// Words that make a clause of a delivery description a notice rather than the key's
    /// channel ("email notification").
    #[serde(default)]
    pub notice_words: Vec<String>,
}

fn default_min_words() -> usize {
    25
}

fn default_min_subsection_words() -> usize {
    10
}

/// A required section or subsection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Required {
    /// The id it is matched by first.
    pub id: String,
    /// Its expected title, also matched.
    pub title: String,
    /// Other titles that count as this section.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Requirement elements the section addresses (top-level sections).
    #[serde(default)]
    pub elements: Vec<String>,
    /// Required subsections.
    #[serde(default)]
    pub subsections: Vec<Required>,
    /// The title and aliases, normalised once (see [`normalise`]).
    #[serde(skip)]
    keys: Vec<String>,
}

/// The section ids of a profile file with their places in it, for reporting a repeated id.
/// Other keys are ignored: the file was already read as a [`Profile`].
#[derive(Deserialize)]
struct SpannedIds {
    #[serde(rename = "section", default)]
    sections: Vec<SpannedSection>,
}

#[derive(Deserialize)]
struct SpannedSection {
    id: Spanned<String>,
    #[serde(default)]
    subsections: Vec<SpannedSection>,
}

/// A prohibited delivery channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Name shown in messages.
    pub name: String,
    /// Words that identify the channel.
    pub words: Vec<String>,
    /// Words that make a match acceptable (e.g. "encrypted" email).
    #[serde(default)]
    pub unless: Vec<String>,
}

impl Profile {
    /// Loads `name`: a built-in profile, or a TOML file relative to `root`.
    pub fn load(root: &Path, name: &str) -> Result<Profile> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            let profile: Profile = crate::config::parse_toml(Path::new(name), text)?;
            return Ok(profile.prepared());
        }
        let path = root.join(name);
        if !name.ends_with(".toml") || !path.is_file() {
            let known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(Error::Config {
                file: root.join(crate::config::FILE_NAME).display().to_string(),
                line: 1,
                column: 1,
                message: format!(
                    "profile `{name}` is neither a built-in profile nor a .toml file in the site"
                ),
                help: format!(
                    "use one of: {}; or a path such as `profiles/ours.toml`",
                    known.join(", ")
                ),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(Error::io("reading", &path))?;
        let profile: Profile = crate::config::parse_toml(&path, &text)?;
        profile.validate(&path, &text)?;
        Ok(profile.prepared())
    }

    /// Normalises titles, aliases and placeholders once, so matching stays cheap on large
    /// sites.
    fn prepared(mut self) -> Profile {
        fn prepare(r: &mut Required) {
            r.keys = std::iter::once(&r.title)
                .chain(&r.aliases)
                .map(|t| normalise(t))
                .collect();
            r.subsections.iter_mut().for_each(prepare);
        }
        self.sections.iter_mut().for_each(prepare);
        self.placeholders = self.placeholders.iter().map(|p| normalise(p)).collect();
        self.finders = (self.placeholders.iter())
            .map(|p| memchr::memmem::Finder::new(p).into_owned())
            .collect();
        self
    }

    /// The first placeholder in `key`, a text already normalised ([`normalise`]), as the
    /// profile normalised it.
    pub fn placeholder_in(&self, key: &str) -> Option<&str> {
        self.placeholders
            .iter()
            .zip(&self.finders)
            .find(|(p, finder)| !p.is_empty() && has_words(key, finder))
            .map(|(p, _)| p.as_str())
    }

    /// A site profile must name each section once and list at least one section. `text` is
    /// the profile file's text, read again with spans so a repeated id is reported where it
    /// is repeated.
    fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let error = |(line, column): (usize, usize), message: String, help: &str| Error::Config {
            file: path.display().to_string(),
            line,
            column,
            message,
            help: help.into(),
        };
        if self.sections.is_empty() {
            return Err(error(
                (1, 1),
                "the profile requires no sections".to_owned(),
                "list each required section once under [[section]], with its subsections",
            ));
        }
        // The file already parsed as a profile, so it parses as its ids too.
        let Ok(spanned) = toml::from_str::<SpannedIds>(text) else {
            return Ok(());
        };
        let lines = LineIndex::new(text);
        let pos = |offset: usize| lines.line_col(text, offset);
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let ids = spanned
            .sections
            .iter()
            .flat_map(|s| std::iter::once(&s.id).chain(s.subsections.iter().map(|x| &x.id)));
        for id in ids {
            if let Some(first) = seen.insert(id.get_ref(), id.span().start) {
                return Err(error(
                    pos(id.span().start),
                    format!(
                        "section id `{}` is listed twice (first on line {})",
                        id.get_ref(),
                        pos(first).0
                    ),
                    "give each required section and subsection its own id, or remove the repeated one",
                ));
            }
        }
        Ok(())
    }

    /// Every required id, top-level sections and subsections.
    pub fn all_required(&self) -> impl Iterator<Item = &Required> {
        self.sections
            .iter()
            .flat_map(|s| std::iter::once(s).chain(&s.subsections))
    }
}

impl Required {
    /// Whether `section` is this required section: by id, or by title or alias
    /// (case-insensitive, punctuation ignored).
    pub fn matches(&self, id: &str, title: &str) -> bool {
        id == self.id || self.keys.contains(&normalise(title))
    }

    /// Whether the Markdown section `s` is this required section.
    pub fn matches_section(&self, s: &Section) -> bool {
        s.id == self.id || self.keys.contains(&s.title_key)
    }
}

/// Lowercase letters and digits, words separated by one space.
pub fn normalise(text: &str) -> String {
    let mut n = Normaliser::default();
    n.push(text);
    n.finish()
}

/// [`normalise`] of a text given in pieces, without joining them first.
#[derive(Debug, Default)]
pub struct Normaliser {
    out: Vec<u8>,
    gap: bool,
}

/// Each ASCII byte lowercased when it is a letter or digit, else 0: every section's text goes
/// through [`Normaliser::push`] when lint looks for placeholders, a byte at a time.
const WORD_BYTES: [u8; 128] = {
    let mut table = [0; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            table[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

impl Normaliser {
    /// Adds the next piece of the text.
    pub fn push(&mut self, text: &str) {
        self.out.reserve(text.len() + 1);
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if let Some(&lower) = WORD_BYTES.get(usize::from(b)) {
                match lower {
                    0 => self.gap = true,
                    _ => {
                        self.word();
                        self.out.push(lower);
                    }
                }
                i += 1;
            } else {
                let c = text[i..].chars().next().unwrap_or_default();
                i += c.len_utf8().max(1);
                if c.is_alphanumeric() {
                    self.word();
                    let mut buf = [0; 4];
                    for l in c.to_lowercase() {
                        self.out
                            .extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                    }
                } else {
                    self.gap = true;
                }
            }
        }
    }

    /// Starts or continues a word: a space first if a gap came before it.
    fn word(&mut self) {
        if self.gap && !self.out.is_empty() {
            self.out.push(b' ');
        }
        self.gap = false;
    }

    /// The normalised text.
    pub fn finish(self) -> String {
        // Only whole characters were added.
        String::from_utf8(self.out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Whether normalised `text` (words joined by single spaces) holds the normalised words
/// `finder` looks for as whole words: a match starts where a word starts and ends where one
/// ends. Every occurrence is tried, so a match overlapping a failed one (`tbd tbd` in `xtbd tbd tbd`) is
/// found. Occurrences are found by a vectorised substring search: trying every word start
/// of every section for every placeholder was a tenth of linting 10,000 pages.
fn has_words(text: &str, finder: &memchr::memmem::Finder<'_>) -> bool {
    let (text, words) = (text.as_bytes(), finder.needle());
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| finder.find(rest)) {
        let (start, end) = (from + found, from + found + words.len());
        let starts = start == 0 || text[start - 1] == b' ';
        let ends = text.get(end).is_none_or(|&after| after == b' ');
        if starts && ends {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Whether `text` contains `phrase` as whole words, ignoring case and punctuation.
pub fn contains_words(text: &str, phrase: &str) -> bool {
    Words::new(text).contains(&Words::new(phrase))
}

/// A text normalised once, for matching many phrases in it, or it in many texts.
#[derive(Debug)]
pub struct Words(String);

impl Words {
    /// `text`, normalised, between spaces.
    pub fn new(text: &str) -> Words {
        Words(format!(" {} ", normalise(text)))
    }

    /// Whether this text contains `phrase` as whole words (never an empty phrase).
    pub fn contains(&self, phrase: &Words) -> bool {
        !phrase.0.trim().is_empty() && self.0.contains(&phrase.0)
    }

    /// Whether this text contains `phrase` as whole words somewhere none of the `reach`
    /// words before it is one of `negations`: "not encrypted with PGP" names encryption
    /// only to deny it.
    pub fn contains_affirmed(&self, phrase: &Words, negations: &[&str], reach: usize) -> bool {
        !phrase.0.trim().is_empty()
            && self.0.match_indices(&phrase.0).any(|(at, _)| {
                !self.0[..at]
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .rev()
                    .take(reach)
                    .any(|w| negations.contains(&w))
            })
    }
}

/// Whether `c`, followed by `next`, ends a sentence: `.` `!` `?` before white space or at the
/// end, or a line break.
pub fn ends_sentence(c: char, next: Option<char>) -> bool {
    c == '\n' || (matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace))
}

/// The clauses of a description: split at `,`, `;`, the word "then", and a sentence's end
/// (`.` `!` `?` before white space or at the end, or a line break), so that a word that
/// excuses a clause ("alert") excuses nothing in the next sentence.
pub fn clauses(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut from = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if ends_sentence(c, chars.peek().map(|&(_, next)| next)) {
            sentences.push(&text[from..i]);
            from = i + c.len_utf8();
        }
    }
    sentences.push(&text[from..]);
    sentences
        .into_iter()
        .flat_map(|sentence| sentence.split([',', ';']))
        .flat_map(|part| {
            let words: Vec<&str> = part.split_whitespace().collect();
            words
                .split(|w| w.eq_ignore_ascii_case("then"))
                .map(|c| c.join(" "))
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_phrase_is_not_affirmed() {
        let encrypted = Words::new("encrypted");
        let denied = ["not", "without"];
        let affirmed = |text: &str| Words::new(text).contains_affirmed(&encrypted, &denied, 3);
        assert!(affirmed("emailed encrypted with PGP"));
        assert!(!affirmed("emailed, not encrypted"));
        assert!(!affirmed("emailed without being encrypted"));
        assert!(affirmed("not by chat: by email, always encrypted with PGP"));
        assert!(affirmed("not encrypted at first, then re-sent encrypted"));
        assert!(!affirmed("email"));
    }

    #[test]
    fn descriptions_split_into_clauses() {
        assert_eq!(
            clauses("email notification, then portal download; or SMS then call"),
            ["email notification", "portal download", "or SMS", "call"]
        );
        assert_eq!(
            clauses("Keys are emailed. Alerts go to chat!\nv1.2 keys? none"),
            ["Keys are emailed", "Alerts go to chat", "v1.2 keys", "none"]
        );
    }

    #[test]
    fn built_in_profile_parses_with_three_sections() {
        let p = Profile::load(Path::new("."), "pci-dss-4.0.1-3.7.9").ok();
        let ids: Vec<String> = p
            .iter()
            .flat_map(|p| p.sections.iter().map(|s| s.id.clone()))
            .collect();
        assert_eq!(ids, ["transmission", "storage", "updating"]);
    }

    #[test]
    fn matches_titles_ignoring_case_and_punctuation() {
        let p = Profile::load(Path::new("."), "pci-dss-4.0.1-3.7.9").ok();
        let storage = p.as_ref().and_then(|p| p.sections.get(1));
        assert!(storage.is_some_and(|s| s.matches("x", "SECURE STORAGE!")));
        assert!(storage.is_some_and(|s| s.matches("x", "Key storage")));
        assert!(!storage.is_some_and(|s| s.matches("x", "Storage of logs")));
    }

    #[test]
    fn normalising_keeps_words_lowercased_and_drops_the_rest() {
        assert_eq!(normalise("  Key-STORAGE: (HSM)  "), "key storage hsm");
        assert_eq!(
            normalise("Übersicht — Schlüssel_ÄNDERN 2x"),
            "übersicht schlüssel ändern 2x"
        );
        assert_eq!(normalise("İ"), "i\u{307}");
        assert_eq!(normalise("--- ..."), "");
        // Pieces join without a gap unless one is written.
        let mut n = Normaliser::default();
        for piece in ["Key", "Rot", "ation, ", "ÉTÉ", "-2 ", "αΒ"] {
            n.push(piece);
        }
        assert_eq!(n.finish(), "keyrotation été 2 αβ");
    }

    #[test]
    fn whole_word_matching() {
        assert!(contains_words("sent by E-mail to the team", "e-mail"));
        assert!(!contains_words("the mailroom", "mail"));
        assert!(contains_words("TODO: write this", "todo"));
    }

    #[test]
    fn placeholders_are_found_as_whole_words_only() {
        let mut p = match Profile::load(Path::new("."), "pci-dss-4.0.1-3.7.9") {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        p.placeholders = vec!["tbd".into(), "lorem ipsum".into()];
        let mut p = p.prepared();
        assert_eq!(p.placeholder_in("tbd"), Some("tbd"));
        assert_eq!(p.placeholder_in("rotation is tbd for now"), Some("tbd"));
        assert_eq!(p.placeholder_in("see lorem ipsum"), Some("lorem ipsum"));
        assert_eq!(p.placeholder_in("tbdx and xtbd and lorem ipsumx"), None);
        assert_eq!(p.placeholder_in("xtbd tbd"), Some("tbd"));
        p.placeholders = vec!["tbd tbd".into()];
        let p = p.prepared();
        assert_eq!(p.placeholder_in("owner xtbd tbd tbd"), Some("tbd tbd"));
        assert_eq!(p.placeholder_in("owner xtbd tbd"), None);
    }
}
