//! Loading a content tree from disk: which files are guides, addenda, assets and data.
//!
//! Input: a site root and a content folder inside it (`content/` for the draft, later
//! `releases/<version>/content/`). Output: [`Sources`], every file's text or bytes in
//! sorted path order, plus diagnostics for files keyguide cannot use (not UTF-8, binary,
//! too large, misplaced, symlinks that leave the site). Nothing here interprets Markdown.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use crate::diag::{self, Diagnostic};
use crate::error::{Error, Result};
use crate::memo::Memo;

/// Largest Markdown or TOML file keyguide reads. Guidance documents are far smaller; a file
/// this big is a mistake (a pasted log, a generated dump) and would slow every build.
pub const MAX_TEXT_BYTES: u64 = 8 * 1024 * 1024;

/// Largest asset (image, PDF) copied into the site.
pub const MAX_ASSET_BYTES: u64 = 64 * 1024 * 1024;

/// A text file of the site: Markdown or TOML.
#[derive(Debug, Clone)]
pub struct TextFile {
    /// Path relative to the site root, `/`-separated, e.g. `content/gateway/_index.md`.
    pub rel: String,
    /// The file's text, without a byte-order mark. Shared, not copied: the draft and the
    /// release snapshots hold many identical files, and a build reads them once into memory
    /// ([`crate::memo::Memo::text`]).
    pub text: std::sync::Arc<String>,
    /// The SHA-256 of `text`, which work on the file is remembered by.
    pub digest: crate::memo::Digest,
    /// Whether `text` is the file's bytes exactly (read from disk, no byte-order mark
    /// removed), so `digest` is the file's own.
    pub(crate) whole: bool,
}

impl TextFile {
    /// The file at `rel` holding `text`.
    pub fn new(rel: String, text: String) -> TextFile {
        TextFile {
            rel,
            digest: crate::memo::digest(text.as_bytes()),
            text: std::sync::Arc::new(text),
            whole: false,
        }
    }
}

/// A file copied to the output unchanged.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Path relative to the site root, `/`-separated.
    pub rel: String,
    /// Path relative to its guide folder, `/`-separated, e.g. `diagrams/flow.svg`.
    pub within_guide: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// One guide folder: its base guide, addenda and assets.
#[derive(Debug, Clone)]
pub struct GuideSource {
    /// The folder name, used in URLs.
    pub id: String,
    /// `_index.md`, when present.
    pub base: Option<TextFile>,
    /// Every other `.md` file of the folder, sorted by name.
    pub addenda: Vec<TextFile>,
    /// Every other file, sorted by path.
    pub assets: Vec<Asset>,
}

/// A loaded content tree.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The content folder relative to the site root, e.g. `content`.
    pub dir: String,
    /// Guides sorted by id.
    pub guides: Vec<GuideSource>,
    /// `inventory.toml`, when present.
    pub inventory: Option<TextFile>,
    /// `exceptions.toml`, when present.
    pub exceptions: Option<TextFile>,
    /// Whether `inventory.toml` is there but could not be used (too large, not UTF-8, not a
    /// regular file, a link out of the site): a finding says so, and its workflows are
    /// unknown rather than absent.
    pub inventory_unreadable: bool,
    /// Files that could not be used.
    pub diagnostics: Vec<Diagnostic>,
}

impl Sources {
    /// The digest of the whole content folder: every file's path and contents.
    pub fn digest(&self) -> crate::memo::Digest {
        use std::hash::Hash as _;
        let mut h = crate::memo::DigestHasher::default();
        self.dir.hash(&mut h);
        for text in self.texts() {
            (&text.rel, &text.digest).hash(&mut h);
        }
        for asset in self.guides.iter().flat_map(|g| &g.assets) {
            (&asset.rel, &asset.bytes).hash(&mut h);
        }
        h.digest()
    }

    /// Every text file, for quoting source lines in messages.
    pub fn texts(&self) -> impl Iterator<Item = &TextFile> {
        self.guide_texts()
            .chain(&self.inventory)
            .chain(&self.exceptions)
    }

    /// The SHA-256 of each text file's bytes as read, by path relative to the content folder
    /// (a snapshot's `FILES.sha256` names): what KG050 compares without reading them again.
    /// Files this build did not read whole (a byte-order mark removed) are not listed.
    pub fn file_digests(&self) -> std::collections::HashMap<&str, crate::memo::Digest> {
        let prefix = format!("{}/", self.dir);
        self.texts()
            .filter(|t| t.whole)
            .filter_map(|t| Some((t.rel.strip_prefix(&prefix)?, t.digest)))
            .collect()
    }

    /// The guides' files: base guides and addenda, what the site publishes.
    pub fn guide_texts(&self) -> impl Iterator<Item = &TextFile> {
        self.guides
            .iter()
            .flat_map(|g| g.base.iter().chain(&g.addenda))
    }
}

impl diag::SourceText for Sources {
    fn text(&self, file: &str) -> Option<&str> {
        self.texts()
            .find(|t| t.rel == file)
            .map(|t| t.text.as_str())
    }
}

/// What a path under the content folder is.
enum Kind {
    Inventory,
    Exceptions,
    Base(String),
    Addendum(String),
    Asset(String),
}

/// A file found by the walk, before it is read.
struct Found {
    rel: String,
    path: PathBuf,
    kind: Kind,
}

/// Loads the content tree `dir` (relative to `root`); files unchanged since `memo` read them
/// (same size, times and inode) are taken from it.
pub fn load(root: &Path, dir: &str, memo: &Memo) -> Result<Sources> {
    let content = root.join(dir);
    let mut sources = Sources {
        dir: dir.to_owned(),
        ..Sources::default()
    };
    if !content.is_dir() {
        sources.diagnostics.push(if content.exists() {
            invalid(
                dir,
                format!("`{dir}` is a file, but keyguide expects the content folder here"),
                "move the file away and create the folder, with one folder per base guide inside",
            )
        } else {
            invalid(
                dir,
                format!("the content folder `{dir}` does not exist"),
                "create it with one folder per base guide, or run `keyguide init` to scaffold a site",
            )
        });
        return Ok(sources);
    }
    let root_real = root.canonicalize().map_err(Error::io("resolving", root))?;
    let content_real = content
        .canonicalize()
        .map_err(Error::io("resolving", &content))?;
    if !content_real.starts_with(&root_real) {
        sources.diagnostics.push(invalid(
            dir,
            format!("`{dir}` is a symbolic link to a folder outside the site root"),
            "copy the folder into the site; content must live inside the site root",
        ));
        return Ok(sources);
    }
    let found = walk(&content, dir, &root_real, &mut sources.diagnostics)?;
    let items: Vec<std::result::Result<Item, Diagnostic>> =
        found.into_par_iter().map(|f| read(f, dir, memo)).collect();
    for item in items {
        match item {
            Ok(item) => place(&mut sources, item),
            Err(d) => sources.diagnostics.push(d),
        }
    }
    // Found by the finding's file, so an inventory refused while walking (a link out of the
    // site) counts as well as one refused while reading.
    let inventory = format!("{dir}/inventory.toml");
    sources.inventory_unreadable =
        sources.inventory.is_none() && sources.diagnostics.iter().any(|d| d.file == inventory);
    for guide in &mut sources.guides {
        let (assets, clashes): (Vec<Asset>, Vec<Asset>) = std::mem::take(&mut guide.assets)
            .into_iter()
            .partition(|a| page_path_taken(guide, &a.within_guide).is_none());
        guide.assets = assets;
        for asset in clashes {
            let page = page_path_taken(guide, &asset.within_guide).unwrap_or_default();
            sources.diagnostics.push(invalid(
                &asset.rel,
                format!("would be written where the page `{page}` goes"),
                "rename or move the file; `index.html` in a guide folder and folders named like an addendum are the pages' own places",
            ));
        }
    }
    for guide in &sources.guides {
        if guide.base.is_none() {
            let first = guide.addenda.first().map(|a| a.rel.as_str());
            sources.diagnostics.push(invalid(
                first.unwrap_or(&format!("{dir}/{}", guide.id)),
                format!("guide folder `{}` has no `_index.md` base guide", guide.id),
                "add the base guide as `_index.md` in this folder; every addendum extends a base guide",
            ));
        }
    }
    Ok(sources)
}

/// The guide page whose output path the asset at `within` (relative to the guide folder)
/// would overwrite or turn into a folder, e.g. `index.html` or `hosted-fields/index.html`.
fn page_path_taken(guide: &GuideSource, within: &str) -> Option<String> {
    let stems = guide
        .addenda
        .iter()
        .filter_map(|a| a.rel.rsplit('/').next()?.strip_suffix(".md"));
    std::iter::once("index.html".to_owned())
        .chain(stems.map(|stem| format!("{stem}/index.html")))
        .find(|page| {
            within == page
                || page.starts_with(&format!("{within}/"))
                || within.starts_with(&format!("{page}/"))
        })
}

/// One file, read and ready to be placed.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Inventory(TextFile),
    Exceptions(TextFile),
    Base(String, TextFile),
    Addendum(String, TextFile),
    Asset(String, Asset),
}

impl Item {
    /// The text, when the file is one.
    pub(crate) fn text(&self) -> Option<&TextFile> {
        match self {
            Item::Inventory(file)
            | Item::Exceptions(file)
            | Item::Base(_, file)
            | Item::Addendum(_, file) => Some(file),
            Item::Asset(..) => None,
        }
    }
}

/// Files keyguide skips: hidden files and editor leftovers.
pub fn ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || name.starts_with('#')
}

/// Walks `content` in sorted order, classifying files and rejecting what cannot be used.
fn walk(
    content: &Path,
    dir: &str,
    root_real: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Found>> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(content)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_name().to_str().is_some_and(ignored));
    let mut walker_skip: Vec<PathBuf> = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(content).to_path_buf();
                let rel = rel_path(content, dir, &path);
                diags.push(invalid(
                    &rel,
                    format!("cannot be read: {e}"),
                    "check the file's permissions",
                ));
                continue;
            }
        };
        let rel = rel_path(content, dir, entry.path());
        if let Some(problem) =
            unusable_name(entry.path().strip_prefix(content).unwrap_or(entry.path()))
        {
            diags.push(invalid(
                &rel,
                format!("the name {problem}"),
                "rename it using printable UTF-8 characters: names become URLs and lines of FILES.sha256, where such characters cannot be written faithfully",
            ));
            if entry.file_type().is_dir() {
                walker_skip.push(entry.path().to_path_buf());
            }
            continue;
        }
        if walker_skip.iter().any(|d| entry.path().starts_with(d)) {
            continue;
        }
        let Some(parts) = rel
            .strip_prefix(dir)
            .and_then(|r| r.strip_prefix('/'))
            .map(|r| r.split('/').collect::<Vec<_>>())
        else {
            diags.push(invalid(
                &rel,
                "file name is not valid UTF-8",
                "rename the file using UTF-8 characters",
            ));
            continue;
        };
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(root_real) && target.is_file() => {}
                Ok(target) if target.is_dir() => {
                    diags.push(invalid(
                        &rel,
                        "is a symbolic link to a folder; keyguide does not follow those",
                        "copy the folder into the site instead of linking it",
                    ));
                    continue;
                }
                Ok(_) => {
                    diags.push(invalid(
                        &rel,
                        "is a symbolic link that leads outside the site root",
                        "copy the file into the site; content must live inside the site root",
                    ));
                    continue;
                }
                Err(e) => {
                    diags.push(invalid(
                        &rel,
                        format!("is a symbolic link that cannot be followed ({e}): it loops or leads nowhere"),
                        "remove the link, or replace it with the file it should point to",
                    ));
                    continue;
                }
            }
        } else if entry.file_type().is_dir() {
            if parts.len() == 1 && !is_slug(parts[0]) {
                diags.push(invalid(
                    &rel,
                    format!("guide folder name `{}` cannot be used in a URL", parts[0]),
                    "use lowercase letters, digits, `-` and `_`, e.g. `payment-gateway`",
                ));
            }
            continue;
        }
        let name = parts[parts.len() - 1];
        let kind = match parts.as_slice() {
            ["inventory.toml"] => Kind::Inventory,
            ["exceptions.toml"] => Kind::Exceptions,
            [_] => {
                diags.push(invalid(
                    &rel,
                    "only `inventory.toml` and `exceptions.toml` belong at the top of the content folder",
                    "move guides into a folder of their own, e.g. `content/gateway/_index.md`",
                ));
                continue;
            }
            [guide, ..] if !is_slug(guide) => continue, // reported once, for the folder
            [guide, "_index.md"] => Kind::Base((*guide).to_owned()),
            [guide, file] if file.ends_with(".md") => {
                let stem = &file[..file.len() - 3];
                if !is_slug(stem) {
                    diags.push(invalid(
                        &rel,
                        format!("addendum name `{stem}` cannot be used in a URL"),
                        if stem.starts_with('_') {
                            "the base guide is exactly `_index.md`; name an addendum after its integration, starting with a lowercase letter or digit, e.g. `mtls-client-certificates.md`"
                        } else {
                            "use lowercase letters, digits, `-` and `_`, starting with a letter or digit, e.g. `mtls-client-certificates.md`"
                        },
                    ));
                    continue;
                }
                Kind::Addendum((*guide).to_owned())
            }
            [_, .., _] if name.ends_with(".md") => {
                diags.push(invalid(
                    &rel,
                    "Markdown files in subfolders of a guide are not pages",
                    "move the page up into the guide folder (subfolders may hold assets only)",
                ));
                continue;
            }
            [guide, ..] => Kind::Asset((*guide).to_owned()),
            [] => continue,
        };
        found.push(Found {
            rel,
            path: entry.path().to_path_buf(),
            kind,
        });
    }
    Ok(found)
}

/// Whether `name` may be a URL path segment: `[a-z0-9][a-z0-9_-]*`.
pub fn is_slug(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Why a path (relative to the content folder) cannot be published, if it cannot: a part that
/// is not UTF-8, or holds a backslash or a control character such as a line break.
fn unusable_name(path: &Path) -> Option<&'static str> {
    for part in path.components() {
        let Some(name) = part.as_os_str().to_str() else {
            return Some("is not valid UTF-8");
        };
        if name.contains('\\') {
            return Some("holds a backslash");
        }
        if name.chars().any(char::is_control) {
            return Some("holds a line break or another control character");
        }
    }
    None
}

/// `path` relative to the site root, `/`-separated, lossily for non-UTF-8 names.
fn rel_path(content: &Path, dir: &str, path: &Path) -> String {
    let tail = path.strip_prefix(content).unwrap_or(path);
    let mut rel = dir.to_owned();
    for part in tail.components() {
        rel.push('/');
        rel.push_str(&part.as_os_str().to_string_lossy());
    }
    rel
}

/// Why [`read_bounded`] could not read a file.
#[derive(Debug)]
pub enum ReadError {
    /// The file system refused (including: it does not exist).
    Io(std::io::Error),
    /// A named pipe, socket or device: opening it could wait forever or never end.
    NotRegular,
    /// Larger than the limit; the size seen.
    TooBig(u64),
}

/// The bytes of the regular file at `path`, refusing pipes and devices and anything over
/// `limit` bytes, even a file that grows while it is read.
pub fn read_bounded(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooBig(meta.len()));
    }
    // Read at most one byte past the limit, so a file that grows after the size check
    // cannot make keyguide read without end. Room for the whole file and that byte up front:
    // the text is kept as read, so a buffer grown by doubling would waste up to half.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).map_or(0, |n| n + 1));
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, limit + 1), &mut bytes)
        })
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A file size as findings give it: the exact number of bytes, then MiB to one decimal
/// (`9,090,031 bytes (8.7 MiB)`). Rounded MiB alone read as if a file just over the limit
/// were at it ("is 8 MiB; … at most 8 MiB").
pub fn size_text(len: u64) -> String {
    let digits = len.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    // u64 to f64 loses only digits far below the 0.1 MiB shown.
    let mib = len as f64 / (1024.0 * 1024.0);
    format!("{grouped} bytes ({mib:.1} MiB)")
}

/// What tells a file unchanged without reading it: its size, modification and status-change
/// times, and (on Unix) its inode. A write always moves the status-change time, which no tool
/// can set back, and renaming another file over it changes the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64, u64, u64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec(), meta.ino(), meta.dev()),
        }
    }

    /// Whether a file with this stamp, read at `read_at`, may be taken as unchanged for as
    /// long as its stamp stays the same. File times can be as coarse as the kernel's clock
    /// tick (or two seconds on some file systems): a file written just before it was read
    /// could be written again within the same tick without its times moving, so a file
    /// modified less than [`SETTLED`] before it was read is read again every time. Modified
    /// by both times: tools set the modification time back (`touch -d`, `rsync -t`, `tar`),
    /// never the status-change time.
    fn settled(&self, read_at: SystemTime) -> bool {
        let long_ago = |t: SystemTime| t.checked_add(SETTLED).is_some_and(|s| s < read_at);
        #[cfg(unix)]
        {
            let (secs, nanos, _, _) = self.changed;
            let changed = u64::try_from(secs).ok().and_then(|s| {
                let nanos = u32::try_from(nanos).ok()?;
                SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::new(s, nanos))
            });
            if !changed.is_some_and(long_ago) {
                return false;
            }
        }
        self.modified.is_some_and(long_ago)
    }
}

/// How long before it is read a file must have been last modified for [`Stamp::settled`].
const SETTLED: std::time::Duration = std::time::Duration::from_secs(3);

/// Reads one file — or takes it from `memo` when its [`Stamp`] is that of the file `memo`
/// read before — as text for pages and data, bytes for assets.
fn read(f: Found, dir: &str, memo: &Memo) -> std::result::Result<Item, Diagnostic> {
    let limit = match f.kind {
        Kind::Asset(_) => MAX_ASSET_BYTES,
        _ => MAX_TEXT_BYTES,
    };
    let unreadable = |e: std::io::Error| {
        invalid(
            &f.rel,
            format!("cannot be read: {e}"),
            "check the file's permissions",
        )
    };
    let too_big = |len: u64| {
        invalid(
            &f.rel,
            format!(
                "is {}; keyguide reads files of at most {} MiB",
                size_text(len),
                limit / (1024 * 1024)
            ),
            "split the document, or move large data out of the content folder",
        )
    };
    let meta = std::fs::metadata(&f.path).map_err(unreadable)?;
    let stamp = Stamp::of(&meta);
    let key = crate::memo::digest_of(&[f.path.as_os_str().as_encoded_bytes(), f.rel.as_bytes()]);
    if let Some(item) = memo.file(&key, &stamp) {
        return Ok(item);
    }
    // A text an earlier build read with this very stamp, whose copy this build holds already
    // (usually the draft's copy of a released file), is not read and hashed again.
    let mut known = match f.kind {
        Kind::Asset(_) => None,
        _ => memo.known_text(&key, &stamp, &f.rel),
    };
    let read_at = SystemTime::now();
    let read = || read_bounded(&f.path, limit);
    let bytes = match known {
        Some(_) => Ok(Vec::new()),
        None => read(),
    };
    let bytes = bytes.map_err(|e| match e {
        ReadError::Io(e) => unreadable(e),
        ReadError::NotRegular => invalid(
            &f.rel,
            "is not a regular file (a named pipe, socket or device)",
            "remove it from the content folder; keyguide reads only ordinary files",
        ),
        ReadError::TooBig(len) => too_big(len),
    })?;
    let mut text = |bytes: Vec<u8>| {
        if let Some(file) = known.take() {
            return Ok(file);
        }
        let whole = !bytes.starts_with(BOM.as_bytes());
        decode(&f.rel, bytes).map(|text| {
            let mut file = TextFile::new(f.rel.clone(), text);
            file.text = memo.text(&file.digest, file.text);
            file.whole = whole;
            file
        })
    };
    let item = match f.kind {
        Kind::Inventory => Item::Inventory(text(bytes)?),
        Kind::Exceptions => Item::Exceptions(text(bytes)?),
        Kind::Base(g) => Item::Base(g, text(bytes)?),
        Kind::Addendum(g) => Item::Addendum(g, text(bytes)?),
        Kind::Asset(g) => {
            let prefix = format!("{dir}/{g}/");
            let within_guide = f.rel.strip_prefix(&prefix).unwrap_or(&f.rel).to_owned();
            Item::Asset(
                g,
                Asset {
                    rel: f.rel.clone(),
                    within_guide,
                    bytes,
                },
            )
        }
    };
    if stamp.settled(read_at) {
        memo.keep_file(key, stamp, item.clone());
    }
    Ok(item)
}

/// UTF-8 text without a byte-order mark, or a diagnostic at the first bad byte.
pub(crate) fn decode(rel: &str, bytes: Vec<u8>) -> std::result::Result<String, Diagnostic> {
    if let Some(nul) = memchr::memchr(0, &bytes) {
        let (line, column) = diag::position_in_bytes(&bytes, nul);
        return Err(Diagnostic::new(
            &diag::INVALID_SOURCE,
            rel,
            (line, column),
            "is a binary file (it contains a NUL byte), not text",
            "keep only Markdown or TOML text under this name; put binary files in the guide folder with their own extension",
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let (line, column) = diag::position_in_bytes(e.as_bytes(), bad);
        Diagnostic::new(
            &diag::INVALID_SOURCE,
            rel,
            (line, column),
            "is not valid UTF-8",
            "save the file as UTF-8 (most editors: \"Save with encoding\" → UTF-8)",
        )
    })?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len());
    }
    Ok(text)
}

/// The byte-order mark some editors write at the start of a UTF-8 file.
const BOM: &str = "\u{feff}";

/// Puts a read file where it belongs.
fn place(sources: &mut Sources, item: Item) {
    match item {
        Item::Inventory(file) => sources.inventory = Some(file),
        Item::Exceptions(file) => sources.exceptions = Some(file),
        Item::Base(id, file) => guide_mut(sources, id).base = Some(file),
        Item::Addendum(id, file) => guide_mut(sources, id).addenda.push(file),
        Item::Asset(id, asset) => guide_mut(sources, id).assets.push(asset),
    }
}

/// The guide `id`, inserted in sorted position when first seen.
fn guide_mut(sources: &mut Sources, id: String) -> &mut GuideSource {
    let i = match sources.guides.binary_search_by(|g| g.id.cmp(&id)) {
        Ok(i) => i,
        Err(i) => {
            let guide = GuideSource {
                id,
                base: None,
                addenda: Vec::new(),
                assets: Vec::new(),
            };
            sources.guides.insert(i, guide);
            i
        }
    };
    &mut sources.guides[i]
}

/// A KG090 finding about a whole file.
fn invalid(rel: &str, message: impl Into<String>, help: &str) -> Diagnostic {
    Diagnostic::new(&diag::INVALID_SOURCE, rel, (1, 1), message, help)
}
