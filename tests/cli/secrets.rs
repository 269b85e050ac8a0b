//! The signing key given in `KEYGUIDE_SIGNING_KEY` never reaches a file keyguide writes,
//! its standard output or its errors, whatever the command and whether it succeeds or fails;
//! and key material found in content (KG010) is never echoed in any output format.

use crate::support::{Run, SiteTest};

/// Every 20-character piece of `body` that appears in `text`, if any.
fn leaked_piece<'a>(body: &'a str, text: &str) -> Option<&'a str> {
    (0..body.len().saturating_sub(19))
        .filter_map(|i| body.get(i..i + 20))
        .find(|piece| text.contains(piece))
}

/// The key body with the pieces that are public removed: an OpenSSH private key embeds its
/// public key, which the site rightly publishes. What remains is split into the secret runs
/// between those pieces, each searched on its own.
fn secret_runs(body: &str, public: &str) -> String {
    let mut public_at = vec![false; body.len()];
    for i in 0..body.len().saturating_sub(19) {
        if body
            .get(i..i + 20)
            .is_some_and(|piece| public.contains(piece))
        {
            public_at[i..i + 20].iter_mut().for_each(|p| *p = true);
        }
    }
    body.char_indices()
        .map(|(i, c)| if public_at[i] { '\n' } else { c })
        .collect()
}

/// Asserts that no 20-character piece of `body` is in the runs' output or in any file of
/// the site folder except `allowed` (where the test itself put the key).
fn assert_unseen(site: &SiteTest, secret: &str, runs: &[(String, Run)], allowed: &[&str]) {
    let pieces: Vec<&str> = secret.lines().filter(|run| run.len() >= 20).collect();
    assert!(
        pieces.iter().map(|p| p.len()).sum::<usize>() > 100,
        "too little secret text"
    );
    let leaked_piece = |text: &str| pieces.iter().find_map(|body| leaked_piece(body, text));
    for (what, run) in runs {
        for text in [&run.stdout, &run.stderr] {
            let piece = leaked_piece(text);
            assert!(piece.is_none(), "`{what}` printed {piece:?} of the key");
        }
    }
    for (path, bytes) in site.tree(".") {
        if allowed.contains(&path.as_str()) {
            continue;
        }
        let piece = leaked_piece(&String::from_utf8_lossy(&bytes));
        assert!(piece.is_none(), "{path} holds {piece:?} of the key");
    }
}

/// The secret runs of the OpenSSH private key at `path` (see [`secret_runs`]).
fn secret(path: &std::path::Path) -> String {
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
    let body: String = read(path)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    secret_runs(&body, &read(&path.with_extension("pub")))
}

#[test]
fn the_signing_key_never_reaches_output_files_or_messages() {
    let keys = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key_path = keys.path().join("signing-key");
    let key_arg = key_path.display().to_string();
    let site = crate::rules::pinned_scaffold();
    site.run(&["keygen", &key_arg]).code(0);
    let pem = std::fs::read_to_string(&key_path).unwrap_or_else(|e| panic!("{e}"));
    let secret = secret(&key_path);
    let public = format!("{key_arg}.pub");
    let env = [
        ("KEYGUIDE_SIGNING_KEY", pem.as_str()),
        ("SOURCE_DATE_EPOCH", "1795824000"),
    ];
    let escaped = pem.replace('\n', "\\n");
    let env_escaped = [("KEYGUIDE_SIGNING_KEY", escaped.as_str())];
    let broken = pem.replace("AAAA", "!!!!");
    let env_broken = [("KEYGUIDE_SIGNING_KEY", broken.as_str())];
    let mut runs = Vec::new();
    let mut run = |args: &[&str], env: &[(&str, &str)], code: i32| {
        let done = site
            .run_in(".", args, env)
            .code(code)
            .stderr_lacks("panicked");
        runs.push((args.join(" "), done));
    };
    run(&["build", "--require-signature"], &env, 0);
    run(&["build", "--drafts"], &env_escaped, 0);
    run(&["verify", "public", "--public-key", &public], &env, 0);
    run(crate::versions::RELEASE_1_0_0, &env, 0);
    run(&["build", "--require-signature"], &env, 0);
    run(
        &["lint", "--as-of", crate::rules::AS_OF, "--format", "json"],
        &env,
        0,
    );
    run(&["coverage", "--format", "json"], &env, 0);
    run(&["diff", "1.0.0", "draft"], &env, 0);
    // Failing runs: a broken key, a missing one required, content that fails, bad usage.
    run(&["build"], &env_broken, 2);
    run(&["build", "--sign-key", "missing-key"], &env, 2);
    run(&["release", "1.0.0", "--approver", "CISO"], &env, 2);
    let base = "content/payment-api/_index.md";
    let failing = site
        .read(base)
        .replacen("## Secure storage", "TODO\n\n## Secure storage", 1);
    std::fs::write(site.path(base), failing).unwrap_or_else(|e| panic!("{e}"));
    run(&["build"], &env, 1);
    for format in ["human", "json", "sarif", "github"] {
        run(
            &["lint", "--as-of", crate::rules::AS_OF, "--format", format],
            &env,
            1,
        );
    }
    run(
        &["verify", "public", "--public-key", "missing.pub"],
        &env,
        2,
    );
    assert!(runs.len() >= 16);
    assert_unseen(&site, &secret, &runs, &[]);
    assert!(site.path("public/manifest.json.sig").exists());
}

#[test]
fn key_material_found_in_content_is_never_echoed_in_any_format() {
    let keys = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key_path = keys.path().join("leaked");
    let site = crate::rules::pinned_scaffold();
    site.run(&["keygen", &key_path.display().to_string()])
        .code(0);
    let pem = std::fs::read_to_string(&key_path).unwrap_or_else(|e| panic!("{e}"));
    let page = "content/payment-api/partner-api.md";
    let site = site.edit(
        page,
        "This addendum adds",
        &format!("```\n{pem}```\n\nThis addendum adds"),
    );
    let mut runs = Vec::new();
    for format in ["human", "json", "sarif", "github"] {
        let run = site
            .run(&["lint", "--as-of", crate::rules::AS_OF, "--format", format])
            .code(1);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(all.contains("KG010"), "{format}: {all}");
        runs.push((format.to_owned(), run));
    }
    let build = site
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_has("error[KG010]");
    runs.push(("build".to_owned(), build));
    assert_unseen(&site, &secret(&key_path), &runs, &[page]);
    assert!(!site.path("public").exists());
}
