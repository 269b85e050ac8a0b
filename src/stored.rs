//! Build-once for released versions: the rendered output of a release, kept on disk between
//! builds and published again without rendering it.
//!
//! A released version's folder (`/<version>/...`: pages, assets, search index, print
//! stylesheet, root page) depends only on its frozen content, the theme, the configuration,
//! the list of versions (switcher, banners) and the program. [`crate::render`] digests exactly
//! that into a key; a build that finds the key in the store links the kept files into its
//! output instead of rendering, hashing and scanning them again: when only the draft changed,
//! a site with 50 releases of 1,000 pages builds in 0.8 s instead of 22 s (README,
//! "Benchmark"); what remains is checking each snapshot and linking its files.
//!
//! The key also covers this program's own bytes (a different keyguide never reuses output it
//! did not make) and a salt from the build ([`Keep::salt`]: the customer names and ids the
//! evidence check searches the output for), so a kept file has passed every check its build
//! would run. The store is `.keyguide/cache/releases/` in the site root (ignored by git):
//!
//! ```text
//! <key hex>/files/<path inside the version folder>   the files (hard links into the output)
//! <key hex>/index.json                               path, size, SHA-256 and stamp of each
//! stamps.bin                                         the last build's text files' stamps
//! ```
//!
//! `stamps.bin` ([`crate::memo::Memo::remembered`]) lets the next build know a text file it
//! finds with the same size, modification and status-change times and inode by its recorded
//! digest, without reading it when it holds the same text already: most files of a release
//! snapshot are the draft's. KG050 then compares that digest with the ledger. No tool can
//! set a status-change time back, so a file written since has another stamp and is read.
//!
//! Files are hard links shared with the published output, so keeping them costs no copy. A
//! tool that rewrites a published file in place would change the kept one too, so every file's
//! size, modification time and inode are recorded and checked before reuse: any difference
//! and the entry is dropped and the version rendered afresh. A file whose status-change time
//! is later than the entry's settling by the last build that used it (`touch -d` sets the
//! modification time back, never the status-change time) is hashed and must still hold its
//! recorded bytes. The same check means a store that
//! did not come from a build on this file system (committed to the repository by a pull
//! request, copied, unpacked) is never used: a checkout or copy makes new inodes, so nobody can
//! slip pre-rendered pages past the checks by shipping a store. An entry is written under a
//! temporary name and renamed into place, so a killed build leaves no half entry; its files
//! are read back and compared with the build's digests first (another build may have replaced
//! the output folder meanwhile). An entry is used only when it lists every page of its
//! version, its paths are plain and no symbolic link lies on the way to a file; the store's
//! own folders must not be links, and the clean-up after each build removes only names the
//! store makes. It keeps what that build used and, least recently used going first, at most as
//! many other entries: alternating `build` and `build --drafts` (whose switchers differ) reuses
//! both kinds, while the store stays within twice the size of one build's released output.
//! `keyguide build --no-cache` ignores it.

use std::collections::BTreeSet;
use std::os::fd::AsFd as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rustix::fs::{AtFlags, FileType};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::memo::{self, Digest};
use crate::output::{self, OutputTree, Stored};

/// The store's folder, relative to the site root.
pub const DIR: &str = ".keyguide/cache/releases";

/// An entry's list of its files.
const INDEX: &str = "index.json";

/// The stamps and digests of the text files the last build read ([`Store::stamps`]).
const STAMPS: &str = "stamps.bin";

/// The rendered output of released versions, kept between builds.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// The digest of the running program, made beside the build's first stages ([`Program`]).
    program: Program,
    /// The permission bits and owner a file this build writes gets: a kept file must have
    /// them too, so the output does not depend on how an earlier build or a tool left the
    /// shared file (`chmod` on a published page changes the kept copy too).
    file_mode: (u32, u32),
    /// Held while the store is open: one build at a time uses it.
    _lock: std::fs::File,
    used: Mutex<Used>,
}

/// What one build did with the store.
#[derive(Debug, Default)]
struct Used {
    /// Keys of the entries it published from the store.
    reused: BTreeSet<Digest>,
    /// How many of them were released versions' folders.
    versions: usize,
    /// Versions it rendered, to keep: (output folder prefix, key).
    fresh: Vec<(String, Digest)>,
}

/// One kept file, as `index.json` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    path: String,
    size: u64,
    sha256: String,
    mtime_ns: i128,
    inode: u64,
}

/// The digest of this program's own file, read and hashed on a thread of its own: tens of
/// megabytes of SHA-256 took a tenth of a 1,000-page build when the build waited for it.
#[derive(Debug)]
struct Program {
    pending: Mutex<Option<std::thread::JoinHandle<Option<Digest>>>>,
    digest: std::sync::OnceLock<Option<Digest>>,
}

impl Program {
    /// Starts hashing the program's `file`.
    fn digest(file: std::fs::File) -> Program {
        // A block at a time: the whole file in memory at once was a third of a small site's
        // peak memory.
        let hashing = std::thread::spawn(move || memo::digest_reader(file).ok());
        Program {
            pending: Mutex::new(Some(hashing)),
            digest: std::sync::OnceLock::new(),
        }
    }

    /// The digest, waiting for it the first time; none when the file could not be read
    /// (then nothing is reused or kept).
    fn get(&self) -> Option<&Digest> {
        self.digest
            .get_or_init(|| {
                let pending = self.pending.lock();
                let hashing = pending.unwrap_or_else(PoisonError::into_inner).take();
                hashing.and_then(|h| h.join().ok()).flatten()
            })
            .as_ref()
    }
}

/// The store, with what the build adds to every key.
#[derive(Debug, Clone, Copy)]
pub struct Keep<'s> {
    /// The store.
    pub store: &'s Store,
    /// The build's own inputs that every kept file was checked against.
    pub salt: Digest,
}

impl Store {
    /// Opens (creating) the store of the site at `root`, waiting for any other build using it
    /// (after calling `waiting` with the lock file it waits on). None when this program's own
    /// file cannot be opened to digest it: then nothing is kept.
    pub fn open(root: &Path, waiting: impl FnOnce(&Path)) -> Result<Option<Store>> {
        let Some(program) = std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::File::open(exe).ok())
            .map(Program::digest)
        else {
            return Ok(None);
        };
        // Each folder on the way must be a real folder: a symbolic link committed in its place
        // would send the clean-up after each build into another folder.
        let mut dir = root.to_path_buf();
        for part in DIR.split('/') {
            dir.push(part);
            match std::fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(Error::Usage {
                        message: format!(
                            "{} is not a folder (a symbolic link or a file), so the cache is not used",
                            dir.display()
                        ),
                        help: "remove it; keyguide makes the folder itself".into(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir(&dir).map_err(Error::io("creating folder", &dir))?;
                }
                Err(e) => return Err(Error::io("reading", &dir)(e)),
            }
        }
        // Another build of this site holds the store: `waiting` says so before this waits.
        let lock = output::lock_file(&dir.join(".lock"), waiting)?;
        let file_mode = new_file_mode(&dir)?;
        Ok(Some(Store {
            dir,
            program,
            file_mode,
            _lock: lock,
            used: Mutex::default(),
        }))
    }

    /// Where the output a build into `out` replaces is kept for the next build into `out`
    /// to write over ([`crate::output::Staging::recycling`]): `.keyguide/cache/outputs/`,
    /// one folder per output folder, of which the most recently built other one stays too
    /// (`public` and a second `--out`); older ones go. None when that folder cannot be made
    /// (or is not a plain folder): the old output is then deleted, as without the store.
    pub fn previous_output(&self, out: &Path) -> Option<PathBuf> {
        let outputs = self.outputs_dir()?;
        match std::fs::symlink_metadata(&outputs) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return None,
            Err(_) => std::fs::create_dir(&outputs).ok()?,
        }
        let out = std::path::absolute(out).ok()?;
        let name = memo::hex(&memo::digest(out.as_os_str().as_encoded_bytes()))[..16].to_owned();
        // Each build writes its top folder's files anew, so a kept output's folder was last
        // modified by the build that made it.
        let mut others: Vec<(Option<std::time::SystemTime>, PathBuf)> = std::fs::read_dir(&outputs)
            .ok()?
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n != name))
            .map(|e| (e.metadata().and_then(|m| m.modified()).ok(), e.path()))
            .collect();
        others.sort_by(|a, b| b.cmp(a));
        for (_, path) in others.into_iter().skip(1) {
            let _ = remove(&path);
        }
        Some(outputs.join(name))
    }

    /// `.keyguide/cache/outputs/`, where previous outputs are kept.
    fn outputs_dir(&self) -> Option<PathBuf> {
        Some(self.dir.parent()?.join("outputs"))
    }

    /// Why a build cannot write over its previous output, when `.keyguide/cache/outputs` is
    /// there but not a folder (a symbolic link or a file, never followed): the build then
    /// writes every file anew, which only takes longer, and says so.
    pub fn outputs_unusable(&self) -> Option<String> {
        let outputs = self.outputs_dir()?;
        let meta = std::fs::symlink_metadata(&outputs).ok()?;
        (!meta.is_dir()).then(|| {
            format!(
                "{} is not a folder (a symbolic link or a file), so the previous output is not reused",
                outputs.display()
            )
        })
    }

    /// The store with the build's `salt`.
    pub fn keep(&self, salt: Digest) -> Keep<'_> {
        Keep { store: self, salt }
    }

    /// What the last build recorded of the site's text files ([`crate::memo::Memo::remembered`]),
    /// empty when there is nothing.
    pub fn stamps(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(STAMPS)).unwrap_or_default()
    }

    /// Records `stamps` for the next build; written whole or not at all.
    pub fn keep_stamps(&self, stamps: &[u8]) -> Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix(".new-")
            .tempfile_in(&self.dir)
            .map_err(Error::io("creating a file in", &self.dir))?;
        std::io::Write::write_all(&mut file, stamps).map_err(Error::io("writing", file.path()))?;
        let path = self.dir.join(STAMPS);
        file.persist(&path)
            .map_err(|e| Error::io("writing", &path)(e.error))?;
        Ok(())
    }

    /// How many released versions this build published from the store.
    pub fn reused(&self) -> usize {
        self.used().versions
    }

    fn used(&self) -> std::sync::MutexGuard<'_, Used> {
        self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the versions rendered by the build just committed to `out` (whose file digests
    /// are `digests`), then drops the entries the build did not use beyond as many as it used,
    /// least recently used first. Failing to keep is not the build's failure: the caller
    /// reports it as a warning.
    pub fn save(
        &self,
        out: &Path,
        tree: &OutputTree,
        digests: &std::collections::BTreeMap<String, Digest>,
    ) -> Result<()> {
        let Used {
            reused: mut used,
            mut fresh,
            ..
        } = std::mem::take(&mut *self.used());
        // Entries are looked up in parallel; kept in one order, whatever that was.
        fresh.sort();
        for (prefix, key) in fresh {
            let files = tree
                .made()
                .filter_map(|path| path.strip_prefix(&prefix).map(|rel| (path, rel)));
            self.put(out, &key, files, digests)?;
            used.insert(key);
        }
        // The build has linked and unlinked every file of the entries it used (each such
        // change sets the file's status-change time): those entries are settled now. Their
        // index's modification time says so, and when they were last used.
        for key in &used {
            settle(&self.dir.join(memo::hex(key)).join(INDEX));
        }
        // Entries of other kinds of build (a `build --drafts` between two `build`s, whose
        // switchers differ) stay while there are no more of them than this build used, the
        // most recently used first; unfinished entries of killed builds go. Only names the
        // store makes are touched.
        let mut others = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(Error::io("reading", &self.dir))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            match memo::from_hex(&name) {
                Some(key) if used.contains(&key) => {}
                Some(_) => {
                    let last_used = std::fs::metadata(entry.path().join(INDEX))
                        .and_then(|m| m.modified())
                        .ok();
                    others.push((last_used, entry.path()));
                }
                None if name.starts_with(".new-") => remove(&entry.path())?,
                None => {}
            }
        }
        others.sort_by(|a, b| b.cmp(a));
        for (_, path) in others.into_iter().skip(used.len()) {
            remove(&path)?;
        }
        Ok(())
    }

    /// Writes the entry `key` from `files` ((output path, path inside the version)) of the
    /// committed output `out`.
    fn put<'f>(
        &self,
        out: &Path,
        key: &Digest,
        files: impl Iterator<Item = (&'f str, &'f str)>,
        digests: &std::collections::BTreeMap<String, Digest>,
    ) -> Result<()> {
        let final_dir = self.dir.join(memo::hex(key));
        if std::fs::symlink_metadata(&final_dir).is_ok() {
            // Unusable (`Keep::read` found it so): replace it.
            remove(&final_dir)?;
        }
        let staging = tempfile::Builder::new()
            .prefix(".new-")
            .tempdir_in(&self.dir)
            .map_err(Error::io("creating a folder in", &self.dir))?;
        let mut linked = Vec::new();
        for (path, rel) in files {
            let (from, to) = (out.join(path), staging.path().join("files").join(rel));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(Error::io("creating folder", parent))?;
            }
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).map_err(Error::io("copying", &from))?;
            }
            let Some(digest) = digests.get(path) else {
                return Ok(());
            };
            linked.push((rel, to, digest));
        }
        // The output folder is not locked after the swap: another build may have replaced it
        // since. Keep only bytes that are this build's.
        use rayon::prelude::*;
        let index: Vec<Entry> = linked
            .par_iter()
            .map(|(rel, to, digest)| {
                let meta = std::fs::metadata(to).map_err(Error::io("reading", to))?;
                if memo::digest_file(to).map_err(Error::io("reading", to))? != **digest {
                    return Err(Error::Usage {
                        message: format!(
                            "{} changed while it was being kept",
                            out.join(rel).display()
                        ),
                        help: "another build wrote the same output folder; build again".into(),
                    });
                }
                Ok(Entry {
                    path: (*rel).to_owned(),
                    size: meta.len(),
                    sha256: memo::hex(digest),
                    mtime_ns: mtime_ns(&meta),
                    inode: meta.ino(),
                })
            })
            .collect::<Result<_>>()?;
        let json = serde_json::to_vec(&index).unwrap_or_default();
        let index_path = staging.path().join(INDEX);
        std::fs::write(&index_path, json).map_err(Error::io("writing", &index_path))?;
        let kept = staging.keep();
        std::fs::rename(&kept, &final_dir).map_err(Error::io("renaming", &kept))
    }
}

impl Keep<'_> {
    /// The full key of a version whose own inputs digest to `inputs`; none when this
    /// program's digest could not be made.
    fn key(&self, inputs: &Digest) -> Option<Digest> {
        Some(memo::digest_of(&[
            b"keyguide stored release output 1",
            self.store.program.get()?,
            &self.salt,
            inputs,
        ]))
    }

    /// The kept files of the version whose own inputs digest to `inputs`, to publish under
    /// `prefix` (its output folder, ending in `/`), when they are there, untouched and hold at
    /// least the files `expected` (paths inside the version folder: its pages); else none,
    /// and the version is kept after this build renders it. The same for another folder the
    /// build makes whole from the site's shape (`/latest/`'s redirect pages), when `version`
    /// is false: those are not counted in [`Store::reused`].
    pub fn get(
        &self,
        inputs: &Digest,
        prefix: &str,
        expected: &[String],
        version: bool,
    ) -> Option<Vec<(String, Stored)>> {
        let key = &self.key(inputs)?;
        let dir = self.store.dir.join(memo::hex(key));
        let found = read(&dir, prefix, expected, self.store.file_mode);
        if found.is_none() && std::fs::symlink_metadata(&dir).is_ok() {
            // Not usable as it is: render afresh, and let this build keep it anew.
            let _ = remove(&dir);
        }
        match found {
            Some(_) => {
                let mut used = self.store.used();
                used.reused.insert(*key);
                used.versions += usize::from(version);
            }
            None => self.store.used().fresh.push((prefix.to_owned(), *key)),
        }
        found
    }
}

/// Sets the modification time of the file at `path` (not a link) to the file system's
/// present time: the clock its status-change times come from.
fn settle(path: &Path) {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, UTIME_NOW, UTIME_OMIT, utimensat};
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        },
    };
    let _ = utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW);
}

/// The entry in `dir`, checked: every path plain and listed once, every expected file there,
/// no symbolic link on the way to any file, every file the very one recorded and not changed
/// since the build that last used the entry settled it ([`settle`]). Size, modification time
/// and inode catch most rewrites; a rewrite with its modification time set back (`touch -d`,
/// `rsync -t`) still sets the status-change time, which no tool can set back.
fn read(
    dir: &Path,
    prefix: &str,
    expected: &[String],
    (mode, owner): (u32, u32),
) -> Option<Vec<(String, Stored)>> {
    let settled = std::fs::symlink_metadata(dir.join(INDEX))
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| nanos(m.mtime(), m.mtime_nsec()))?;
    let index = std::fs::read(dir.join(INDEX)).ok()?;
    let index: Vec<Entry> = serde_json::from_slice(&index).ok()?;
    let paths: BTreeSet<&str> = index.iter().map(|e| e.path.as_str()).collect();
    let complete = paths.len() == index.len()
        && paths.iter().all(|p| output::is_plain_path(p))
        && expected.iter().all(|p| paths.contains(p.as_str()));
    if !complete {
        return None;
    }
    let files = dir.join("files");
    // The entry and its `files` folder must be folders, not links to some elsewhere. Every
    // file and folder below is looked at from the open `files` folder: walking the whole
    // path from the root for each of a version's thousands of files was most of the time a
    // build spent here.
    let entry_fd = output::open_folder(rustix::fs::CWD, dir).ok()?;
    let files_fd = output::open_folder(entry_fd.as_fd(), "files").ok()?;
    let stat = |rel: &str| rustix::fs::statat(&files_fd, rel, AtFlags::SYMLINK_NOFOLLOW).ok();
    let is = |st: &rustix::fs::Stat, kind| rustix::fs::FileType::from_raw_mode(st.st_mode) == kind;
    // Folders by their path in the entry: a set of paths compared as strings, since
    // comparing `PathBuf`s part by part was most of the time a build spent here. No
    // symbolic link on the way: only a file's last part is checked below.
    let folders: BTreeSet<&str> = index
        .iter()
        .flat_map(|e| e.path.match_indices('/').map(|(end, _)| &e.path[..end]))
        .collect();
    use rayon::prelude::*;
    let folders: Vec<&str> = folders.into_iter().collect();
    if !folders
        .par_iter()
        .all(|f| stat(f).is_some_and(|st| is(&st, FileType::Directory)))
    {
        return None;
    }
    index
        .par_iter()
        .map(|e| {
            let digest = memo::from_hex(&e.sha256)?;
            let st = stat(&e.path)?;
            let same = is(&st, FileType::RegularFile)
                && u64::try_from(st.st_size).ok() == Some(e.size)
                && nanos(st.st_mtime, st.st_mtime_nsec) == e.mtime_ns
                && st.st_ino == e.inode
                && (st.st_mode & 0o7777, st.st_uid) == (mode, owner);
            // Changed since the entry was settled: by this store's own links and unlinks
            // when another kind of build used the output since (`build` after
            // `build --drafts`), or by a rewrite. Its bytes decide.
            // Strictly earlier: a file changed within the same tick of the file system's
            // clock as the settling shows the same time.
            let settled_before = nanos(st.st_ctime, st.st_ctime_nsec) < settled;
            let source = files.join(&e.path);
            let untouched =
                same && (settled_before || memo::digest_file(&source).is_ok_and(|d| d == digest));
            untouched.then(|| {
                (
                    format!("{prefix}{}", e.path),
                    Stored {
                        source,
                        size: e.size,
                        digest,
                        id: (st.st_dev, st.st_ino),
                    },
                )
            })
        })
        .collect()
}

/// The permission bits and owner of a file this process creates (the umask applied): a
/// file made in `dir` and removed again.
fn new_file_mode(dir: &Path) -> Result<(u32, u32)> {
    let probe = dir.join(".mode");
    let _ = std::fs::remove_file(&probe);
    std::fs::File::create_new(&probe).map_err(Error::io("creating", &probe))?;
    let meta = std::fs::symlink_metadata(&probe).map_err(Error::io("reading", &probe));
    let _ = std::fs::remove_file(&probe);
    let meta = meta?;
    Ok((meta.mode() & 0o7777, meta.uid()))
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    nanos(meta.mtime(), meta.mtime_nsec())
}

/// A time in nanoseconds from its seconds and nanoseconds, as a file's status gives them.
fn nanos(seconds: i64, nanoseconds: impl TryInto<i128>) -> i128 {
    i128::from(seconds) * 1_000_000_000 + nanoseconds.try_into().unwrap_or_default()
}

/// Removes a store entry (a symbolic link is removed, never followed).
fn remove(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(Error::io("reading", path))?;
    if !meta.is_dir() {
        return std::fs::remove_file(path).map_err(Error::io("removing", path));
    }
    match std::fs::remove_dir_all(path) {
        // A folder in it its owner made unlistable or read-only (`chmod 000`): the store is
        // the build's own, so it is opened up and removed rather than kept for good.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            open_up(path).map_err(Error::io("removing", path))?;
            std::fs::remove_dir_all(path).map_err(Error::io("removing", path))
        }
        done => done.map_err(Error::io("removing", path)),
    }
}

/// Gives the folder `dir` and every folder in it (never through a link) the permissions
/// its owner needs to list and empty it.
fn open_up(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            open_up(&entry.path())?;
        }
    }
    Ok(())
}
