//! KG010: key material anywhere in the content, and anywhere in the built site.
//!
//! Every text file under the content folder (pages, inventory, exceptions, text assets such
//! as SVG) is scanned by [`super::key_material::scan`]; an asset whose very name says it is
//! key material (`.pem`, `.key`, `.p12`, `.ppk`, ...) is refused whatever it holds. The build
//! scans its rendered output the same way, so nothing reaches the site by another path (a
//! theme file, a template). Messages name the kind of material and its place, never the
//! material itself, and KG010 findings never quote the source line.
//!
//! A scan depends on the text alone, so it is done once per distinct text ([`Memo`]): files
//! shared by the draft and a release, pages a rebuild reused, are not scanned again.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::diag::{self, Diagnostic, LineIndex};
use crate::memo::{self, Digest, Memo};
use crate::output::OutputTree;
use crate::source::Sources;

use super::key_material;

/// Scans every content file.
pub fn check(sources: &Sources, memo: &Memo, out: &mut Vec<Diagnostic>) {
    let texts: Vec<_> = sources.texts().collect();
    let found: Vec<Vec<Diagnostic>> = texts
        .par_iter()
        .map(|file| scan_text(&file.rel, file.text.as_bytes(), &file.digest, memo))
        .collect();
    out.extend(found.into_iter().flatten());
    for asset in sources.guides.iter().flat_map(|g| &g.assets) {
        let name = asset.rel.rsplit('/').next().unwrap_or(&asset.rel);
        if key_material::is_key_file_name(name) {
            out.push(Diagnostic::new(
                &diag::KEY_MATERIAL,
                &asset.rel,
                (1, 1),
                "an asset named as key material (by its extension) would be published",
                "remove the file from the content folder; keys are delivered over the approved channels, never published",
            ));
        } else {
            let digest = memo::digest(&asset.bytes);
            out.extend(scan_text(&asset.rel, &asset.bytes, &digest, memo));
        }
    }
}

/// Scans every file of a rendered site, whose digests are `digests` (by path); `label`
/// prefixes the paths in findings (the output folder as the user named it).
pub fn check_output(
    tree: &OutputTree,
    digests: &BTreeMap<String, Digest>,
    memo: &Memo,
    label: &str,
) -> Vec<Diagnostic> {
    let files: Vec<(&str, &[u8])> = tree.files().collect();
    let found: Vec<Vec<Diagnostic>> = files
        .par_iter()
        .map(|(path, bytes)| {
            let rel = format!("{label}/{path}");
            let name = path.rsplit('/').next().unwrap_or(path);
            if key_material::is_key_file_name(name) {
                vec![Diagnostic::new(
                    &diag::KEY_MATERIAL,
                    &rel,
                    (1, 1),
                    "the built site would publish a file named as key material",
                    "remove it from the theme or content",
                )]
            } else {
                let digest = digests
                    .get(*path)
                    .copied()
                    .unwrap_or_else(|| memo::digest(bytes));
                scan_text(&rel, bytes, &digest, memo)
            }
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The KG010 findings in `bytes` (whose digest is `digest`), as diagnostics about `rel`. Only
/// text is scanned: bytes that are not UTF-8 (images, PDFs) have no findings. A file scanned
/// before is not even checked for UTF-8 again.
fn scan_text(rel: &str, bytes: &[u8], digest: &Digest, memo: &Memo) -> Vec<Diagnostic> {
    let findings = memo.scan(digest, || {
        std::str::from_utf8(bytes)
            .map(key_material::scan)
            .unwrap_or_default()
    });
    if findings.is_empty() {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for f in findings.iter() {
        out.push(Diagnostic::new(
            &diag::KEY_MATERIAL,
            rel,
            lines.line_col(text, f.offset),
            format!("{} found; key material must never be published", f.kind),
            "remove it now and treat the key as compromised: rotate it, since it is in the repository history; show placeholders such as `<your-key>` instead",
        ));
    }
    out
}
