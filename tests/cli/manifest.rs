//! The signed manifest: keygen, signing, `keyguide verify`, interop with the real
//! `ssh-keygen` and `sha256sum`, tampering, rollback, key handling and reproducibility.

use crate::support::SiteTest;

const IDENTITY: &str = "keys@acme.example";

/// A folder outside any site holding keys made by the real `ssh-keygen`.
struct Keys {
    dir: SiteTest,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: SiteTest::empty(),
        }
    }

    /// An Ed25519 key at `name` (mode 0600), optionally with a passphrase.
    fn ssh_keygen(&self, name: &str, kind: &str, passphrase: &str) -> String {
        self.dir
            .tool(
                ".",
                "ssh-keygen",
                &["-q", "-t", kind, "-N", passphrase, "-C", "test", "-f", name],
                b"",
            )
            .code(0);
        self.path(name)
    }

    /// A folder with one unencrypted Ed25519 key, `key`, and that key's path.
    fn with_key() -> (Keys, String) {
        let keys = Keys::new();
        let key = keys.ssh_keygen("key", "ed25519", "");
        (keys, key)
    }

    fn path(&self, name: &str) -> String {
        self.dir.path(name).display().to_string()
    }
}

/// The example site built into `public/`, signed with `key`.
fn signed_example(key: &str) -> SiteTest {
    let site = SiteTest::example();
    site.run(&["build", "--sign-key", key])
        .code(0)
        .stderr_has("signed manifest.json as keys@acme.example");
    site
}

/// `ssh-keygen -Y verify` of the manifest of the site built into `dir` against its published
/// allowed_signers, as the landing page and the evidence pack tell customers to.
pub fn ssh_keygen_verify(site: &SiteTest, dir: &str) -> crate::support::Run {
    let manifest = std::fs::read(site.path(&format!("{dir}/manifest.json"))).unwrap_or_default();
    site.tool(
        dir,
        "ssh-keygen",
        &[
            "-Y",
            "verify",
            "-f",
            ".well-known/keyguide/allowed_signers",
            "-I",
            IDENTITY,
            "-n",
            "keyguide-manifest",
            "-s",
            "manifest.json.sig",
        ],
        &manifest,
    )
}

/// `ssh-keygen -Y sign` of the built site's manifest with `key` in `namespace`, replacing
/// any signature.
fn ssh_keygen_sign(site: &SiteTest, key: &str, namespace: &str) {
    let _ = std::fs::remove_file(site.path("public/manifest.json.sig"));
    site.tool(
        "public",
        "ssh-keygen",
        &["-Y", "sign", "-f", key, "-n", namespace, "manifest.json"],
        b"",
    )
    .code(0);
}

fn verify_with_key(site: &SiteTest, public_key: &str) -> crate::support::Run {
    site.run(&["verify", "public", "--public-key", public_key])
}

#[test]
fn a_signed_build_verifies_with_ssh_keygen_sha256sum_and_keyguide() {
    let (keys, key) = Keys::with_key();
    let site = signed_example(&key);
    let manifest = std::fs::read(site.path("public/manifest.json")).unwrap_or_default();
    ssh_keygen_verify(&site, "public").code(0);
    site.tool("public", "sha256sum", &["--quiet", "-c", "SHA256SUMS"], b"")
        .code(0);
    let allowed = site.read("public/.well-known/keyguide/allowed_signers");
    assert!(
        allowed.starts_with("keys@acme.example namespaces=\"keyguide-manifest\" ssh-ed25519 "),
        "{allowed}"
    );
    site.run(&[
        "verify",
        "public",
        "--allowed-signers",
        "public/.well-known/keyguide/allowed_signers",
        "--identity",
        IDENTITY,
    ])
    .code(0)
    .stdout_has("good signature by SHA256:");
    verify_with_key(&site, &format!("{key}.pub")).code(0);

    let json: serde_json::Value = serde_json::from_slice(&manifest).unwrap_or_default();
    assert_eq!(json["schema"], "urn:keyguide:manifest:1");
    assert_eq!(json["sequence"], 2);
    assert_eq!(json["versions"][1]["version"], "1.1.0");
    assert_eq!(json["ledger_head"], json["versions"][1]["digest"]);
    let paths: Vec<&str> = json["files"]
        .as_array()
        .map(|f| f.iter().filter_map(|e| e["path"].as_str()).collect())
        .unwrap_or_default();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    assert!(paths.contains(&"SHA256SUMS"));
    for own in ["manifest.json", "manifest.json.sig"] {
        assert!(!paths.contains(&own), "{own} is in the manifest");
    }
    // Host configuration is signed like every file, and left out of SHA256SUMS, which a
    // customer runs on a copy the host served (without it).
    for host in ["_redirects", "_headers"] {
        assert!(paths.contains(&host), "{host} is not in the manifest");
    }
    let sums = site.read("public/SHA256SUMS");
    for left_out in ["SHA256SUMS", "manifest.json", "_redirects", "_headers"] {
        assert!(!sums.contains(left_out), "SHA256SUMS lists {left_out}");
    }

    let landing = site.read("public/index.html");
    let fingerprint = keys
        .dir
        .tool(".", "ssh-keygen", &["-l", "-f", "key.pub"], b"")
        .stdout;
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap_or("missing");
    assert!(landing.contains(fingerprint), "{landing}");
    assert!(landing.contains("contract"), "{landing}");
    assert!(landing.contains("ssh-keygen -Y verify -f allowed_signers -I keys@acme.example"));
}

#[test]
fn keyguide_verifies_a_signature_made_by_ssh_keygen() {
    let (_keys, key) = Keys::with_key();
    let site = SiteTest::example();
    site.run(&["build"])
        .code(0)
        .stderr_has("manifest.json is not signed");
    assert!(!site.path("public/manifest.json.sig").exists());
    let landing = site.read("public/index.html");
    assert!(landing.contains("This build is not signed"), "{landing}");
    verify_with_key(&site, &format!("{key}.pub"))
        .code(1)
        .stdout_has("manifest.json.sig is missing");
    ssh_keygen_sign(&site, &key, "keyguide-manifest");
    verify_with_key(&site, &format!("{key}.pub")).code(0);
    // The same key, in another namespace, does not count.
    ssh_keygen_sign(&site, &key, "file");
    verify_with_key(&site, &format!("{key}.pub"))
        .code(1)
        .stdout_has("namespace `file`");
}

#[test]
fn keygen_writes_a_private_key_and_refuses_to_overwrite() {
    let keys = Keys::new();
    let path = keys.path("signing");
    let site = SiteTest::example();
    let run = site.run(&["keygen", &path]).code(0);
    assert!(
        run.stdout
            .starts_with("keys@acme.example namespaces=\"keyguide-manifest\" ssh-ed25519 "),
        "{}",
        run.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
    }
    assert!(keys.dir.read("signing.pub").starts_with("ssh-ed25519 "));
    let key_text = keys.dir.read("signing");
    site.run(&["keygen", &path])
        .code(2)
        .stderr_has("already exists");
    site.run(&["keygen", "signing-key"])
        .code(2)
        .stderr_has("inside the site");
    assert!(!site.path("signing-key").exists());
    site.run(&["keygen", &keys.path("k2"), "--identity", "a,b@x"])
        .code(2)
        .stderr_has("allowed_signers reads those");
    site.edit(
        "keyguide.toml",
        "identity = \"keys@acme.example\"",
        "identity = \"*@acme.example\"",
    )
    .run(&["build"])
    .code(2)
    .stderr_has("[signing] identity");
    let site = SiteTest::example();
    site.run(&["keygen", &keys.path("no-such-folder/key")])
        .code(2)
        .stderr_has("does not exist")
        .stderr_has("mkdir -p -m 700");
    assert_eq!(keys.dir.read("signing"), key_text);
    // The new key signs a build that ssh-keygen accepts.
    site.run(&["build", "--sign-key", &path]).code(0);
    ssh_keygen_verify(&site, "public").code(0);
}

#[test]
fn tampering_deleting_adding_or_resigning_fails_verification_naming_what() {
    let (keys, key) = Keys::with_key();
    let public = format!("{key}.pub");
    let site = signed_example(&key);
    verify_with_key(&site, &public).code(0);
    // Flip the first byte of every file, host configuration (`_redirects`, `_headers`)
    // included: a changed `_redirects` could send /latest/ to a superseded version.
    for (path, bytes) in site.tree("public") {
        let mut changed = bytes.clone();
        changed[0] ^= 0x20;
        let site_ref = &site;
        let full = site_ref.path(&format!("public/{path}"));
        std::fs::write(&full, &changed).unwrap_or_else(|e| panic!("{e}"));
        let run = verify_with_key(site_ref, &public).code(1);
        let named = match path.as_str() {
            "manifest.json" => "manifest".to_owned(),
            "manifest.json.sig" => "manifest.json.sig".to_owned(),
            other => other.to_owned(),
        };
        assert!(run.stdout.contains(&named), "{path}: {}", run.stdout);
        std::fs::write(&full, &bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    verify_with_key(&site, &public).code(0);
    let site = site.remove_file("public/1.0.0/index.html");
    verify_with_key(&site, &public)
        .code(1)
        .stdout_has("1.0.0/index.html: missing");
    let site = SiteTest::example();
    site.run(&["build", "--sign-key", &key]).code(0);
    let site = site.write("public/1.1.0/gateway/extra.html", "<p>extra</p>");
    verify_with_key(&site, &public)
        .code(1)
        .stdout_has("1.1.0/gateway/extra.html: not in the manifest");
    // Re-signed with another key: the files match, the signer is not trusted.
    let other = keys.ssh_keygen("other", "ed25519", "");
    let site = site.remove_file("public/1.1.0/gateway/extra.html");
    site.run(&["build", "--sign-key", &other]).code(0);
    verify_with_key(&site, &public)
        .code(1)
        .stdout_has("not a trusted key");
}

#[test]
fn an_older_manifest_or_rewritten_history_is_caught_with_previous() {
    let (_keys, key) = Keys::with_key();
    let public = format!("{key}.pub");
    let site = crate::versions::first_release();
    site.run(&["build", "--sign-key", &key]).code(0);
    let old = site.read("public/manifest.json");
    let old_sig = site.read("public/manifest.json.sig");
    let site = crate::versions::second_release(site.write("saved/old.json", &old));
    site.run(&["build", "--sign-key", &key]).code(0);
    let new = site.read("public/manifest.json");
    let site = site.write("saved/new.json", &new);
    site.run(&[
        "verify",
        "public",
        "--public-key",
        &public,
        "--previous",
        "saved/old.json",
    ])
    .code(0);
    // Swap the older, validly signed manifest back in: its files no longer match, and
    // against the newer manifest it is a rollback.
    let site = site
        .write("public/manifest.json", &old)
        .write("public/manifest.json.sig", &old_sig);
    let run = site
        .run(&[
            "verify",
            "public",
            "--public-key",
            &public,
            "--previous",
            "saved/new.json",
        ])
        .code(1);
    assert!(run.stdout.contains("rollback"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("version 1.1.0 of the previous manifest is missing")
    );
    // A previous manifest whose record differs: history was rewritten.
    let rewritten = old.replacen(
        "\"approver\": \"CISO\"",
        "\"approver\": \"Someone else\"",
        1,
    );
    assert_ne!(rewritten, old);
    let site = site
        .write("public/manifest.json", &new)
        .write("saved/rewritten.json", &rewritten);
    site.run(&["build", "--sign-key", &key]).code(0);
    site.run(&[
        "verify",
        "public",
        "--public-key",
        &public,
        "--previous",
        "saved/rewritten.json",
    ])
    .code(1)
    .stdout_has("history rewritten: record 1 was version 1.0.0");
}

#[test]
fn a_manifest_with_unknown_or_duplicate_fields_is_rejected_even_when_signed() {
    let (_keys, key) = Keys::with_key();
    let site = signed_example(&key);
    let text = site.read("public/manifest.json");
    for bad in [
        text.replacen(
            "\"sequence\": 2,",
            "\"sequence\": 2,\n  \"note\": \"hi\",",
            1,
        ),
        text.replacen(
            "\"sequence\": 2,",
            "\"sequence\": 2,\n  \"sequence\": 9,",
            1,
        ),
    ] {
        assert_ne!(bad, text);
        let site = &site;
        std::fs::write(site.path("public/manifest.json"), &bad).unwrap_or_else(|e| panic!("{e}"));
        ssh_keygen_sign(site, &key, "keyguide-manifest");
        verify_with_key(site, &format!("{key}.pub"))
            .code(1)
            .stdout_has("manifest.json is not a valid manifest");
    }
    // Well-formed JSON with values the schema forbids, validly signed, still fails.
    let first = text.find("\"content_digest\": \"").unwrap_or(0) + "\"content_digest\": \"".len();
    let end = first + text[first..].find('"').unwrap_or(0);
    let bad = format!("{}garbage{}", &text[..first], &text[end..]);
    std::fs::write(site.path("public/manifest.json"), &bad).unwrap_or_else(|e| panic!("{e}"));
    ssh_keygen_sign(&site, &key, "keyguide-manifest");
    verify_with_key(&site, &format!("{key}.pub"))
        .code(1)
        .stdout_has("`content_digest` is not `sha256:`");
}

#[test]
fn an_approver_or_date_that_would_blur_the_ledger_is_refused() {
    let site = crate::rules::pinned_scaffold();
    site.run(&[
        "release",
        "1.0.0",
        "--approver",
        "Alice\nnotes_digest=x",
        "--date",
        "2026-10-15",
    ])
    .code(2)
    .stderr_has("control character");
    site.run(&[
        "release",
        "1.0.0",
        "--approver",
        "Alice",
        "--date",
        "2026-1-5",
    ])
    .code(2)
    .stderr_has("YYYY-MM-DD");
    assert!(!site.path("releases").exists());
}

#[test]
fn expires_days_dates_the_manifest_from_the_latest_release() {
    let (_keys, key) = Keys::with_key();
    let site = SiteTest::example().edit("keyguide.toml", "expires_days = 400", "expires_days = 90");
    site.run(&["build", "--sign-key", &key]).code(0);
    // The latest release is 1.1.0 of 2026-11-02.
    assert!(
        site.read("public/manifest.json")
            .contains("\"expires\": \"2027-01-31\"")
    );
    let public = format!("{key}.pub");
    let on = |date: &str| site.run(&["verify", "public", "--public-key", &public, "--as-of", date]);
    on("2027-01-31").code(0);
    on("2027-02-01").code(1).stdout_has("expired on 2027-01-31");
}

#[test]
fn unsafe_keys_are_refused_and_key_text_never_leaks() {
    let (keys, key) = Keys::with_key();
    let site = SiteTest::example();
    site.run(&["build", "--require-signature"])
        .code(2)
        .stderr_has("no signing key");
    assert!(!site.path("public").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let loose = keys.ssh_keygen("loose", "ed25519", "");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        site.run(&["build", "--sign-key", &loose])
            .code(2)
            .stderr_has("readable by others")
            .stderr_has(&format!("chmod 600 {loose}"));
    }
    let site = site.write("keys/site-key", keys.dir.read("key"));
    site.run(&["build", "--sign-key", "keys/site-key"])
        .code(2)
        .stderr_has("where it would be committed or published");
    let rsa = keys.ssh_keygen("rsa", "rsa", "");
    site.run(&["build", "--sign-key", &rsa])
        .code(2)
        .stderr_has("keyguide signs only with Ed25519");
    let locked = keys.ssh_keygen("locked", "ed25519", "correct horse");
    site.run(&["build", "--sign-key", &locked])
        .code(2)
        .stderr_has("no passphrase was given");
    site.run_in(
        ".",
        &["build", "--sign-key", &locked],
        &[("KEYGUIDE_SIGNING_KEY_PASSPHRASE", "wrong")],
    )
    .code(2)
    .stderr_has("could not be decrypted");
    site.run_in(
        ".",
        &["build", "--sign-key", &locked],
        &[("KEYGUIDE_SIGNING_KEY_PASSPHRASE", "correct horse")],
    )
    .code(0);
    verify_with_key(&site, &format!("{locked}.pub")).code(0);
    // The key text from the environment, also with `\n` escapes as CI stores hold it.
    let text = keys.dir.read("key");
    for form in [text.clone(), text.replace('\n', "\\n")] {
        let run = site
            .run_in(".", &["build"], &[("KEYGUIDE_SIGNING_KEY", &form)])
            .code(0);
        verify_with_key(&site, &format!("{key}.pub")).code(0);
        assert_no_key_text(&site, &text, &[&run.stdout, &run.stderr]);
    }
    let garbage = text.replace("AAAA", "!!!!");
    let run = site
        .run_in(".", &["build"], &[("KEYGUIDE_SIGNING_KEY", &garbage)])
        .code(2)
        .stderr_has("KEYGUIDE_SIGNING_KEY: is not an OpenSSH private key");
    assert_no_key_text(&site, &garbage, &[&run.stdout, &run.stderr]);
}

/// No line of the private key's body appears in the built files or in `logs`.
fn assert_no_key_text(site: &SiteTest, key: &str, logs: &[&str]) {
    let body: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!body.is_empty());
    for (path, bytes) in site.tree("public") {
        let text = String::from_utf8_lossy(&bytes);
        for line in &body {
            assert!(!text.contains(line), "key text in {path}");
        }
    }
    for log in logs {
        for line in &body {
            assert!(!log.contains(line), "key text in the log: {log}");
        }
    }
}

#[test]
fn builds_are_byte_identical_across_folders_threads_time_zones_and_file_order() {
    let (_keys, key) = Keys::with_key();
    let first = SiteTest::example();
    // The same sources written in reverse order into another folder.
    let sources: Vec<(String, Vec<u8>)> = first
        .tree("")
        .into_iter()
        .filter(|(p, _)| {
            p == "keyguide.toml" || p.starts_with("content/") || p.starts_with("releases/")
        })
        .collect();
    let mut second = SiteTest::empty();
    for (path, bytes) in sources.iter().rev() {
        second = second.write(path, bytes);
    }
    first
        .run_in(
            ".",
            &["build", "--sign-key", &key],
            &[("RAYON_NUM_THREADS", "1"), ("TZ", "UTC")],
        )
        .code(0);
    second
        .run_in(
            ".",
            &["build", "--sign-key", &key],
            &[("RAYON_NUM_THREADS", "4"), ("TZ", "Pacific/Kiritimati")],
        )
        .code(0);
    let (a, b) = (first.tree("public"), second.tree("public"));
    assert_eq!(a.len(), b.len());
    for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(ba == bb, "{pa} differs between the two builds");
    }
}

#[test]
fn the_shipped_json_schema_accepts_built_manifests_and_nothing_looser() {
    let schema_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/manifest.schema.json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(schema_path).unwrap_or_else(|e| panic!("schema: {e}")),
    )
    .unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"));
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&site.read("public/manifest.json")).unwrap_or_default();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut loose = manifest.clone();
    loose["files"][0]["mtime"] = serde_json::json!(0);
    assert!(!validator.is_valid(&loose));
    let mut bad_digest = manifest;
    bad_digest["ledger_head"] = serde_json::json!("sha256:XYZ");
    assert!(!validator.is_valid(&bad_digest));
}

#[test]
fn verify_accepts_a_copy_without_host_files_refuses_fifos_and_non_ed25519_signatures() {
    let (keys, key) = Keys::with_key();
    let site = signed_example(&key);
    verify_with_key(&site, &format!("{key}.pub"))
        .code(0)
        .stdout_lacks("not in this copy");
    // A copy the host served has no host configuration: it still verifies, and says so.
    for host in ["_redirects", "_headers"] {
        std::fs::remove_file(site.path(&format!("public/{host}")))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    verify_with_key(&site, &format!("{key}.pub"))
        .code(0)
        .stdout_has("not in this copy: _redirects, _headers");
    site.tool("public", "sha256sum", &["-c", "--quiet", "SHA256SUMS"], b"")
        .code(0);
    // A FIFO where a file should be is reported, not read (reading it would never end).
    let fifo = site.path("public/robots.txt");
    std::fs::remove_file(&fifo).unwrap_or_else(|e| panic!("{e}"));
    site.tool(".", "mkfifo", &[&fifo.display().to_string()], b"")
        .code(0);
    verify_with_key(&site, &format!("{key}.pub"))
        .code(1)
        .stdout_has("robots.txt: not a regular file");
    site.run(&["build", "--sign-key", "public/robots.txt"])
        .code(2)
        .stderr_has("is not a regular file");
    // An ECDSA signature is named as such, not as tampering.
    let ecdsa = keys.ssh_keygen("ecdsa", "ecdsa", "");
    let site = SiteTest::example();
    site.run(&["build"]).code(0);
    ssh_keygen_sign(&site, &ecdsa, "keyguide-manifest");
    verify_with_key(&site, &format!("{ecdsa}.pub"))
        .code(1)
        .stdout_has("Ed25519 only");
}

#[test]
fn a_release_dated_in_the_future_is_refused() {
    crate::rules::pinned_scaffold()
        .run(&[
            "release",
            "1.0.0",
            "--approver",
            "CISO",
            "--date",
            "2999-01-01",
        ])
        .code(2)
        .stderr_has("is after today");
}

/// A copy of the signed `site` with `signers` beside its output: the allowed_signers line it
/// publishes with `options` in place of its `namespaces` option. Outside the output, since
/// the published file is in the manifest.
fn with_signers_line(site: &SiteTest, options: &str) -> SiteTest {
    let published = site.read("public/.well-known/keyguide/allowed_signers");
    let line = published.replace("namespaces=\"keyguide-manifest\"", options);
    SiteTest::empty()
        .copy_in(&site.path("."))
        .write("signers", line)
}

#[test]
fn a_negated_namespace_in_allowed_signers_rejects_like_ssh_keygen() {
    let (_keys, key) = Keys::with_key();
    let site = signed_example(&key);
    let manifest = std::fs::read(site.path("public/manifest.json")).unwrap_or_default();
    // (ssh-keygen's exit status, keyguide verify's run) with `namespaces` set to `ns`.
    let both = |ns: &str| {
        let site = with_signers_line(&site, &format!("namespaces=\"{ns}\""));
        let args = ["-Y", "verify", "-f", "../signers", "-I", IDENTITY];
        let more = ["-n", "keyguide-manifest", "-s", "manifest.json.sig"];
        let ssh = site.tool(
            "public",
            "ssh-keygen",
            &[&args[..], &more[..]].concat(),
            &manifest,
        );
        let ours = site.run(&[
            "verify",
            "public",
            "--allowed-signers",
            "signers",
            "--identity",
            IDENTITY,
        ]);
        (ssh.code, ours)
    };
    // Another namespace negated: the line still applies, for both tools.
    let (ssh, ours) = both("!file,*");
    assert_eq!(ssh, 0);
    ours.code(0).stdout_has("good signature by SHA256:");
    // keyguide-manifest negated: the `*` after it does not bring it back.
    let (ssh, ours) = both("!keyguide-manifest,*");
    assert_ne!(ssh, 0);
    ours.code(1)
        .stdout_has("FAILED")
        .stdout_has("does not allow `keyguide-manifest`");
}

/// An allowed_signers line for the identity that does not accept the signature (another
/// namespace, expired, `cert-authority`) fails verification (exit 1) and says which line and
/// what to change; only a file that names the identity nowhere means nothing could be
/// checked (exit 2).
#[test]
fn an_allowed_signers_line_that_refuses_the_signature_fails_verification() {
    let (_keys, key) = Keys::with_key();
    let site = signed_example(&key);
    let verify = |options: &str, identity: &str| {
        with_signers_line(&site, options).run(&[
            "verify",
            "public",
            "--allowed-signers",
            "signers",
            "--identity",
            identity,
            "--as-of",
            "2026-11-28",
        ])
    };
    verify("namespaces=\"!file\"", IDENTITY)
        .code(1)
        .stdout_has_all(&[
            "signers:1: its `namespaces=\"!file\"` does not allow `keyguide-manifest`",
            "write `namespaces=\"keyguide-manifest\"`",
        ]);
    verify(
        "namespaces=\"keyguide-manifest\",valid-before=\"20260101\"",
        IDENTITY,
    )
    .code(1)
    .stdout_has_all(&[
        "signers:1: its `valid-before` expired the key on 2026-01-01",
        "current line",
    ]);
    verify("cert-authority,namespaces=\"keyguide-manifest\"", IDENTITY)
        .code(1)
        .stdout_has_all(&[
            "signers:1: it is a `cert-authority` line",
            "remove `cert-authority`",
        ]);
    verify("namespaces=\"keyguide-manifest\"", "someone@else.example")
        .code(2)
        .stderr_has("has no line for `someone@else.example`");
}

#[test]
fn json_errors_in_manifests_give_one_based_columns() {
    let (_keys, key) = Keys::with_key();
    let public = format!("{key}.pub");
    let site = signed_example(&key).write("saved/bad.json", "{\n");
    // serde_json puts an error found at the start of a line at column 0.
    site.run(&[
        "verify",
        "public",
        "--public-key",
        &public,
        "--previous",
        "saved/bad.json",
    ])
    .code(2)
    .stderr_has("saved/bad.json:2:1: not a keyguide manifest: EOF while parsing an object")
    .stderr_lacks(":2:0")
    .stderr_lacks("column 0");
    let site = site.write("public/manifest.json", "{\n");
    site.run(&["verify", "public", "--public-key", &public])
        .code(1)
        .stdout_has("manifest.json is not a valid manifest (line 2, column 1): EOF while parsing an object\n");
}
