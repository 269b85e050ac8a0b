//! KG010: key material anywhere in the content, and anywhere in the built site.
//!
//! Every text file under the content folder (pages, inventory, exceptions, text assets such
//! as SVG) is scanned by [`super::key_material::scan`]; an asset whose very name says it is
//! key material (`.pem`, `.key`, `.p12`, `.ppk`, ...) is refused whatever it holds. The build
//! scans its rendered output the same way, so nothing reaches the site by another path (a
//! theme file, a template). Messages name the kind of material and its place, never the
//! material itself, and KG010 findings never quote the source line.
//!
//! A scan depends on the text alone, so it is done once per distinct text ([`Memo`]): files
//! shared by the draft and a release, pages a rebuild reused, are not scanned again.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diag::{self, Diagnostic};
use crate::memo::{self, Digest, Memo};
use crate::output::{OutputTree, Part, Places, Start};
use crate::source::{Sources, TextFile};

use super::key_material;

/// Scans every content file.
pub fn check(sources: &Sources, memo: &Memo, out: &mut Vec<Diagnostic>) {
    let texts: Vec<_> = sources.texts().collect();
    let found: Vec<Vec<Diagnostic>> = texts
        .par_iter()
        .map(|file| scan_text(&file.rel, file.text.as_bytes(), &file.digest, memo, None))
        .collect();
    out.extend(found.into_iter().flatten());
    for asset in sources.guides.iter().flat_map(|g| &g.assets) {
        let name = asset.rel.rsplit('/').next().unwrap_or(&asset.rel);
        if key_material::is_key_file_name(name) {
            out.push(Diagnostic::new(
                &diag::KEY_MATERIAL,
                &asset.rel,
                (1, 1),
                "an asset named as key material (by its extension) would be published",
                "remove the file from the content folder; keys are delivered over the approved channels, never published",
            ));
        } else {
            let digest = memo::digest(&asset.bytes);
            out.extend(scan_text(&asset.rel, &asset.bytes, &digest, memo, None));
        }
    }
}

/// KG010 in the text each page publishes: its words with the markup gone and character
/// references decoded. A key the source splits (`c753**7**9365`, `c753&#55;9365`) is whole
/// there, and the build would find it in the output; lint finds it here first, at the place
/// in the source where it starts. Keys the source shows whole are left to [`check`].
pub fn check_published_text(ctx: &super::Ctx<'_>, out: &mut Vec<Diagnostic>) {
    super::each(&ctx.content.guides, out, |guide, out| {
        let pages = std::iter::once((guide.base.file, &*guide.base.doc))
            .chain(guide.addenda.iter().map(|a| (a.file, &*a.doc)));
        for (file, doc) in pages {
            ctx.per_page("KG010 published", &[file], out, |out| {
                if may_split_a_token(&file.text) {
                    // Readers do not see a soft hyphen or a zero-width character: the key
                    // around one is whole to them.
                    let shown: String = doc
                        .text()
                        .chars()
                        .filter(|c| {
                            !matches!(
                                c,
                                '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'
                            )
                        })
                        .collect();
                    check_published(ctx.memo, &shown, file, out);
                }
            });
        }
    });
}

/// The KG010 findings of `text`, what the page `file` publishes, each where it starts in
/// `file`, unless a finding in `file` itself already starts the same way.
fn check_published(memo: &Memo, text: &str, file: &TextFile, out: &mut Vec<Diagnostic>) {
    let found = memo.scan(&memo::digest(text.as_bytes()), || key_material::scan(text));
    if found.is_empty() {
        return;
    }
    let in_source = memo.scan(&file.digest, || key_material::scan(&file.text));
    for finding in found.iter() {
        let start = opening(text, finding.offset, 16);
        if in_source
            .iter()
            .any(|f| opening(&file.text, f.offset, 16) == start)
        {
            continue;
        }
        // Where it starts in the source: its first characters, fewer if a reference or
        // markup comes early.
        let at = [16, 8, 4]
            .into_iter()
            .find_map(|n| file.text.find(opening(text, finding.offset, n)))
            .unwrap_or(0);
        out.push(Diagnostic::new(
            &diag::KEY_MATERIAL,
            &file.rel,
            diag::LineIndex::new(&file.text).line_col(&file.text, at),
            format!(
                "{} found in the text this page publishes (markup or a character reference splits it in the source); key material must never be published",
                finding.kind
            ),
            "remove it now and treat the key as compromised: rotate it, since it is in the repository history; show placeholders such as `<your-key>` instead",
        ));
    }
}

/// Whether `text` has a stretch of at least 16 characters that can make up a key (letters,
/// digits, `+/=-`) with markup that starts right after a letter or digit among them
/// (emphasis, a code span, an escape, a character reference, inline HTML, link text, an
/// invisible character such as a soft hyphen): the
/// only way its published text can hold a key its source does not show whole. Pages
/// without one (nearly all) are not looked at again.
fn may_split_a_token(text: &str) -> bool {
    let (mut keyish, mut split, mut previous) = (0, false, 0u8);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-') {
            keyish += 1;
        } else if matches!(b, b'*' | b'`' | b'~' | b'\\' | b'&' | b'<' | b'[') || b >= 0x80 {
            // Non-ASCII: a letter, or an invisible character written as itself.
            split |= previous.is_ascii_alphanumeric() || (b >= 0x80 && previous >= 0x80);
        } else if !matches!(b, b'#' | b';' | b'>' | b']' | b'(' | b')' | b'_') {
            if split && keyish >= 16 {
                return true;
            }
            (keyish, split) = (0, false);
        }
        previous = b;
    }
    split && keyish >= 16
}

/// Up to `n` bytes of `text` from `offset`, cut at a character boundary.
fn opening(text: &str, offset: usize, n: usize) -> &str {
    let rest = text.get(offset..).unwrap_or_default();
    let mut end = n.min(rest.len());
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    &rest[..end]
}

/// KG010 in `files` besides the content: release notes, which the release pages and feeds
/// publish.
pub fn check_texts<'t>(
    files: impl Iterator<Item = &'t TextFile>,
    memo: &Memo,
    out: &mut Vec<Diagnostic>,
) {
    for file in files {
        out.extend(scan_text(
            &file.rel,
            file.text.as_bytes(),
            &file.digest,
            memo,
            None,
        ));
    }
}

/// Scans every file a build made (not those of earlier builds, checked by theirs), whose
/// digests are `digests` (by path); `label` prefixes the paths in findings (the output
/// folder as the user named it).
pub fn check_output(
    tree: &OutputTree,
    digests: &BTreeMap<String, Digest>,
    memo: &Memo,
    label: &str,
) -> crate::error::Result<Vec<Diagnostic>> {
    let found: Vec<Vec<Diagnostic>> = tree.map_contents(|path, bytes, part| {
        let rel = format!("{label}/{path}");
        let name = path.rsplit('/').next().unwrap_or(path);
        if key_material::is_key_file_name(name) {
            if part.is_some_and(|p| p.start != Start::FILE) {
                // Said once, by the file's first part.
                return Vec::new();
            }
            vec![Diagnostic::new(
                &diag::KEY_MATERIAL,
                &rel,
                (1, 1),
                "the built site would publish a file named as key material",
                "remove it from the theme or content",
            )]
        } else {
            // A part of a file is remembered by its own digest.
            let digest = match part {
                None => digests.get(path).copied(),
                Some(_) => None,
            };
            let digest = digest.unwrap_or_else(|| memo::digest(bytes));
            scan_text(&rel, bytes, &digest, memo, part)
        }
    })?;
    Ok(found.into_iter().flatten().collect())
}

/// The KG010 findings in `bytes` (whose digest is `digest`: a whole file, or the bytes read
/// for `part` of one), as diagnostics about `rel`. Only text is scanned: bytes that are not
/// UTF-8 (images, PDFs) have no findings. A text scanned before is not even checked for
/// UTF-8 again.
fn scan_text(
    rel: &str,
    bytes: &[u8],
    digest: &Digest,
    memo: &Memo,
    part: Option<&Part>,
) -> Vec<Diagnostic> {
    let findings = memo.scan(digest, || {
        std::str::from_utf8(bytes)
            .map(key_material::scan)
            .unwrap_or_default()
    });
    if findings.is_empty() {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let mut places = Places::new(text, part);
    let mut out = Vec::new();
    for f in findings.iter() {
        let Some(at) = places.at(f.offset) else {
            continue;
        };
        out.push(Diagnostic::new(
            &diag::KEY_MATERIAL,
            rel,
            at,
            format!("{} found; key material must never be published", f.kind),
            "remove it now and treat the key as compromised: rotate it, since it is in the repository history; show placeholders such as `<your-key>` instead",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{Staging, Stream};

    /// An armored private key block of noise, as a leaked key would look.
    fn leaked_key() -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state = 41u64;
        let body: Vec<u8> = (0..1216)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ALPHABET[(state >> 58) as usize]
            })
            .collect();
        let lines: Vec<&str> = body
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            lines.join("\n")
        )
    }

    /// Writes `pieces` into `stream`, marking after each.
    fn stream_all(stream: &mut Stream, pieces: &[String]) {
        for piece in pieces {
            assert!(stream.write(piece.as_bytes()).is_ok());
            stream.mark();
        }
    }

    /// KG010 findings (file, line, column, message) for the file `pieces` make, checked
    /// as a streamed file a part at a time and as a whole file in memory, and how many parts
    /// the streamed file was read back in.
    fn both_ways(pieces: &[String]) -> (Vec<Diagnostic>, Vec<Diagnostic>, usize) {
        let memo = Memo::default();
        let Ok(dir) = tempfile::tempdir() else {
            panic!("no temporary folder");
        };
        let Ok(staging) = Staging::beside(&dir.path().join("public")) else {
            panic!("no staging folder");
        };
        let mut staged = OutputTree::staged(staging);
        let Ok(mut stream) = staged.maker().stream("v/search-index.js") else {
            panic!("no stream");
        };
        stream_all(&mut stream, pieces);
        let made = stream
            .finish()
            .map(|m| staged.insert_made("v/search-index.js".into(), m));
        assert!(matches!(made, Ok(Ok(()))));
        let parts = staged.map_contents(|_, _, part| part.copied());
        let parts = parts.unwrap_or_default();
        assert!(parts.iter().all(Option::is_some), "{parts:?}");
        let mut whole = OutputTree::default();
        let bytes = pieces.concat().into_bytes();
        assert!(whole.insert("v/search-index.js".into(), bytes).is_ok());
        let found = |tree: &OutputTree| {
            let digests = crate::manifest::digests(tree, BTreeMap::new());
            check_output(tree, &digests, &memo, "public").unwrap_or_default()
        };
        (found(&staged), found(&whole), parts.len())
    }

    #[test]
    fn a_streamed_file_checked_a_part_at_a_time_reports_what_the_whole_file_would() {
        // Over a mebibyte of text, so the file is read back in more than one part, with
        // multi-byte characters and lines of their own; the key is in the last part.
        let mut pieces: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    "{{\"p\":\"page {i} — é\",\"x\":\"{}\"}}\n,",
                    "word ".repeat(6000)
                )
            })
            .collect();
        pieces.push(format!("prose before {} and after\n", leaked_key()));
        let (in_parts, in_memory, parts) = both_ways(&pieces);
        assert!(parts > 1);
        assert_eq!(in_memory.len(), 1, "{in_memory:?}");
        assert_eq!(in_parts, in_memory);
        assert_eq!(in_memory[0].line, 41);
    }

    #[test]
    fn words_across_a_part_boundary_still_decide_about_a_key() {
        // One line, as a search index is: a part ends right after "key", and the next one
        // starts with a hex key, which the word before makes one; after the next boundary,
        // "sha256" makes a second hex run a digest.
        let filler = "word ".repeat(220_000);
        let pieces = [
            format!("{{\"x\":\"{filler}rotate the exposed key\"}}"),
            format!(",{{\"x\":\"3f9a1c07e2b84d56a0c3e9f17b2d4a68 was used {filler} sha256\"}}"),
            ",{\"x\":\"9be4d1a07c3f58e2a6b0d4c71e9f2a35 of the release\"}".to_owned(),
        ];
        let (in_parts, in_memory, parts) = both_ways(&pieces);
        assert_eq!(parts, 3);
        assert_eq!(in_memory.len(), 1, "{in_memory:?}");
        assert_eq!(in_parts, in_memory);
    }
}
