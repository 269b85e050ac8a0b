//! Themes: templates and static files, from the binary or from the site's `themes/` folder.
//!
//! Two themes are bundled in the binary by `build.rs`: `default` (minijinja) and `print`
//! (Tera, one printable document per guide page). A site may override a theme file by file:
//! every file in `themes/<name>/` replaces the bundled file at the same path.
//!
//! Engines: a theme's `theme.toml` may say `engine = "tera"`; otherwise it renders with
//! minijinja. Both get the same serialized contexts through [`Theme::render`], so the rest of
//! the pipeline never sees the engine. A minijinja theme falls back to the default theme for
//! every file it does not provide, so a theme can change one template. A Tera theme cannot
//! borrow minijinja templates: it must provide every template in [`TEMPLATES`] (its static
//! files may still fall back to the default theme's). Both engines are strict: a template that
//! uses an undefined variable is an error naming the template and line, never an empty string,
//! and both escape HTML in `.html` and `.xml` templates.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/bundled_themes.rs"));
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

/// The template engine a theme renders with.
enum Engine {
    Minijinja(Box<minijinja::Environment<'static>>),
    Tera(Box<tera::Tera>),
}

/// A loaded theme, ready to render.
pub struct Theme {
    name: String,
    /// A digest of every file of the theme, for caches that must notice a theme change.
    pub identity: crate::memo::Digest,
    engine: Engine,
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
        let dir = root.join("themes").join(name);
        let shipped = bundled(name);
        if !dir.is_dir() && shipped.is_none() {
            return Err(theme_error(
                name,
                format!("no folder {}", dir.display()),
                "set `theme = \"default\"` (or the bundled `\"print\"`) in keyguide.toml, or create the theme folder",
            ));
        }
        // The theme's own files: the bundled theme of that name, then the site's folder.
        let mut own = shipped.unwrap_or_default();
        if dir.is_dir() {
            own.extend(crate::versions::read_tree(root, &dir)?);
        }
        let engine = match own.get("theme.toml") {
            Some(bytes) => {
                let path = dir.join("theme.toml");
                let text = String::from_utf8_lossy(bytes);
                let toml: ThemeToml = crate::config::parse_toml(&path, &text)?;
                toml.engine
            }
            None => None,
        };
        let default = bundled("default").unwrap_or_default();
        let tera = match engine.as_deref() {
            None | Some("minijinja") => false,
            Some("tera") => true,
            Some(other) => {
                return Err(theme_error(
                    name,
                    format!("theme.toml asks for engine `{other}`, which keyguide does not know"),
                    "use `engine = \"minijinja\"` (the default) or `engine = \"tera\"`",
                ));
            }
        };
        // Fallback to the default theme: every file for minijinja, static files for Tera.
        let mut files: BTreeMap<String, Vec<u8>> = default
            .into_iter()
            .filter(|(path, _)| !tera || path.starts_with("static/"))
            .collect();
        files.extend(own);
        let identity = {
            use std::hash::Hash as _;
            let mut h = crate::memo::DigestHasher::default();
            files.hash(&mut h);
            engine.hash(&mut h);
            h.digest()
        };
        let mut templates = Vec::new();
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
                templates.push((template.to_owned(), source));
            } else if let Some(file) = rel.strip_prefix("static/") {
                static_files.push((file.to_owned(), bytes));
            }
        }
        for required in TEMPLATES {
            if !templates.iter().any(|(t, _)| t == required) {
                return Err(theme_error(
                    name,
                    format!("the theme has no templates/{required}"),
                    "add the template: every theme renders index.html, guide.html, integration.html, 404.html, releases.html, release.html and redirect.html (a minijinja theme inherits missing ones from the default theme; a Tera theme cannot)",
                ));
            }
        }
        let engine = if tera {
            let mut env = tera::Tera::new();
            env.autoescape_on([".html", ".xml"]);
            env.add_raw_templates(templates.iter().map(|(n, s)| (n.as_str(), s.as_str())))
                .map_err(|e| tera_error(name, &e))?;
            Engine::Tera(Box::new(env))
        } else {
            let mut env = minijinja::Environment::new();
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            env.set_formatter(html_formatter);
            for (template, source) in templates {
                env.add_template_owned(template, source)
                    .map_err(|e| template_error(name, &e))?;
            }
            Engine::Minijinja(Box::new(env))
        };
        Ok(Theme {
            name: name.to_owned(),
            identity,
            engine,
            static_files,
        })
    }

    /// Renders `template` with `ctx`.
    pub fn render<C: Serialize>(&self, template: &str, ctx: &C) -> Result<String> {
        match &self.engine {
            Engine::Minijinja(env) => {
                let tmpl = env
                    .get_template(template)
                    .map_err(|e| template_error(&self.name, &e))?;
                tmpl.render(minijinja::Value::from(minijinja::value::Serde(ctx)))
                    .map_err(|e| template_error(&self.name, &e))
            }
            Engine::Tera(env) => {
                let context =
                    tera::Context::from_serialize(ctx).map_err(|e| tera_error(&self.name, &e))?;
                env.render(template, &context)
                    .map_err(|e| tera_error(&self.name, &e))
            }
        }
    }
}

/// The bundled theme `name`'s files, by path inside the theme.
fn bundled(name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
    embedded::BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, files)| {
            files
                .iter()
                .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
                .collect()
        })
}

/// Escapes strings for HTML as minijinja does, except `/`: escaping it buys nothing in text or
/// quoted attributes, and `href="..&#x2f;"` makes every URL unreadable in the output.
pub(crate) fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &mut minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> std::result::Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s) if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
            out.write_str(&escape_html(s)).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing the page")
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `text` escaped for HTML as minijinja themes show it (see [`html_formatter`]).
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
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

/// A Tera error with the template file and line.
fn tera_error(theme: &str, e: &tera::Error) -> Error {
    let message = match e.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => format!(
            "themes/{theme}/templates/{}:{}: {}",
            report.filename(),
            report.span().start_line,
            report.message()
        ),
        other => other.to_string(),
    };
    theme_error(
        theme,
        message,
        "fix the template at that line (Tera syntax: {{ value }}, {% if value %}...{% endif %}; test optional values with `is defined`)",
    )
}
