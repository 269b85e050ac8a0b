//! `SiteTest`: a site in a temporary folder, and the `keyguide` binary run on it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A site in a temporary folder.
pub struct SiteTest {
    dir: tempfile::TempDir,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl SiteTest {
    /// An empty folder.
    pub fn empty() -> Self {
        SiteTest {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
        }
    }

    /// The site `keyguide init` scaffolds.
    pub fn scaffold() -> Self {
        let site = SiteTest::empty();
        site.run(&["init", "."]).code(0);
        site
    }

    /// A copy of the repository's own example site.
    pub fn example() -> Self {
        let site = SiteTest::empty();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("keyguide.toml"), site.path("keyguide.toml"))
            .unwrap_or_else(|e| panic!("copy keyguide.toml: {e}"));
        copy_dir(&repo.join("content"), &site.path("content"));
        copy_dir(&repo.join("releases"), &site.path("releases"));
        site
    }

    /// Adds the repository's example distribution evidence (`evidence/`).
    pub fn with_evidence(self) -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&repo.join("evidence"), &self.path("evidence"));
        self
    }

    /// Copies the folder `from` over the site (files replace files of the same path).
    pub fn copy_in(self, from: &Path) -> Self {
        copy_dir(from, self.dir.path());
        self
    }

    /// Writes `text` to `rel`, creating folders.
    pub fn write(self, rel: &str, text: impl AsRef<[u8]>) -> Self {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {rel}: {e}"));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {rel}: {e}"));
        self
    }

    /// Replaces `from` with `to` in the file `rel`; the text must be there.
    pub fn edit(self, rel: &str, from: &str, to: &str) -> Self {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        let text = text.replacen(from, to, 1);
        self.write(rel, text)
    }

    /// Removes the file `rel`.
    pub fn remove_file(self, rel: &str) -> Self {
        std::fs::remove_file(self.path(rel)).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
        self
    }

    /// The absolute path of `rel`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The text of `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Runs `keyguide ARGS` in the site folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(".", args, &[])
    }

    /// Runs `keyguide ARGS` in `cwd` (relative to the site) with extra environment.
    pub fn run_in(&self, cwd: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_keyguide"))
            .args(args)
            .current_dir(self.path(cwd))
            .env_remove("KEYGUIDE_SIGNING_KEY")
            .env_remove("KEYGUIDE_SIGNING_KEY_PASSPHRASE")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("running keyguide: {e}"));
        Run::from(out)
    }

    /// Runs another program (`ssh-keygen`, `sha256sum`) in `cwd` (relative to the site),
    /// with `stdin` as its input.
    pub fn tool(&self, cwd: &str, program: &str, args: &[&str], stdin: &[u8]) -> Run {
        use std::io::Write as _;
        let mut child = Command::new(program)
            .args(args)
            .current_dir(self.path(cwd))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        if let Some(mut input) = child.stdin.take() {
            input
                .write_all(stdin)
                .unwrap_or_else(|e| panic!("{program} stdin: {e}"));
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        Run::from(out)
    }

    /// Sets the permission bits of `rel` to `mode`.
    pub fn chmod(&self, rel: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(self.path(rel), std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {rel}: {e}"));
    }

    /// The permission bits of `rel` (0 when it cannot be read).
    pub fn mode(&self, rel: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(self.path(rel)).map_or(0, |m| m.permissions().mode() & 0o7777)
    }

    /// Runs `keyguide ARGS` here as `nobody` (through setpriv, util-linux), as the site is:
    /// for tests that run as root, whom permissions do not stop.
    pub fn run_as_nobody(&self, args: &[&str]) -> Run {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_keyguide"))
            .args(args)
            .current_dir(self.path("."))
            .env("NO_COLOR", "1")
            .env_remove("KEYGUIDE_SIGNING_KEY")
            .output()
            .unwrap_or_else(|e| panic!("setpriv: {e}"));
        Run::from(out)
    }

    /// Gives the whole site to `nobody`, whom [`SiteTest::run_as_nobody`] runs as.
    pub fn give_to_nobody(&self) {
        let chown = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(self.path("."))
            .status();
        assert!(
            chown.as_ref().is_ok_and(|s| s.success()),
            "chown: {chown:?}"
        );
    }

    /// Runs `keyguide ARGS` here as a user whom permissions stop: as `nobody`, the site made
    /// theirs, when the tests run as root; else as the user running them.
    pub fn run_unprivileged(&self, args: &[&str]) -> Run {
        if !running_as_root() {
            return self.run(args);
        }
        self.give_to_nobody();
        self.run_as_nobody(args)
    }

    /// Names in the site root that keyguide's staging folders (and the folders of a
    /// previous output moved aside) use: `.keyguide-staging-*`.
    pub fn staging_leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.path("."))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".keyguide-staging"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every file under `rel`, as (path relative to `rel`, bytes), sorted.
    pub fn tree(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        let root = self.path(rel);
        let mut files = Vec::new();
        collect(&root, &root, &mut files);
        files.sort();
        files
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit status, showing the output when it differs.
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(
            self.code, expected,
            "exit status {} (expected {expected})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr contains `text`.
    pub fn stderr_has(self, text: &str) -> Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts that stderr contains every one of `texts`.
    pub fn stderr_has_all(self, texts: &[&str]) -> Self {
        texts.iter().fold(self, |run, text| run.stderr_has(text))
    }

    /// Asserts that stdout contains `text`.
    pub fn stdout_has(self, text: &str) -> Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
        self
    }

    /// Asserts that stdout contains every one of `texts`.
    pub fn stdout_has_all(self, texts: &[&str]) -> Self {
        texts.iter().fold(self, |run, text| run.stdout_has(text))
    }

    /// Asserts that stdout does not contain `text`.
    pub fn stdout_lacks(self, text: &str) -> Self {
        assert!(
            !self.stdout.contains(text),
            "stdout has {text:?}:\n{}",
            self.stdout
        );
        self
    }

    /// Asserts that stderr does not contain `text`.
    pub fn stderr_lacks(self, text: &str) -> Self {
        assert!(
            !self.stderr.contains(text),
            "stderr has {text:?}:\n{}",
            self.stderr
        );
        self
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
            files.push((rel, bytes));
        }
    }
}

/// Whether the tests run as root, whom permissions do not stop.
pub fn running_as_root() -> bool {
    let id = Command::new("id").arg("-u").output();
    id.is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
