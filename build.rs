//! Embeds the default theme (`themes/default/`) in the binary, so a site without a
//! `themes/` folder builds. Generates a sorted table of (path, bytes) from every file in the
//! folder, so a file added to the theme can never be forgotten.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let theme = Path::new("themes/default");
    println!("cargo:rerun-if-changed={}", theme.display());
    let mut files = Vec::new();
    collect(theme, &mut files);
    files.sort();
    let mut table =
        String::from("/// The default theme's files: (path inside the theme, bytes).\n");
    table.push_str("pub static DEFAULT_THEME: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let rel = file
            .strip_prefix(theme)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let abs = std::fs::canonicalize(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let _ = writeln!(
            table,
            "    ({rel:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}")));
    std::fs::write(out.join("default_theme.rs"), table)
        .unwrap_or_else(|e| panic!("writing default_theme.rs: {e}"));
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
}
