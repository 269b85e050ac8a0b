//! Markdown: pulldown-cmark events grouped into a tree of sections, and HTML from them.
//!
//! Input: a page body and its byte offset in the file. Output: a [`Doc`] — the text before
//! the first heading, a tree of [`Section`]s (one per heading, with its stable id, classes,
//! and the events up to the next heading), and every link with its offset, so later stages
//! never parse the page again. HTML is produced from those events by [`HtmlWriter`], which
//! knows nothing of templates: it rewrites link targets through a caller's function and
//! numbers footnotes across a whole page, even when the page mixes several source files.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A run of pulldown-cmark events, kept compactly and decoded on each walk.
///
/// A parsed page is held for the whole build (and across `keyguide serve` rebuilds), and
/// owned `Event<'static>` values cost about five times the text they carry: each is an
/// 80-byte value, and its text a separate allocation. Here the events are encoded one after
/// another in one buffer: text and inline code that the parser took straight from the page
/// as a position in the page's text (which the run shares), every other event with postcard.
/// A run costs a few bytes per event; decoding is a fraction of what rendering or reading its
/// text costs anyway.
#[derive(Clone)]
pub struct Events {
    /// The text of the file the events were parsed from.
    source: Arc<String>,
    bytes: Vec<u8>,
}

/// Tags of encoded events: a postcard-encoded event follows, or the position and length of
/// a text or inline code event's text in the source.
const ENCODED: u8 = 0;
const TEXT: u8 = 1;
const CODE: u8 = 2;

/// Appends postcard's output to a buffer that already holds earlier events.
struct Append<'b>(&'b mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

impl Events {
    /// An empty run of events parsed from `source`.
    fn new(source: &Arc<String>) -> Events {
        Events {
            source: Arc::clone(source),
            bytes: Vec::new(),
        }
    }

    /// Whether the run holds no event.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Where `text` lies in the source, when it is a part of it.
    fn position(&self, text: &str) -> Option<(usize, usize)> {
        let start = (text.as_ptr() as usize).checked_sub(self.source.as_ptr() as usize)?;
        (start + text.len() <= self.source.len()).then_some((start, text.len()))
    }

    /// Appends `event`.
    fn push(&mut self, event: &Event<'_>) {
        let len = self.bytes.len();
        let in_source = match event {
            Event::Text(CowStr::Borrowed(t)) => self.position(t).map(|p| (TEXT, p)),
            Event::Code(CowStr::Borrowed(t)) => self.position(t).map(|p| (CODE, p)),
            _ => None,
        };
        let written = match in_source {
            Some((tag, position)) => {
                self.bytes.push(tag);
                postcard::serialize_with_flavor(&position, Append(&mut self.bytes))
            }
            None => {
                self.bytes.push(ENCODED);
                postcard::serialize_with_flavor(event, Append(&mut self.bytes))
            }
        };
        // Events hold strings, numbers, enums and sequences of known length, which postcard
        // always encodes; should that ever change, the buffer stays whole.
        if written.is_err() {
            debug_assert!(false, "an event postcard cannot encode: {event:?}");
            self.bytes.truncate(len);
        }
    }

    /// Gives back spare capacity once the run is complete.
    fn seal(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// The events, in order.
    pub fn iter(&self) -> impl Iterator<Item = Event<'_>> + Clone + '_ {
        let mut rest = self.bytes.as_slice();
        // Only bytes `push` wrote are read back, so decoding does not fail; a failure would
        // end the run rather than invent events.
        std::iter::from_fn(move || {
            let (&tag, after) = rest.split_first()?;
            let (event, after) = match tag {
                ENCODED => postcard::take_from_bytes::<Event<'_>>(after).ok()?,
                _ => {
                    let ((start, len), after) =
                        postcard::take_from_bytes::<(usize, usize)>(after).ok()?;
                    let text = CowStr::Borrowed(self.source.get(start..start.checked_add(len)?)?);
                    match tag {
                        TEXT => (Event::Text(text), after),
                        _ => (Event::Code(text), after),
                    }
                }
            };
            rest = after;
            Some(event)
        })
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The Markdown extensions keyguide enables: GitHub-style tables, footnotes,
/// strikethrough, task lists, and `{#id .class}` heading attributes.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// One heading and everything under it up to the next heading.
#[derive(Debug, Clone)]
pub struct Section {
    /// Stable id: the explicit `{#id}`, else the slug of the title.
    pub id: String,
    /// Whether the id was written explicitly.
    pub explicit_id: bool,
    /// Heading level, 1–6.
    pub level: u8,
    /// The title as plain text.
    pub title: String,
    /// The title normalised for matching (lowercase words, punctuation dropped).
    pub title_key: String,
    /// The title's inline events.
    pub title_events: Events,
    /// Classes from the heading attributes (`.replace`, `.replaceable`, ...).
    pub classes: Vec<String>,
    /// Byte offset of the heading in the file.
    pub offset: usize,
    /// Events between this heading and the next one.
    pub body: Events,
    /// Sections with deeper headings that follow this one.
    pub children: Vec<Section>,
}

impl Section {
    /// Whether the heading carries `.class`.
    pub fn has_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }

    /// The text of the section's own body (not its subsections), without markup.
    pub fn own_text(&self) -> String {
        plain_text(&self.body)
    }

    /// The title and the section's own text, normalised for matching phrases (lowercase
    /// words, punctuation dropped). Made afresh on each call, not kept with the page: a build
    /// asks once per section (and `keyguide serve` reuses per-page findings), while keeping
    /// it cost a tenth of a 10,000-page build's memory.
    pub fn text_key(&self) -> String {
        let mut key = crate::profile::Normaliser::default();
        key.push(&self.title);
        key.push(" ");
        each_text(&self.body, |t| key.push(t));
        key.finish()
    }

    /// Words in the section, its subsections included.
    pub fn words(&self) -> usize {
        self.walk().map(|s| word_count(&s.body)).sum()
    }

    /// This section and all below it, depth first in document order.
    pub fn walk(&self) -> Box<dyn Iterator<Item = &Section> + '_> {
        Box::new(std::iter::once(self).chain(self.children.iter().flat_map(Section::walk)))
    }
}

/// A link or image in a page, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The destination as written.
    pub dest: String,
    /// Byte offset of the link in the file.
    pub offset: usize,
    /// Whether it is an image.
    pub image: bool,
}

/// A piece of raw HTML in a page, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHtml {
    /// The HTML as written.
    pub text: String,
    /// Byte offset in the file.
    pub offset: usize,
}

/// A parsed page body.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Events before the first heading.
    pub intro: Events,
    /// Top-level sections, in document order.
    pub sections: Vec<Section>,
    /// Every link and image, in document order.
    pub links: Vec<Link>,
    /// Every piece of raw HTML, in document order.
    pub html: Vec<RawHtml>,
}

impl Doc {
    /// Every section, depth first in document order.
    pub fn all_sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().flat_map(Section::walk)
    }

    /// The raw HTML of the page with pieces that follow one another in the file joined:
    /// pulldown-cmark gives an HTML block line by line, and a tag may span lines
    /// (`<set attributeName="href"⏎ to="...">`). A joined piece is still the file's text from
    /// its offset on, so an offset into it is an offset into the file.
    pub fn html_runs(&self) -> Vec<RawHtml> {
        let mut runs: Vec<RawHtml> = Vec::new();
        for piece in &self.html {
            match runs.last_mut() {
                Some(run) if run.offset + run.text.len() == piece.offset => {
                    run.text.push_str(&piece.text);
                }
                _ => runs.push(piece.clone()),
            }
        }
        runs
    }

    /// The links and images written as raw HTML, `<a href="...">` and `<img src="...">`: the
    /// destination with its character references decoded and white space dropped as a
    /// browser's URL parser does, at the offset of its attribute. [`Doc::links`] holds the
    /// Markdown ones.
    pub fn html_links(&self) -> Vec<Link> {
        let mut links = Vec::new();
        for run in self.html_runs() {
            for tag in crate::raw_html::start_tags(&run.text) {
                if let Some((attribute, image)) = raw_destination(&tag) {
                    links.push(Link {
                        dest: html_href(attribute.value),
                        offset: run.offset + attribute.offset,
                        image,
                    });
                }
            }
        }
        links
    }

    /// The page's text as its HTML shows it: markup gone, character references decoded,
    /// blocks and headings on lines of their own.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let mut push = |events: &Events| {
            each_text(events, |t| text.push_str(t));
            text.push('\n');
        };
        push(&self.intro);
        for section in self.all_sections() {
            push(&section.title_events);
            push(&section.body);
        }
        text
    }
}

/// The attribute of a raw HTML start tag that names a link's or an image's destination
/// (`<a href>`, an image map's `<area href>`, `<img src>`), and whether it is an image's.
fn raw_destination<'t>(
    tag: &'t crate::raw_html::StartTag<'_>,
) -> Option<(&'t crate::raw_html::Attribute<'t>, bool)> {
    match tag.name.as_str() {
        "a" | "area" => tag.attribute("href").map(|a| (a, false)),
        "img" => tag.attribute("src").map(|a| (a, true)),
        _ => None,
    }
}

/// An `href` written in raw HTML as the browser's URL parser reads it: character references
/// decoded, tabs and line breaks anywhere dropped (`jav&#x09;ascript:` is a `javascript:`
/// URL), then outer spaces.
fn html_href(value: &str) -> String {
    let mut dest = crate::raw_html::decode_references(value);
    dest.retain(|c| !matches!(c, '\t' | '\n' | '\r'));
    dest.trim_matches(|c: char| c <= ' ').to_owned()
}

/// A heading being read: its start, then its title events until the heading ends.
struct OpenHeading {
    level: u8,
    id: Option<String>,
    classes: Vec<String>,
    offset: usize,
    title: Events,
}

/// Parses the page body that starts at byte `body_offset` of `text` (a file's text).
pub fn parse(text: &Arc<String>, body_offset: usize) -> Doc {
    let body = text.get(body_offset..).unwrap_or_default();
    let mut doc = Doc {
        intro: Events::new(text),
        sections: Vec::new(),
        links: Vec::new(),
        html: Vec::new(),
    };
    let mut flat: Vec<Section> = Vec::new();
    let mut heading: Option<OpenHeading> = None;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        let offset = body_offset + range.start;
        match &event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                heading = Some(OpenHeading {
                    level: heading_level(*level),
                    id: id.as_ref().map(|s| s.to_string()),
                    classes: classes.iter().map(|c| c.to_string()).collect(),
                    offset,
                    title: Events::new(text),
                });
                continue;
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    flat.push(close_heading(h, text));
                }
                continue;
            }
            Event::Start(Tag::Link { dest_url, .. }) => doc.links.push(Link {
                dest: dest_url.to_string(),
                offset,
                image: false,
            }),
            Event::Start(Tag::Image { dest_url, .. }) => doc.links.push(Link {
                dest: dest_url.to_string(),
                offset,
                image: true,
            }),
            Event::Html(text) | Event::InlineHtml(text) => doc.html.push(RawHtml {
                text: text.to_string(),
                offset,
            }),
            _ => {}
        }
        match (&mut heading, flat.last_mut()) {
            (Some(h), _) => h.title.push(&event),
            (None, Some(section)) => section.body.push(&event),
            (None, None) => doc.intro.push(&event),
        }
    }
    doc.intro.seal();
    for section in &mut flat {
        section.body.seal();
    }
    doc.sections = nest(flat);
    doc
}

/// Turns a finished heading into a section with its id.
fn close_heading(mut h: OpenHeading, text: &Arc<String>) -> Section {
    h.title.seal();
    let title = plain_text(&h.title);
    let (id, explicit_id) = match h.id {
        Some(id) if !id.is_empty() => (id, true),
        _ => (slug(&title), false),
    };
    Section {
        id,
        explicit_id,
        level: h.level,
        title_key: crate::profile::normalise(&title),
        title,
        title_events: h.title,
        classes: h.classes,
        offset: h.offset,
        body: Events::new(text),
        children: Vec::new(),
    }
}

/// Builds the section tree: each section owns the following sections with deeper headings.
fn nest(flat: Vec<Section>) -> Vec<Section> {
    // A stack of open sections, shallowest first; a heading closes every open section at
    // its level or deeper, and the closed ones move into their parent.
    let mut stack: Vec<Section> = Vec::new();
    let mut top = Vec::new();
    let close = |stack: &mut Vec<Section>, top: &mut Vec<Section>| {
        if let Some(done) = stack.pop() {
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => top.push(done),
            }
        }
    };
    for section in flat {
        while stack.last().is_some_and(|open| open.level >= section.level) {
            close(&mut stack, &mut top);
        }
        stack.push(section);
    }
    while !stack.is_empty() {
        close(&mut stack, &mut top);
    }
    top
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The text of inline events, without markup.
pub fn plain_text(events: &Events) -> String {
    let mut s = String::new();
    each_text(events, |t| s.push_str(t));
    s.truncate(s.trim_end().len());
    s
}

/// Calls `f` with each piece of the text of `events`, and `" "` between blocks.
fn each_text(events: &Events, mut f: impl FnMut(&str)) {
    for e in events.iter() {
        match e {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => f(&t),
            // Block ends separate words of adjacent paragraphs, cells and list items.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => f(" "),
            _ => {}
        }
    }
}

/// Words in the text of `events`.
pub fn word_count(events: &Events) -> usize {
    events
        .iter()
        .map(|e| match e {
            Event::Text(t) | Event::Code(t) => t.split_whitespace().count(),
            _ => 0,
        })
        .sum()
}

/// The id a heading gets when none is written: lowercase words joined by `-`, keeping
/// letters and digits only (what GitHub and Zola readers expect).
pub fn slug(title: &str) -> String {
    let mut s = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_') && !s.ends_with('-') && !s.is_empty()
        {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-');
    if s.is_empty() {
        "section".to_owned()
    } else {
        s.to_owned()
    }
}

/// Writes HTML for the events of one page, possibly drawn from several source files.
///
/// Footnotes are numbered per page in order of first reference; `scope` keeps the footnote
/// names of different source files apart (a base guide and its addendum may both use
/// `[^1]`). Every id is unique on the page: a note's is `fn-<scope>-<name>` (with `_2`, `_3`
/// when two names make the same slug), its first reference's `ref-<note id>`, later ones'
/// `ref2-<note id>`, `ref3-…`.
pub struct HtmlWriter<'f> {
    rewrite: &'f dyn Fn(&str) -> Option<String>,
    /// Each footnote met, by (scope, name): its number and id.
    footnotes: BTreeMap<(String, String), Footnote>,
    /// The ids given out.
    ids: BTreeSet<String>,
    /// The footnotes whose notes the page shows, when the caller said ([`HtmlWriter::define`]).
    defined: Option<BTreeSet<(String, String)>>,
}

/// One footnote of a page.
struct Footnote {
    number: usize,
    id: String,
    references: usize,
}

impl<'f> HtmlWriter<'f> {
    /// A writer that passes each link and image destination through `rewrite`
    /// (`None` keeps it as written).
    pub fn new(rewrite: &'f dyn Fn(&str) -> Option<String>) -> Self {
        HtmlWriter {
            rewrite,
            footnotes: BTreeMap::new(),
            ids: BTreeSet::new(),
            defined: None,
        }
    }

    /// Records the footnote notes in `events` (of `scope`) as shown on the page. Once called,
    /// a reference to a note not recorded is written as its Markdown text, without a link
    /// to a note the page does not have.
    pub fn define(&mut self, events: &Events, scope: &str) {
        let defined = self.defined.get_or_insert_with(BTreeSet::new);
        for event in events.iter() {
            if let Event::Start(Tag::FootnoteDefinition(name)) = event {
                defined.insert((scope.to_owned(), name.to_string()));
            }
        }
    }

    /// The footnote `name` of `scope`, numbered and given an id when first met.
    fn footnote(&mut self, scope: &str, name: &str) -> &mut Footnote {
        let key = (scope.to_owned(), name.to_owned());
        let next = self.footnotes.len() + 1;
        let ids = &mut self.ids;
        self.footnotes.entry(key).or_insert_with(|| {
            let base = footnote_anchor(scope, name);
            // Slugs never hold `_`, so a suffixed id cannot be another footnote's.
            let id = (1..)
                .map(|n| match n {
                    1 => base.clone(),
                    n => format!("{base}_{n}"),
                })
                .find(|id| !ids.contains(id))
                .unwrap_or(base);
            ids.insert(id.clone());
            Footnote {
                number: next,
                id,
                references: 0,
            }
        })
    }

    /// HTML of `events`; footnote names are qualified by `scope`.
    pub fn html(&mut self, events: &Events, scope: &str) -> String {
        self.html_of(events.iter(), scope)
    }

    fn html_of<'e>(&mut self, events: impl Iterator<Item = Event<'e>>, scope: &str) -> String {
        // pulldown-cmark gives an HTML block line by line; joined, a tag whose attributes
        // go on over lines (`<a⏎ href="_index.md">`) is rewritten whole, as lint reads it
        // ([`Doc::html_runs`]). The HTML written is the same.
        let mut joined: Vec<Event<'e>> = Vec::new();
        let mut block: Option<String> = None;
        for event in events {
            match event {
                Event::Html(html) => block.get_or_insert_with(String::new).push_str(&html),
                other => {
                    joined.extend(block.take().map(|b| Event::Html(b.into())));
                    joined.push(other);
                }
            }
        }
        joined.extend(block.take().map(|b| Event::Html(b.into())));
        let mut out = String::new();
        let mapped = joined.into_iter().map(|e| self.map(e, scope));
        pulldown_cmark::html::push_html(&mut out, mapped);
        out
    }

    fn map<'e>(&mut self, event: Event<'e>, scope: &str) -> Event<'e> {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: self.dest(dest_url),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: self.dest(dest_url),
                title,
                id,
            }),
            Event::FootnoteReference(name) => {
                let shown = self
                    .defined
                    .as_ref()
                    .is_none_or(|d| d.contains(&(scope.to_owned(), name.to_string())));
                if !shown {
                    return Event::Text(format!("[^{name}]").into());
                }
                let note = self.footnote(scope, &name);
                note.references += 1;
                let (n, anchor) = (note.number, note.id.clone());
                let id = match note.references {
                    1 => format!("ref-{anchor}"),
                    r => format!("ref{r}-{anchor}"),
                };
                Event::Html(
                    format!(
                        "<sup class=\"footnote-reference\" id=\"{id}\"><a href=\"#{anchor}\">{n}</a></sup>"
                    )
                    .into(),
                )
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let note = self.footnote(scope, &name);
                let (n, anchor) = (note.number, &note.id);
                Event::Html(
                    format!(
                        "<div class=\"footnote-definition\" id=\"{anchor}\"><sup class=\"footnote-definition-label\">{n}</sup>"
                    )
                    .into(),
                )
            }
            Event::End(TagEnd::FootnoteDefinition) => Event::Html("</div>".into()),
            Event::Html(html) => Event::Html(self.raw_links(html)),
            Event::InlineHtml(html) => Event::InlineHtml(self.raw_links(html)),
            other => other,
        }
    }

    /// Raw HTML with the destination of each `<a href>` and `<img src>` passed through
    /// `rewrite` like a Markdown link's: lint checks both the same way ([`Doc::html_links`]),
    /// so a raw link to `_index.md#storage` must reach the published page too.
    fn raw_links<'e>(&self, html: CowStr<'e>) -> CowStr<'e> {
        let (mut out, mut done) = (String::new(), 0);
        for tag in crate::raw_html::start_tags(&html) {
            let Some((href, _)) = raw_destination(&tag) else {
                continue;
            };
            // Where the value is written (a name without `=` has no value there).
            let start = (href.value.as_ptr() as usize).wrapping_sub(html.as_ptr() as usize);
            let Some(before) = html.get(done..start) else {
                continue;
            };
            if let Some(new) = (self.rewrite)(&html_href(href.value)) {
                out.push_str(before);
                out.push_str(&crate::theme::escape_html(&new));
                done = start + href.value.len();
            }
        }
        if done == 0 {
            return html;
        }
        out.push_str(&html[done..]);
        out.into()
    }

    fn dest<'e>(&self, dest: CowStr<'e>) -> CowStr<'e> {
        match (self.rewrite)(&dest) {
            Some(new) => new.into(),
            None => dest,
        }
    }
}

/// HTML of a Markdown text that stands alone (release notes): links are kept as written.
pub fn standalone_html(text: &str) -> String {
    HtmlWriter::new(&|_| None).html_of(Parser::new_ext(text, options()), "notes")
}

/// The HTML id of footnote `name` in source `scope`.
fn footnote_anchor(scope: &str, name: &str) -> String {
    format!("fn-{}-{}", slug(scope), slug(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_section_tree_with_ids_and_offsets() {
        let body = "Intro.\n\n## Secure storage {#storage .replaceable}\n\nText.\n\n### Access control\n\nMore.\n\n## Other\n";
        let doc = parse(&Arc::new(format!("{:10}{body}", "")), 10);
        let ids: Vec<_> = doc.all_sections().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["storage", "access-control", "other"]);
        assert_eq!(doc.sections.len(), 2);
        assert!(doc.sections[0].has_class("replaceable"));
        assert_eq!(doc.sections[0].offset, 10 + 8);
        assert_eq!(plain_text(&doc.intro), "Intro.");
    }

    #[test]
    fn events_read_back_as_the_parser_gave_them() {
        let text = "Intro with *emphasis*, `code`, a [link](../x.md \"title\") and ![img](a.png).\n\n\
            | a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\n1. one\n2. two\n\n\
            > quote[^n]\n\n[^n]: A note.\n\n```rust\nfn main() {}\n```\n\n<div>raw</div>\n\n\
            ~~gone~~ &amp; caf\u{e9}\\\nline\n\n---\n";
        let original: Vec<Event<'_>> = Parser::new_ext(text, options()).collect();
        let source = Arc::new(text.to_owned());
        // Events of the source are kept as positions in it; others (here: the same events
        // parsed from another copy of the text) with their own text.
        let mut positions = Events::new(&source);
        for event in Parser::new_ext(&source, options()) {
            positions.push(&event);
        }
        let mut copies = Events::new(&source);
        for event in &original {
            copies.push(event);
        }
        for run in [&positions, &copies] {
            assert_eq!(run.iter().collect::<Vec<_>>(), original);
        }
        assert!(positions.bytes.len() < copies.bytes.len());
        // A paragraph of text costs its position, not its length.
        let long = Arc::new("word ".repeat(1000));
        let doc = parse(&long, 0);
        assert_eq!(plain_text(&doc.intro), long.trim_end());
        assert!(
            doc.intro.bytes.len() < 32,
            "{} bytes",
            doc.intro.bytes.len()
        );
        assert!(Events::new(&source).iter().next().is_none());
    }

    #[test]
    fn html_runs_join_a_block_split_by_lines_and_stay_the_files_text() {
        let text = Arc::new(
            "Intro <b>x</b>.\n\n<svg>\n<set attributeName=\"href\"\n to=\"x\"/>\n</svg>\n\n> <i>\n"
                .to_owned(),
        );
        let doc = parse(&text, 0);
        let runs = doc.html_runs();
        assert!(doc.html.len() > runs.len(), "{:?}", doc.html);
        for run in &runs {
            assert_eq!(
                text.get(run.offset..run.offset + run.text.len()),
                Some(run.text.as_str())
            );
        }
        assert!(
            runs.iter().any(|r| r.text.contains("\"href\"\n to=")),
            "{runs:?}"
        );
    }

    #[test]
    fn html_links_are_read_from_raw_anchors_and_images_at_their_attribute() {
        let text = Arc::new(
            "A <a title=\"t\" href=\" _index.md#a&amp;&#x09;b \">x</a> [md](y.md).\n\n<div>\n<a\n  HREF=z.md>z</a>\n</div>\n\n<!-- <a href=\"gone.md\"> --> <img src=\"i.png\">\n"
                .to_owned(),
        );
        let doc = parse(&text, 0);
        let links: Vec<(String, &str)> = doc
            .html_links()
            .into_iter()
            .map(|l| (l.dest, text.get(l.offset..l.offset + 4).unwrap_or("")))
            .collect();
        assert_eq!(
            links,
            vec![
                ("_index.md#a&b".to_owned(), "href"),
                ("z.md".to_owned(), "HREF"),
                ("i.png".to_owned(), "src="),
            ]
        );
    }

    #[test]
    fn footnote_ids_are_unique_and_links_only_reach_notes_shown() {
        let text = Arc::new("A[^n] B[^n] C[^gone]\n\n[^n]: Note.\n\n[^gone]: Gone.\n".to_owned());
        let doc = parse(&text, 0);
        let shown = Arc::new("[^n]: Note.\n".to_owned());
        let mut writer = HtmlWriter::new(&|_| None);
        writer.define(&parse(&shown, 0).intro, "base");
        let html = writer.html(&doc.intro, "base");
        assert!(html.contains(r#"id="ref-fn-base-n""#), "{html}");
        assert!(html.contains(r#"id="ref2-fn-base-n""#), "{html}");
        assert!(html.contains("C[^gone]"), "{html}");
        assert!(!html.contains("ref-fn-base-gone"), "{html}");
    }

    #[test]
    fn slugs_titles_like_readers_expect() {
        assert_eq!(slug("Secure  storage (HSM)"), "secure-storage-hsm");
        assert_eq!(slug("—"), "section");
    }
}
