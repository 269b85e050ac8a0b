//! KG010: key material anywhere in the content, and anywhere in the built site.
//!
//! Every text file under the content folder (pages, inventory, exceptions, text assets such
//! as SVG) is scanned by [`super::key_material::scan`]; an asset whose very name says it is
//! key material (`.pem`, `.key`, `.p12`, `.ppk`, ...) is refused whatever it holds. The build
//! scans its rendered output the same way, so nothing reaches the site by another path (a
//! theme file, a template). Messages name the kind of material and its place, never the
//! material itself, and KG010 findings never quote the source line.

use crate::diag::{self, Diagnostic, LineIndex};
use crate::output::OutputTree;
use crate::source::Sources;

use super::key_material;

/// Scans every content file.
pub fn check(sources: &Sources, out: &mut Vec<Diagnostic>) {
    for file in sources.texts() {
        scan_text(&file.rel, &file.text, out);
    }
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
        } else if let Ok(text) = std::str::from_utf8(&asset.bytes) {
            scan_text(&asset.rel, text, out);
        }
    }
}

/// Scans every file of a rendered site; `label` prefixes the paths in findings (the output
/// folder as the user named it).
pub fn check_output(tree: &OutputTree, label: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (path, bytes) in tree.files() {
        let rel = format!("{label}/{path}");
        let name = path.rsplit('/').next().unwrap_or(path);
        if key_material::is_key_file_name(name) {
            out.push(Diagnostic::new(
                &diag::KEY_MATERIAL,
                &rel,
                (1, 1),
                "the built site would publish a file named as key material",
                "remove it from the theme or content",
            ));
        } else if let Ok(text) = std::str::from_utf8(bytes) {
            scan_text(&rel, text, &mut out);
        }
    }
    out
}

fn scan_text(rel: &str, text: &str, out: &mut Vec<Diagnostic>) {
    let findings = key_material::scan(text);
    if findings.is_empty() {
        return;
    }
    let lines = LineIndex::new(text);
    for f in findings {
        out.push(Diagnostic::new(
            &diag::KEY_MATERIAL,
            rel,
            lines.line_col(text, f.offset),
            format!("{} found; key material must never be published", f.kind),
            "remove it now and treat the key as compromised: rotate it, since it is in the repository history; show placeholders such as `<your-key>` instead",
        ));
    }
}
