//! Themes: templates and static files, from the binary or from the site's `themes/` folder.
//!
//! The default theme is embedded by `build.rs`. A site may override it file by file: every
//! file in `themes/<name>/` replaces the built-in file at the same path, and files the site
//! does not provide come from the built-in theme (so a theme can change one template). The
//! template engine sits behind [`Theme::render`], so the rest of the pipeline never sees it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));
}

/// `theme.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeToml {
    /// A theme may name itself; keyguide finds themes by folder, so this is informative.
    #[serde(default, rename = "name")]
    _name: Option<String>,
    #[serde(default)]
    engine: Option<String>,
}

/// A loaded theme, ready to render.
pub struct Theme {
    name: String,
    env: minijinja::Environment<'static>,
    /// Files under `static/`, by path inside `static/`.
    pub static_files: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The templates every theme provides (from the site or the built-in theme).
pub const TEMPLATES: &[&str] = &[
    "index.html",
    "guide.html",
    "integration.html",
    "404.html",
    "releases.html",
    "release.html",
    "redirect.html",
];

impl Theme {
    /// Loads theme `name` for the site at `root`.
    pub fn load(root: &Path, name: &str) -> Result<Theme> {
        let mut files: std::collections::BTreeMap<String, Vec<u8>> = embedded::DEFAULT_THEME
            .iter()
            .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
            .collect();
        let dir = root.join("themes").join(name);
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
                let entry = entry.map_err(|e| {
                    theme_error(
                        name,
                        format!("cannot read {}: {e}", dir.display()),
                        "check the theme folder's permissions",
                    )
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(&dir)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                let bytes =
                    std::fs::read(entry.path()).map_err(Error::io("reading", entry.path()))?;
                files.insert(rel, bytes);
            }
        } else if name != "default" {
            return Err(theme_error(
                name,
                format!("no folder {}", dir.display()),
                "set `theme = \"default\"` in keyguide.toml, or create the theme folder",
            ));
        }
        let engine = match files.get("theme.toml") {
            Some(bytes) => {
                let path = dir.join("theme.toml");
                let text = String::from_utf8_lossy(bytes);
                let toml: ThemeToml = crate::config::parse_toml(&path, &text)?;
                toml.engine
            }
            None => None,
        };
        match engine.as_deref() {
            None | Some("minijinja") => {}
            Some(other) => {
                return Err(theme_error(
                    name,
                    format!("theme.toml asks for engine `{other}`, which keyguide does not know"),
                    "use `engine = \"minijinja\"`",
                ));
            }
        }
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_formatter(html_formatter);
        let mut static_files = Vec::new();
        for (rel, bytes) in files {
            if let Some(template) = rel.strip_prefix("templates/") {
                let source = String::from_utf8(bytes).map_err(|_| {
                    theme_error(
                        name,
                        format!("templates/{template} is not valid UTF-8"),
                        "save the template as UTF-8",
                    )
                })?;
                env.add_template_owned(template.to_owned(), source)
                    .map_err(|e| template_error(name, &e))?;
            } else if let Some(file) = rel.strip_prefix("static/") {
                static_files.push((file.to_owned(), bytes));
            }
        }
        for required in TEMPLATES {
            env.get_template(required)
                .map_err(|e| template_error(name, &e))?;
        }
        Ok(Theme {
            name: name.to_owned(),
            env,
            static_files,
        })
    }

    /// Renders `template` with `ctx`.
    pub fn render<C: Serialize>(&self, template: &str, ctx: &C) -> Result<String> {
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| template_error(&self.name, &e))?;
        tmpl.render(minijinja::Value::from(minijinja::value::Serde(ctx)))
            .map_err(|e| template_error(&self.name, &e))
    }
}

/// Escapes strings for HTML as minijinja does, except `/`: escaping it buys nothing in text or
/// quoted attributes, and `href="..&#x2f;"` makes every URL unreadable in the output.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &mut minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> std::result::Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s) if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
            let mut escaped = String::with_capacity(s.len());
            for c in s.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing the page")
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn theme_error(theme: &str, message: String, help: &str) -> Error {
    Error::Theme {
        theme: theme.to_owned(),
        message,
        help: help.to_owned(),
    }
}

/// A template error with the template file and line, and the engine's cause chain.
fn template_error(theme: &str, e: &minijinja::Error) -> Error {
    let place = match (e.name(), e.line()) {
        (Some(name), Some(line)) => format!("themes/{theme}/templates/{name}:{line}: "),
        (Some(name), None) => format!("themes/{theme}/templates/{name}: "),
        _ => String::new(),
    };
    let mut message = format!("{place}{}", e.detail().unwrap_or(&e.kind().to_string()));
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    theme_error(
        theme,
        message,
        "fix the template at that line (minijinja uses Jinja2 syntax: {{ value }}, {% if %}...{% endif %})",
    )
}
