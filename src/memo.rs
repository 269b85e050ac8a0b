//! Results of pure work on a file's contents, kept by the contents' SHA-256.
//!
//! Input: the digest of a text (computed once, when the file is read or rendered) and the work
//! to do on it. Output: the work's result, done once per distinct content. A build keeps one
//! [`Memo`], so a file the draft and a release snapshot share is parsed and scanned once;
//! `keyguide serve` keeps one across rebuilds, so a save re-parses and re-scans only the
//! files it changed.
//!
//! Nothing here can change a result: a key is the full SHA-256 of the content the work reads
//! and nothing else, so a hit is exactly what doing the work again would give. After each
//! build, [`Memo::sweep`] drops what that build did not use, so the memory of a long serve
//! session follows the size of the site, not the number of saves.

// Every file of every version is looked up here by its digest: a fast hasher, seeded per
// process like the standard one.
use foldhash::{HashMap, HashMapExt as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest as _, Sha256};

use crate::diag::Diagnostic;
use crate::frontmatter::{AddendumMatter, BaseMatter};
use crate::inventory::Inventory;
use crate::lint::key_material::Finding;
use crate::markdown::Doc;
use crate::source::{Item, Stamp, TextFile};

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// Frees `value` on a thread of its own; in a process that ends when its command does
/// ([`ends_with_its_command`]), not at all. A build's memo holds every parsed page: freeing
/// its hundreds of thousands of allocations one by one took a tenth of `keyguide lint` on
/// 10,000 pages, after the result was known, and on a thread of its own it still took a core
/// from the writing of the output. The system takes a finished process's memory back at
/// once; a long-running process (`keyguide serve`) frees it meanwhile. Where no thread can
/// be started, it is freed here.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    if ENDS_WITH_ITS_COMMAND.load(Ordering::Relaxed) {
        std::mem::forget(value);
        return;
    }
    let _ = std::thread::Builder::new()
        .name("keyguide-free".into())
        .spawn(move || drop(value));
}

/// What [`drop_in_background`] does for a value that borrows: in a process that ends with
/// its command, left for the system to take back at exit; otherwise freed here. The
/// pipeline's parsed and composed pages are hundreds of thousands of allocations: freeing
/// them one by one took 4% of `keyguide lint` on 10,000 pages, on one core, after the
/// result was known.
pub fn drop_at_exit<T>(value: T) {
    if ENDS_WITH_ITS_COMMAND.load(Ordering::Relaxed) {
        std::mem::forget(value);
    }
}

/// Set by [`ends_with_its_command`].
static ENDS_WITH_ITS_COMMAND: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Says that this process ends as soon as its one command is done: what
/// [`drop_in_background`] is given is then left for the system to take back at exit.
pub fn ends_with_its_command() {
    ENDS_WITH_ITS_COMMAND.store(true, Ordering::Relaxed);
}

/// The SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> Digest {
    Sha256::digest(bytes).into()
}

/// The SHA-256 of the file at `path`, read a block at a time: an output file (a version's
/// search index) can be tens of megabytes.
pub fn digest_file(path: &std::path::Path) -> std::io::Result<Digest> {
    digest_reader(std::fs::File::open(path)?)
}

/// The SHA-256 of what `file` holds from where it is, read a block at a time.
pub fn digest_reader(mut file: impl std::io::Read) -> std::io::Result<Digest> {
    let mut sha = Sha256::new();
    let mut block = vec![0; 1 << 16];
    loop {
        match file.read(&mut block) {
            Ok(0) => return Ok(sha.finalize().into()),
            Ok(n) => sha.update(&block[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Lowercase hex of a digest, as `sha256sum` prints it.
pub fn hex(digest: &Digest) -> String {
    // A manifest writes one per output file: tens of thousands, so no formatting machinery.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    digest
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// A [`std::hash::Hasher`] that feeds SHA-256, so anything that is `Hash` can go into a digest
/// that may be kept on disk ([`crate::stored`]). `Hash` implementations may change between
/// Rust releases, so such a digest must also cover the program that made it.
#[derive(Default)]
pub struct DigestHasher(Sha256);

impl DigestHasher {
    /// The digest of everything written so far.
    pub fn digest(self) -> Digest {
        self.0.finalize().into()
    }
}

impl std::hash::Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let d: Digest = self.0.clone().finalize().into();
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }
}

/// The digest written as 64 hex digits, as [`hex`] writes it.
pub fn from_hex(hex: &str) -> Option<Digest> {
    let mut digest = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

/// A page's front matter and section tree, as parsed from its text.
#[derive(Debug)]
pub struct Parsed<M> {
    /// Typed front matter.
    pub matter: M,
    /// Byte offset of the front matter's TOML in the text.
    pub matter_offset: usize,
    /// The body's section tree.
    pub doc: Arc<Doc>,
}

/// Results of one kind of work, by digest, each with the build that last used it.
#[derive(Debug)]
pub(crate) struct Table<T> {
    entries: Mutex<HashMap<Digest, (u64, Arc<T>)>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Table<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, (u64, Arc<T>)>> {
        // Every update is one insert or retain; a panic elsewhere cannot leave it half done.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &Digest, build: u64) -> Option<Arc<T>> {
        let mut entries = self.lock();
        let (used, value) = entries.get_mut(key)?;
        *used = build;
        Some(Arc::clone(value))
    }

    fn put(&self, key: Digest, build: u64, value: T) -> Arc<T> {
        self.put_shared(key, build, Arc::new(value))
    }

    fn put_shared(&self, key: Digest, build: u64, value: Arc<T>) -> Arc<T> {
        self.lock().insert(key, (build, Arc::clone(&value)));
        value
    }

    /// The result kept for `key`, else `value`, which is kept.
    fn get_or_shared(&self, key: &Digest, build: u64, value: Arc<T>) -> Arc<T> {
        match self.get(key, build) {
            Some(kept) => kept,
            None => self.put_shared(*key, build, value),
        }
    }

    /// The result for `key`, computed by `work` when there is none yet. The work runs outside
    /// the lock, so parallel callers never wait for each other's work.
    fn get_or(&self, key: &Digest, build: u64, work: impl FnOnce() -> T) -> Arc<T> {
        match self.get(key, build) {
            Some(value) => value,
            None => self.put(*key, build, work()),
        }
    }

    fn sweep(&self, build: u64) {
        self.lock().retain(|_, (used, _)| *used == build);
    }
}

/// The SHA-256 of several inputs in order, each with its length, so no two lists of inputs
/// share a digest by running into each other.
pub fn digest_of(inputs: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for input in inputs {
        h.update((input.len() as u64).to_le_bytes());
        h.update(input);
    }
    h.finalize().into()
}

/// What builds reuse: parsed pages, KG010 scans and per-page findings, by content digest.
#[derive(Debug, Default)]
pub struct Memo {
    /// Counts builds; entries remember the last one that used them.
    build: AtomicU64,
    bases: Table<Parsed<BaseMatter>>,
    addenda: Table<Parsed<AddendumMatter>>,
    scans: Table<Vec<Finding>>,
    findings: Table<Vec<Diagnostic>>,
    files: Table<(Stamp, Item)>,
    texts: Table<String>,
    inventories: Table<Result<Inventory, Diagnostic>>,
    /// Texts earlier builds read, by path key: kept on disk between builds
    /// ([`Memo::remember`]).
    known: Mutex<HashMap<Digest, Known>>,
}

/// What an earlier build read in a text file, as [`Memo::remembered`] keeps it.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Known {
    stamp: Stamp,
    digest: Digest,
    whole: bool,
}

/// What [`Memo::remembered`] writes.
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    format: u32,
    files: Vec<(Digest, Known)>,
}

/// The format of [`Remembered`]; anything else is ignored.
const REMEMBERED_FORMAT: u32 = 1;

/// Front matter types whose parsed pages the memo keeps.
pub(crate) trait Matter: Sized {
    /// The memo's table of pages with this front matter.
    fn table(memo: &Memo) -> &Table<Parsed<Self>>;
}

impl Matter for BaseMatter {
    fn table(memo: &Memo) -> &Table<Parsed<Self>> {
        &memo.bases
    }
}

impl Matter for AddendumMatter {
    fn table(memo: &Memo) -> &Table<Parsed<Self>> {
        &memo.addenda
    }
}

impl Memo {
    fn current(&self) -> u64 {
        self.build.load(Ordering::Relaxed)
    }

    /// Starts a build: what it uses is kept by the next [`Memo::sweep`].
    pub fn begin(&self) {
        self.build.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops every result the current build did not use.
    pub fn sweep(&self) {
        let build = self.current();
        self.bases.sweep(build);
        self.addenda.sweep(build);
        self.scans.sweep(build);
        self.findings.sweep(build);
        self.files.sweep(build);
        self.texts.sweep(build);
        self.inventories.sweep(build);
    }

    /// The page parsed from the text with digest `key`, when an earlier parse succeeded.
    pub(crate) fn parsed<M: Matter>(&self, key: &Digest) -> Option<Arc<Parsed<M>>> {
        M::table(self).get(key, self.current())
    }

    /// Keeps a page parsed from the text with digest `key`.
    pub(crate) fn keep_parsed<M: Matter>(&self, key: Digest, parsed: Parsed<M>) -> Arc<Parsed<M>> {
        M::table(self).put(key, self.current(), parsed)
    }

    /// The findings of a check whose inputs have digest `key` ([`digest_of`]), checked by
    /// `check` the first time.
    pub fn findings(
        &self,
        key: &Digest,
        check: impl FnOnce() -> Vec<Diagnostic>,
    ) -> Arc<Vec<Diagnostic>> {
        self.findings.get_or(key, self.current(), check)
    }

    /// Takes in what [`Memo::remembered`] wrote after an earlier build (anything unreadable
    /// is ignored): a text file whose stamp is the one recorded then is known by its digest
    /// without being read, and is not read at all when this build holds the same text
    /// already (`Memo::known_text`). A write always moves a file's status-change time,
    /// which no tool can set back, so a stamp names one content; a store copied from
    /// elsewhere or committed to the repository matches nothing (see [`crate::stored`]).
    pub fn remember(&self, bytes: &[u8]) {
        let Ok(remembered) = postcard::from_bytes::<Remembered>(bytes) else {
            return;
        };
        if remembered.format == REMEMBERED_FORMAT {
            *self.known.lock().unwrap_or_else(PoisonError::into_inner) =
                remembered.files.into_iter().collect();
        }
    }

    /// The stamp and digest of every text file this memo read, for [`Memo::remember`].
    pub fn remembered(&self) -> Vec<u8> {
        let mut files: Vec<(Digest, Known)> = self
            .files
            .lock()
            .iter()
            .filter_map(|(key, (_, entry))| {
                let (stamp, item) = &**entry;
                let file = item.text()?;
                let known = Known {
                    stamp: *stamp,
                    digest: file.digest,
                    whole: file.whole,
                };
                Some((*key, known))
            })
            .collect();
        use rayon::slice::ParallelSliceMut as _;
        files.par_sort_unstable_by_key(|(key, _)| *key);
        let remembered = Remembered {
            format: REMEMBERED_FORMAT,
            files,
        };
        postcard::to_allocvec(&remembered).unwrap_or_default()
    }

    /// The text file `rel`, known under `key` (its path) by an earlier build while its stamp
    /// was `stamp`, when this build holds that text already.
    pub(crate) fn known_text(&self, key: &Digest, stamp: &Stamp, rel: &str) -> Option<TextFile> {
        let known = *self
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|k| k.stamp == *stamp)?;
        let text = self.texts.get(&known.digest, self.current())?;
        Some(TextFile {
            rel: rel.to_owned(),
            text,
            digest: known.digest,
            whole: known.whole,
        })
    }

    /// The file read before under `key` (its path), when its stamp then was `stamp`.
    pub(crate) fn file(&self, key: &Digest, stamp: &Stamp) -> Option<Item> {
        let (kept, item) = &*self.files.get(key, self.current())?;
        (kept == stamp).then(|| item.clone())
    }

    /// Keeps a file read under `key` (its path) while its stamp was `stamp`.
    pub(crate) fn keep_file(&self, key: Digest, stamp: Stamp, item: Item) {
        self.files.put(key, self.current(), (stamp, item));
    }

    /// The one copy of the text with digest `key`: `text` itself, unless an identical text
    /// was kept first (the draft and its release snapshot share most files).
    pub(crate) fn text(&self, key: &Digest, text: Arc<String>) -> Arc<String> {
        self.texts.get_or_shared(key, self.current(), text)
    }

    /// The inventory `file`, parsed once per distinct text: the draft's and every release's
    /// are usually the same. A finding names the file asked about.
    pub(crate) fn inventory(&self, file: &TextFile) -> Result<Inventory, Diagnostic> {
        let parsed = self.inventories.get_or(&file.digest, self.current(), || {
            crate::inventory::parse(file)
        });
        (*parsed).clone().map_err(|mut d| {
            d.file.clone_from(&file.rel);
            d
        })
    }

    /// The KG010 findings in the text with digest `key`, scanned by `scan` the first time.
    pub fn scan(&self, key: &Digest, scan: impl FnOnce() -> Vec<Finding>) -> Arc<Vec<Finding>> {
        self.scans.get_or(key, self.current(), scan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_keeps_only_what_the_last_build_used() {
        let memo = Memo::default();
        let (a, b) = (digest(b"a"), digest(b"b"));
        memo.begin();
        memo.scan(&a, Vec::new);
        memo.scan(&b, Vec::new);
        memo.begin();
        let again = memo.scan(&a, || {
            vec![Finding {
                offset: 1,
                kind: "x",
            }]
        });
        assert!(again.is_empty(), "the first result is reused");
        memo.sweep();
        let fresh = memo.scan(&b, || {
            vec![Finding {
                offset: 1,
                kind: "x",
            }]
        });
        assert_eq!(fresh.len(), 1, "b was swept and scanned again");
    }

    #[test]
    fn identical_texts_are_held_once() {
        let memo = Memo::default();
        memo.begin();
        let key = digest(b"same");
        let first = memo.text(&key, Arc::new("same".to_owned()));
        let second = memo.text(&key, Arc::new("same".to_owned()));
        assert!(Arc::ptr_eq(&first, &second));
        let other = memo.text(&digest(b"other"), Arc::new("other".to_owned()));
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn hex_is_what_sha256sum_prints() {
        assert_eq!(
            hex(&digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
