//! KG010 end to end: key material in content or output stops lint and build, and no output
//! format ever repeats it. Test material is generated here, so no key-shaped text sits in the
//! repository.

use crate::rules::{AS_OF, pinned_scaffold};

const ADDENDUM: &str = "content/payment-api/partner-api.md";

/// `n` base64 characters from a fixed pseudo-random sequence.
fn base64_noise(n: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ALPHABET[(state >> 58) as usize] as char
        })
        .collect()
}

/// An armored block of `label` with a 64-column body.
pub(crate) fn armored(label: &str, seed: u64) -> (String, String) {
    let body = base64_noise(1216, seed);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    (
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----",
            lines.join("\n")
        ),
        body,
    )
}

fn with_block(block: &str) -> crate::support::SiteTest {
    pinned_scaffold().edit(
        ADDENDUM,
        "Storage\nfollows the base guide unchanged.",
        &format!("Storage follows the base guide.\n\n```text\n{block}\n```"),
    )
}

#[test]
fn a_private_key_in_a_page_fails_lint_and_build_without_being_echoed() {
    let (block, body) = armored("PRIVATE KEY", 7);
    let site = with_block(&block);
    let line = site
        .read(ADDENDUM)
        .lines()
        .position(|l| l.starts_with("-----BEGIN"))
        .map_or(0, |i| i + 1);
    let secret_piece = &body[100..140];
    for format in ["human", "json", "sarif", "github"] {
        let run = site
            .run(&["lint", "--format", format, "--as-of", AS_OF])
            .code(1);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(all.contains("KG010"), "{format}: {all}");
        assert!(
            !all.contains(secret_piece),
            "{format} output repeats the key material"
        );
        assert!(
            !all.contains("-----BEGIN"),
            "{format} output quotes the block"
        );
    }
    site.run(&["lint", "--as-of", AS_OF])
        .stderr_has(&format!("partner-api.md:{line}:1"))
        .stderr_has("PEM private key");
    let build = site.run(&["build", "--drafts"]).code(1);
    assert!(!build.stderr.contains(secret_piece));
    assert!(!site.path("public").exists());
}

#[test]
fn key_material_in_a_block_quote_or_inventory_is_found() {
    let (block, _) = armored("OPENSSH PRIVATE KEY", 11);
    let quoted: String = block.lines().map(|l| format!("> {l}\n")).collect();
    pinned_scaffold()
        .edit(
            ADDENDUM,
            "Storage\nfollows the base guide unchanged.",
            &quoted,
        )
        .run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("error[KG010]");
    let (block, _) = armored("EC PRIVATE KEY", 13);
    pinned_scaffold()
        .edit(
            "content/inventory.toml",
            "updates = \"annual rotation with a 30-day overlap\"",
            &format!("updates = \"\"\"\n{block}\n\"\"\""),
        )
        .run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("content/inventory.toml:")
        .stderr_has("error[KG010]");
}

#[test]
fn public_keys_certificates_and_fingerprints_are_not_key_material() {
    let (public, _) = armored("PUBLIC KEY", 17);
    let (cert, _) = armored("CERTIFICATE", 19);
    let (csr, _) = armored("CERTIFICATE REQUEST", 23);
    let text = format!(
        "{public}\n\n{cert}\n\n{csr}\n\nFingerprint: SHA256:{}\n\nThe file starts with `-----BEGIN PRIVATE KEY-----`; never paste it here.",
        &base64_noise(43, 29)
    );
    with_block(&text)
        .run(&["lint", "--as-of", AS_OF])
        .code(0)
        .stderr_has("no findings");
}

#[test]
fn an_asset_named_as_a_key_file_fails() {
    pinned_scaffold()
        .write("content/payment-api/partner.pem", "not even a key")
        .run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("content/payment-api/partner.pem:1:1")
        .stderr_has("error[KG010]");
}

#[test]
fn key_material_reaching_the_output_another_way_fails_the_build() {
    let (block, body) = armored("RSA PRIVATE KEY", 31);
    let site = pinned_scaffold().write("themes/default/static/notes.txt", &block);
    site.run(&["lint", "--as-of", AS_OF]).code(0);
    let run = site.run(&["build", "--drafts"]).code(1);
    assert!(
        run.stderr.contains("public/static/notes.txt:1:1"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&body[10..50]));
    assert!(!site.path("public").exists());
}

/// Guide pages are written into the staging folder as they are rendered: key material in
/// them is still found (read back after rendering), and a refused build leaves neither the
/// staged pages nor any change to the previous output behind.
#[test]
fn key_material_in_pages_written_during_the_build_fails_it_and_leaves_nothing() {
    let (block, body) = armored("RSA PRIVATE KEY", 37);
    let site = pinned_scaffold();
    site.run(&["build", "--drafts"]).code(0);
    let before = site.tree("public");
    // The site's own copy of the bundled template, with the key in it.
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("themes/default/templates/integration.html"),
    )
    .unwrap_or_default()
    .replacen(
        "{% block content %}",
        &format!("{{% block content %}}<pre>{block}</pre>"),
        1,
    );
    assert!(template.contains(&block));
    let site = site.write("themes/default/templates/integration.html", template);
    let run = site.run(&["build", "--drafts"]).code(1);
    assert!(
        run.stderr
            .contains("public/next/payment-api/partner-api/index.html:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&body[10..50]));
    assert_eq!(site.tree("public"), before, "the previous output must stay");
    assert_eq!(site.staging_leftovers(), Vec::<String>::new());
    // Folders made to hold a new output folder go again when the build is refused.
    site.run(&["build", "--drafts", "--out", "made/for/public"])
        .code(1);
    assert!(!site.path("made").exists());
}
