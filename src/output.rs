//! The built site in memory, and writing it to disk atomically.
//!
//! Every output file goes through [`OutputTree::insert`], which refuses paths that could
//! leave the output folder and two files at one path. [`OutputTree::commit`] writes the tree
//! into a staging folder beside the target and swaps it in with one rename (an atomic
//! exchange on Linux), so a failed or killed build leaves the previous output untouched and
//! readers never see half a site.
//!
//! A file is either bytes in memory or a file on disk that an earlier build made and that is
//! published as it is ([`Stored`]: a released version's output kept by [`crate::stored`]);
//! stored files are never read, only linked (or copied) into place, with the size and
//! digest recorded when they were made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::memo::Digest;

/// Output files by path relative to the output root (`/`-separated), in sorted order. The
/// bytes are shared, so a page kept between rebuilds (`keyguide serve`) is not copied.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutputTree {
    files: BTreeMap<String, Arc<Vec<u8>>>,
    stored: BTreeMap<String, Stored>,
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
}

impl OutputTree {
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
        if !is_plain_path(path) {
            return Err(Error::Usage {
                message: format!(
                    "refusing to write `{path}`: it is not a plain path inside the output folder"
                ),
                help: "rename the file or folder so its path has no `..`, `.` or empty parts"
                    .into(),
            });
        }
        if self.files.contains_key(path) || self.stored.contains_key(path) {
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
        self.files.len() + self.stored.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.stored.is_empty()
    }

    /// Writes the tree to `out`, replacing what was there in one step.
    pub fn commit(&self, out: &Path) -> Result<()> {
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
        if locked {
            remove_leftovers(&parent, &prefix)?;
        }
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(Error::io("creating staging folder in", &parent))?;
        self.write_into(staging.path())?;
        swap_in(staging, out)
    }

    /// Writes every file into `dir`: the folders first, then the files; each in parallel.
    fn write_into(&self, dir: &Path) -> Result<()> {
        use rayon::prelude::*;
        // Every page has a folder of its own: tens of thousands, made level by level (a
        // folder's parent is made first, or with it by `create_dir_all`, which tolerates
        // another task making the same parent).
        let mut levels: std::collections::BTreeMap<usize, std::collections::BTreeSet<&str>> =
            std::collections::BTreeMap::new();
        for rel in self.files.keys().chain(self.stored.keys()) {
            if let Some((folder, _)) = rel.rsplit_once('/') {
                levels
                    .entry(folder.matches('/').count())
                    .or_default()
                    .insert(folder);
            }
        }
        for folders in levels.values() {
            folders.par_iter().try_for_each(|folder| {
                let path = dir.join(folder);
                std::fs::create_dir_all(&path).map_err(Error::io("creating folder", &path))
            })?;
        }
        let files: Vec<_> = self.files.iter().collect();
        files.par_iter().try_for_each(|(rel, bytes)| {
            let path = dir.join(rel);
            std::fs::write(&path, bytes.as_slice()).map_err(Error::io("writing", &path))
        })?;
        let stored: Vec<_> = self.stored.iter().collect();
        stored.par_iter().try_for_each(|(rel, file)| {
            let path = dir.join(rel);
            // A hard link costs no copy; across file systems, copy.
            if std::fs::hard_link(&file.source, &path).is_err() {
                std::fs::copy(&file.source, &path).map_err(Error::io("copying", &file.source))?;
            }
            Ok(())
        })
    }
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
/// killed runs (and, where no atomic exchange exists, the previous output set aside).
fn remove_leftovers(parent: &Path, prefix: &str) -> Result<()> {
    let entries = std::fs::read_dir(parent).map_err(Error::io("reading folder", parent))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(Error::io("removing the leftover", &path))?;
        }
    }
    Ok(())
}

/// Moves the finished `staging` folder to `out`. Where `out` exists, Linux swaps the two in
/// one atomic `renameat2(RENAME_EXCHANGE)` and the old output is deleted with the staging
/// guard; elsewhere the old output is moved aside first, leaving a moment with no output
/// but never a mix of old and new.
fn swap_in(staging: tempfile::TempDir, out: &Path) -> Result<()> {
    if !out.exists() {
        let path = staging.keep();
        return std::fs::rename(&path, out).map_err(Error::io("moving the new output to", out));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staging.path(), CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // `staging` now names the previous output; dropping the guard removes it. When
            // `out` was a symbolic link to a folder, it names the link: that goes, and the
            // folder it pointed to is left alone.
            if std::fs::symlink_metadata(staging.path()).is_ok_and(|m| m.is_dir()) {
                empty(staging.path());
            }
            return Ok(());
        }
    }
    // Named like a staging folder, so that a kill between the two renames leaves nothing
    // the next run does not clear.
    let prefix = staging
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = tempfile::Builder::new()
        .prefix(&format!("{prefix}-previous-"))
        .tempdir_in(staging.path().parent().unwrap_or(Path::new(".")))
        .map_err(Error::io("creating a folder beside", out))?;
    let old = aside.path().join("output");
    std::fs::rename(out, &old).map_err(Error::io("moving the previous output from", out))?;
    let path = staging.keep();
    std::fs::rename(&path, out).map_err(Error::io("moving the new output to", out))?;
    Ok(())
}

/// Removes what the folder `dir` (not a link to one) holds, its entries in parallel, as far
/// as it can: a previous output has as many folders as pages. Links are removed, never
/// followed.
fn empty(dir: &Path) {
    use rayon::prelude::*;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let entries: Vec<std::fs::DirEntry> = entries.flatten().collect();
    entries.par_iter().for_each(|entry| {
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    });
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
}
