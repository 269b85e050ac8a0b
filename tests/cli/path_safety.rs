//! No content, link, asset, version label, template include or theme name can make keyguide
//! read or write outside the site root and the output folder.

use crate::support::SiteTest;

/// A file outside every site, whose text must never show up anywhere.
struct Outside {
    dir: tempfile::TempDir,
}

const MARK: &str = "OUTSIDE-THE-SITE-7f3a";

impl Outside {
    fn new() -> Outside {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("secret.txt"), MARK).unwrap_or_else(|e| panic!("{e}"));
        Outside { dir }
    }

    fn file(&self) -> std::path::PathBuf {
        self.dir.path().join("secret.txt")
    }

    /// Links `rel` in `site` to the outside file (or, with `folder`, the outside folder).
    fn link(&self, site: &SiteTest, rel: &str, folder: bool) {
        let target = if folder {
            self.dir.path().to_path_buf()
        } else {
            self.file()
        };
        let path = site.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::os::unix::fs::symlink(target, path).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Asserts that the outside text reached neither the run's output nor any built file.
fn never_leaked(site: &SiteTest, run: &crate::support::Run) {
    assert!(!run.stdout.contains(MARK) && !run.stderr.contains(MARK));
    let root = site
        .path(".")
        .canonicalize()
        .unwrap_or_else(|e| panic!("{e}"));
    for (path, bytes) in site.tree(".") {
        // The planted links themselves lead to the outside file; only real files count.
        let planted = site
            .path(&path)
            .canonicalize()
            .is_ok_and(|real| !real.starts_with(&root));
        assert!(
            planted || !String::from_utf8_lossy(&bytes).contains(MARK),
            "{path} holds the outside file's text"
        );
    }
}

fn with_site_theme(site: SiteTest) -> SiteTest {
    site.edit("keyguide.toml", "theme = \"default\"", "theme = \"house\"")
        .write("themes/house/static/house.css", "body{}")
}

#[test]
fn a_theme_name_cannot_leave_the_themes_folder() {
    for name in ["../x", "../../etc", "/etc", "a/b", "..", "x\\y"] {
        let site = SiteTest::scaffold().edit(
            "keyguide.toml",
            "theme = \"default\"",
            &format!("theme = {}", toml_string(name)),
        );
        site.run(&["build", "--drafts"])
            .code(2)
            .stderr_lacks("panicked")
            .stderr_has("keyguide.toml:5:9")
            .stderr_has("is not a folder name");
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\"))
}

#[test]
fn a_template_include_cannot_reach_a_file_outside_the_theme() {
    let outside = Outside::new();
    let target = outside.file().display().to_string();
    for (engine, include) in [
        (
            "minijinja",
            "{% include \"../../../../../../etc/passwd\" %}".to_owned(),
        ),
        ("minijinja", format!("{{% include \"{target}\" %}}")),
        ("tera", format!("{{% include \"{target}\" %}}")),
    ] {
        let mut site = with_site_theme(SiteTest::scaffold()).write(
            "themes/house/theme.toml",
            format!("engine = \"{engine}\"\n"),
        );
        for name in keyguide::theme::TEMPLATES {
            site = site.write(&format!("themes/house/templates/{name}"), &include);
        }
        let run = site
            .run(&["build", "--drafts"])
            .code(2)
            .stderr_lacks("panicked");
        let run = run.stderr_has("theme `house`").stderr_has(".html:1");
        never_leaked(&site, &run);
        assert!(!site.path("public").exists());
    }
}

#[test]
fn theme_files_and_folders_linked_from_outside_are_refused() {
    let outside = Outside::new();
    let site = with_site_theme(SiteTest::scaffold());
    outside.link(&site, "themes/house/static/leak.txt", false);
    let run = site
        .run(&["build", "--drafts"])
        .code(2)
        .stderr_lacks("panicked")
        .stderr_has("themes/house/static/leak.txt")
        .stderr_has("leads outside the site root");
    never_leaked(&site, &run);

    let site =
        SiteTest::scaffold().edit("keyguide.toml", "theme = \"default\"", "theme = \"house\"");
    outside.link(&site, "themes/house", true);
    let run = site
        .run(&["build", "--drafts"])
        .code(2)
        .stderr_has("themes/house")
        .stderr_has("a folder outside the site root");
    never_leaked(&site, &run);
}

#[test]
fn links_and_images_climbing_out_of_the_content_are_broken_links() {
    let site = SiteTest::scaffold().edit(
        "content/payment-api/partner-api.md",
        "This addendum adds",
        "[up](../../../../etc/passwd) ![img](../../../../../etc/hostname) This addendum adds",
    );
    let run = site
        .run(&["build", "--drafts"])
        .code(1)
        .stderr_lacks("panicked")
        .stderr_has("partner-api.md:7:1")
        .stderr_has("`../../../../etc/passwd` leads outside the content folder")
        .stderr_has("`../../../../../etc/hostname` leads outside the content folder");
    never_leaked(&site, &run);
    assert!(!site.path("public").exists());
}

#[test]
fn absolute_and_file_urls_are_left_as_links_and_read_nothing() {
    let outside = Outside::new();
    let url = format!("file://{}", outside.file().display());
    let site = SiteTest::scaffold().edit(
        "content/payment-api/partner-api.md",
        "This addendum adds",
        &format!(
            "[abs]({}) [file]({url}) This addendum adds",
            outside.file().display()
        ),
    );
    let run = site.run(&["build", "--drafts"]).code(0);
    never_leaked(&site, &run);
}

#[test]
fn a_released_snapshot_linking_out_is_refused_not_read() {
    let outside = Outside::new();
    let site = crate::versions::first_release();
    outside.link(&site, "releases/1.0.0/content/payment-api/extra.txt", false);
    for args in [
        &["build"][..],
        &["lint", "--as-of", crate::rules::AS_OF][..],
    ] {
        let run = site.run(args).stderr_lacks("panicked");
        assert_ne!(run.code, 0, "{args:?}");
        let run = run
            .stderr_has("releases/1.0.0/content/payment-api/extra.txt")
            .stderr_has("outside the site root");
        never_leaked(&site, &run);
    }
    assert!(!site.path("public").exists());
}

#[test]
fn a_release_does_not_freeze_a_file_linked_from_outside() {
    let outside = Outside::new();
    let site = crate::rules::pinned_scaffold();
    outside.link(&site, "content/payment-api/extra.txt", false);
    let run = site
        .run(crate::versions::RELEASE_1_0_0)
        .code(1)
        .stderr_has("content/payment-api/extra.txt")
        .stderr_has("release refused");
    never_leaked(&site, &run);
    assert!(!site.path("releases").exists());
}
