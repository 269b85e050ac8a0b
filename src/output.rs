//! The built site in memory, and writing it to disk atomically.
//!
//! Every output file goes through [`OutputTree::insert`], which refuses paths that could
//! leave the output folder and two files at one path. [`OutputTree::commit`] writes the tree
//! into a staging folder beside the target and swaps it in with one rename (an atomic
//! exchange on Linux), so a failed or killed build leaves the previous output untouched and
//! readers never see half a site.
//!
//! A file is bytes in memory, a file on disk that an earlier build made and that is
//! published as it is ([`Stored`]: a released version's output kept by [`crate::stored`];
//! never read, only linked or copied into place, with the size and digest recorded when it
//! was made), or a file written into the tree's [`Staging`] folder already ([`Written`]).
//! `keyguide build` stages before it renders and writes each guide page the moment it is
//! rendered: holding every page until the end made a first build of 10,000 pages peak at
//! 700 MiB. The checks of the finished site read written files back
//! ([`OutputTree::map_contents`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::memo::Digest;

mod recycle;
use recycle::{Making, Recycled};

/// Output files by path relative to the output root (`/`-separated), in sorted order. The
/// bytes are shared, so a page kept between rebuilds (`keyguide serve`) is not copied.
#[derive(Debug, Default, Clone)]
pub struct OutputTree {
    files: BTreeMap<String, Arc<Vec<u8>>>,
    stored: BTreeMap<String, Stored>,
    written: BTreeMap<String, Written>,
    staging: Option<Arc<Staging>>,
}

/// An output file written into the tree's staging folder already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub digest: Digest,
    /// Where the parts it is checked in begin, when it is checked a part at a time
    /// ([`Stream::mark`]).
    parts: Vec<Start>,
}

/// A file made for the tree: in memory, or written into its staging folder.
#[derive(Debug, Clone)]
pub enum Made {
    /// Held until the tree is committed.
    Memory(Arc<Vec<u8>>),
    /// Written already.
    Written(Written),
}

/// Makes files for one tree, on any thread ([`OutputTree::maker`]).
#[derive(Debug, Clone)]
pub struct Maker(Option<Arc<Staging>>);

impl Maker {
    /// The file `bytes` at `path`: written now when the tree has a staging folder.
    pub fn make(&self, path: &str, bytes: Vec<u8>) -> Result<Made> {
        match &self.0 {
            Some(staging) => staging.write(path, &bytes).map(Made::Written),
            None => Ok(Made::Memory(Arc::new(bytes))),
        }
    }

    /// The file at `path`, made piece by piece: written as it comes when the tree has a
    /// staging folder, so a large file is never whole in memory.
    pub fn stream(&self, path: &str) -> Result<Stream> {
        let Some(staging) = &self.0 else {
            return Ok(Stream(Sink::Memory(Vec::new())));
        };
        let full = staging.create(path)?;
        let file = create_new(&full).map_err(Error::io("writing", &full))?;
        Ok(Stream(Sink::Staged(Box::new(Staged {
            file: std::io::BufWriter::new(file),
            path: full,
            digest: crate::memo::DigestHasher::default(),
            at: Start::FILE,
            parts: vec![Start::FILE],
        }))))
    }
}

/// A place in a file: its byte offset, and the line and column (counted in characters) of
/// the character there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// Bytes before it.
    pub offset: u64,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Start {
    /// The start of a file.
    pub const FILE: Start = Start {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// Where the place `(line, column)` of a part of a file that begins here is in the
    /// whole file.
    pub fn shift(&self, (line, column): (usize, usize)) -> (usize, usize) {
        match line {
            1 => (self.line, self.column + column - 1),
            _ => (self.line + line - 1, column),
        }
    }

    /// Moves past `bytes`.
    fn advance(&mut self, bytes: &[u8]) {
        let chars = |b: &[u8]| b.iter().filter(|&&c| c & 0xC0 != 0x80).count();
        self.offset += bytes.len() as u64;
        match bytes.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                self.line += bytes.iter().filter(|&&b| b == b'\n').count();
                self.column = 1 + chars(&bytes[last + 1..]);
            }
            None => self.column += chars(bytes),
        }
    }
}

/// How large a part of a streamed file the checks of the finished site read back at once
/// ([`Stream::mark`]).
const PART_BYTES: u64 = 1 << 20;

/// How much of the file on either side of a part is read with it: the key-material
/// check judges a candidate by what surrounds it (the words at most 512 bytes before it and
/// 300 after, a one-line table's header up to 4 KiB before), and must judge a candidate in a
/// part as it would in the whole file. Parts are cut only between two pages' entries of a
/// search index, so what lies further back is another page's text: the one thing the whole
/// file's check would still carry over is the last HTML table header seen before a row, and
/// a row in one page is not judged by a table in another.
pub const CONTEXT: u64 = 4096;

/// A part of a file, read back with the text around it ([`OutputTree::map_contents`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Where the part begins in the file.
    pub start: Start,
    /// Where the part begins in the bytes read: those before are context.
    pub begin: usize,
    /// Where it ends in the bytes read: those after are context.
    pub end: usize,
}

/// Turns byte offsets in a text read back whole or as a [`Part`] into the line and column
/// they have in the whole file.
pub struct Places<'t> {
    text: &'t str,
    part: Option<Part>,
    lines: Option<crate::diag::LineIndex>,
}

impl<'t> Places<'t> {
    /// For `text`, a whole file or the bytes read for `part`.
    pub fn new(text: &'t str, part: Option<&Part>) -> Places<'t> {
        Places {
            text,
            part: part.copied(),
            lines: None,
        }
    }

    /// The line and column of byte `offset` of the text; none when it is in the context
    /// around a part (the neighbouring part reports what is there).
    pub fn at(&mut self, offset: usize) -> Option<(usize, usize)> {
        let (text, offset) = match &self.part {
            None => (self.text, offset),
            Some(p) if (p.begin..p.end).contains(&offset) => {
                (self.text.get(p.begin..)?, offset - p.begin)
            }
            Some(_) => return None,
        };
        let lines = self
            .lines
            .get_or_insert_with(|| crate::diag::LineIndex::new(text));
        let at = lines.line_col(text, offset);
        Some(self.part.map_or(at, |p| p.start.shift(at)))
    }
}

/// A file being made piece by piece ([`Maker::stream`]).
pub struct Stream(Sink);

enum Sink {
    /// Held in memory.
    Memory(Vec<u8>),
    /// Written into the staging folder as it comes.
    Staged(Box<Staged>),
}

struct Staged {
    file: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    digest: crate::memo::DigestHasher,
    /// Where the next byte goes.
    at: Start,
    /// Where the parts that the checks read back one at a time begin.
    parts: Vec<Start>,
}

impl Stream {
    /// Adds `bytes` to the end of the file.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.0 {
            Sink::Memory(all) => all.extend_from_slice(bytes),
            Sink::Staged(staged) => {
                use std::hash::Hasher as _;
                use std::io::Write as _;
                let path = &staged.path;
                staged
                    .file
                    .write_all(bytes)
                    .map_err(Error::io("writing", path))?;
                staged.digest.write(bytes);
                staged.at.advance(bytes);
            }
        }
        Ok(())
    }

    /// Says that a part of the file may end here, with nothing the checks of the site look
    /// for (key material, customer names) running across: a written file is read back for
    /// them a part of about `PART_BYTES` (1 MiB) at a time, not whole.
    pub fn mark(&mut self) {
        if let Sink::Staged(staged) = &mut self.0 {
            let last = staged.parts.last().map_or(0, |p| p.offset);
            if staged.at.offset - last >= PART_BYTES {
                staged.parts.push(staged.at);
            }
        }
    }

    /// The whole file.
    pub fn finish(self) -> Result<Made> {
        match self.0 {
            Sink::Memory(all) => Ok(Made::Memory(Arc::new(all))),
            Sink::Staged(staged) => {
                let Staged {
                    file,
                    path,
                    digest,
                    at,
                    parts,
                } = *staged;
                file.into_inner()
                    .map_err(|e| Error::io("writing", &path)(e.into_error()))?;
                Ok(Made::Written(Written {
                    size: at.offset,
                    digest: digest.digest(),
                    parts,
                }))
            }
        }
    }
}

/// The folder a new output is written into, beside the output folder it replaces, and
/// swapped in whole by [`OutputTree::commit`]. While it exists, the folder holding both is
/// locked: two builds into one place take turns. Dropped without a commit, it is removed.
#[derive(Debug)]
pub struct Staging {
    /// The output folder it replaces.
    target: PathBuf,
    dir: tempfile::TempDir,
    /// The lock on the folder holding `target`.
    _lock: std::fs::File,
    /// The folders made to hold it (innermost first), removed again when they are left
    /// empty by a build that is refused.
    made: Vec<PathBuf>,
    /// Leftovers of earlier runs that could not be removed when it was made.
    leftovers: Vec<Leftover>,
    /// What it held when it was made: a previous output it adopted
    /// ([`Staging::recycling`]).
    recycled: Option<Recycled>,
    /// Where the output it replaces goes after the swap, for the next build to adopt.
    recycle_to: Option<PathBuf>,
}

/// A folder keyguide made beside the output and could not remove: the previous output after
/// a swap, or an earlier run's staging folder. Not the build's failure (the new output is in
/// place, or will be), but it holds an old copy of the site that someone must remove.
#[derive(Debug)]
pub struct Leftover {
    /// The folder.
    pub path: PathBuf,
    /// What it holds, e.g. "the previous output".
    pub what: &'static str,
    /// Why it could not be removed.
    pub error: std::io::Error,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        write!(
            f,
            "{} could not be removed from {path}: {}\n  \
             = help: give yourself permission to list and change it and remove it, e.g. \
             `chmod -R u+rwx '{path}' && rm -rf '{path}'`; builds go on meanwhile",
            self.what, self.error
        )
    }
}

/// The staging folders of this process, for [`abandon_staging`].
static STAGING: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn staging_folders() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    STAGING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Set once the staging folders are abandoned: nothing more is written into them.
static ABANDONED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Removes the staging folders of this process: for an interrupted build (Ctrl-C), whose
/// staging folder holds pages the output checks have not passed. Pages still being rendered
/// are refused from then on; a folder is renamed before it is removed, so a write already
/// under way cannot keep it. The process must end right after.
pub fn abandon_staging() {
    // Held while the folders go, so [`interrupted`] can wait for them.
    let mut folders = staging_folders();
    ABANDONED.store(true, std::sync::atomic::Ordering::SeqCst);
    for folder in folders.drain(..) {
        let mut gone = folder.clone().into_os_string();
        gone.push("-abandoned");
        let gone = PathBuf::from(gone);
        for _ in 0..3 {
            if std::fs::rename(&folder, &gone).is_err() {
                break;
            }
            let _ = std::fs::remove_dir_all(&gone);
        }
    }
}

/// Refuses to write once the staging folders are abandoned ([`abandon_staging`]): a folder
/// made after that would bring a removed staging folder back.
fn still_wanted() -> Result<()> {
    match ABANDONED.load(std::sync::atomic::Ordering::SeqCst) {
        true => Err(Error::Usage {
            message: "the build was interrupted".into(),
            help: "build again".into(),
        }),
        false => Ok(()),
    }
}

/// Whether the staging folders were abandoned ([`abandon_staging`]): a build that fails
/// after that failed because it was interrupted, not for a reason of its own. Returns once
/// the folders are removed.
pub fn interrupted() -> bool {
    let abandoned = ABANDONED.load(std::sync::atomic::Ordering::SeqCst);
    if abandoned {
        // The lock is held until the removal is done.
        drop(staging_folders());
    }
    abandoned
}

impl Drop for Staging {
    fn drop(&mut self) {
        staging_folders().retain(|folder| folder != self.dir.path());
        // Committed, the staging folder is gone and `target` is in the innermost folder made.
        let _ = std::fs::remove_dir_all(self.dir.path());
        for folder in &self.made {
            if std::fs::remove_dir(folder).is_err() {
                break;
            }
        }
    }
}

impl Staging {
    /// A new staging folder for the output folder `out`; leftovers of killed builds into
    /// the same place are removed.
    pub fn beside(out: &Path) -> Result<Staging> {
        if out.exists() && !out.is_dir() {
            return Err(Error::Usage {
                message: format!("{} exists and is not a folder", out.display()),
                help: "choose another --out folder, or remove the file".into(),
            });
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let made: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(&parent).map_err(Error::io("creating folder", &parent))?;
        // One writer at a time per folder: while this lock is held, any staging folder for
        // `out` beside it was left by a killed run and can go. Where the file system cannot
        // lock (some network mounts), leftovers stay rather than risk another run's staging.
        let lock = std::fs::File::open(&parent).map_err(Error::io("opening folder", &parent))?;
        let locked = rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).is_ok();
        let name = out
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".keyguide-staging-{name}-");
        let leftovers = match locked {
            true => remove_leftovers(&parent, &prefix)?,
            false => Vec::new(),
        };
        // Made and listed while no Ctrl-C handler is removing the listed folders, and not
        // after it did: a folder made then would be left behind.
        let mut folders = staging_folders();
        still_wanted()?;
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(Error::io("creating staging folder in", &parent))?;
        folders.push(dir.path().to_path_buf());
        drop(folders);
        Ok(Staging {
            target: out.to_path_buf(),
            dir,
            _lock: lock,
            made,
            leftovers,
            recycled: None,
            recycle_to: None,
        })
    }

    /// A staging folder for `out` that starts as the output an earlier build into `out` left
    /// at `previous` (see [`recycle`]), and after the swap leaves the output it replaces
    /// there. Without a usable previous output it starts empty.
    pub fn recycling(out: &Path, previous: &Path) -> Result<Staging> {
        let mut staging = Staging::beside(out)?;
        staging.recycle_to = Some(previous.to_path_buf());
        let adoptable = std::fs::symlink_metadata(previous).is_ok_and(|m| m.is_dir());
        // The permissions a folder this build makes gets (the umask applied), and its owner:
        // the old tree's folders are given them, whatever an earlier build or a tool left.
        use std::os::unix::fs::MetadataExt as _;
        let made = std::fs::symlink_metadata(staging.dir.path())
            .map_err(Error::io("reading", staging.dir.path()))?;
        let made = (made.mode() & 0o7777, made.uid());
        // The new staging folder is empty, so renaming a folder onto it replaces it. Not once
        // a Ctrl-C handler has removed it: the old tree would be left in its place.
        let folders = staging_folders();
        still_wanted()?;
        let adopted = adoptable && std::fs::rename(previous, staging.dir.path()).is_ok();
        drop(folders);
        if !adopted {
            // On another file system than `out` now, say: of no use any more.
            let _ = std::fs::remove_dir_all(previous);
            return Ok(staging);
        }
        match Recycled::survey(staging.dir.path(), made) {
            Ok(recycled) => staging.recycled = Some(recycled),
            Err(_) => {
                // Not all of it could be listed, or a folder in it is not this user's: start
                // afresh beside it, and let it go as an earlier run's leftover (dropped
                // first: it holds the lock the new one takes).
                let recycle_to = staging.recycle_to.take();
                drop(staging);
                let mut fresh = Staging::beside(out)?;
                fresh.recycle_to = recycle_to;
                return Ok(fresh);
            }
        }
        Ok(staging)
    }

    /// Where the file `path` (relative to the output root) goes, its folders made.
    fn create(&self, path: &str) -> Result<PathBuf> {
        check_plain(path)?;
        still_wanted()?;
        if let Some(recycled) = &self.recycled {
            recycled.clear_way(self.dir.path(), path, Making::File)?;
        }
        let full = self.dir.path().join(path);
        let kept_folder =
            |folder: &str| (self.recycled.as_ref()).is_some_and(|r| r.has_folder(folder));
        match (full.parent(), path.rsplit_once('/')) {
            (_, Some((folder, _))) if kept_folder(folder) => {}
            (Some(parent), _) => {
                std::fs::create_dir_all(parent).map_err(Error::io("creating folder", parent))?
            }
            (None, _) => {}
        }
        Ok(full)
    }

    /// Writes `bytes` at `path` (relative to the output root) now, making its folders.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<Written> {
        let full = self.create(path)?;
        write_new(&full, bytes).map_err(Error::io("writing", &full))?;
        Ok(Written {
            size: bytes.len() as u64,
            digest: crate::memo::digest(bytes),
            parts: Vec::new(),
        })
    }
}

/// An output file that exists on disk already, made by an earlier build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Where it is.
    pub source: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256.
    pub digest: Digest,
    /// Its device and inode: a previous output adopted as the staging folder may hold this
    /// very file at its path already.
    pub id: recycle::FileId,
}

impl OutputTree {
    /// An empty tree whose files may be written into `staging` as they are made
    /// ([`OutputTree::maker`]).
    pub fn staged(staging: Staging) -> OutputTree {
        OutputTree {
            staging: Some(Arc::new(staging)),
            ..OutputTree::default()
        }
    }

    /// What makes files on worker threads for [`OutputTree::insert_made`]: it writes them
    /// into the tree's staging folder there and then, when the tree has one.
    pub fn maker(&self) -> Maker {
        Maker(self.staging.clone())
    }

    /// Adds a file made by [`Maker::make`] (or, in memory, shared with a cache). A path
    /// taken already is refused here, after the file was made: the build fails, and its
    /// staging folder goes with it.
    pub fn insert_made(&mut self, path: String, file: Made) -> Result<()> {
        match file {
            Made::Memory(bytes) => self.insert_shared(path, bytes),
            Made::Written(file) => {
                self.check_free(&path)?;
                self.written.insert(path, file);
                Ok(())
            }
        }
    }

    /// Adds a file. The path must be relative, `/`-separated, without `.` or `..`
    /// segments, and not already taken.
    pub fn insert(&mut self, path: String, bytes: Vec<u8>) -> Result<()> {
        self.insert_shared(path, Arc::new(bytes))
    }

    /// [`OutputTree::insert`] of bytes shared with their owner (a cache).
    pub fn insert_shared(&mut self, path: String, bytes: Arc<Vec<u8>>) -> Result<()> {
        self.check_free(&path)?;
        self.files.insert(path, bytes);
        Ok(())
    }

    /// [`OutputTree::insert`] of a file an earlier build made.
    pub fn insert_stored(&mut self, path: String, file: Stored) -> Result<()> {
        self.check_free(&path)?;
        self.stored.insert(path, file);
        Ok(())
    }

    /// Refuses a path that could leave the output folder or is taken.
    fn check_free(&self, path: &str) -> Result<()> {
        check_plain(path)?;
        if self.files.contains_key(path)
            || self.stored.contains_key(path)
            || self.written.contains_key(path)
        {
            return Err(Error::Usage {
                message: format!("two outputs of the build would both be written to `{path}`"),
                help: "rename the asset or addendum so it does not collide with a page folder"
                    .into(),
            });
        }
        Ok(())
    }

    /// Replaces the bytes of a file already in the tree (post-processing); returns whether
    /// the file was there.
    pub fn replace(&mut self, path: &str, bytes: Vec<u8>) -> bool {
        match self.files.get_mut(path) {
            Some(old) => {
                *old = Arc::new(bytes);
                true
            }
            None => false,
        }
    }

    /// Files in memory, in path order: everything the build made now (stored files were
    /// checked when they were made).
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }

    /// Files written into the staging folder already, in path order.
    pub fn written(&self) -> impl Iterator<Item = (&str, &Written)> {
        self.written.iter().map(|(p, f)| (p.as_str(), f))
    }

    /// The paths of the files this build made (in memory or written), in no set order.
    pub fn made(&self) -> impl Iterator<Item = &str> {
        self.files
            .keys()
            .chain(self.written.keys())
            .map(String::as_str)
    }

    /// `f` applied, in parallel, to the path and bytes of every file this build made, and,
    /// when the bytes are a part of the file, which part: files in memory whole, written ones
    /// read back from the staging folder, whole or (a streamed file) a part at a time, with
    /// [`CONTEXT`] bytes of the file on either side of the part. Not to the files of earlier
    /// builds, which their own builds checked.
    pub fn map_contents<R: Send>(
        &self,
        f: impl Fn(&str, &[u8], Option<&Part>) -> R + Sync,
    ) -> Result<Vec<R>> {
        use rayon::prelude::*;
        let files: Vec<(&str, &[u8])> = self.files().collect();
        let mut done: Vec<R> = files
            .par_iter()
            .map(|(path, bytes)| f(path, bytes, None))
            .collect();
        let Some(staging) = &self.staging else {
            return Ok(done);
        };
        // (path, where the part begins unless it is the whole file, its length)
        let mut parts: Vec<(&str, Option<Start>, u64)> = Vec::new();
        for (path, file) in &self.written {
            let ends = file.parts.iter().skip(1).map(|p| p.offset);
            let ends = ends.chain(std::iter::once(file.size));
            match file.parts.len() {
                0 | 1 => parts.push((path, None, file.size)),
                _ => parts.extend(
                    file.parts
                        .iter()
                        .zip(ends)
                        .map(|(start, end)| (path.as_str(), Some(*start), end - start.offset)),
                ),
            }
        }
        let read: Vec<R> = parts
            .par_iter()
            .map(|&(path, start, len)| {
                let full = staging.dir.path().join(path);
                let io = Error::io("reading back", &full);
                let Some(start) = start else {
                    return Ok(f(path, &read_part(&full, 0, len).map_err(io)?, None));
                };
                // The part with the text around it, cut at character boundaries.
                let from = start.offset.saturating_sub(CONTEXT);
                let mut bytes =
                    read_part(&full, from, start.offset - from + len + CONTEXT).map_err(io)?;
                let lead = bytes.iter().take_while(|&&b| b & 0xC0 == 0x80).count();
                let lead = lead.min(usize::try_from(start.offset - from).unwrap_or(0));
                bytes.drain(..lead);
                if let Err(e) = std::str::from_utf8(&bytes) {
                    if e.error_len().is_none() {
                        bytes.truncate(e.valid_up_to());
                    }
                }
                let begin = usize::try_from(start.offset - from).unwrap_or(0) - lead;
                let end = (begin + usize::try_from(len).unwrap_or(0)).min(bytes.len());
                let part = Part { start, begin, end };
                Ok(f(path, &bytes, Some(&part)))
            })
            .collect::<Result<_>>()?;
        done.extend(read);
        Ok(done)
    }

    /// Files an earlier build made, in path order.
    pub fn stored(&self) -> impl Iterator<Item = (&str, &Stored)> {
        self.stored.iter().map(|(p, f)| (p.as_str(), f))
    }

    /// The bytes at `path`.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_slice())
    }

    /// The bytes at `path`, shared.
    pub fn get_shared(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        self.files.get(path).cloned()
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len() + self.stored.len() + self.written.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.stored.is_empty() && self.written.is_empty()
    }

    /// Writes the tree to `out`, replacing what was there in one step: into the tree's
    /// staging folder, which must be for `out`, or a new one. Returns the folders left
    /// beside `out` that could not be removed (the previous output, earlier runs' staging
    /// folders), for the caller to warn about.
    pub fn commit(&self, out: &Path) -> Result<Vec<Leftover>> {
        let fresh;
        let staging: &Staging = match &self.staging {
            Some(staging) if staging.target == out => staging,
            Some(staging) => {
                return Err(Error::Usage {
                    message: format!(
                        "the site was staged for {}, not {}",
                        staging.target.display(),
                        out.display()
                    ),
                    help: "build again".into(),
                });
            }
            None => {
                fresh = Staging::beside(out)?;
                &fresh
            }
        };
        self.write_into(staging)?;
        let mut leftovers = swap_in(staging.dir.path(), out, staging.recycle_to.as_deref())?;
        leftovers.extend(staging.leftovers.iter().map(|l| Leftover {
            path: l.path.clone(),
            what: l.what,
            error: std::io::Error::new(l.error.kind(), l.error.to_string()),
        }));
        Ok(leftovers)
    }

    /// Writes every file into `staging`: the folders first, then the files; each in
    /// parallel. Over an adopted previous output, a file from the store that is there already
    /// stays, and whatever the new output does not hold goes.
    fn write_into(&self, staging: &Staging) -> Result<()> {
        use rayon::prelude::*;
        let dir = staging.dir.path();
        let clear_way = |path: &str, what: Making| match &staging.recycled {
            Some(recycled) => recycled.clear_way(dir, path, what),
            None => Ok(()),
        };
        // Every page has a folder of its own: tens of thousands, made level by level (a
        // folder's parent is made first, or with it by `create_dir_all`, which tolerates
        // another task making the same parent).
        // Sorted by depth in parallel: a tree of sets built one path at a time was a
        // twentieth of a build with 50 releases.
        let paths: Vec<&String> = self.files.keys().chain(self.stored.keys()).collect();
        let mut levels: Vec<(usize, &str)> = paths
            .par_iter()
            .filter_map(|rel| rel.rsplit_once('/'))
            .map(|(folder, _)| (folder.matches('/').count(), folder))
            .collect();
        levels.par_sort_unstable();
        levels.dedup();
        for folders in levels.chunk_by(|a, b| a.0 == b.0) {
            folders.par_iter().try_for_each(|&(_, folder)| {
                still_wanted()?;
                if (staging.recycled.as_ref()).is_some_and(|r| r.has_folder(folder)) {
                    return Ok(());
                }
                clear_way(folder, Making::Folder)?;
                let path = dir.join(folder);
                std::fs::create_dir_all(&path).map_err(Error::io("creating folder", &path))
            })?;
        }
        let files: Vec<_> = self.files.iter().collect();
        files.par_iter().try_for_each(|(rel, bytes)| {
            still_wanted()?;
            clear_way(rel, Making::File)?;
            let path = dir.join(rel);
            write_new(&path, bytes).map_err(Error::io("writing", &path))
        })?;
        let stored: Vec<_> = self.stored.iter().collect();
        stored.par_iter().try_for_each(|(rel, file)| {
            still_wanted()?;
            if (staging.recycled.as_ref()).is_some_and(|r| r.holds(rel, file.id)) {
                return Ok(());
            }
            clear_way(rel, Making::File)?;
            let path = dir.join(rel);
            // A hard link costs no copy; across file systems, copy (into a new file: never
            // through one that is there).
            if std::fs::hard_link(&file.source, &path).is_err() {
                std::fs::read(&file.source)
                    .and_then(|bytes| write_new(&path, &bytes))
                    .map_err(Error::io("copying", &file.source))?;
            }
            Ok(())
        })?;
        match &staging.recycled {
            Some(recycled) => {
                let kept = (self.files.keys().chain(self.stored.keys()))
                    .chain(self.written.keys())
                    .map(String::as_str);
                recycled.remove_others(dir, kept)
            }
            None => Ok(()),
        }
    }
}

/// Opens the folder `name` in `at` to list it or look at what it holds, never through a
/// symbolic link (a link in its place fails). Looking at a tree's entries from an open
/// folder spares the kernel walking each one's whole path from the root.
pub(crate) fn open_folder(
    at: std::os::fd::BorrowedFd<'_>,
    name: impl rustix::path::Arg,
) -> rustix::io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(at, name, flags, Mode::empty())
}

/// Creates the file at `path`, which must not exist: never writes through a file (or a link
/// to one) that is there.
fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Writes `bytes` into a new file at `path` ([`create_new`]).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    create_new(path)?.write_all(bytes)
}

/// Holds an exclusive lock on the file at `path` (made if missing, never through a symbolic
/// link) until the returned file is dropped. When another process holds it, `waiting` is
/// told first, then this waits. Where the file system cannot lock (some network mounts), it
/// goes on without the lock.
pub fn lock_file(path: &Path, waiting: impl FnOnce(&Path)) -> Result<std::fs::File> {
    use rustix::fs::{FlockOperation, flock};
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(Error::io("opening", path))?;
    if flock(&file, FlockOperation::NonBlockingLockExclusive)
        .is_err_and(|e| e == rustix::io::Errno::WOULDBLOCK)
    {
        waiting(path);
        let _ = flock(&file, FlockOperation::LockExclusive);
    }
    Ok(file)
}

/// `len` bytes of the file at `path` from byte `offset`.
fn read_part(path: &Path, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read as _, Seek as _};
    let mut file = std::fs::File::open(path)?;
    file.seek(std::io::SeekFrom::Start(offset))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or_default());
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Refuses a path that could leave the output folder.
fn check_plain(path: &str) -> Result<()> {
    if is_plain_path(path) {
        return Ok(());
    }
    Err(Error::Usage {
        message: format!(
            "refusing to write `{path}`: it is not a plain path inside the output folder"
        ),
        help: "rename the file or folder so its path has no `..`, `.` or empty parts".into(),
    })
}

/// Whether `path` is relative, `/`-separated and without `.`, `..` or empty segments: a
/// path that stays inside the folder it is joined to.
pub fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Removes the folders in `parent` whose name starts with `prefix`: staging folders of
/// killed runs, and previous outputs that could not be removed. One that cannot be removed
/// is returned rather than failing the build: the new staging folder gets a name of its own,
/// so it stands in nobody's way.
fn remove_leftovers(parent: &Path, prefix: &str) -> Result<Vec<Leftover>> {
    let entries = std::fs::read_dir(parent).map_err(Error::io("reading folder", parent))?;
    let mut left = Vec::new();
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let path = entry.path();
            if let Err(error) = std::fs::remove_dir_all(&path) {
                left.push(Leftover {
                    path,
                    what: "a folder an earlier build left",
                    error,
                });
            }
        }
    }
    Ok(left)
}

/// Moves the finished `staging` folder to `out`. Where `out` exists, Linux swaps the two in
/// one atomic `renameat2(RENAME_EXCHANGE)` and the old output, now at `staging`, is moved to
/// `recycle_to` (for the next build to adopt) or deleted at once; elsewhere the old output is moved aside first, leaving a moment with no output
/// but never a mix of old and new. Returns the old output when it could not be deleted.
fn swap_in(staging: &Path, out: &Path, recycle_to: Option<&Path>) -> Result<Vec<Leftover>> {
    if !out.exists() {
        std::fs::rename(staging, out).map_err(Error::io("moving the new output to", out))?;
        return Ok(Vec::new());
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // `staging` now names the previous output, which goes now: kept for the next
            // build to adopt where it asks, else deleted. When `out` was a symbolic link to
            // a folder, it names the link: that goes, and the folder it pointed to is left
            // alone.
            let removed = match std::fs::symlink_metadata(staging) {
                Ok(meta) if meta.is_dir() => match recycle_to {
                    Some(to) if std::fs::rename(staging, to).is_ok() => Ok(()),
                    _ => empty(staging).and_then(|()| std::fs::remove_dir(staging)),
                },
                Ok(_) => std::fs::remove_file(staging),
                Err(_) => Ok(()),
            };
            return Ok(previous_left(staging, removed));
        }
    }
    // Named like a staging folder, so that a kill between the two renames leaves nothing
    // the next run does not clear.
    let prefix = staging
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = tempfile::Builder::new()
        .prefix(&format!("{prefix}-previous-"))
        .tempdir_in(staging.parent().unwrap_or(Path::new(".")))
        .map_err(Error::io("creating a folder beside", out))?;
    let old = aside.path().join("output");
    std::fs::rename(out, &old).map_err(Error::io("moving the previous output from", out))?;
    std::fs::rename(staging, out).map_err(Error::io("moving the new output to", out))?;
    let aside = aside.keep();
    let removed = std::fs::remove_dir_all(&aside);
    Ok(previous_left(&aside, removed))
}

/// The previous output at `path`, when `removed` says it could not be removed.
fn previous_left(path: &Path, removed: std::io::Result<()>) -> Vec<Leftover> {
    match removed {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => vec![Leftover {
            path: path.to_path_buf(),
            what: "the previous output",
            error,
        }],
        _ => Vec::new(),
    }
}

/// Removes what the folder `dir` (not a link to one) holds, as far as it can: every folder's
/// entries in parallel, at every depth (a previous output has as many folders as pages, most
/// of them inside one version's folder). Links are removed, never followed. Returns why an
/// entry could not be removed (of the first such entry by name, whatever order the threads
/// met them in).
fn empty(dir: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.flatten().collect();
    let failed: Vec<(PathBuf, std::io::Error)> = entries
        .par_iter()
        .filter_map(|entry| {
            let path = entry.path();
            let removed = match entry.file_type() {
                Ok(t) if t.is_dir() => empty(&path).and_then(|()| std::fs::remove_dir(&path)),
                _ => std::fs::remove_file(&path),
            };
            removed.err().map(|e| (path, e))
        })
        .collect();
    match failed.into_iter().min_by(|a, b| a.0.cmp(&b.0)) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_escape_or_collide() {
        let mut t = OutputTree::default();
        assert!(t.insert("../x".into(), vec![]).is_err());
        assert!(t.insert("a//b".into(), vec![]).is_err());
        assert!(t.insert("/etc/passwd".into(), vec![]).is_err());
        assert!(t.insert("a/b.html".into(), vec![]).is_ok());
        assert!(t.insert("a/b.html".into(), vec![]).is_err());
    }

    #[test]
    fn a_staged_tree_commits_what_it_wrote_early_and_what_it_held() {
        let Ok(dir) = tempfile::tempdir() else {
            return;
        };
        let out = dir.path().join("public");
        let Ok(staging) = Staging::beside(&out) else {
            panic!("no staging folder");
        };
        let mut t = OutputTree::staged(staging);
        assert!(t.maker().make("../escape.html", b"x".to_vec()).is_err());
        let made = t.maker().make("a/b/page.html", b"early".to_vec());
        assert!(
            made.and_then(|m| t.insert_made("a/b/page.html".into(), m))
                .is_ok()
        );
        assert!(t.insert("a/b/page.html".into(), b"again".to_vec()).is_err());
        assert!(t.insert("a/index.html".into(), b"held".to_vec()).is_ok());
        assert_eq!(t.len(), 2);
        assert_eq!(t.written().count(), 1);
        assert!(t.commit(&dir.path().join("elsewhere")).is_err());
        assert!(t.commit(&out).is_ok());
        let read = |p: &str| std::fs::read(out.join(p)).unwrap_or_default();
        assert_eq!(read("a/b/page.html"), b"early");
        assert_eq!(read("a/index.html"), b"held");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec![std::ffi::OsString::from("public")]);
    }
}
