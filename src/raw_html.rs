//! Raw HTML written in a page (or shipped as an asset): its start tags and their attributes,
//! each with the byte offset it is written at, and attribute values decoded as a browser
//! decodes them.
//!
//! Input: a piece of HTML as written. Output: [`StartTag`]s in document order. This is not a
//! full HTML parser; it reads tags the way the HTML tokenizer does (quoted and unquoted
//! values, `/` between attributes, names in any case), skips comments, end tags and
//! declarations, and never fails: a tag cut off by the end of the text ends there. Lint rules
//! use it where what matters is one attribute of one element — the `href` of an `<a>`
//! ([`crate::lint`] KG020/KG021), the target of an SVG `<set>` (KG070).

/// A start tag (`<a href="x">`, `<svg:set ... />`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTag<'h> {
    /// Byte offset of the `<` in the text.
    pub offset: usize,
    /// The element name in ASCII lower case, with any namespace prefix (`svg:set`).
    pub name: String,
    /// The attributes, in the order written.
    pub attributes: Vec<Attribute<'h>>,
}

/// An attribute of a [`StartTag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'h> {
    /// The name in ASCII lower case (`xlink:href`, `attributename`).
    pub name: String,
    /// Byte offset of the name in the text.
    pub offset: usize,
    /// The value as written, without its quotes and with character references left in.
    pub value: &'h str,
}

impl StartTag<'_> {
    /// The element name without its namespace prefix (`set` for `svg:set`).
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The attribute `name` (lower case). As in a browser, the first of duplicates counts.
    pub fn attribute(&self, name: &str) -> Option<&Attribute<'_>> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// Every start tag in `html`, in document order.
pub fn start_tags(html: &str) -> Vec<StartTag<'_>> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(n) = html[i..].find('<') {
        let start = i + n;
        let rest = &html[start..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            // A comment ends at the first `-->` (or the end of the text).
            i = comment
                .find("-->")
                .map_or(html.len(), |e| start + 4 + e + 3);
            continue;
        }
        match bytes.get(start + 1) {
            Some(b'!' | b'?' | b'/') => {
                i = rest.find('>').map_or(html.len(), |e| start + e + 1);
                continue;
            }
            Some(c) if c.is_ascii_alphabetic() => {}
            _ => {
                i = start + 1;
                continue;
            }
        }
        let name_end = until(bytes, start + 1, |c| {
            c.is_ascii_whitespace() || c == b'/' || c == b'>'
        });
        let mut tag = StartTag {
            offset: start,
            name: html[start + 1..name_end].to_ascii_lowercase(),
            attributes: Vec::new(),
        };
        i = name_end;
        loop {
            i = until(bytes, i, |c| !(c.is_ascii_whitespace() || c == b'/'));
            match bytes.get(i) {
                None => break,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
            let name_start = i;
            // An attribute name may start with `=`; it ends at white space, `/`, `>` or `=`.
            let name_end = until(bytes, i + 1, |c| {
                c.is_ascii_whitespace() || matches!(c, b'/' | b'>' | b'=')
            });
            let name = html[name_start..name_end].to_ascii_lowercase();
            i = until(bytes, name_end, |c| !c.is_ascii_whitespace());
            let mut value = "";
            if bytes.get(i) == Some(&b'=') {
                i = until(bytes, i + 1, |c| !c.is_ascii_whitespace());
                match bytes.get(i) {
                    Some(&quote @ (b'"' | b'\'')) => {
                        let end = until(bytes, i + 1, |c| c == quote);
                        value = &html[i + 1..end];
                        i = (end + 1).min(bytes.len());
                    }
                    _ => {
                        let end = until(bytes, i, |c| c.is_ascii_whitespace() || c == b'>');
                        value = &html[i..end];
                        i = end;
                    }
                }
            }
            tag.attributes.push(Attribute {
                name,
                offset: name_start,
                value,
            });
        }
        tags.push(tag);
    }
    tags
}

/// The first index from `from` whose byte satisfies `stop`, or the length of `bytes`. The
/// bytes searched for are all ASCII, so the index is always a character boundary.
fn until(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&c| stop(c)))
        .map_or(bytes.len(), |n| from + n)
}

/// `text` (an attribute value) with its character references decoded as far as a URL can
/// hide behind them: numeric ones (`&#106;`, `&#x6A`, with or without the `;`, as browsers
/// accept them), the named ones that stand for a colon or white space, and the ones every
/// escaper writes (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`). No other named reference
/// stands for an ASCII letter, a colon or white space; any other `&` is kept as written.
/// Decoding happens once, as in a browser: `&amp;#106;` is the text `&#106;`, not `j`.
pub fn decode_references(text: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("tab;", '\t'),
        ("newline;", '\n'),
        ("colon;", ':'),
        ("amp;", '&'),
        ("lt;", '<'),
        ("gt;", '>'),
        ("quot;", '"'),
        ("apos;", '\''),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(number) = rest.strip_prefix('#') {
            let (radix, digits) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (16, hex),
                None => (10, number),
            };
            let len = digits
                .find(|c: char| !c.is_digit(radix))
                .unwrap_or(digits.len());
            if len > 0 {
                let c = u32::from_str_radix(&digits[..len], radix)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|&c| c != '\0');
                out.push(c.unwrap_or('\u{fffd}'));
                rest = &digits[len..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
                continue;
            }
        }
        let named = NAMED.iter().find(|(name, _)| {
            rest.get(..name.len())
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        });
        match named {
            Some((name, c)) => {
                out.push(*c);
                rest = &rest[name.len()..];
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(tag: &StartTag<'_>) -> Vec<(String, usize, String)> {
        tag.attributes
            .iter()
            .map(|a| (a.name.clone(), a.offset, a.value.to_owned()))
            .collect()
    }

    #[test]
    fn reads_quoted_unquoted_and_bare_attributes_with_their_offsets() {
        let html =
            "<p>x</p><A HREF='a b' data-x=1 hidden/><svg:Set\n attributeName=\"href\" to=\"j\">";
        let tags = start_tags(html);
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[1].name, "a");
        assert_eq!(
            attrs(&tags[1]),
            vec![
                ("href".into(), 11, "a b".into()),
                ("data-x".into(), 22, "1".into()),
                ("hidden".into(), 31, String::new()),
            ]
        );
        assert_eq!(tags[2].local_name(), "set");
        let target = tags[2].attribute("attributename").map(|a| a.offset);
        assert_eq!(target, Some(html.find("attributeName").unwrap_or(0)));
    }

    #[test]
    fn skips_comments_end_tags_and_declarations_and_survives_cut_off_text() {
        let tags = start_tags("<!-- <a href=x> --><!DOCTYPE html></a><?xml x?>< a><3<b");
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b"]);
        for cut in ["<a href=\"x", "<a href=", "<a href", "<!--", "<a ", "<"] {
            let _ = start_tags(cut);
        }
        let tags = start_tags("<a title=\"é\" href=\"ü\">");
        assert_eq!(tags[0].attribute("href").map(|a| a.value), Some("ü"));
    }

    #[test]
    fn decodes_references_once() {
        assert_eq!(
            decode_references("&#x4A;&#0;&#99999999;&amp;&colon;&AMP;#106;&copy;"),
            "J\u{fffd}\u{fffd}&:&#106;&copy;"
        );
        assert_eq!(decode_references("a&#106b&Tab;c"), "ajb\tc");
    }
}
