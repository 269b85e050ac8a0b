//! KG010's detector: finds private and secret key material in any text.
//!
//! Input: one whole file as text (Markdown, TOML, JSON, SVG, rendered HTML). Output: one
//! [`Finding`] per piece of material, its byte offset and its kind, never the material
//! itself, so that no message can echo a secret. [`super::secrets`] turns findings into
//! diagnostics and refuses assets that [`is_key_file_name`] names as keys.
//!
//! The detector is layered, and context and decoding decide, not entropy:
//!
//! 1. armored blocks (PEM, OpenSSH, PGP, SSH2, PuTTY) count only when their body holds real
//!    base64, read through every wrapper a page can put around it: fences, block quotes,
//!    comments, indentation, CRLF, JSON `\n` escapes, string concatenation;
//! 2. bare base64 or hex blobs count when their first DER bytes parse as a private key
//!    structure (PKCS#1, PKCS#8, encrypted PKCS#8, SEC1, PKCS#12) or an OpenSSH key;
//! 3. JWKs count when they carry a private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`);
//! 4. raw keys (hex of 16/24/32 bytes, base64 of 16/24/32/64 bytes) count only when their
//!    line, or the line before, names a key, and no word there makes them a digest, an id,
//!    a check value or public material;
//! 5. payment formats: clear key components, TR-31 key blocks;
//! 6. cloud credentials: AWS secret access keys, GCP service-account keys, Azure account keys.
//!
//! Public material (public keys, certificates, CSRs) is parsed too, so that its body is never
//! taken for a bare key. Every pass is linear: fixed-string searches (memchr), windows of
//! bounded size around a candidate, and no backtracking.

use memchr::memmem;

/// One piece of key material found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Byte offset in the scanned text where the material starts.
    pub offset: usize,
    /// What kind of material it is, for the message, e.g. "PEM private key block",
    /// "OpenSSH private key", "PGP private key block", "PuTTY private key", "private key in
    /// base64 DER (PKCS#8)", "JWK with private member", "raw symmetric key (hex)",
    /// "clear key component", "TR-31 key block", "AWS secret access key", ...
    pub kind: &'static str,
}

/// Scans `text` (a whole file: Markdown, TOML, SVG, any text) for key material.
/// Findings are sorted by offset, at most one per starting place; never panics.
pub fn scan(text: &str) -> Vec<Finding> {
    let b = text.as_bytes();
    let passes: [Pass; 5] = [armored_blocks, putty_keys, text_dumps, json_objects, tokens];
    // The passes are independent: on a large text (a site's search index) they run in
    // parallel, and their hits are joined in the same order as one after the other.
    let hits = if b.len() >= PARALLEL_BYTES {
        use rayon::prelude::*;
        passes
            .par_iter()
            .map(|pass| {
                let mut hits = Vec::new();
                pass(b, &mut hits);
                hits
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    } else {
        let mut hits = Vec::new();
        for pass in passes {
            pass(b, &mut hits);
        }
        hits
    };
    resolve(hits)
}

/// One detector: appends the spans it finds in a text.
type Pass = fn(&[u8], &mut Vec<Hit>);

/// Texts at least this long are scanned by several threads.
const PARALLEL_BYTES: usize = 256 * 1024;

/// File extensions that hold key material by their nature (`pem`, `key`, `p12`, `pfx`, `ppk`,
/// `jks`, `keystore`, `p8`, `der` of a private key, ...); the build refuses assets named so.
pub fn is_key_file_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    // OpenSSH writes private keys without an extension, under these fixed names.
    const SSH_NAMES: [&str; 6] = [
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "id_ecdsa_sk",
        "id_ed25519_sk",
    ];
    if SSH_NAMES.contains(&name.as_str()) || name == "secring.gpg" {
        return true;
    }
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    match ext {
        "pem" | "key" | "p12" | "pfx" | "ppk" | "jks" | "jceks" | "bks" | "keystore" | "p8"
        | "pk8" | "pkcs8" | "pkcs12" | "pvk" | "snk" | "kdb" => true,
        // A `.der` file is as often a certificate; only its name tells a private key apart.
        "der" => stem.contains("key") || stem.contains("priv"),
        _ => false,
    }
}

// Kinds, as the messages name them.
const PEM: &str = "PEM private key block";
const PEM_ENCRYPTED: &str = "encrypted PEM private key block";
const OPENSSH: &str = "OpenSSH private key";
const PGP: &str = "PGP private key block";
const SSH2: &str = "SSH2 private key block";
const PUTTY: &str = "PuTTY private key";
const TEXT_DUMP: &str = "private key text dump (openssl -text)";
const JWK: &str = "JWK with private member";
const GCP: &str = "GCP service account private key";
const RAW_HEX: &str = "raw symmetric key (hex)";
const RAW_B64: &str = "raw symmetric key (base64)";
const COMPONENT: &str = "clear key component";
const TR31: &str = "TR-31 key block";
const AWS: &str = "AWS secret access key";
const AZURE: &str = "Azure storage account key";

// ---------------------------------------------------------------------------------------------
// Spans and their resolution

/// A match before resolution. `kind: None` marks public material (a certificate, a public
/// key): never reported, kept so that nothing inside it is reported as a bare key.
struct Hit {
    start: usize,
    end: usize,
    kind: Option<&'static str>,
}

fn resolve(mut hits: Vec<Hit>) -> Vec<Finding> {
    // At one start the wider span comes first: it is the enclosing structure (a PEM block
    // holds a DER body, a JWK its members). Whatever starts inside an earlier span is part of
    // that span, not a second piece of material.
    hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = Vec::new();
    let mut covered = 0;
    for hit in hits {
        if hit.start < covered {
            continue;
        }
        covered = hit.end.max(hit.start + 1);
        if let Some(kind) = hit.kind {
            out.push(Finding {
                offset: hit.start,
                kind,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Byte classes

const ALNUM: u8 = 1;
const STD: u8 = 2; // standard base64 alphabet, without padding
const URL: u8 = 4; // URL-safe base64 alphabet
const PAD: u8 = 8;
const HEX: u8 = 16;
const TOKEN: u8 = STD | URL | PAD;

static CLASS: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut v = 0;
        if b.is_ascii_alphanumeric() {
            v |= ALNUM | STD | URL;
        }
        if b.is_ascii_hexdigit() {
            v |= HEX;
        }
        if b == b'+' || b == b'/' {
            v |= STD;
        }
        if b == b'-' || b == b'_' {
            v |= URL;
        }
        if b == b'=' {
            v |= PAD;
        }
        table[c] = v;
        c += 1;
    }
    table
}

fn is(c: u8, class: u8) -> bool {
    CLASS[usize::from(c)] & class != 0
}

fn all(s: &[u8], class: u8) -> bool {
    s.iter().all(|&c| is(c, class))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memmem::find(hay, needle).is_some()
}

/// The 6-bit value of a base64 character, either alphabet.
fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// A set of base64 characters seen, to tell a real body from `AAAA…` filler.
fn b64_mask(s: &[u8]) -> u64 {
    s.iter()
        .filter_map(|&c| b64_value(c))
        .fold(0, |m, v| m | 1 << v)
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Decodes the first bytes of base64 `s` into `out`, stopping at the first non-base64
/// character; returns how many bytes it wrote.
fn decode_b64_prefix(s: &[u8], out: &mut [u8]) -> usize {
    let (mut acc, mut bits, mut n) = (0u32, 0u32, 0);
    for v in s.iter().map_while(|&c| b64_value(c)) {
        acc = (acc << 6 | u32::from(v)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let Some(slot) = out.get_mut(n) else { break };
            *slot = (acc >> bits) as u8;
            n += 1;
        }
    }
    n
}

fn decode_hex_prefix(s: &[u8], out: &mut [u8]) -> usize {
    let mut n = 0;
    for (pair, slot) in s.chunks_exact(2).zip(out.iter_mut()) {
        let (Some(hi), Some(lo)) = (hex_value(pair[0]), hex_value(pair[1])) else {
            break;
        };
        *slot = hi << 4 | lo;
        n += 1;
    }
    n
}

/// Whether `body` (unpadded) is the canonical encoding of whole bytes: the bits left over in
/// its last character are zero, as every encoder writes them. An identifier that merely has
/// the right length passes this one time in four or sixteen.
fn canonical_b64(body: &[u8]) -> bool {
    let Some(&last) = body.last() else {
        return false;
    };
    let Some(v) = b64_value(last) else {
        return false;
    };
    match body.len() % 4 {
        1 => false,
        2 => v & 0x0f == 0,
        3 => v & 0x03 == 0,
        _ => true,
    }
}

/// Filler that documentation shows in place of a key: a repeated character or pattern,
/// counting sequences, `XXXX`, `EXAMPLE`. Spaces and padding are ignored.
fn placeholder(token: &[u8]) -> bool {
    let mut buf = [0u8; 160];
    let mut n = 0;
    for &c in token.iter().filter(|&&c| c != b' ' && c != b'=') {
        if let Some(slot) = buf.get_mut(n) {
            *slot = c.to_ascii_lowercase();
            n += 1;
        }
    }
    let t = buf.get(..n).unwrap_or_default();
    if t.is_empty()
        || contains(t, b"example")
        || contains(t, b"xxxx")
        || contains(t, b"redacted")
        || contains(t, b"placeholder")
    {
        return true;
    }
    let mut seen = [false; 256];
    t.iter().for_each(|&c| seen[usize::from(c)] = true);
    if seen.iter().filter(|&&s| s).count() < 6 {
        return true;
    }
    // `0123456789abcdef` or `deadbeef` over and over.
    let periodic = (1..=16.min(t.len() / 2)).any(|p| t.iter().zip(&t[p..]).all(|(a, b)| a == b));
    // `0123…fedc…`, `00112233…`: neighbours one step apart, far beyond chance (3 in 16).
    let smooth = all(t, HEX) && {
        let steps = t
            .windows(2)
            .filter(|w| match (hex_value(w[0]), hex_value(w[1])) {
                (Some(a), Some(b)) => a.abs_diff(b) <= 1,
                _ => false,
            })
            .count();
        steps * 3 >= (t.len() - 1) * 2
    };
    periodic || smooth
}

// ---------------------------------------------------------------------------------------------
// Lines, as every wrapper writes them

/// Cuts `b[from..limit]` into lines, breaking at real newlines and at escaped ones (`\n`,
/// `\r`, `\\n` in JSON or code strings), so that a body reads the same in every wrapper.
struct Lines<'a> {
    b: &'a [u8],
    pos: usize,
    limit: usize,
}

impl<'a> Lines<'a> {
    fn new(b: &'a [u8], from: usize, limit: usize) -> Self {
        let limit = limit.min(b.len());
        Lines {
            b,
            pos: from.min(limit),
            limit,
        }
    }
}

impl Iterator for Lines<'_> {
    /// The line's byte range, without its break.
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.pos >= self.limit {
            return None;
        }
        let start = self.pos;
        let mut i = start;
        while i < self.limit {
            match self.b.get(i) {
                Some(b'\n') => {
                    self.pos = i + 1;
                    return Some((start, i));
                }
                Some(b'\\') => {
                    let mut j = i;
                    while j < self.limit && self.b.get(j) == Some(&b'\\') {
                        j += 1;
                    }
                    if j < self.limit && matches!(self.b.get(j), Some(b'n' | b'r')) {
                        self.pos = j + 1;
                        return Some((start, i));
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
        self.pos = self.limit;
        Some((start, self.limit))
    }
}

/// Drops what wraps a line of a body: indentation, block-quote `>`, comment markers, quotes,
/// commas, concatenation `+`, table pipes, HTML-escaped quotes.
fn strip_line(mut l: &[u8]) -> &[u8] {
    const LEAD: &[u8] = b" \t\r>\"'`#*|,([;";
    const TRAIL: &[u8] = b" \t\r\"'`,;)]|\\";
    loop {
        let len = l.len();
        while let [first, rest @ ..] = l {
            if !LEAD.contains(first) {
                break;
            }
            l = rest;
        }
        for marker in [&b"&quot;"[..], b"&#34;", b"<!--"] {
            l = l.strip_prefix(marker).unwrap_or(l);
        }
        // `//` and `+` open a comment or a concatenation only before a non-base64 character;
        // a base64 line may itself start with either.
        for marker in [&b"//"[..], b"+"] {
            if let Some(rest) = l.strip_prefix(marker) {
                if rest.first().is_none_or(|&c| !is(c, STD)) {
                    l = rest;
                }
            }
        }
        if l.len() == len {
            break;
        }
    }
    loop {
        let len = l.len();
        while let [rest @ .., last] = l {
            if !TRAIL.contains(last) {
                break;
            }
            l = rest;
        }
        for marker in [&b"&quot;"[..], b"&#34;", b"-->"] {
            l = l.strip_suffix(marker).unwrap_or(l);
        }
        if let Some(rest) = l.strip_suffix(b"+") {
            if rest.last().is_none_or(|&c| !is(c, STD)) {
                l = rest;
            }
        }
        if l.len() == len {
            break;
        }
    }
    l
}

/// `Name: value` (PEM `Proc-Type`, PGP `Version`, PuTTY `Encryption`); base64 has no colon.
fn header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().take(40).position(|&c| c == b':')?;
    let (name, value) = line.split_at(colon);
    let named = name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-');
    named.then(|| (name, value.get(1..).unwrap_or_default()))
}

// ---------------------------------------------------------------------------------------------
// Layer 1: armored blocks

/// What an armored body holds.
#[derive(Default)]
struct Body {
    /// Base64 characters, padding excluded.
    chars: usize,
    /// Which base64 characters occur.
    seen: u64,
    /// Where the body ends: after the END line, or where reading stopped.
    end: usize,
    /// A legacy `Proc-Type: 4,ENCRYPTED` or `DEK-Info` header was present.
    encrypted: bool,
}

impl Body {
    /// Enough varied base64 to be a key rather than a skeleton: 64 characters is less than
    /// any private key, and real base64 of that length uses far more than 20 symbols.
    fn is_real(&self) -> bool {
        self.chars >= 64 && self.seen.count_ones() >= 20
    }
}

enum Flow {
    More,
    End,
    Stop,
}

fn armored_blocks(b: &[u8], hits: &mut Vec<Hit>) {
    let begins: Vec<usize> = memmem::find_iter(b, b"BEGIN ").collect();
    for (n, &at) in begins.iter().enumerate() {
        // A body never runs into the next BEGIN, which also keeps the reading linear.
        let limit = begins.get(n + 1).copied().unwrap_or(b.len());
        if let Some(hit) = armored_block(b, at, limit) {
            hits.push(hit);
        }
    }
}

fn armored_block(b: &[u8], at: usize, limit: usize) -> Option<Hit> {
    // `-----BEGIN X-----` (PEM, OpenSSH, PGP) or `---- BEGIN X ----` (SSH2).
    let dash_end = match b.get(..at)? {
        [.., b'-'] => at,
        [.., b'-', b' '] => at - 1,
        _ => return None,
    };
    let dashes = b
        .get(..dash_end)?
        .iter()
        .rev()
        .take(5)
        .take_while(|&&c| c == b'-')
        .count();
    if dashes < 4 {
        return None;
    }
    let start = dash_end - dashes;
    let rest = b.get(at + 6..)?;
    let label_len = rest
        .iter()
        .take(48)
        .take_while(|&&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ')
        .count();
    let label = rest.get(..label_len)?.trim_ascii_end();
    let closing = rest
        .get(label_len..)?
        .iter()
        .take(5)
        .take_while(|&&c| c == b'-')
        .count();
    if closing < 4 || label.is_empty() {
        return None;
    }
    let body = read_body(b, at + 6 + label_len + closing, limit);
    match private_label(label) {
        Some(kind) => body.is_real().then(|| Hit {
            start,
            end: body.end,
            kind: Some(if body.encrypted && kind == PEM {
                PEM_ENCRYPTED
            } else {
                kind
            }),
        }),
        None => Some(Hit {
            start,
            end: body.end,
            kind: None,
        }),
    }
}

/// The kind of a private armor label; `None` for public material (public keys, certificates,
/// requests, signatures, messages).
fn private_label(label: &[u8]) -> Option<&'static str> {
    if !contains(label, b"PRIVATE KEY") && !contains(label, b"SECRET KEY") {
        return None;
    }
    Some(if label.starts_with(b"OPENSSH") {
        OPENSSH
    } else if label.starts_with(b"PGP") {
        PGP
    } else if label.starts_with(b"SSH2") {
        SSH2
    } else if label.starts_with(b"ENCRYPTED") {
        PEM_ENCRYPTED
    } else {
        PEM
    })
}

/// Reads an armored body from `from` (the rest of the BEGIN line) until its END line, or
/// until a line that is neither base64, a header nor blank: prose after a BEGIN that only
/// names the format, or `...` / `<your key here>` in a skeleton.
fn read_body(b: &[u8], from: usize, limit: usize) -> Body {
    let mut body = Body {
        end: from,
        ..Body::default()
    };
    for (s, e) in Lines::new(b, from, limit) {
        let line = strip_line(b.get(s..e).unwrap_or_default());
        body.end = e;
        if line.is_empty() {
            continue;
        }
        if line.starts_with(b"-----END") || line.starts_with(b"---- END") {
            return body;
        }
        if let Some((name, value)) = header(line) {
            if name.eq_ignore_ascii_case(b"DEK-Info")
                || name.eq_ignore_ascii_case(b"Proc-Type") && contains(value, b"ENCRYPTED")
            {
                body.encrypted = true;
            }
            continue;
        }
        match body_words(line, &mut body) {
            Flow::More => {}
            Flow::End => return body,
            Flow::Stop => {
                body.end = s;
                return body;
            }
        }
    }
    body
}

/// One line of a body: usually one base64 word; several only where a key was flattened onto
/// one line, and then each but the last is long (prose is made of short words).
fn body_words(line: &[u8], body: &mut Body) -> Flow {
    let mut words = line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty())
        .peekable();
    while let Some(word) = words.next() {
        if word.starts_with(b"-----END") {
            return Flow::End;
        }
        if !all(word, STD | PAD) {
            return Flow::Stop;
        }
        let last = words
            .peek()
            .is_none_or(|next| next.starts_with(b"-----END"));
        if word.len() < 40 && !last {
            return Flow::Stop;
        }
        body.chars += word.iter().filter(|&&c| c != b'=').count();
        body.seen |= b64_mask(word);
    }
    Flow::More
}

// ---------------------------------------------------------------------------------------------
// PuTTY keys and openssl text dumps

fn putty_keys(b: &[u8], hits: &mut Vec<Hit>) {
    const MARK: &[u8] = b"PuTTY-User-Key-File-";
    let marks: Vec<usize> = memmem::find_iter(b, MARK).collect();
    for (n, &at) in marks.iter().enumerate() {
        if !matches!(
            b.get(at + MARK.len()..at + MARK.len() + 2),
            Some([b'1'..=b'9', b':'])
        ) {
            continue;
        }
        // The private lines follow the public ones within a few kilobytes.
        let limit = marks
            .get(n + 1)
            .copied()
            .unwrap_or(b.len())
            .min(at + 65_536);
        let mut lines = Lines::new(b, at, limit);
        while let Some((s, e)) = lines.next() {
            let line = strip_line(b.get(s..e).unwrap_or_default());
            let Some(count) = line.strip_prefix(b"Private-Lines:") else {
                continue;
            };
            let count = small_number(count.trim_ascii()).unwrap_or(0);
            let mut body = Body::default();
            for (s, e) in lines.by_ref().take(count) {
                let line = strip_line(b.get(s..e).unwrap_or_default());
                if line.is_empty() || !all(line, STD | PAD) {
                    break;
                }
                body.chars += line.len();
                body.seen |= b64_mask(line);
                body.end = e;
            }
            // The MAC after the private lines belongs to the file, not a key of its own.
            if let Some((s, e)) = lines.next() {
                if strip_line(b.get(s..e).unwrap_or_default()).starts_with(b"Private-") {
                    body.end = e;
                }
            }
            // An Ed25519 private part is a single line of 44 characters.
            if body.chars >= 20 && body.seen.count_ones() >= 12 {
                hits.push(Hit {
                    start: at,
                    end: body.end,
                    kind: Some(PUTTY),
                });
            }
            break;
        }
    }
}

fn small_number(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + usize::from(d - b'0')))
}

/// `openssl pkey -text` output: a private field label on its own line, then lines of
/// colon-separated hex pairs.
fn text_dumps(b: &[u8], hits: &mut Vec<Hit>) {
    for label in [&b"privateExponent:"[..], b"priv:", b"private-key:"] {
        for at in memmem::find_iter(b, label) {
            let before = b.get(..at).unwrap_or_default();
            let indent = before
                .iter()
                .rev()
                .take(64)
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
            if !matches!(before.get(..at - indent), Some([] | [.., b'\n'])) {
                continue;
            }
            let mut lines = Lines::new(b, at + label.len(), b.len());
            let rest_of_label_line = lines.next().and_then(|(s, e)| b.get(s..e));
            if !rest_of_label_line.is_some_and(|r| r.trim_ascii().is_empty()) {
                continue;
            }
            let (mut pairs, mut seen, mut end) = (0, [false; 256], at);
            for (s, e) in lines {
                match hex_pairs(b.get(s..e).unwrap_or_default().trim_ascii(), &mut seen) {
                    Some(n) if n > 0 => {
                        pairs += n;
                        end = e;
                    }
                    _ => break,
                }
            }
            if pairs >= 16 && seen.iter().filter(|&&s| s).count() >= 8 {
                hits.push(Hit {
                    start: at,
                    end,
                    kind: Some(TEXT_DUMP),
                });
            }
        }
    }
}

/// Counts the pairs of a line like `00:c5:9a:…:`; `None` if the line is anything else.
fn hex_pairs(mut line: &[u8], seen: &mut [bool; 256]) -> Option<usize> {
    let mut n = 0;
    while let [hi, lo, rest @ ..] = line {
        seen[usize::from(hex_value(*hi)? << 4 | hex_value(*lo)?)] = true;
        n += 1;
        line = match rest {
            [b':', rest @ ..] => rest,
            [] => rest,
            _ => return None,
        };
    }
    line.is_empty().then_some(n)
}

// ---------------------------------------------------------------------------------------------
// Layer 3 and GCP: JSON objects

/// An open JSON object and what its members showed so far.
struct Object {
    start: usize,
    kty: bool,
    private_member: bool,
    service_account: bool,
    private_key: Option<(usize, usize)>,
}

/// A `"name": value` pair; `value` only when the value is a string.
struct Member {
    name: (usize, usize),
    value: Option<(usize, usize)>,
    next: usize,
}

/// Follows object nesting by braces alone, not by string state: prose around a code block
/// has stray quotes that would throw a string tracker off for the rest of the file, while
/// JWK values (base64url) never hold a brace.
fn json_objects(b: &[u8], hits: &mut Vec<Hit>) {
    if memmem::find(b, b"kty").is_none() && memmem::find(b, b"service_account").is_none() {
        return;
    }
    let mut stack: Vec<Object> = Vec::new();
    // Braces past the depth cap, so that a `}` still closes the right object.
    let mut lost = 0usize;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'{' => {
                if stack.len() < 32 {
                    stack.push(Object {
                        start: i,
                        kty: false,
                        private_member: false,
                        service_account: false,
                        private_key: None,
                    });
                } else {
                    lost += 1;
                }
            }
            b'}' => {
                if lost > 0 {
                    lost -= 1;
                } else if let Some(object) = stack.pop() {
                    finish_object(object, i + 1, hits);
                }
            }
            b'"' | b'\'' | b'&' => {
                if let Some(m) = member(b, i) {
                    if let Some(object) = stack.last_mut() {
                        note_member(b, &m, object);
                    }
                    i = m.next;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    // A file cut off inside an object still publishes what the object holds.
    while let Some(object) = stack.pop() {
        finish_object(object, b.len(), hits);
    }
}

fn finish_object(object: Object, end: usize, hits: &mut Vec<Hit>) {
    // A public JWK is kept as public material: its `x` or `n` is no bare key either.
    if object.kty {
        hits.push(Hit {
            start: object.start,
            end,
            kind: object.private_member.then_some(JWK),
        });
    }
    if let (true, Some((start, end))) = (object.service_account, object.private_key) {
        hits.push(Hit {
            start,
            end,
            kind: Some(GCP),
        });
    }
}

fn note_member(b: &[u8], m: &Member, object: &mut Object) {
    let name = b.get(m.name.0..m.name.1).unwrap_or_default();
    let value = m.value.and_then(|(s, e)| b.get(s..e));
    match (name, value) {
        (b"kty", _) => object.kty = true,
        (b"d" | b"p" | b"q" | b"dp" | b"dq" | b"qi" | b"k", Some(v))
            if v.len() >= 16 && all(v, URL) && !placeholder(v) =>
        {
            object.private_member = true;
        }
        (b"type", Some(b"service_account")) => object.service_account = true,
        (b"private_key", Some(v)) if bare_key_value(v) => object.private_key = m.value,
        _ => {}
    }
}

/// A `private_key` value that is base64 without armor (armored values are found by their
/// BEGIN line); `\n` escapes may wrap it.
fn bare_key_value(v: &[u8]) -> bool {
    let mut rest = v;
    let (mut chars, mut seen) = (0, 0u64);
    while let [c, tail @ ..] = rest {
        match (c, tail) {
            (b'\\', [b'n' | b'r', tail @ ..]) => rest = tail,
            _ if is(*c, STD | PAD) => {
                chars += 1;
                seen |= b64_mask(std::slice::from_ref(c));
                rest = tail;
            }
            _ => return false,
        }
    }
    chars >= 64 && seen.count_ones() >= 20
}

/// Parses `"name": value` at `i`, in plain, backslash-escaped or HTML-escaped JSON.
fn member(b: &[u8], i: usize) -> Option<Member> {
    let name_start = i + open_quote(b, i)?;
    let name_len = b
        .get(name_start..)?
        .iter()
        .take(25)
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    if name_len == 0 || name_len > 24 {
        return None;
    }
    let name_end = name_start + name_len;
    let mut p = skip_spaces(b, name_end + close_quote(b, name_end)?);
    if b.get(p) != Some(&b':') {
        return None;
    }
    p = skip_spaces(b, p + 1);
    let Some(q) = open_quote(b, p) else {
        return Some(Member {
            name: (name_start, name_end),
            value: None,
            next: p,
        });
    };
    // The scan goes on at the value, not past it: a string value may hold a whole escaped
    // JSON document (`"{\"kty\": …}"`) whose braces count.
    let value_start = p + q;
    let raw_len = b
        .get(value_start..)?
        .iter()
        .take(16_384)
        .take_while(|&&c| !matches!(c, b'"' | b'\'' | b'&' | b'\n'))
        .count();
    let raw_end = value_start + raw_len;
    // In escaped JSON the closing quote is `\"`: the backslash is not part of the value.
    let value_end = value_start
        + b.get(value_start..raw_end)?
            .iter()
            .rposition(|&c| c != b'\\')
            .map_or(0, |k| k + 1);
    let value = close_quote(b, value_end).map(|_| (value_start, value_end));
    Some(Member {
        name: (name_start, name_end),
        value,
        next: p,
    })
}

fn skip_spaces(b: &[u8], mut p: usize) -> usize {
    while b.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
        p += 1;
    }
    p
}

/// The length of a quote at `p`: `"`, `'`, `\"`, `&quot;` or `&#34;`.
fn open_quote(b: &[u8], p: usize) -> Option<usize> {
    let rest = b.get(p..)?;
    let slashes = rest.iter().take(3).take_while(|&&c| c == b'\\').count();
    match rest.get(slashes..)? {
        [b'"' | b'\'', ..] => Some(slashes + 1),
        r if r.starts_with(b"&quot;") => Some(slashes + 6),
        r if r.starts_with(b"&#34;") => Some(slashes + 5),
        _ => None,
    }
}

fn close_quote(b: &[u8], p: usize) -> Option<usize> {
    open_quote(b, p)
}

// ---------------------------------------------------------------------------------------------
// Layers 2, 4, 5, 6: tokens

/// How a raw key candidate is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Hex,
    /// Hex in space-separated groups, as key components are printed.
    Grouped,
    Base64,
}

/// One pass over maximal runs of base64/hex characters; only runs of a length that a key can
/// have are looked at closer.
fn tokens(b: &[u8], hits: &mut Vec<Hit>) {
    let out = &mut Collect {
        hits,
        tables: Tables::default(),
    };
    let mut i = 0;
    while i < b.len() {
        if !b.get(i).is_some_and(|&c| is(c, TOKEN)) {
            i += 1;
            continue;
        }
        let start = i;
        while b.get(i).is_some_and(|&c| is(c, TOKEN)) {
            i += 1;
        }
        token_run(b, start, i, out);
    }
}

fn token_run(b: &[u8], mut s: usize, e: usize, out: &mut Collect<'_>) {
    // After a `\n` escape in a JSON string the run starts with the escape's letter.
    if s > 0 && b.get(s - 1) == Some(&b'\\') && matches!(b.get(s), Some(b'n' | b'r' | b't')) {
        s += 1;
    }
    let len = e.saturating_sub(s);
    if matches!(len, 2 | 4 | 8) {
        grouped_hex(b, s, e, out);
    }
    if len < 16 {
        return;
    }
    // Alphanumeric pieces: hex keys, hex DER, TR-31 blocks.
    let mut p = s;
    while p < e {
        if !b.get(p).is_some_and(|&c| is(c, ALNUM)) {
            p += 1;
            continue;
        }
        let start = p;
        while p < e && b.get(p).is_some_and(|&c| is(c, ALNUM)) {
            p += 1;
        }
        alnum_piece(b, start, p, out);
    }
    // Standard base64 tokens, with their padding.
    let mut p = s;
    while p < e {
        if !b.get(p).is_some_and(|&c| is(c, STD)) {
            p += 1;
            continue;
        }
        let start = p;
        while p < e && b.get(p).is_some_and(|&c| is(c, STD)) {
            p += 1;
        }
        let pads = b
            .get(p..e)
            .unwrap_or_default()
            .iter()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        // `key=value`: an `=` followed by more base64 is a separator, not padding.
        let pads = if b.get(p + pads).is_some_and(|&c| is(c, STD)) {
            0
        } else {
            pads
        };
        std_token(b, start, p, pads, out);
    }
    // URL-safe base64 tokens: only those using `-` or `_` are new here.
    let run = b.get(s..e).unwrap_or_default();
    if run.iter().any(|&c| c == b'-' || c == b'_') {
        let mut p = s;
        while p < e {
            if !b.get(p).is_some_and(|&c| is(c, URL)) {
                p += 1;
                continue;
            }
            let start = p;
            while p < e && b.get(p).is_some_and(|&c| is(c, URL)) {
                p += 1;
            }
            url_token(b, start, p, out);
        }
    }
}

fn alnum_piece(b: &[u8], s: usize, e: usize, out: &mut Collect<'_>) {
    let piece = b.get(s..e).unwrap_or_default();
    if piece.len() >= 48 && matches!(piece.first(), Some(b'A'..=b'D')) {
        tr31(piece, s, out);
    }
    // `0x2b7e…` is one hex number, written as C and Solidity write them.
    if let Some(digits) = piece
        .strip_prefix(b"0x")
        .or_else(|| piece.strip_prefix(b"0X"))
    {
        if matches!(digits.len(), 32 | 48 | 64) && all(digits, HEX) {
            raw_candidate(b, s + 2, e, Enc::Hex, out);
        }
        return;
    }
    if !all(piece, HEX) {
        return;
    }
    if matches!(piece.len(), 32 | 48 | 64) {
        raw_candidate(b, s, e, Enc::Hex, out);
    }
    // Hex DER: a SEQUENCE, or the OpenSSH magic `openssh-key-v1`. 96 digits hold an Ed25519
    // PKCS#8 key, the shortest private structure.
    if piece.len() >= 96 && (piece.starts_with(b"30") || piece.starts_with(b"6f70656e737368")) {
        let mut der = [0u8; 96];
        let n = decode_hex_prefix(piece, &mut der);
        if let Some(kind) = der_kind(der.get(..n).unwrap_or_default()) {
            out.hits.push(Hit {
                start: s,
                end: e,
                kind: Some(kind.name(false)),
            });
        }
    }
}

fn std_token(b: &[u8], s: usize, e: usize, pads: usize, out: &mut Collect<'_>) {
    let body = b.get(s..e).unwrap_or_default();
    if all(body, HEX) {
        return; // a hex piece, looked at as such
    }
    let truncated = matches!(
        b.get(e..),
        Some([b'.', b'.', b'.', ..] | [0xe2, 0x80, 0xa6, ..])
    );
    if truncated {
        return; // `MIIEvQIBADANBgkq...`: the opening of a key shown as an example
    }
    // Base64 DER always starts with `M` (0x30, SEQUENCE); a 60-character first line holds
    // more than the few dozen bytes the structure check reads.
    if body.len() >= 60 && (body.first() == Some(&b'M') || body.starts_with(b"b3BlbnNzaC1rZXktdjE"))
    {
        let mut der = [0u8; 96];
        let n = decode_b64_prefix(body, &mut der);
        if let Some(kind) = der_kind(der.get(..n).unwrap_or_default()) {
            // The blob may go on over more lines; they are part of this finding.
            let end = read_body(b, e, e.saturating_add(1 << 20)).end.max(e);
            out.hits.push(Hit {
                start: s,
                end,
                kind: Some(kind.name(true)),
            });
            return;
        }
    }
    match (body.len(), pads) {
        (22 | 86, 0 | 2) | (43, 0 | 1) | (32, 0) if canonical_b64(body) => {
            raw_candidate(b, s, e + pads, Enc::Base64, out);
        }
        (40, 0) => aws_candidate(b, s, e, out),
        _ => {}
    }
}

fn url_token(b: &[u8], s: usize, e: usize, out: &mut Collect<'_>) {
    let token = b.get(s..e).unwrap_or_default();
    if !matches!(token.len(), 22 | 32 | 43 | 86)
        || !token.iter().any(|&c| c == b'-' || c == b'_')
        || !canonical_b64(token)
    {
        return;
    }
    // `AES-256-GCM-SIV-Key-V2` is a name: its parts are short, where random base64url has at
    // most a separator or two and long stretches between them.
    let longest = token
        .split(|&c| c == b'-' || c == b'_')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    if longest * 3 >= token.len() {
        raw_candidate(b, s, e, Enc::Base64, out);
    }
}

/// Space-separated groups of 2, 4 or 8 hex digits (`0123 4567 …`) totalling 16, 24 or 32
/// bytes, as key components are printed on forms.
fn grouped_hex(b: &[u8], s: usize, e: usize, out: &mut Collect<'_>) {
    let g = e - s;
    let group = |at: usize| {
        b.get(at..at + g).is_some_and(|w| all(w, HEX))
            && (at == 0 || !b.get(at - 1).is_some_and(|&c| is(c, ALNUM)))
            && !b.get(at + g).is_some_and(|&c| is(c, TOKEN))
    };
    if !group(s) || (s > g && b.get(s - 1) == Some(&b' ') && group(s - 1 - g)) {
        return; // not hex, or not the first group
    }
    let (mut end, mut count) = (e, 1);
    while count < 40 && b.get(end) == Some(&b' ') && group(end + 1) {
        end += 1 + g;
        count += 1;
    }
    if count >= 4 && matches!(count * g, 32 | 48 | 64) {
        raw_candidate(b, s, end, Enc::Grouped, out);
    }
}

/// TR-31 / ANSI X9.143 key block: version, a 4-digit length equal to the block's, then the
/// header fields and a hex payload. The length check alone makes chance matches negligible.
fn tr31(t: &[u8], s: usize, out: &mut Collect<'_>) {
    let [
        version,
        l0,
        l1,
        l2,
        l3,
        u0,
        u1,
        algorithm,
        mode,
        v0,
        v1,
        export,
        o0,
        o1,
        r0,
        r1,
        payload @ ..,
    ] = t
    else {
        return;
    };
    let length = small_number(&[*l0, *l1, *l2, *l3]);
    let optional = small_number(&[*o0, *o1]);
    let upper_or_digit = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let header_ok = matches!(version, b'A'..=b'D')
        && length == Some(t.len())
        && upper_or_digit(u0)
        && u1.is_ascii_digit()
        && b"ADEHRST".contains(algorithm)
        && b"BCDEGNSTVXY".contains(mode)
        && [v0, v1, r0, r1].into_iter().all(upper_or_digit)
        && b"ENS".contains(export);
    let payload_ok = match optional {
        Some(0) => all(payload, HEX) && payload.len() % 16 == 0,
        Some(_) => payload.len() >= 32 && all(&payload[payload.len() - 32..], HEX),
        None => false,
    };
    if header_ok && payload_ok && !placeholder(payload) {
        out.hits.push(Hit {
            start: s,
            end: s + t.len(),
            kind: Some(TR31),
        });
    }
}

/// A hex or base64 token of a key's length: reported when its context names a key.
fn raw_candidate(b: &[u8], s: usize, e: usize, enc: Enc, out: &mut Collect<'_>) {
    let token = b.get(s..e).unwrap_or_default();
    if placeholder(token) || !varied(token, enc) || in_url(b, s) || in_jwt(b, s) {
        return;
    }
    if enc == Enc::Hex && checksum_line(b, s, e) {
        return;
    }
    let mut ctx = context(b, s, e);
    // In a table the column header speaks for every cell under it.
    if ctx.decision != Decision::Veto {
        if let Some(header) = out.tables.header(b, ctx.line_start, s) {
            let header = words(header);
            if vetoed(&header) {
                ctx.decision = Decision::Veto;
            } else if ctx.decision == Decision::Silent && header.iter().any(|w| w.names_key()) {
                ctx.decision = Decision::Key;
            }
        }
    }
    let azure = enc == Enc::Base64
        && token.len() >= 86
        && (b
            .get(s.saturating_sub(11)..s)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"AccountKey="))
            || ctx.account);
    if ctx.decision != Decision::Key && !azure {
        return;
    }
    let kind = if azure {
        AZURE
    } else if ctx.component {
        COMPONENT
    } else if enc == Enc::Base64 {
        RAW_B64
    } else {
        RAW_HEX
    };
    out.hits.push(Hit {
        start: s,
        end: e,
        kind: Some(kind),
    });
}

/// Random keys mix character classes; names and numbers of a key's length do not.
fn varied(token: &[u8], enc: Enc) -> bool {
    let any = |f: fn(&u8) -> bool| token.iter().any(f);
    match enc {
        Enc::Hex | Enc::Grouped => any(u8::is_ascii_digit) && any(u8::is_ascii_alphabetic),
        Enc::Base64 => {
            any(u8::is_ascii_uppercase)
                && any(u8::is_ascii_lowercase)
                && (any(u8::is_ascii_digit) || any(|c| matches!(c, b'+' | b'/' | b'-' | b'_')))
        }
    }
}

/// What is written right before `s` without a break: a URL, a JWT, a `key=` prefix.
fn attached_before(b: &[u8], s: usize) -> &[u8] {
    let before = b.get(s.saturating_sub(512)..s).unwrap_or_default();
    let from = before
        .iter()
        .rposition(|&c| c.is_ascii_whitespace() || b"\"'<>()[]`;,".contains(&c))
        .map_or(0, |k| k + 1);
    before.get(from..).unwrap_or_default()
}

/// A token inside a URL (`https://…/keys/<id>`, `data:…;base64,…`) is a path or a payload,
/// unless it is the value of a query parameter named as a key or secret
/// (`?key=<hex>`, `&client_secret=<base64>`): that is a secret sent in the URL.
fn in_url(b: &[u8], s: usize) -> bool {
    let stretch = attached_before(b, s);
    (contains(stretch, b"://") || contains(stretch, b"data:")) && !secret_parameter(stretch)
}

/// Whether `before` (what is attached before a token) ends in `?name=` or `&name=` with a
/// name that says key or secret.
fn secret_parameter(before: &[u8]) -> bool {
    let Some(name) = before.strip_suffix(b"=") else {
        return false;
    };
    let start = name
        .iter()
        .rposition(|&c| matches!(c, b'?' | b'&' | b';'))
        .map_or(0, |i| i + 1);
    let name = name.get(start..).unwrap_or_default().to_ascii_lowercase();
    start > 0 && (contains(&name, b"key") || contains(&name, b"secret"))
}

/// The signature of a JWT (`eyJ….eyJ….<43 characters>`) is a MAC, not the key behind it.
fn in_jwt(b: &[u8], s: usize) -> bool {
    s > 0 && b.get(s - 1) == Some(&b'.') && contains(attached_before(b, s), b"eyJ")
}

/// `sha256sum` output: the digest opens the line and two spaces (or ` *`) lead to a name.
fn checksum_line(b: &[u8], s: usize, e: usize) -> bool {
    let before = b.get(s.saturating_sub(64)..s).unwrap_or_default();
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |k| k + 1);
    let opens_line = before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == b' ' || c == b'\t' || c == b'>');
    let after = b.get(e..).unwrap_or_default();
    opens_line
        && (after.starts_with(b"  ") || after.starts_with(b" *"))
        && after.get(2).is_some_and(|c| !c.is_ascii_whitespace())
}

/// 40 base64 characters next to AWS words, or next to an access key id.
fn aws_candidate(b: &[u8], s: usize, e: usize, out: &mut Collect<'_>) {
    let token = b.get(s..e).unwrap_or_default();
    if all(token, HEX) || placeholder(token) || !varied(token, Enc::Base64) || in_url(b, s) {
        return;
    }
    let ctx = context(b, s, e);
    if (ctx.secret && (ctx.aws || ctx.access)) || access_key_id_near(b, s, e) {
        out.hits.push(Hit {
            start: s,
            end: e,
            kind: Some(AWS),
        });
    }
}

/// An AWS access key id (`AKIA`/`ASIA` + 16) on the secret's line or the lines around it.
/// Vendors' documented examples (`…EXAMPLE`) are not ids of anything.
fn access_key_id_near(b: &[u8], s: usize, e: usize) -> bool {
    let window = b
        .get(s.saturating_sub(300)..e.saturating_add(300).min(b.len()))
        .unwrap_or_default();
    [&b"AKIA"[..], b"ASIA"].iter().any(|prefix| {
        memmem::find_iter(window, prefix).any(|k| {
            let id = window.get(k..k + 20).unwrap_or_default();
            id.len() == 20
                && id
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !contains(id, b"EXAMPLE")
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Layer 2: DER structures

#[derive(Clone, Copy)]
enum DerKind {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1,
    Sec1,
    Pkcs12,
    OpenSsh,
}

impl DerKind {
    fn name(self, base64: bool) -> &'static str {
        match (self, base64) {
            (DerKind::Pkcs8, true) => "private key in base64 DER (PKCS#8)",
            (DerKind::Pkcs8, false) => "private key in hex DER (PKCS#8)",
            (DerKind::EncryptedPkcs8, true) => "encrypted private key in base64 DER (PKCS#8)",
            (DerKind::EncryptedPkcs8, false) => "encrypted private key in hex DER (PKCS#8)",
            (DerKind::Pkcs1, true) => "private key in base64 DER (PKCS#1)",
            (DerKind::Pkcs1, false) => "private key in hex DER (PKCS#1)",
            (DerKind::Sec1, true) => "EC private key in base64 DER (SEC1)",
            (DerKind::Sec1, false) => "EC private key in hex DER (SEC1)",
            (DerKind::Pkcs12, true) => "PKCS#12 key store in base64 DER",
            (DerKind::Pkcs12, false) => "PKCS#12 key store in hex DER",
            (DerKind::OpenSsh, _) => OPENSSH,
        }
    }
}

/// A DER element: its tag and where its content lies. The content may run past the end of
/// a buffer that holds only the start of a structure.
struct Tlv {
    tag: u8,
    start: usize,
    len: usize,
}

fn tlv(d: &[u8], at: usize) -> Option<Tlv> {
    let tag = *d.get(at)?;
    let first = *d.get(at + 1)?;
    if first < 0x80 {
        return Some(Tlv {
            tag,
            start: at + 2,
            len: usize::from(first),
        });
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 3 {
        return None;
    }
    let len = d
        .get(at + 2..at + 2 + n)?
        .iter()
        .fold(0, |len, &x| len << 8 | usize::from(x));
    // DER uses the long form only for lengths that need it.
    (len >= 0x80).then_some(Tlv {
        tag,
        start: at + 2 + n,
        len,
    })
}

// Object identifier prefixes (content bytes).
const OID_PKCS5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05];
const OID_PKCS12_PBE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
const OID_PKCS7: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

/// Recognises the opening bytes of private key structures. Public ones (SubjectPublicKeyInfo,
/// certificates, requests, PKCS#1 public keys) open differently: a SEQUENCE first, or a large
/// INTEGER first.
fn der_kind(d: &[u8]) -> Option<DerKind> {
    if d.starts_with(b"openssh-key-v1\0") {
        return Some(DerKind::OpenSsh);
    }
    let outer = tlv(d, 0)?;
    if outer.tag != 0x30 || outer.len < 0x20 {
        return None;
    }
    let first = tlv(d, outer.start)?;
    match first.tag {
        0x02 if first.len == 1 => {
            let version = *d.get(first.start)?;
            let second = tlv(d, first.start + 1)?;
            match (version, second.tag) {
                // PrivateKeyInfo / OneAsymmetricKey: version, AlgorithmIdentifier, OCTET STRING.
                (0 | 1, 0x30) => {
                    let oid = tlv(d, second.start)?;
                    let key = tlv(d, second.start + second.len)?;
                    (oid.tag == 0x06 && (3..=16).contains(&oid.len) && key.tag == 0x04)
                        .then_some(DerKind::Pkcs8)
                }
                // RSAPrivateKey (and OpenSSL's DSA): version 0, then the modulus.
                (0, 0x02) => (second.len >= 64).then_some(DerKind::Pkcs1),
                // ECPrivateKey: version 1, then the private scalar.
                (1, 0x04) => (16..=72).contains(&second.len).then_some(DerKind::Sec1),
                // PFX: version 3, then a ContentInfo of PKCS#7 data or signedData.
                (3, 0x30) => {
                    let oid = tlv(d, second.start)?;
                    let body = d.get(oid.start..oid.start + oid.len)?;
                    (oid.tag == 0x06 && body.starts_with(OID_PKCS7)).then_some(DerKind::Pkcs12)
                }
                _ => None,
            }
        }
        // EncryptedPrivateKeyInfo: an AlgorithmIdentifier of a password-based scheme. A
        // SubjectPublicKeyInfo opens the same way, with a key algorithm instead.
        0x30 => {
            let oid = tlv(d, first.start)?;
            let body = d.get(oid.start..oid.start + oid.len)?;
            (oid.tag == 0x06 && (body.starts_with(OID_PKCS5) || body.starts_with(OID_PKCS12_PBE)))
                .then_some(DerKind::EncryptedPkcs8)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Context: the words around a candidate

/// What the words around a raw key candidate say about it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// No word names a key.
    Silent,
    /// The nearest label names a key.
    Key,
    /// A digest, an id, a check value, an IV, public material.
    Veto,
}

struct Context {
    decision: Decision,
    /// Where the candidate's line starts (or the window over it, on a very long line).
    line_start: usize,
    component: bool,
    secret: bool,
    aws: bool,
    access: bool,
    account: bool,
}

/// The classes of word that matter; every other word is skipped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Key,
    Component,
    Secret,
    Hmac,
    Private,
    /// A hash name: a veto unless HMAC is named too (an HMAC-SHA256 key is a key).
    HashName,
    /// Always a veto on its line: fingerprint, digest, commit, UUID, ARN...
    Veto,
    /// Public material: a veto unless `private` is named too.
    Public,
    /// A label for something that is not a key (KCV, IV, id, salt): a veto when nearest.
    Label,
    Check,
    Aws,
    Access,
    Account,
}

impl Word {
    fn names_key(self) -> bool {
        matches!(
            self,
            Word::Key | Word::Component | Word::Secret | Word::Hmac | Word::Private
        )
    }
}

fn classify(word: &[u8]) -> Option<Word> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..word.len())?;
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    let lower: &[u8] = lower;
    Some(match lower {
        b"key" | b"keys" | b"kek" | b"keks" | b"dek" | b"deks" | b"zmk" | b"zpk" | b"zek"
        | b"zak" | b"bdk" | b"ipek" | b"tmk" | b"tpk" | b"tak" | b"kbpk" | b"psk" | b"aes"
        | b"aes128" | b"aes192" | b"aes256" | b"des" | b"tdes" | b"3des" | b"tripledes"
        | b"desede" => Word::Key,
        b"component" | b"components" => Word::Component,
        b"secret" | b"secrets" => Word::Secret,
        b"hmac" => Word::Hmac,
        b"private" | b"priv" => Word::Private,
        b"sha" | b"sha1" | b"sha2" | b"sha224" | b"sha256" | b"sha384" | b"sha512" | b"sha3"
        | b"md5" | b"hash" | b"hashes" | b"hashed" | b"sha1sum" | b"sha256sum" | b"sha512sum"
        | b"shasum" | b"md5sum" | b"blake2" | b"blake3" => Word::HashName,
        b"fingerprint" | b"fingerprints" | b"thumbprint" | b"digest" | b"digests" | b"checksum"
        | b"checksums" | b"integrity" | b"sri" | b"commit" | b"commits" | b"uuid" | b"guid"
        | b"arn" | b"etag" => Word::Veto,
        b"public" | b"pub" | b"pubkey" | b"certificate" | b"certificates" | b"cert" | b"certs" => {
            Word::Public
        }
        b"kcv" | b"kid" | b"keyid" | b"id" | b"ids" | b"identifier" | b"iv" | b"nonce"
        | b"salt" | b"serial" => Word::Label,
        b"check" => Word::Check,
        b"aws" => Word::Aws,
        b"access" => Word::Access,
        b"account" => Word::Account,
        // `encryptionkey`, `masterkey`, `apikey`; not `monkey` or `keyguide`.
        w if w.len() > 4
            && (w.ends_with(b"key") || w.ends_with(b"keys"))
            && w.iter().all(u8::is_ascii_alphabetic)
            && !matches!(
                w,
                b"monkey" | b"turkey" | b"hockey" | b"whiskey" | b"donkey" | b"jockey" | b"lackey"
            ) =>
        {
            Word::Key
        }
        _ => return None,
    })
}

/// The classified words of `s`, in order. Words split at non-alphanumerics and at camelCase
/// humps (`encryptionKey`, `HMACKey`); long runs are data, not words.
fn words(s: &[u8]) -> Vec<Word> {
    let mut out = Vec::new();
    for word in s
        .split(|c| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 32)
    {
        let humps = word.iter().all(u8::is_ascii_alphabetic)
            && word.iter().filter(|c| c.is_ascii_uppercase()).count() <= 6;
        let mut start = 0;
        for k in 1..=word.len() {
            let boundary = k == word.len()
                || humps
                    && word.get(k).is_some_and(u8::is_ascii_uppercase)
                    && (word.get(k - 1).is_some_and(u8::is_ascii_lowercase)
                        || word.get(k + 1).is_some_and(u8::is_ascii_lowercase)
                            && word.get(k - 1).is_some_and(u8::is_ascii_uppercase));
            if boundary {
                let part = word.get(start..k).unwrap_or_default();
                start = k;
                match classify(part) {
                    // "check value" is the KCV's long name.
                    Some(Word::Check) => out.push(Word::Check),
                    Some(w) => out.push(w),
                    None if part.eq_ignore_ascii_case(b"value")
                        && out.last() == Some(&Word::Check) =>
                    {
                        out.pop();
                        out.push(Word::Label);
                    }
                    None => {}
                }
            }
        }
    }
    out
}

/// Reads the candidate's line (160 bytes before it, 80 after) and the end of the line
/// before. Windows are bounded so that many candidates on one long line stay linear.
fn context(b: &[u8], s: usize, e: usize) -> Context {
    const BACK: usize = 160;
    const AHEAD: usize = 80;
    let (line_start, prev_end) = line_bounds(b, s);
    let line_end = e + b
        .get(e..e.saturating_add(AHEAD).min(b.len()))
        .unwrap_or_default()
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(AHEAD);
    let before = words(
        b.get(line_start.max(s.saturating_sub(BACK))..s)
            .unwrap_or_default(),
    );
    let after = words(b.get(e..line_end.min(b.len())).unwrap_or_default());
    let prev = words(previous_line(b, prev_end, BACK));
    let current: Vec<Word> = before.iter().chain(&after).copied().collect();
    let has = |ws: &[Word], w: Word| ws.contains(&w);
    // The nearest label decides: `Key: … KCV: …` holds a key and a check value.
    let decision = if vetoed(&current) {
        Decision::Veto
    } else if let Some(d) = nearest(before.iter().rev()).or_else(|| nearest(after.iter())) {
        d
    } else if vetoed(&prev) {
        Decision::Veto
    } else {
        nearest(prev.iter().rev()).unwrap_or(Decision::Silent)
    };
    let either = |w: Word| has(&current, w) || has(&prev, w);
    Context {
        decision,
        line_start,
        component: either(Word::Component),
        secret: either(Word::Secret),
        aws: either(Word::Aws),
        access: either(Word::Access),
        account: either(Word::Account) && either(Word::Key),
    }
}

/// Where the tokens pass puts its hits, with what it has learnt of tables so far.
struct Collect<'h> {
    hits: &'h mut Vec<Hit>,
    tables: Tables,
}

/// Table headers, learnt walking forward through the text: a column header (`SHA-256`,
/// `Key`) speaks for every cell under it, however long the table. Markdown tables
/// (`| a | b |` over `|---|---|`) and their HTML rendering (`<thead>`) give the same header,
/// so that lint and the check of the built site agree. Candidates come in text order, so
/// each line is looked at once.
#[derive(Default)]
struct Tables {
    /// Text before this offset has been looked at.
    cursor: usize,
    /// Where the line that holds the cursor starts.
    line_start: usize,
    /// The last whole line looked at: the header, if the next one is a delimiter row.
    last_line: (usize, usize),
    /// The header of the Markdown table the cursor is in.
    markdown: Option<(usize, usize)>,
    /// The header of the HTML table the cursor is in.
    html: Option<(usize, usize)>,
}

impl Tables {
    /// The header of the table whose row, starting at `line_start`, holds the candidate at `s`.
    fn header<'b>(&mut self, b: &'b [u8], line_start: usize, s: usize) -> Option<&'b [u8]> {
        self.advance(b, line_start);
        let row = b.get(line_start..s)?;
        if contains(row, b"<td") {
            // A table written on one line: its header is on the row's line.
            let near = b.get(line_start.max(s.saturating_sub(4096))..s)?;
            if let Some(k) = memmem::rfind(near, b"<thead") {
                let head = near.get(k..)?;
                return head.get(..memmem::find(head, b"</thead>")?);
            }
            return self.html.and_then(|(hs, he)| b.get(hs..he));
        }
        if row.contains(&b'|') {
            return self.markdown.and_then(|(hs, he)| b.get(hs..he));
        }
        None
    }

    /// Reads the text between the cursor and `to`, each byte once.
    fn advance(&mut self, b: &[u8], to: usize) {
        let from = self.cursor;
        let Some(region) = b.get(from..to) else {
            return;
        };
        // HTML: the last table opened or closed before `to` decides.
        match (
            memmem::rfind(region, b"<thead"),
            memmem::rfind(region, b"</table>"),
        ) {
            (Some(open), close) if close.is_none_or(|c| c < open) => {
                let head = b.get(from + open..to).unwrap_or_default();
                self.html = memmem::find(head, b"</thead>").map(|k| (from + open, from + open + k));
            }
            (_, Some(_)) => self.html = None,
            _ => {}
        }
        // Markdown: each line that ends before `to`, from where the last one ended.
        for nl in memchr::memchr_iter(b'\n', region) {
            let line = (self.line_start, from + nl);
            let text = b.get(line.0..line.1).unwrap_or_default();
            let above = b
                .get(self.last_line.0..self.last_line.1)
                .unwrap_or_default();
            if delimiter_row(text) && above.contains(&b'|') {
                self.markdown = Some(self.last_line);
            } else if !text.contains(&b'|') {
                self.markdown = None;
            }
            self.last_line = line;
            self.line_start = line.1 + 1;
        }
        self.cursor = to;
    }
}

/// `|---|:--:|`, the row under a Markdown table's header.
fn delimiter_row(line: &[u8]) -> bool {
    line.contains(&b'-')
        && line.contains(&b'|')
        && line
            .iter()
            .all(|c| matches!(c, b'|' | b'-' | b':' | b' ' | b'\t' | b'\r' | b'>'))
}

/// Whether words on one line make a candidate something other than a key: a digest (unless
/// HMAC is named: an HMAC-SHA256 key is a key), an id, public material (unless `private`
/// is named too).
fn vetoed(ws: &[Word]) -> bool {
    ws.iter().any(|&w| {
        w == Word::Veto
            || w == Word::HashName && !ws.contains(&Word::Hmac)
            || w == Word::Public && !ws.contains(&Word::Private)
    })
}

/// The first word, in reading order from the candidate, that names a key or labels
/// something else.
fn nearest<'a>(mut ws: impl Iterator<Item = &'a Word>) -> Option<Decision> {
    ws.find(|w| w.names_key() || **w == Word::Label).map(|&w| {
        if w == Word::Label {
            Decision::Veto
        } else {
            Decision::Key
        }
    })
}

/// The last `back` bytes of the line ending at `end`, passing over up to two blank lines
/// (Markdown puts one between a label and an indented block).
fn previous_line(b: &[u8], mut end: Option<usize>, back: usize) -> &[u8] {
    for _ in 0..3 {
        let Some(pe) = end else { break };
        let (ps, before) = line_bounds(b, pe);
        let line = b
            .get(ps.max(pe.saturating_sub(back))..pe)
            .unwrap_or_default();
        if line.iter().any(|c| !c.is_ascii_whitespace() && *c != b'>') {
            return line;
        }
        end = before;
    }
    &[]
}

/// The start of the line holding `at`, and the end of the line before if it is near: lines
/// are looked for within 400 bytes only.
fn line_bounds(b: &[u8], at: usize) -> (usize, Option<usize>) {
    let from = at.saturating_sub(400);
    match b
        .get(from..at)
        .and_then(|w| w.iter().rposition(|&c| c == b'\n'))
    {
        Some(k) => {
            let newline = from + k;
            let prev_end = if newline > 0 && b.get(newline - 1) == Some(&b'\r') {
                newline - 1
            } else {
                newline
            };
            (newline + 1, Some(prev_end))
        }
        None => (from, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- Test material, built at run time so that no key-like blob sits in the source.

    /// A deterministic byte stream (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
        }

        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| (self.next() >> 32) as u8).collect()
        }
    }

    fn random(seed: u64, n: usize) -> Vec<u8> {
        Rng::new(seed).bytes(n)
    }

    fn b64_with(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &c)| n | u32::from(c) << (16 - 8 * i));
            for k in 0..=chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * k) & 63) as usize]));
            }
            if pad {
                out.push_str(&"=="[..3 - chunk.len()]);
            }
        }
        out
    }

    const STD_ALPHABET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL_ALPHABET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn b64(data: &[u8]) -> String {
        b64_with(data, STD_ALPHABET, true)
    }

    fn b64url(data: &[u8]) -> String {
        b64_with(data, URL_ALPHABET, false)
    }

    fn hex(data: &[u8]) -> String {
        data.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Cuts `s` into lines of `width`, each ended by `eol`.
    fn wrap(s: &str, width: usize, eol: &str) -> String {
        s.as_bytes()
            .chunks(width)
            .map(|c| format!("{}{eol}", String::from_utf8_lossy(c)))
            .collect()
    }

    fn der(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
        let content: Vec<u8> = parts.concat();
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend(content);
        out
    }

    fn int(v: &[u8]) -> Vec<u8> {
        der(0x02, &[v])
    }

    /// A positive INTEGER of `n` random bytes.
    fn big(seed: u64, n: usize) -> Vec<u8> {
        int(&[&[0u8][..], &random(seed, n)].concat())
    }

    const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
    const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
    const OID_PKCS7_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];

    fn pkcs1(seed: u64) -> Vec<u8> {
        let fields: Vec<Vec<u8>> = vec![
            int(&[0]),
            big(seed, 256),
            int(&[1, 0, 1]),
            big(seed + 1, 256),
            big(seed + 2, 128),
            big(seed + 3, 128),
            big(seed + 4, 128),
            big(seed + 5, 128),
            big(seed + 6, 128),
        ];
        der(0x30, &fields.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    fn rsa_algorithm() -> Vec<u8> {
        der(0x30, &[&der(0x06, &[OID_RSA]), &der(0x05, &[])])
    }

    fn pkcs8(seed: u64) -> Vec<u8> {
        der(
            0x30,
            &[&int(&[0]), &rsa_algorithm(), &der(0x04, &[&pkcs1(seed)])],
        )
    }

    fn ed25519_pkcs8(seed: u64) -> Vec<u8> {
        let algorithm = der(0x30, &[&der(0x06, &[OID_ED25519])]);
        let key = der(0x04, &[&der(0x04, &[&random(seed, 32)])]);
        der(0x30, &[&int(&[0]), &algorithm, &key])
    }

    fn sec1(seed: u64) -> Vec<u8> {
        let public = der(0x03, &[&[0, 4], &random(seed + 1, 64)]);
        der(
            0x30,
            &[
                &int(&[1]),
                &der(0x04, &[&random(seed, 32)]),
                &der(0xa0, &[&der(0x06, &[OID_P256])]),
                &der(0xa1, &[&public]),
            ],
        )
    }

    fn encrypted_pkcs8(seed: u64) -> Vec<u8> {
        let kdf = der(
            0x30,
            &[
                &der(0x06, &[OID_PBKDF2]),
                &der(
                    0x30,
                    &[&der(0x04, &[&random(seed, 8)]), &int(&[0x08, 0x00])],
                ),
            ],
        );
        let cipher = der(
            0x30,
            &[
                &der(0x06, &[OID_AES256_CBC]),
                &der(0x04, &[&random(seed + 1, 16)]),
            ],
        );
        let algorithm = der(
            0x30,
            &[&der(0x06, &[OID_PBES2]), &der(0x30, &[&kdf, &cipher])],
        );
        der(0x30, &[&algorithm, &der(0x04, &[&random(seed + 2, 1232)])])
    }

    fn pkcs12(seed: u64) -> Vec<u8> {
        let content = der(0xa0, &[&der(0x04, &[&random(seed, 900)])]);
        let auth_safe = der(0x30, &[&der(0x06, &[OID_PKCS7_DATA]), &content]);
        let mac = der(0x30, &[&der(0x04, &[&random(seed + 1, 32)]), &int(&[8, 0])]);
        der(0x30, &[&int(&[3]), &auth_safe, &mac])
    }

    fn spki(seed: u64) -> Vec<u8> {
        let key = der(0x30, &[&big(seed, 256), &int(&[1, 0, 1])]);
        der(0x30, &[&rsa_algorithm(), &der(0x03, &[&[0], &key])])
    }

    fn name() -> Vec<u8> {
        let cn = der(
            0x30,
            &[&der(0x06, &[OID_CN]), &der(0x0c, &[b"keyguide test"])],
        );
        der(0x30, &[&der(0x31, &[&cn])])
    }

    fn certificate(seed: u64) -> Vec<u8> {
        let signature = der(0x30, &[&der(0x06, &[OID_RSA_SHA256]), &der(0x05, &[])]);
        let validity = der(
            0x30,
            &[
                &der(0x17, &[b"250101000000Z"]),
                &der(0x17, &[b"270101000000Z"]),
            ],
        );
        let tbs = der(
            0x30,
            &[
                &der(0xa0, &[&int(&[2])]),
                &big(seed, 16),
                &signature,
                &name(),
                &validity,
                &name(),
                &spki(seed + 1),
            ],
        );
        der(
            0x30,
            &[
                &tbs,
                &signature,
                &der(0x03, &[&[0], &random(seed + 2, 256)]),
            ],
        )
    }

    fn csr(seed: u64) -> Vec<u8> {
        let signature = der(0x30, &[&der(0x06, &[OID_RSA_SHA256]), &der(0x05, &[])]);
        let info = der(0x30, &[&int(&[0]), &name(), &spki(seed), &der(0xa0, &[])]);
        der(
            0x30,
            &[
                &info,
                &signature,
                &der(0x03, &[&[0], &random(seed + 1, 256)]),
            ],
        )
    }

    fn pem(label: &str, der: &[u8]) -> String {
        format!(
            "-----BEGIN {label}-----\n{}-----END {label}-----\n",
            wrap(&b64(der), 64, "\n")
        )
    }

    fn pkcs8_pem() -> String {
        pem("PRIVATE KEY", &pkcs8(1))
    }

    /// A hex key of `n` random bytes.
    fn hex_key(seed: u64, n: usize) -> String {
        hex(&random(seed, n))
    }

    // ---- Assertions

    /// The text holds exactly one finding, of `kind`; returns its offset.
    #[track_caller]
    fn one(text: &str, kind: &str) -> usize {
        let found = scan(text);
        assert_eq!(
            found.len(),
            1,
            "expected one {kind}, got {found:?} in:\n{text}"
        );
        assert_eq!(found[0].kind, kind, "in:\n{text}");
        found[0].offset
    }

    #[track_caller]
    fn clean(text: &str) {
        let found = scan(text);
        assert!(
            found.is_empty(),
            "expected nothing, got {found:?} in:\n{text}"
        );
    }

    /// The text holds exactly one finding of `kind`, at the first occurrence of `at`.
    #[track_caller]
    fn one_at(text: &str, kind: &str, at: &str) {
        let offset = one(text, kind);
        assert_eq!(Some(offset), text.find(at), "offset in:\n{text}");
    }

    // ---- Layer 1: armored blocks

    #[test]
    fn finds_pkcs8_pem_block() {
        one_at(&pkcs8_pem(), PEM, "-----BEGIN");
    }

    #[test]
    fn finds_rsa_ec_and_dsa_pem_blocks() {
        one_at(&pem("RSA PRIVATE KEY", &pkcs1(2)), PEM, "-----BEGIN");
        one_at(&pem("EC PRIVATE KEY", &sec1(3)), PEM, "-----BEGIN");
        one_at(&pem("DSA PRIVATE KEY", &pkcs1(4)), PEM, "-----BEGIN");
    }

    #[test]
    fn finds_ec_key_after_ec_parameters_block() {
        let text = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            pem("EC PRIVATE KEY", &sec1(5))
        );
        one_at(&text, PEM, "-----BEGIN EC PRIVATE KEY");
    }

    #[test]
    fn finds_encrypted_pkcs8_pem_block() {
        one_at(
            &pem("ENCRYPTED PRIVATE KEY", &encrypted_pkcs8(6)),
            PEM_ENCRYPTED,
            "-----BEGIN",
        );
    }

    #[test]
    fn finds_encrypted_legacy_pem() {
        let body = wrap(&b64(&random(7, 1192)), 64, "\n");
        let text = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
             DEK-Info: AES-128-CBC,{}\n\n{body}-----END RSA PRIVATE KEY-----\n",
            hex_key(8, 16).to_uppercase()
        );
        one_at(&text, PEM_ENCRYPTED, "-----BEGIN");
    }

    #[test]
    fn finds_openssh_private_key() {
        let body = [&b"openssh-key-v1\0"[..], &random(9, 380)].concat();
        let text = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}-----END OPENSSH PRIVATE KEY-----\n",
            wrap(&b64(&body), 70, "\n")
        );
        one_at(&text, OPENSSH, "-----BEGIN");
    }

    #[test]
    fn finds_pgp_private_key_block() {
        let text = format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: test\n\n\
             {}={}\n-----END PGP PRIVATE KEY BLOCK-----\n",
            wrap(&b64(&random(10, 900)), 64, "\n"),
            &b64(&random(11, 3))
        );
        one_at(&text, PGP, "-----BEGIN");
    }

    #[test]
    fn finds_ssh2_private_key_block() {
        let text = format!(
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key\"\n{}---- END SSH2 ENCRYPTED PRIVATE KEY ----\n",
            wrap(&b64(&random(12, 600)), 70, "\n")
        );
        one_at(&text, SSH2, "---- BEGIN");
    }

    fn putty(version: u8, encryption: &str) -> String {
        format!(
            "PuTTY-User-Key-File-{version}: ssh-ed25519\nEncryption: {encryption}\n\
             Comment: eddsa-key-20250101\nPublic-Lines: 2\n{}\n{}\nPrivate-Lines: 1\n{}\n\
             Private-MAC: {}\n",
            b64(&random(13, 48)),
            b64(&random(14, 3)),
            b64(&random(15, 33)),
            hex_key(16, 32)
        )
    }

    #[test]
    fn finds_putty_v2_and_v3_keys() {
        one_at(&putty(2, "aes256-cbc"), PUTTY, "PuTTY-User");
        one_at(&putty(3, "none"), PUTTY, "PuTTY-User");
    }

    #[test]
    fn ignores_putty_header_named_in_prose() {
        clean("A `.ppk` file starts with `PuTTY-User-Key-File-3: ssh-ed25519` and a comment.\n");
    }

    #[test]
    fn finds_pem_in_fenced_code_block() {
        let text = format!("Intro.\n\n```text\n{}```\n\nMore prose.\n", pkcs8_pem());
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_block_quote() {
        let quoted: String = pkcs8_pem().lines().map(|l| format!("> {l}\n")).collect();
        one_at(&format!("Someone wrote:\n\n{quoted}"), PEM, "-----BEGIN");
        let nested: String = pkcs8_pem().lines().map(|l| format!("> >{l}\n")).collect();
        one_at(&nested, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_html_comment() {
        let text = format!("Text.\n<!--\n{}-->\n", pkcs8_pem());
        one_at(&text, PEM, "-----BEGIN");
        let inline = format!("<!-- {}-->", pkcs8_pem());
        one_at(&inline, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_indented_pem() {
        let text: String = pkcs8_pem().lines().map(|l| format!("    {l}\n")).collect();
        one_at(&format!("1. Step:\n\n{text}"), PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_with_crlf_line_endings() {
        let text = format!("Intro\r\n\r\n{}", pkcs8_pem().replace('\n', "\r\n"));
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_json_string_with_escaped_newlines() {
        let text = format!(
            "{{\"name\": \"gateway\", \"key\": \"{}\"}}\n",
            pkcs8_pem().replace('\n', "\\n")
        );
        one_at(&text, PEM, "-----BEGIN");
        let crlf = pkcs8_pem().replace('\n', "\\r\\n");
        one_at(&format!("\"{crlf}\""), PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_toml_multiline_string() {
        let text = format!("[signing]\nkey = \"\"\"\n{}\"\"\"\n", pkcs8_pem());
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_concatenated_code_strings() {
        let lines: String = pkcs8_pem()
            .lines()
            .map(|l| format!("    \"{l}\\n\" +\n"))
            .collect();
        one_at(
            &format!("const key =\n{lines}    \"\";\n"),
            PEM,
            "-----BEGIN",
        );
    }

    #[test]
    fn finds_pem_flattened_onto_one_line() {
        let text = format!("KEY={}\n", pkcs8_pem().trim_end().replace('\n', " "));
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_pem_in_rendered_html() {
        let text = format!(
            "<pre><code class=\"language-text\">{}</code></pre>\n",
            pkcs8_pem()
        );
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn reports_offset_of_begin_marker_and_one_finding_per_block() {
        let text = format!(
            "# Title\n\nFirst:\n\n{}\nSecond:\n\n{}",
            pkcs8_pem(),
            pem("EC PRIVATE KEY", &sec1(17))
        );
        let found = scan(&text);
        let starts: Vec<usize> = text.match_indices("-----BEGIN").map(|(i, _)| i).collect();
        assert_eq!(found.iter().map(|f| f.offset).collect::<Vec<_>>(), starts);
    }

    #[test]
    fn ignores_prose_mentioning_begin_private_key() {
        clean("The file starts with `-----BEGIN PRIVATE KEY-----` and ends with the END line.\n");
        clean(
            "A PKCS#8 file starts with -----BEGIN PRIVATE KEY----- followed by base64 text;\n\
             an encrypted one says -----BEGIN ENCRYPTED PRIVATE KEY----- instead.\n",
        );
        clean("| Format | Header |\n|---|---|\n| PKCS#1 | `-----BEGIN RSA PRIVATE KEY-----` |\n");
    }

    #[test]
    fn ignores_empty_and_placeholder_skeletons() {
        clean("```\n-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n```\n");
        clean("```\n-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n```\n");
        clean(
            "```\n-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----\n```\n",
        );
        clean("-----BEGIN RSA PRIVATE KEY-----\n<placeholder>\n-----END RSA PRIVATE KEY-----\n");
        clean("\"-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n\"");
        clean("-----BEGIN PRIVATE KEY-----\nYOUR_PRIVATE_KEY_HERE\n-----END PRIVATE KEY-----\n");
    }

    #[test]
    fn ignores_truncated_example_body() {
        let line = &b64(&pkcs8(18))[..60];
        clean(&format!(
            "-----BEGIN PRIVATE KEY-----\n{line}...\n-----END PRIVATE KEY-----\n"
        ));
    }

    #[test]
    fn ignores_pem_body_of_repeated_characters() {
        let filler = "A".repeat(64);
        clean(&format!(
            "-----BEGIN PRIVATE KEY-----\n{filler}\n{filler}\n-----END PRIVATE KEY-----\n"
        ));
    }

    #[test]
    fn ignores_public_key_blocks() {
        clean(&pem("PUBLIC KEY", &spki(19)));
        clean(&pem(
            "RSA PUBLIC KEY",
            &der(0x30, &[&big(20, 256), &int(&[1, 0, 1])]),
        ));
        clean(&format!(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{}-----END PGP PUBLIC KEY BLOCK-----\n",
            wrap(&b64(&random(21, 1200)), 64, "\n")
        ));
    }

    #[test]
    fn ignores_certificate_block() {
        clean(&pem("CERTIFICATE", &certificate(22)));
        let chain = format!(
            "{}{}",
            pem("CERTIFICATE", &certificate(23)),
            pem("CERTIFICATE", &certificate(24))
        );
        clean(&chain);
    }

    #[test]
    fn ignores_csr_blocks() {
        clean(&pem("CERTIFICATE REQUEST", &csr(25)));
        clean(&pem("NEW CERTIFICATE REQUEST", &csr(26)));
    }

    #[test]
    fn ignores_openssh_public_key_line() {
        let key = b64(&[
            &[0, 0, 0, 11][..],
            b"ssh-ed25519",
            &[0, 0, 0, 32],
            &random(27, 32),
        ]
        .concat());
        clean(&format!("ssh-ed25519 {key} ops@example.com\n"));
        clean(&format!("Authorized key: `ssh-ed25519 {key}`\n"));
    }

    // ---- Layer 2: bare DER

    #[test]
    fn finds_bare_base64_pkcs8_wrapped_and_on_one_line() {
        let wrapped = format!("```\n{}```\n", wrap(&b64(&pkcs8(28)), 64, "\n"));
        one_at(&wrapped, "private key in base64 DER (PKCS#8)", "MII");
        let line = format!("private: {}\n", b64(&pkcs8(29)));
        one_at(&line, "private key in base64 DER (PKCS#8)", "MII");
    }

    #[test]
    fn finds_bare_base64_pkcs1_sec1_and_ed25519() {
        one(
            &wrap(&b64(&pkcs1(30)), 64, "\n"),
            "private key in base64 DER (PKCS#1)",
        );
        one(
            &wrap(&b64(&sec1(31)), 64, "\n"),
            "EC private key in base64 DER (SEC1)",
        );
        let ed = b64(&ed25519_pkcs8(32));
        assert_eq!(ed.len(), 64);
        one(
            &format!("value: {ed}\n"),
            "private key in base64 DER (PKCS#8)",
        );
    }

    #[test]
    fn finds_bare_encrypted_pkcs8_and_pkcs12() {
        one(
            &wrap(&b64(&encrypted_pkcs8(33)), 64, "\n"),
            "encrypted private key in base64 DER (PKCS#8)",
        );
        one(
            &wrap(&b64(&pkcs12(34)), 76, "\n"),
            "PKCS#12 key store in base64 DER",
        );
    }

    #[test]
    fn finds_hex_der_private_key() {
        let text = format!("der = \"{}\"\n", hex(&pkcs8(35)));
        one_at(&text, "private key in hex DER (PKCS#8)", "3082");
        one(&hex(&ed25519_pkcs8(36)), "private key in hex DER (PKCS#8)");
    }

    #[test]
    fn finds_base64_der_in_json_string_with_escaped_newlines() {
        let text = format!("{{\"blob\": \"{}\"}}", wrap(&b64(&pkcs8(37)), 64, "\\n"));
        one_at(&text, "private key in base64 DER (PKCS#8)", "MII");
    }

    #[test]
    fn finds_bare_openssh_key_body() {
        let body = [&b"openssh-key-v1\0"[..], &random(38, 380)].concat();
        one(&wrap(&b64(&body), 70, "\n"), OPENSSH);
    }

    #[test]
    fn ignores_bare_public_key_certificate_and_csr_der() {
        clean(&wrap(&b64(&spki(39)), 64, "\n"));
        clean(&b64(&spki(40)));
        clean(&wrap(&b64(&certificate(41)), 64, "\n"));
        clean(&b64(&csr(42)));
        clean(&hex(&spki(43)));
        clean(&hex(&certificate(44)));
    }

    #[test]
    fn ignores_base64_image_data_uri() {
        let png = b64(&[&b"\x89PNG\r\n\x1a\n"[..], &random(45, 3000)].concat());
        clean(&format!("![key ceremony](data:image/png;base64,{png})\n"));
        clean(&format!(
            "<svg><image href=\"data:image/png;base64,{png}\"/></svg>\n"
        ));
        let m = format!("M{}", &b64(&random(46, 600))[1..]);
        clean(&format!(
            "<img alt=\"key\" src=\"data:image/jpeg;base64,{m}\">"
        ));
    }

    // ---- Layer 3: JWK

    #[test]
    fn finds_rsa_jwk_with_private_members() {
        let jwk = format!(
            "{{\"kty\": \"RSA\", \"n\": \"{}\", \"e\": \"AQAB\", \"d\": \"{}\", \"p\": \"{}\"}}",
            b64url(&random(47, 256)),
            b64url(&random(48, 256)),
            b64url(&random(49, 128))
        );
        one_at(&format!("```json\n{jwk}\n```\n"), JWK, "{");
    }

    #[test]
    fn finds_ec_and_okp_jwks_with_d() {
        let ec = format!(
            "{{\n  \"kty\": \"EC\",\n  \"crv\": \"P-256\",\n  \"x\": \"{}\",\n  \"y\": \"{}\",\n  \"d\": \"{}\"\n}}\n",
            b64url(&random(50, 32)),
            b64url(&random(51, 32)),
            b64url(&random(52, 32))
        );
        one_at(&ec, JWK, "{");
        let okp = format!(
            "{{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"{}\",\"d\":\"{}\"}}",
            b64url(&random(53, 32)),
            b64url(&random(54, 32))
        );
        one_at(&okp, JWK, "{");
    }

    #[test]
    fn finds_oct_jwk_with_k() {
        let jwk = format!(
            "{{\"kty\":\"oct\",\"alg\":\"A256GCM\",\"k\":\"{}\"}}",
            b64url(&random(55, 32))
        );
        one_at(&jwk, JWK, "{");
    }

    #[test]
    fn finds_private_jwk_inside_a_key_set() {
        let public = format!(
            "{{\"kty\":\"EC\",\"kid\":\"signing-key-1\",\"crv\":\"P-256\",\"x\":\"{}\",\"y\":\"{}\"}}",
            b64url(&random(56, 32)),
            b64url(&random(57, 32))
        );
        let private = format!(
            "{{\"kty\":\"oct\",\"kid\":\"mac-key\",\"k\":\"{}\"}}",
            b64url(&random(58, 32))
        );
        let text = format!("{{\"keys\": [{public}, {private}]}}");
        one_at(&text, JWK, "{\"kty\":\"oct\"");
    }

    #[test]
    fn finds_escaped_jwk_inside_a_json_string() {
        let jwk = format!(
            "{{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"{}\\\"}}",
            b64url(&random(59, 16))
        );
        one_at(&format!("{{\"config\": \"{jwk}\"}}"), JWK, "{\\\"kty");
    }

    #[test]
    fn finds_jwk_in_rendered_html() {
        let jwk = format!(
            "{{&quot;kty&quot;:&quot;oct&quot;,&quot;k&quot;:&quot;{}&quot;}}",
            b64url(&random(60, 32))
        );
        one_at(&format!("<pre><code>{jwk}</code></pre>"), JWK, "{");
    }

    #[test]
    fn ignores_public_jwk() {
        clean(&format!(
            "{{\"kty\":\"RSA\",\"kid\":\"customer-kek\",\"use\":\"enc\",\"n\":\"{}\",\"e\":\"AQAB\"}}",
            b64url(&random(61, 384))
        ));
        clean(&format!(
            "{{\"kty\": \"EC\", \"kid\": \"key-1\", \"crv\": \"P-256\", \"x\": \"{}\", \"y\": \"{}\"}}",
            b64url(&random(62, 32)),
            b64url(&random(63, 32))
        ));
    }

    #[test]
    fn ignores_jwk_with_placeholder_private_member() {
        clean("{\"kty\": \"EC\", \"crv\": \"P-256\", \"d\": \"...\"}");
        clean("{\"kty\": \"oct\", \"k\": \"<base64url-encoded key>\"}");
        clean("{\"kty\": \"oct\", \"k\": \"AAAAAAAAAAAAAAAAAAAAAA\"}");
        clean("{\"kty\": \"RSA\", \"d\": \"\"}");
    }

    // ---- Layer 4: raw keys in a key context

    #[test]
    fn finds_hex_aes_key_in_key_context() {
        let k = hex_key(64, 32);
        one_at(&format!("key = \"{k}\"\n"), RAW_HEX, &k);
        one_at(&format!("{{\"key\": \"{k}\"}}\n"), RAW_HEX, &k);
        one_at(&format!("| ZPK | {k} |\n"), RAW_HEX, &k);
        one_at(&format!("export DATA_KEY={k}\n"), RAW_HEX, &k);
        one_at(&format!("encryptionKey: {k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn finds_hex_key_named_on_the_line_before() {
        let k = hex_key(65, 16);
        one_at(
            &format!("Key-encrypting key (KEK):\n\n    {k}\n"),
            RAW_HEX,
            &k,
        );
        one_at(&format!("The ZMK is\n{k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn finds_tdes_keys_of_48_hex_digits() {
        let k = hex_key(66, 24).to_uppercase();
        one_at(&format!("3DES KEK: {k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn finds_base64_keys_in_secret_context() {
        let k32 = b64(&random(67, 32));
        assert_eq!(k32.len(), 44);
        one_at(&format!("secret: {k32}\n"), RAW_B64, &k32);
        let unpadded = k32.trim_end_matches('=');
        one_at(&format!("secret: {unpadded}\n"), RAW_B64, unpadded);
        let k16 = b64(&random(68, 16));
        one_at(&format!("hmac_key={k16}\n"), RAW_B64, &k16);
        let k24 = b64(&random(69, 24));
        one_at(&format!("PSK \"{k24}\"\n"), RAW_B64, &k24);
    }

    #[test]
    fn finds_base64url_key() {
        let k = (100..)
            .map(|seed| b64url(&random(seed, 32)))
            .find(|k| k.contains(['-', '_']))
            .unwrap_or_default();
        one_at(&format!("signing_key: {k}\n"), RAW_B64, &k);
    }

    #[test]
    fn finds_key_on_openssl_enc_command_line() {
        let (k, iv) = (hex_key(70, 32), hex_key(71, 16));
        let text = format!("openssl enc -aes-256-cbc -K {k} -iv {iv} -in a.bin -out a.enc\n");
        one_at(&text, RAW_HEX, &k);
    }

    #[test]
    fn finds_hmac_sha256_key() {
        let k = hex_key(72, 32);
        one_at(&format!("HMAC-SHA256 key: {k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn finds_key_but_not_its_check_value_or_iv() {
        let (k, iv) = (hex_key(73, 16), hex_key(74, 16));
        one_at(&format!("Key: {k} KCV: 1A2B3C\n"), RAW_HEX, &k);
        one_at(&format!("AES key: {k}\nIV: {iv}\n"), RAW_HEX, &k);
    }

    #[test]
    fn ignores_hex_without_key_context() {
        clean(&format!("Output: {}\n", hex_key(75, 32)));
        clean(&format!("Request {} completed.\n", hex_key(76, 16)));
        clean(&format!("Token: {}\n", b64(&random(77, 32))));
    }

    #[test]
    fn ignores_sha256_fingerprints() {
        let fp = b64(&random(78, 32)).trim_end_matches('=').to_string();
        clean(&format!("Key fingerprint: SHA256:{fp}\n"));
        clean(&format!("256 SHA256:{fp} ops@host (ED25519)\n"));
        let pairs: Vec<String> = random(79, 32).iter().map(|b| format!("{b:02X}")).collect();
        clean(&format!("Key fingerprint: {}\n", pairs.join(":")));
        clean(&format!(
            "Public key fingerprint (SHA-256): {}\n",
            hex_key(80, 32)
        ));
        clean(&format!("KEK thumbprint: {}\n", hex_key(81, 32)));
    }

    #[test]
    fn ignores_document_digests_and_checksums() {
        clean(&format!("Key handling guide digest: {}\n", hex_key(82, 32)));
        clean(&format!(
            "sha256 of the key ceremony script: {}\n",
            hex_key(83, 32)
        ));
        clean(&format!(
            "{}  kek-rotation.md\n{}  keys/zmk.md\n",
            hex_key(84, 32),
            hex_key(85, 32)
        ));
        clean(&format!(
            "$ sha256sum key.tar.gz\n{}  key.tar.gz\n",
            hex_key(86, 32)
        ));
        clean(&format!(
            "{{\"path\": \"keys.html\", \"sha256\": \"{}\"}}\n",
            hex_key(87, 32)
        ));
    }

    #[test]
    fn ignores_sri_hashes() {
        let h384 = b64(&random(88, 48));
        let h256 = b64(&random(89, 32));
        clean(&format!(
            "<script src=\"/key.js\" integrity=\"sha384-{h384}\" crossorigin=\"anonymous\"></script>\n"
        ));
        clean(&format!(
            "<link rel=\"stylesheet\" href=\"keys.css\" integrity=\"sha256-{h256}\">\n"
        ));
    }

    #[test]
    fn ignores_key_check_values() {
        clean("ZMK KCV: 1A2B3C\n");
        clean(&format!("Key check value: {}\n", hex_key(90, 16)));
        clean(&format!(
            "KCV (full block) of the key: {}\n",
            hex_key(91, 8)
        ));
    }

    #[test]
    fn ignores_uuids_key_ids_and_arns() {
        clean("Key ID: 1b4e28ba-2fa1-41d2-883f-0016d3cca427\n");
        clean(&format!("key_id = \"{}\"\n", hex_key(92, 16)));
        clean(&format!("\"kid\": \"{}\"\n", hex_key(93, 16)));
        clean(
            "KMS key: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n",
        );
    }

    #[test]
    fn ignores_commit_hashes() {
        clean(&format!(
            "Key rotation fixed in commit {}.\n",
            hex_key(94, 20)
        ));
        clean(&format!(
            "Key rotation fixed in commit {}.\n",
            hex_key(95, 32)
        ));
    }

    #[test]
    fn ignores_public_keys_in_hex() {
        clean(&format!("Ed25519 public key: {}\n", hex_key(96, 32)));
        clean(&format!("X25519 pub key = {}\n", hex_key(97, 32)));
    }

    #[test]
    fn ignores_placeholder_keys() {
        for k in [
            "00000000000000000000000000000000",
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "0123456789abcdef0123456789abcdef",
            "0123456789ABCDEFFEDCBA9876543210",
            "00112233445566778899aabbccddeeff",
            "deadbeefdeadbeefdeadbeefdeadbeef",
            "<your-32-hex-digit-key>",
            "...",
            "${AES_KEY}",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            clean(&format!("key = \"{k}\"\n"));
        }
    }

    #[test]
    fn ignores_names_of_key_length() {
        clean("key = \"AES-256-GCM-SIV-Key-V2\"\n");
        clean("KeyManagementServiceAA1 is the key service.\n");
    }

    #[test]
    fn ignores_hex_in_urls() {
        let k = hex_key(98, 16);
        clean(&format!(
            "See https://kms.example.com/v1/keys/{k}/rotate for the key.\n"
        ));
        clean(&format!(
            "Key vault: <https://vault.example.net/keys/zmk/{k}>\n"
        ));
        clean(&format!(
            "Download the key file: https://example.com/download?id={k}&v=2\n"
        ));
    }

    #[test]
    fn finds_a_key_sent_as_a_url_parameter() {
        let k = hex_key(99, 32);
        one_at(
            &format!("https://api.example.com/v1?key={k}\n"),
            RAW_HEX,
            &k,
        );
        one_at(
            &format!("Call https://api.example.com/v1/wrap?format=hex&client_secret={k} once.\n"),
            RAW_HEX,
            &k,
        );
    }

    #[test]
    fn finds_hex_key_with_0x_prefix() {
        let k = hex_key(118, 32);
        one_at(&format!("private key: 0x{k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn ignores_jwt_signature_next_to_key_words() {
        let jwt = format!(
            "{}.{}.{}",
            b64url(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"),
            b64url(b"{\"sub\":\"key-rotation-job\"}"),
            b64url(&random(119, 32))
        );
        clean(&format!(
            "A token signed with the webhook HMAC key: {jwt}\n"
        ));
    }

    #[test]
    fn reads_table_headers_for_digests_and_keys() {
        let digests = format!(
            "| File | SHA-256 |\n|---|---|\n| key-handling.pdf | {} |\n| zmk-ceremony.pdf | {} |\n",
            hex_key(120, 32),
            hex_key(121, 32)
        );
        clean(&digests);
        let k = hex_key(122, 16);
        let keys = format!(
            "| Name | Key |\n|:---|---:|\n| test terminal | {} |\n| other | n/a |\n",
            k
        );
        one_at(&keys, RAW_HEX, &k);
    }

    #[test]
    fn reads_the_header_of_a_long_table() {
        let rows: String = (0..200)
            .map(|i| {
                format!(
                    "| customer-key-guide-{i}.pdf | {} |\n",
                    hex_key(200 + i, 32)
                )
            })
            .collect();
        let digests = format!("| Document | SHA-256 |\n|---|---|\n{rows}");
        clean(&digests);
        clean(&rendered(&digests));
        let last = hex_key(999, 16);
        let keys = format!(
            "| Terminal | Key |\n|---|---|\n{}| t-last | {last} |\n",
            "| t | n/a |\n".repeat(500)
        );
        one_at(&keys, RAW_HEX, &last);
        assert_eq!(scan(&rendered(&keys)).len(), 1);
    }

    /// Markdown as the site renders it (pulldown-cmark with tables).
    fn rendered(markdown: &str) -> String {
        let parser =
            pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, parser);
        html
    }

    #[test]
    fn rendering_to_html_keeps_every_verdict() {
        // `lint` scans the Markdown, `build` the HTML: they must agree.
        let k = hex_key(123, 16);
        let pages = [
            format!("Key-encrypting key (KEK):\n\n    {k}\n"),
            format!("## ZMK\n\n{k}\n"),
            format!("> ZPK:\n> {k}\n"),
            format!("- Component 1: {}\n", grouped(124, 16)),
            format!(
                "| Name | Key |\n|---|---|\n| a | {k} |\n| b | c |\n| d | {} |\n",
                hex_key(125, 16)
            ),
            format!(
                "| File | SHA-256 |\n|---|---|\n| key.pdf | {} |\n| b | c |\n| kek.pdf | {} |\n",
                hex_key(126, 32),
                hex_key(127, 32)
            ),
            format!(
                "SHA-256 fingerprint of the KEK:\n\n    {}\n",
                hex_key(128, 32)
            ),
            format!("```\n{}```\n", pkcs8_pem()),
            format!(
                "```json\n{{\"kty\":\"oct\",\"k\":\"{}\"}}\n```\n",
                b64url(&random(129, 32))
            ),
            "The file starts with `-----BEGIN PRIVATE KEY-----`.\n".to_string(),
            format!("Secret access key: `{}`\n", aws_secret(130)),
        ];
        for page in &pages {
            let html = rendered(page);
            let kinds = |t: &str| scan(t).iter().map(|f| f.kind).collect::<Vec<_>>();
            assert_eq!(kinds(page), kinds(&html), "in:\n{page}\n---\n{html}");
        }
    }

    // ---- Layer 5: payment formats

    fn grouped(seed: u64, bytes: usize) -> String {
        let h = hex_key(seed, bytes).to_uppercase();
        h.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn finds_clear_key_components() {
        let c1 = grouped(99, 16);
        one_at(&format!("Component 1: {c1}\n"), COMPONENT, &c1);
        let c2 = grouped(100, 24);
        one_at(&format!("| Component 2 | {c2} |\n"), COMPONENT, &c2);
        let c3 = hex_key(101, 16);
        one_at(&format!("Key component 3:\n{c3}\n"), COMPONENT, &c3);
    }

    #[test]
    fn finds_grouped_hex_key_without_component_word() {
        let k = grouped(102, 16);
        one_at(&format!("ZMK: {k}\n"), RAW_HEX, &k);
    }

    #[test]
    fn ignores_component_example_with_counting_digits() {
        // The format's textbook example counts 0 to F: a placeholder, not a component.
        clean("Component 1: 0123 4567 89AB CDEF 0123 4567 89AB CDEF\n");
        clean("Component 1: 0123 4567 89AB CDEF FEDC BA98 7654 3210\n");
    }

    #[test]
    fn ignores_grouped_numbers() {
        clean("Key ceremonies: 2019 2020 2021 2022 2023 2024 2025 2026\n");
        clean(&format!(
            "Component 1: {} (only part of it)\n",
            &grouped(103, 16)[..19]
        ));
    }

    #[test]
    fn finds_tr31_key_block() {
        let block = format!("B0096P0TE00N0000{}", hex_key(104, 40).to_uppercase());
        assert_eq!(block.len(), 96);
        one_at(&format!("The ZPK travels as `{block}`.\n"), TR31, &block);
        let d = format!("D0112K0AB00E0000{}", hex_key(105, 48).to_uppercase());
        one_at(&d, TR31, &d);
    }

    #[test]
    fn ignores_tr31_look_alike_with_wrong_length() {
        let block = format!("B0104P0TE00N0000{}", hex_key(106, 40).to_uppercase());
        clean(&format!("Block: {block}\n"));
        clean(&format!("Block: B0096P0TE00N0000{}\n", "0".repeat(80)));
    }

    // ---- Layer 6: cloud credentials

    fn aws_secret(seed: u64) -> String {
        b64(&random(seed, 30))
    }

    #[test]
    fn finds_aws_secret_access_key() {
        let secret = aws_secret(107);
        let text = format!(
            "[default]\naws_access_key_id = AKIA{}\naws_secret_access_key = {secret}\n",
            "Q3VJZ7TW2NRLH4XK"
        );
        one_at(&text, AWS, &secret);
        one_at(&format!("Secret access key: {secret}\n"), AWS, &secret);
        one_at(
            &format!("export AWS_SECRET_ACCESS_KEY={secret}\n"),
            AWS,
            &secret,
        );
    }

    #[test]
    fn finds_aws_secret_next_to_an_access_key_id() {
        let secret = aws_secret(108);
        let text = format!("User,Access key ID,Secret\nci,AKIAQ3VJZ7TW2NRLH4XK,{secret}\n");
        one_at(&text, AWS, &secret);
    }

    #[test]
    fn ignores_aws_access_key_id_alone() {
        clean("Access key ID: AKIAQ3VJZ7TW2NRLH4XK\n");
        clean(&format!("Build {} finished.\n", aws_secret(109)));
    }

    #[test]
    fn ignores_aws_documented_example_keys() {
        clean(
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
             aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        );
    }

    #[test]
    fn finds_gcp_service_account_key_once() {
        let text = format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"keyguide\",\n  \
             \"private_key_id\": \"{}\",\n  \"private_key\": \"{}\",\n  \
             \"client_email\": \"ci@keyguide.iam.gserviceaccount.com\"\n}}\n",
            hex_key(110, 20),
            pkcs8_pem().replace('\n', "\\n")
        );
        one_at(&text, PEM, "-----BEGIN");
    }

    #[test]
    fn finds_gcp_service_account_key_without_armor() {
        let body = wrap(&b64(&random(111, 1200)), 64, "\\n");
        let text = format!(
            "{{\"type\": \"service_account\", \"private_key\": \"{body}\", \"client_id\": \"1\"}}"
        );
        let offset = one(&text, GCP);
        assert_eq!(text.get(offset..offset + 8), body.get(..8));
    }

    #[test]
    fn ignores_redacted_service_account_key() {
        clean(
            "{\"type\": \"service_account\", \"private_key_id\": \"<id>\", \
             \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n\"}",
        );
        clean("{\"type\": \"service_account\", \"private_key\": \"<redacted>\"}");
    }

    #[test]
    fn finds_azure_storage_account_key() {
        let key = b64(&random(112, 64));
        assert_eq!(key.len(), 88);
        let text = format!(
            "DefaultEndpointsProtocol=https;AccountName=docs;AccountKey={key};EndpointSuffix=core.windows.net\n"
        );
        one_at(&text, AZURE, &key);
    }

    // ---- Other material

    #[test]
    fn finds_openssl_text_dump_of_private_key() {
        let dump = |seed: u64, n: usize| -> String {
            random(seed, n)
                .chunks(15)
                .map(|c| {
                    let pairs: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
                    format!("    {}:\n", pairs.join(":"))
                })
                .collect()
        };
        let text = format!(
            "Private-Key: (2048 bit, 2 primes)\nmodulus:\n{}publicExponent: 65537 (0x10001)\nprivateExponent:\n{}",
            dump(113, 257),
            dump(114, 256)
        );
        one_at(&text, TEXT_DUMP, "privateExponent");
        clean(&format!("modulus:\n{}", dump(115, 257)));
    }

    // ---- Ordinary pages

    #[test]
    fn ignores_markdown_key_inventory_table() {
        clean(
            "| Key | Algorithm | Length | Custodian | Rotation |\n\
             |---|---|---|---|---|\n\
             | KEK | RSA | 3072 bits | HSM | yearly |\n\
             | DEK | AES-256-GCM | 256 bits | KMS | 90 days |\n\
             | ZMK | TDES (3-key) | 168 bits | two custodians | on compromise |\n",
        );
    }

    #[test]
    fn ignores_openssl_command_lines() {
        clean("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out kek.pem\n");
        clean("openssl pkeyutl -encrypt -pubin -inkey kek-pub.pem -in dek.bin -out dek.enc\n");
        clean("openssl rand -hex 32 > data.key\n");
    }

    #[test]
    fn ignores_key_file_names_in_prose() {
        clean(
            "Store `kek.pem` and `server.key` offline; never commit `id_ed25519` or `store.p12`.\n",
        );
    }

    #[test]
    fn ignores_long_urls() {
        clean(
            "See https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-get-public-key-and-token.html#key-material\n\
             and https://example.com/download?file=keyguide-customer-key-handling-guide-v2.pdf&ref=Zm9vYmFyYmF6cXV4cXV1eA\n",
        );
    }

    #[test]
    fn ignores_random_prose() {
        clean(
            "# Key handling\n\nCustomers generate their key-encrypting key (KEK) in their own HSM and \
             send only the public half. The data key (DEK) never leaves the key management service \
             in the clear; it is wrapped under the KEK with RSA-OAEP-256. Key components are \
             entered by two custodians under dual control, and each checks the KCV before the \
             ceremony is closed. Fingerprints are compared out of band.\n",
        );
    }

    #[test]
    fn is_key_file_name_knows_key_extensions() {
        for name in [
            "kek.pem",
            "server.KEY",
            "store.p12",
            "store.pfx",
            "putty.ppk",
            "trust.jks",
            "app.keystore",
            "key.p8",
            "private.der",
            "server-key.der",
            "id_ed25519",
            "id_rsa",
        ] {
            assert!(is_key_file_name(name), "{name}");
        }
        for name in [
            "cert.der",
            "root-ca.crt",
            "kek-pub.txt",
            "key-handling.md",
            "keyguide.toml",
            "id_rsa.pub",
            "logo.svg",
            "pem",
        ] {
            assert!(!is_key_file_name(name), "{name}");
        }
    }

    // ---- Robustness

    #[test]
    fn findings_are_sorted_unique_and_on_char_boundaries_for_arbitrary_input() {
        const PIECES: &[&str] = &[
            "-----BEGIN ",
            "PRIVATE KEY-----",
            "-----END ",
            "---- BEGIN SSH2 ",
            "\n",
            "\r\n",
            "\\n",
            "\\",
            "{",
            "}",
            "\"kty\"",
            "\"d\"",
            "\"k\"",
            ":",
            "\"",
            "'",
            "&quot;",
            "key=",
            "KEK ",
            "component ",
            "AKIA",
            "B0096P0TE00N0000",
            "MII",
            "b3BlbnNzaC1rZXktdjE",
            "PuTTY-User-Key-File-3:",
            "Private-Lines: 1\n",
            "priv:\n",
            "00:",
            "=",
            "==",
            " ",
            "> ",
            "é",
            "💥",
            "0123 ",
            "service_account",
            "\"private_key\"",
            "+",
            "/",
            "-",
            "_",
            "SHA256:",
            "https://",
            "data:",
            "AccountKey=",
            "30",
            "02",
            "\t",
            "<!--",
            "-->",
        ];
        let mut rng = Rng::new(116);
        for round in 0..3000 {
            let mut text = String::new();
            let pieces = (rng.next() % 80) as usize;
            for _ in 0..pieces {
                match rng.next() % 4 {
                    0 => {
                        let n = (rng.next() % 120) as usize;
                        text.push_str(&b64(&rng.bytes(n)));
                    }
                    1 => {
                        let n = (rng.next() % 48) as usize;
                        text.push_str(&hex(&rng.bytes(n)));
                    }
                    _ => text.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]),
                }
            }
            let found = scan(&text);
            for pair in found.windows(2) {
                assert!(pair[0].offset < pair[1].offset, "round {round}: {found:?}");
            }
            for f in &found {
                assert!(
                    text.is_char_boundary(f.offset) && f.offset < text.len(),
                    "round {round}"
                );
            }
        }
    }

    #[test]
    fn scans_pathological_input_in_linear_time() {
        // Each of these would take minutes if some pass were quadratic.
        let n = 20_000;
        let inputs = [
            "-----BEGIN PRIVATE KEY-----".repeat(n),
            "-----BEGIN PRIVATE KEY-----\n".repeat(n),
            "PuTTY-User-Key-File-3: x ".repeat(n),
            "{\"kty\":\"oct\",".repeat(n),
            "{".repeat(n * 10),
            format!("key = {} ", hex_key(117, 16)).repeat(n),
            format!("| key | {} ", hex_key(117, 16)).repeat(n),
            format!("<thead>key</thead><td>{}</td>", hex_key(117, 16)).repeat(n),
            "priv:\n".repeat(n),
            "0123 ".repeat(n * 4),
            format!("MII{}", "A".repeat(n * 20)),
            "\\".repeat(n * 20),
        ];
        for text in &inputs {
            let started = std::time::Instant::now();
            let _ = scan(text);
            assert!(
                started.elapsed().as_secs() < 20,
                "{}",
                &text[..40.min(text.len())]
            );
        }
    }
}
