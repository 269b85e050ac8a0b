//! The manifest's signing key: loading it safely, signing, and making new keys.
//!
//! A signature is an SSH signature (SSHSIG, see OpenSSH's PROTOCOL.sshsig) in the namespace
//! [`NAMESPACE`], made with an Ed25519 key in OpenSSH format, so customers verify it with
//! stock `ssh-keygen -Y verify`. The key comes from a file (`--sign-key PATH`) or from the
//! `KEYGUIDE_SIGNING_KEY` environment variable, which is how Netlify and CI hand secrets over.
//!
//! Key handling practises what the guidance preaches:
//! - a key file readable by group or others is refused, as ssh refuses it;
//! - a key file inside the site root or the output folder is refused (it would end up in git
//!   or on the CDN);
//! - only Ed25519 keys are accepted;
//! - a passphrase comes from `KEYGUIDE_SIGNING_KEY_PASSPHRASE` or a prompt on a terminal,
//!   never from an argument (arguments show in `ps` and shell history);
//! - key text never appears in output, logs or errors: [`Signer`] has no `Debug` that shows
//!   it, and errors name where the key came from, never what it holds.

use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The SSHSIG namespace of manifest signatures.
pub const NAMESPACE: &str = "keyguide-manifest";

/// Environment variable holding the key text.
pub const KEY_ENV: &str = "KEYGUIDE_SIGNING_KEY";

/// Environment variable holding the passphrase of an encrypted key.
pub const PASSPHRASE_ENV: &str = "KEYGUIDE_SIGNING_KEY_PASSPHRASE";

/// Where a signing key comes from.
pub enum KeySource<'a> {
    /// A file given with `--sign-key`.
    File(&'a Path),
    /// The text of [`KEY_ENV`].
    Env(Zeroizing<String>),
}

impl KeySource<'_> {
    /// How errors name the key: its path, or the variable — never its text.
    fn name(&self) -> String {
        match self {
            KeySource::File(p) => p.display().to_string(),
            KeySource::Env(_) => KEY_ENV.to_owned(),
        }
    }
}

/// A loaded Ed25519 signing key and the identity it signs as.
pub struct Signer {
    key: PrivateKey,
    identity: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("identity", &self.identity)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// What the site publishes so customers can verify: written to `/.well-known/keyguide/`
/// and shown on the landing page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Published {
    /// The principal of the allowed_signers line.
    pub identity: String,
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The public key in OpenSSH format (one line).
    pub public_key: String,
    /// The allowed_signers line, restricted to [`NAMESPACE`].
    pub allowed_signers: String,
}

impl Signer {
    /// Loads the key from `source`, refusing unsafe files and anything but Ed25519.
    /// `protected` are folders the key must not be inside (the site root, the output).
    pub fn load(source: KeySource<'_>, identity: &str, protected: &[&Path]) -> Result<Signer> {
        let name = source.name();
        let refuse = |message: String, help: &str| Error::Key {
            origin: name.clone(),
            message,
            help: help.to_owned(),
        };
        let text = match source {
            KeySource::Env(text) => {
                // CI secret stores often hold one line with `\n` escapes.
                if text.contains("\\n") && !text.contains('\n') {
                    Zeroizing::new(text.replace("\\n", "\n"))
                } else {
                    text
                }
            }
            KeySource::File(path) => {
                let regular = std::fs::metadata(path).map_err(Error::io("reading", path))?;
                if !regular.is_file() {
                    return Err(refuse(
                        "is not a regular file".into(),
                        "pass the path of the private key file, e.g. ~/.config/keyguide/signing-key",
                    ));
                }
                check_location(path, protected).map_err(|m| {
                    refuse(m, "keep the signing key outside the site repository and the output folder, e.g. in ~/.config/keyguide/ or a CI secret")
                })?;
                check_permissions(path)?;
                Zeroizing::new(std::fs::read_to_string(path).map_err(Error::io("reading", path))?)
            }
        };
        let key = PrivateKey::from_openssh(text.trim().as_bytes()).map_err(|_| {
            refuse(
                "is not an OpenSSH private key".into(),
                "use an Ed25519 key in OpenSSH format (`-----BEGIN OPENSSH PRIVATE KEY-----`), e.g. from `keyguide keygen PATH`",
            )
        })?;
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(refuse(
                format!(
                    "is a {} key; keyguide signs only with Ed25519",
                    key.algorithm()
                ),
                "make an Ed25519 key with `keyguide keygen PATH` and give customers its fingerprint",
            ));
        }
        let key = if key.is_encrypted() {
            let passphrase = passphrase(&name)?;
            key.decrypt(passphrase.as_bytes()).map_err(|_| {
                refuse(
                    "could not be decrypted with the passphrase given".into(),
                    "check KEYGUIDE_SIGNING_KEY_PASSPHRASE (or the passphrase typed at the prompt)",
                )
            })?
        } else {
            key
        };
        Ok(Signer {
            key,
            identity: identity.to_owned(),
        })
    }

    /// The SHA-256 fingerprint, `SHA256:...`.
    pub fn fingerprint(&self) -> String {
        self.key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    /// What the site publishes for verification.
    pub fn published(&self) -> Result<Published> {
        published(self.key.public_key(), &self.identity)
    }

    /// An armored SSH signature (`-----BEGIN SSH SIGNATURE-----`) over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        let signature = self
            .key
            .sign(NAMESPACE, HashAlg::Sha512, message)
            .and_then(|s| s.to_pem(LineEnding::LF))
            .map_err(|e| Error::Usage {
                message: format!("signing the manifest failed: {e}"),
                help: "check that the key is a valid Ed25519 key".into(),
            })?;
        Ok(signature)
    }
}

/// Why `identity` cannot be an allowed_signers principal, if it cannot: ssh-keygen reads
/// principals as a comma-separated list of patterns, so commas, quotes, wildcards, negation,
/// white space and a leading `#` would publish a line that matches something else or nothing.
pub fn identity_problem(identity: &str) -> Option<&'static str> {
    if identity.is_empty() {
        Some("is empty")
    } else if identity.starts_with('#') {
        Some("starts with `#`, which makes the allowed_signers line a comment")
    } else if identity
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ',' | '"' | '*' | '?' | '!'))
    {
        Some(
            "holds white space or one of , \" * ? ! (allowed_signers reads those as lists and patterns)",
        )
    } else {
        None
    }
}

/// The published verification data for `public` signing as `identity`.
pub fn published(public: &PublicKey, identity: &str) -> Result<Published> {
    let mut public = public.clone();
    public.set_comment("");
    let key = public.to_openssh().map_err(|e| Error::Usage {
        message: format!("encoding the public key failed: {e}"),
        help: "check that the key is a valid Ed25519 key".into(),
    })?;
    Ok(Published {
        identity: identity.to_owned(),
        fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
        allowed_signers: format!("{identity} namespaces=\"{NAMESPACE}\" {key}"),
        public_key: key,
    })
}

/// Refuses a key file inside one of the `protected` folders.
fn check_location(path: &Path, protected: &[&Path]) -> std::result::Result<(), String> {
    let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    for dir in protected {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if real.starts_with(&dir) {
            return Err(format!(
                "is inside {}, where it would be committed or published",
                dir.display()
            ));
        }
    }
    Ok(())
}

/// Refuses a key file that group or others may read, as ssh does.
#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(Error::io("reading", path))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::Key {
            origin: path.display().to_string(),
            message: format!(
                "is readable by others (mode {:o}); a signing key must be private to its owner",
                mode & 0o777
            ),
            help: format!("run `chmod 600 {}`", path.display()),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<()> {
    Ok(())
}

/// The passphrase of an encrypted key: [`PASSPHRASE_ENV`], or a prompt on a terminal.
fn passphrase(name: &str) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Zeroizing::new(p));
    }
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("passphrase for {name}: "))
            .map(Zeroizing::new)
            .map_err(Error::io("reading the passphrase from", "the terminal"));
    }
    Err(Error::Key {
        origin: name.to_owned(),
        message: "is encrypted and no passphrase was given".into(),
        help: format!("set {PASSPHRASE_ENV} (a CI secret), or run on a terminal to be prompted"),
    })
}

/// Writes a new Ed25519 key to `path` (mode 0600) and its public key to `path.pub`, refusing
/// to overwrite either. Returns what a site signing with it publishes.
pub fn keygen(path: &Path, identity: &str) -> Result<Published> {
    let public_path = PathBuf::from(format!("{}.pub", path.display()));
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(Error::Usage {
            message: format!("the folder {} does not exist", dir.display()),
            help: format!(
                "create it first, readable only by you: `mkdir -p -m 700 {}`",
                dir.display()
            ),
        });
    }
    if path.is_dir() {
        return Err(Error::Usage {
            message: format!("{} is a folder", path.display()),
            help: "give the path of the key file to create, e.g. ~/.config/keyguide/signing-key"
                .into(),
        });
    }
    for p in [path, public_path.as_path()] {
        if p.exists() {
            return Err(Error::Usage {
                message: format!("{} already exists", p.display()),
                help: "keygen never overwrites a key; choose another path, or delete the old key once nothing signs with it".into(),
            });
        }
    }
    let mut key = PrivateKey::random(&mut rand_core::OsRng, Algorithm::Ed25519).map_err(|e| {
        Error::Usage {
            message: format!("making a key failed: {e}"),
            help: "the system's random number source is unavailable; try again".into(),
        }
    })?;
    key.set_comment(identity);
    let pem = key.to_openssh(LineEnding::LF).map_err(|e| Error::Usage {
        message: format!("encoding the key failed: {e}"),
        help: "try again".into(),
    })?;
    write_new(path, pem.as_bytes(), 0o600)?;
    let public = key.public_key().to_openssh().map_err(|e| Error::Usage {
        message: format!("encoding the public key failed: {e}"),
        help: "try again".into(),
    })?;
    write_new(&public_path, format!("{public}\n").as_bytes(), 0o644)?;
    published(key.public_key(), identity)
}

/// Creates `path` with `mode`, failing if it exists.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(Error::io("creating", path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(Error::io("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_loaded_key_shows_no_key_text() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("creating", "a temporary folder"))?;
        let path = dir.path().join("key");
        keygen(&path, "keys@acme.example")?;
        let text =
            Zeroizing::new(std::fs::read_to_string(&path).map_err(Error::io("reading", &path))?);
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        for source in [KeySource::File(&path), KeySource::Env(text.clone())] {
            let signer = Signer::load(source, "keys@acme.example", &[])?;
            let shown = format!("{signer:?} {signer:#?}");
            assert!(shown.contains("keys@acme.example") && shown.contains("SHA256:"));
            let leaked = body
                .as_bytes()
                .windows(16)
                .find(|w| std::str::from_utf8(w).is_ok_and(|piece| shown.contains(piece)));
            assert!(leaked.is_none(), "{shown}");
        }
        Ok(())
    }
}
