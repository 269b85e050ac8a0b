//! Embeds the bundled themes (`themes/default/`, `themes/print/`) in the binary, so a site
//! without a `themes/` folder builds with either. Generates, per theme, a sorted table of
//! (path, bytes) from every file in its folder, so a file added to a theme can never be
//! forgotten, and `BUNDLED`, the themes by name.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The bundled themes: (name, folder).
const THEMES: &[&str] = &["default", "print"];

fn main() {
    let mut table = String::from(
        "/// A theme's files: (path inside the theme, bytes).\ntype Files = &'static [(&'static str, &'static [u8])];\n",
    );
    for name in THEMES {
        let theme = Path::new("themes").join(name);
        println!("cargo:rerun-if-changed={}", theme.display());
        let mut files = Vec::new();
        collect(&theme, &mut files);
        files.sort();
        let _ = writeln!(
            table,
            "/// The bundled `{name}` theme's files.\nstatic {}: Files = &[",
            name.to_uppercase()
        );
        for file in &files {
            let rel = file
                .strip_prefix(&theme)
                .unwrap_or(file)
                .to_string_lossy()
                .replace('\\', "/");
            let abs =
                std::fs::canonicalize(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let _ = writeln!(
                table,
                "    ({rel:?}, include_bytes!({:?})),",
                abs.display().to_string()
            );
        }
        table.push_str("];\n");
    }
    table.push_str("/// The bundled themes by name.\npub static BUNDLED: &[(&str, Files)] = &[\n");
    for name in THEMES {
        let _ = writeln!(table, "    ({name:?}, {}),", name.to_uppercase());
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}")));
    std::fs::write(out.join("bundled_themes.rs"), table)
        .unwrap_or_else(|e| panic!("writing bundled_themes.rs: {e}"));
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
