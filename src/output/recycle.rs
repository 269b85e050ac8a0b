//! A previous output reused as the next build's staging folder ([`super::Staging::recycling`]).
//!
//! After a build swaps its new output in, the old one is moved into the site's cache instead
//! of being deleted. The next build into the same place adopts it as its staging folder and
//! writes over it: a file it publishes again from the store (a released version's page, a
//! `/latest/` redirect, a feed) is often the very file there already, the same inode, and
//! stays; everything else is replaced or removed before the swap. Deleting an old output and
//! linking a new one file by file was a third of a warm 10,000-page build.
//!
//! Nothing of the old tree is trusted. When it is adopted, every entry is listed and anything
//! but a plain file or folder (a symbolic link, a named pipe) is removed, so no write can
//! leave the staging folder. A file is never written through: whatever is at a path is
//! unlinked first and the new file created exclusively, so a hard link into the store is
//! never changed. A file is kept only when it is the store's own file (same device and
//! inode), whose bytes the store checked. Every file and folder the new output does not hold
//! is removed before the swap.

// A hasher without SipHash's cost: an adopted output lists tens of thousands of paths,
// hashed again when the new output's are compared with them. Seeded per process, as the
// standard one is, so names in the content cannot be chosen to collide.
use foldhash::{HashMap, HashSet, HashSetExt as _};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// A file's identity: its device and inode.
pub type FileId = (u64, u64);

/// What an adopted previous output held: every file (by path, `/`-separated) with its
/// identity, and every folder.
#[derive(Debug, Default)]
pub struct Recycled {
    files: HashMap<String, FileId>,
    folders: HashSet<String>,
    /// Paths of old entries removed to make way for a file or folder of the new output
    /// (where the shape of the site changed), so two writers do not both remove one.
    cleared: Mutex<HashSet<String>>,
}

/// What is to be made at a path: decides which old entry is in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Making {
    File,
    Folder,
}

impl Recycled {
    /// Lists the tree at `root` and removes from it anything but plain files and folders
    /// (names that are not UTF-8 too: no output path has one); gives every folder the
    /// permission bits of a folder the build makes (`made`: its mode and owner), also one the
    /// user made unreadable. Fails when a folder in it is not the user's (someone gave it
    /// away, or another user made it) or cannot be written even so: the build then starts
    /// afresh.
    pub fn survey(root: &Path, made: (u32, u32)) -> std::io::Result<Recycled> {
        use std::os::unix::fs::MetadataExt as _;
        let device = std::fs::symlink_metadata(root)?.dev();
        let top = open_adopted(rustix::fs::CWD, root, made)?;
        let listing = survey_folder(top, root, "", (device, made))?;
        Ok(Recycled {
            files: listing.files.into_iter().collect(),
            folders: listing.folders.into_iter().collect(),
            cleared: Mutex::default(),
        })
    }

    /// Whether the old tree has the folder `path` (making it again would only cost a
    /// system call that fails). Only a file of the new output replaces one, and no file of
    /// the new output is inside such a folder.
    pub fn has_folder(&self, path: &str) -> bool {
        self.folders.contains(path)
    }

    /// Whether the old file at `path` is `id`: the file to publish there already.
    pub fn holds(&self, path: &str, id: FileId) -> bool {
        self.files.get(path) == Some(&id)
    }

    /// Removes from `root` what is in the way of making `what` at `path`: an old file where
    /// `path` needs a folder, an old folder where a file goes, the old file at `path`.
    pub fn clear_way(&self, root: &Path, path: &str, what: Making) -> Result<()> {
        let folders = path.match_indices('/').map(|(end, _)| &path[..end]);
        for folder in folders.chain((what == Making::Folder).then_some(path)) {
            if self.files.contains_key(folder) {
                self.clear_once(root, folder, false)?;
            }
        }
        if what == Making::File {
            if self.folders.contains(path) {
                self.clear_once(root, path, true)?;
            } else if self.files.contains_key(path) {
                // Only this file's writer comes here.
                remove(root, path, false)?;
            }
        }
        Ok(())
    }

    fn clear_once(&self, root: &Path, path: &str, folder: bool) -> Result<()> {
        let mut cleared = self
            .cleared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cleared.insert(path.to_owned()) {
            true => remove(root, path, folder),
            false => Ok(()),
        }
    }

    /// Removes from `root` every old file and folder the new output does not hold: its files
    /// are `kept`.
    pub fn remove_others<'k>(
        &self,
        root: &Path,
        kept: impl Iterator<Item = &'k str>,
    ) -> Result<()> {
        use rayon::prelude::*;
        let mut wanted_files = HashSet::new();
        let mut wanted_folders = HashSet::new();
        for path in kept {
            wanted_folders.extend(path.match_indices('/').map(|(end, _)| &path[..end]));
            wanted_files.insert(path);
        }
        let parent = |path: &str| path.rsplit_once('/').map(|(folder, _)| folder.to_owned());
        // An old folder with nothing of the new output in it (and not replaced by a file)
        // goes whole; only the outermost such folder is named.
        let gone: HashSet<&str> = (self.folders.iter())
            .filter(|f| !wanted_folders.contains(f.as_str()) && !wanted_files.contains(f.as_str()))
            .map(String::as_str)
            .collect();
        let outside_gone = |path: &str| parent(path).is_none_or(|p| !gone.contains(p.as_str()));
        let folders: Vec<&str> = gone.iter().copied().filter(|f| outside_gone(f)).collect();
        let files: Vec<&str> = (self.files.keys())
            .map(String::as_str)
            .filter(|f| !wanted_files.contains(f) && !wanted_folders.contains(f) && outside_gone(f))
            .collect();
        folders
            .par_iter()
            .try_for_each(|folder| remove(root, folder, true))?;
        files
            .par_iter()
            .try_for_each(|file| remove(root, file, false))
    }
}

/// Opens the folder `name` in `at` ([`super::open_folder`]). A folder of the user's whose
/// mode does not let them list it (`chmod 000`) is given the mode of a folder the build
/// makes (`made`) first, as every adopted folder is.
fn open_adopted(
    at: BorrowedFd<'_>,
    name: impl rustix::path::Arg + Copy,
    (mode, owner): (u32, u32),
) -> std::io::Result<OwnedFd> {
    use rustix::fs::{AtFlags, FileType, Mode};
    match super::open_folder(at, name) {
        Err(rustix::io::Errno::ACCESS) => {
            let st = rustix::fs::statat(at, name, AtFlags::SYMLINK_NOFOLLOW)?;
            if FileType::from_raw_mode(st.st_mode) != FileType::Directory || st.st_uid != owner {
                return Err(not_the_users());
            }
            rustix::fs::chmodat(at, name, Mode::from_raw_mode(mode), AtFlags::empty())?;
            Ok(super::open_folder(at, name)?)
        }
        opened => Ok(opened?),
    }
}

/// Why a folder of another user's is not adopted.
fn not_the_users() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        "a folder in it is another user's",
    )
}

/// What a folder of an adopted output holds, everything below it included.
#[derive(Default)]
struct Listing {
    files: Vec<(String, FileId)>,
    folders: Vec<String>,
}

/// Lists the open folder `folder`, which is `rel` (`""` for the root) under `root`, its
/// subfolders in parallel. Everything is done from open folders: an adopted output has a
/// folder per page, and walking each one's whole path from the root again for every look at
/// it was most of the time adopting took.
fn survey_folder(
    folder: OwnedFd,
    root: &Path,
    rel: &str,
    (device, made): (u64, (u32, u32)),
) -> std::io::Result<Listing> {
    use rayon::prelude::*;
    use rustix::fs::FileType;
    let mut dir = rustix::fs::Dir::new(folder)?;
    as_made(dir.fd()?, made)?;
    let mut entries = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            entries.push((name.to_owned(), entry.file_type(), entry.ino()));
        }
    }
    let at = dir.fd()?;
    let mut found = Listing::default();
    let mut folders = Vec::new();
    for (name, kind, ino) in entries {
        let kind = match kind {
            // Some file systems do not say in the listing.
            FileType::Unknown => {
                let st = rustix::fs::statat(at, &name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
                FileType::from_raw_mode(st.st_mode)
            }
            kind => kind,
        };
        let is_folder = kind == FileType::Directory;
        let name = match name.into_string() {
            Ok(name) => name,
            Err(e) => {
                // No output path has such a name.
                let name = e.into_cstring();
                let name = std::ffi::OsStr::from_bytes(name.as_bytes());
                remove_entry(&root.join(rel).join(name), is_folder)?;
                continue;
            }
        };
        let path = match rel {
            "" => name,
            _ => format!("{rel}/{name}"),
        };
        if is_folder {
            folders.push(path);
        } else if kind == FileType::RegularFile {
            found.files.push((path, (device, ino)));
        } else {
            remove_entry(&root.join(&path), false)?;
        }
    }
    let inner: Vec<std::io::Result<Listing>> = folders
        .par_iter()
        .map(|path| {
            let name = path.rsplit('/').next().unwrap_or(path);
            let folder = open_adopted(at, name, made)?;
            survey_folder(folder, root, path, (device, made))
        })
        .collect();
    for inner in inner {
        let inner = inner?;
        found.files.extend(inner.files);
        found.folders.extend(inner.folders);
    }
    found.folders.extend(folders);
    Ok(found)
}

/// Gives the open folder `dir` the permission bits of a folder the build makes (`made`: its
/// mode and owner) when it has others, then checks that this process may add and remove
/// entries in it. A folder that is not the owner's a new folder gets fails here, also for
/// root, who could change it: whoever owns it could change the published site. A folder
/// whose mode lets its owner write needs no asking (one system call fewer for each of tens
/// of thousands of folders); an immutable folder (`chattr +i`) is then reported by the write
/// that fails rather than by starting afresh.
fn as_made(dir: BorrowedFd<'_>, (mode, owner): (u32, u32)) -> std::io::Result<()> {
    use rustix::fs::{Access, AtFlags, Mode};
    let st = rustix::fs::fstat(dir)?;
    if st.st_uid != owner {
        return Err(not_the_users());
    }
    if st.st_mode & 0o7777 != mode {
        rustix::fs::fchmod(dir, Mode::from_raw_mode(mode))?;
    }
    if mode & 0o200 != 0 {
        return Ok(());
    }
    Ok(rustix::fs::accessat(
        dir,
        c".",
        Access::WRITE_OK,
        AtFlags::empty(),
    )?)
}

/// Removes `path` under `root` (a folder with all it holds); already gone is fine, and so is
/// a path inside an old folder that a file of the new output replaced.
fn remove(root: &Path, path: &str, folder: bool) -> Result<()> {
    let full = root.join(path);
    remove_entry(&full, folder).map_err(Error::io("removing", &full))
}

fn remove_entry(full: &Path, folder: bool) -> std::io::Result<()> {
    let removed = match folder {
        true => std::fs::remove_dir_all(full),
        false => std::fs::remove_file(full),
    };
    match removed {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}
