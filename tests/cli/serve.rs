//! `keyguide serve`: a real process on a loopback port, fetched over real sockets.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::SiteTest;

/// How long a change may take to show (generous: CI machines are shared and slow).
pub const WAIT: Duration = Duration::from_secs(15);

/// A running `keyguide serve`, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    stderr: Receiver<String>,
    log: Vec<String>,
}

impl Server {
    pub fn start(site: &SiteTest, port: u16) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyguide"))
            .args(["serve", "--port", &port.to_string()])
            .current_dir(site.path("."))
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting keyguide serve: {e}"));
        let (tx, stderr) = channel();
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut server = Server {
            child,
            port: 0,
            stderr,
            log: Vec::new(),
        };
        let line = server.wait_for("serving the draft at ");
        let url = line
            .split("serving the draft at ")
            .nth(1)
            .unwrap_or_default();
        server.port = url
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        server
    }

    /// The next stderr line containing `text`, within [`WAIT`].
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "serve never printed {text:?}; it printed:\n{}",
            self.log.join("\n")
        );
    }

    /// A raw HTTP/1.0 request; (status, head, body).
    pub fn request(&self, method: &str, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.port)).unwrap_or_else(|e| panic!("connect: {e}"));
        let _ = stream.set_read_timeout(Some(WAIT));
        let request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{headers}\r\n");
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("send: {e}"));
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(raw.len(), |i| i + 4);
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head, raw[split..].to_vec())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.request("GET", path, "");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Asserts that what serve has in memory is exactly what a full build of the same files
    /// writes: the manifests, which list every file's digest, are equal.
    fn equals_a_full_build(&self, site: &SiteTest) {
        let (status, served) = self.get("/manifest.json");
        assert_eq!(status, 200);
        site.run(&[
            "build",
            "--drafts",
            "--out",
            "full",
            "--base-url",
            &format!("http://127.0.0.1:{}/", self.port),
        ])
        .code(0);
        assert_eq!(served, site.read("full/manifest.json"));
    }

    /// Polls `path` until its body contains `text`, within [`WAIT`].
    fn eventually(&self, path: &str, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, body) = self.get(path);
            if body.contains(text) {
                return body;
            }
            assert!(Instant::now() < deadline, "{path} never contained {text:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

const PAGE: &str = "/next/payment-api/";
const BASE: &str = "content/payment-api/_index.md";

#[test]
fn serves_the_draft_and_shows_an_edit_after_saving() {
    let site = SiteTest::scaffold();
    let server = Server::start(&site, free_port());
    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("every twelve months"), "{page}");
    assert!(page.contains(r#"<script src="/__keyguide/live.js" defer></script>"#));
    let (status, live) = server.get("/__keyguide/live.js");
    assert_eq!(status, 200);
    assert!(live.contains("EventSource"));
    // Save by writing in place, then by renaming a temp file over the original.
    let site = site.edit(BASE, "every twelve months", "every six months");
    server.eventually(PAGE, "every six months");
    let text = site
        .read(BASE)
        .replace("every six months", "every three months");
    let site = site.write("content/payment-api/.new.md~", &text);
    std::fs::rename(site.path("content/payment-api/.new.md~"), site.path(BASE))
        .unwrap_or_else(|e| panic!("{e}"));
    server.eventually(PAGE, "every three months");
    // Serving builds in memory: nothing is written into the site.
    assert!(!site.path("public").exists());
    let stray = std::fs::read_dir(site.path("."))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(".keyguide"));
    assert!(!stray, "a staging folder was left in the site");
}

#[test]
fn a_broken_save_keeps_the_last_good_site_and_reports_until_fixed() {
    let site = SiteTest::scaffold();
    let mut server = Server::start(&site, free_port());
    let site = site.edit(BASE, "title = ", "titel = ");
    server.wait_for("build failed; still serving the last good version");
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("content/payment-api/_index.md:2:1"))
    );
    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200, "the last good page is still served");
    assert!(page.contains("every twelve months"));
    // The browser hears about it: the event stream carries the diagnostics, as JSON text.
    let mut stream =
        TcpStream::connect(("127.0.0.1", server.port)).unwrap_or_else(|e| panic!("{e}"));
    let _ = stream.set_read_timeout(Some(WAIT));
    let _ = stream.write_all(b"GET /__keyguide/events HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut first = vec![0; 4096];
    let n = stream.read(&mut first).unwrap_or(0);
    let event = String::from_utf8_lossy(&first[..n]);
    assert!(event.contains("text/event-stream"), "{event}");
    assert!(event.contains("unknown field `titel`"), "{event}");
    let _site = site.edit(BASE, "titel = ", "title = ");
    server.wait_for("rebuilt");
    let (status, _) = server.get(PAGE);
    assert_eq!(status, 200);
}

/// When the first build fails there is no last good site: every page shows the
/// diagnostics and carries the live-reload script, so fixing the file reloads it into the
/// site (SPEC 9: serve "shows the diagnostics in the page").
#[test]
fn a_first_build_that_fails_shows_the_diagnostics_and_reloads_when_fixed() {
    let site = SiteTest::scaffold().edit(BASE, "title = \"", "title = \"x\n#");
    let mut server = Server::start(&site, free_port());
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("every page shows the diagnostics")),
        "{:?}",
        server.log
    );
    for path in [PAGE, "/", "/no/such/page"] {
        let (status, page) = server.get(path);
        assert_eq!(status, 503, "{path}: {page}");
        assert!(
            page.contains("<script src=\"/__keyguide/live.js\" defer></script>"),
            "{path}: {page}"
        );
        assert!(page.contains("content/payment-api/_index.md"), "{page}");
        assert!(page.contains("did not build"), "{page}");
    }
    // The open page's event stream carries the diagnostics now and a new generation once
    // the file is fixed, which makes live.js reload the page.
    let (_, first) = server.get("/__keyguide/live.js");
    assert!(first.contains("location.reload()"));
    let site = site.edit(BASE, "title = \"x\n#", "title = \"");
    server.wait_for("rebuilt");
    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("every twelve months"));
    drop(site);
}

#[test]
fn answers_only_for_files_of_the_site() {
    let site = SiteTest::scaffold();
    let server = Server::start(&site, free_port());
    for path in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/next/%2E%2E/%2E%2E/keyguide.toml",
        "/next/..%5c..%5ckeyguide.toml",
        "/keyguide.toml",
        "/content/payment-api/_index.md",
        "//etc/passwd",
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(
            body.contains("Page not found"),
            "{path}: the site's 404 page"
        );
        assert!(
            !body.contains("[review]") && !body.contains("root:"),
            "{path}"
        );
    }
    let (status, head, body) = server.request("HEAD", PAGE, "");
    assert_eq!(status, 200);
    assert!(body.is_empty(), "HEAD has no body");
    assert!(
        head.contains("Content-Type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("Content-Security-Policy: default-src 'self'"),
        "{head}"
    );
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("ETag: "))
        .unwrap_or_else(|| panic!("no ETag:\n{head}"))
        .trim()
        .to_owned();
    let (status, _, body) = server.request("GET", PAGE, &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (status, head, _) = server.request("GET", "/next/payment-api", "");
    assert_eq!(status, 301);
    assert!(head.contains("Location: /next/payment-api/"), "{head}");
    let (_, page) = server.get(PAGE);
    let css = page
        .split("href=\"")
        .find(|s| s.contains("assets/style."))
        .and_then(|s| s.split('"').next())
        .unwrap_or_default();
    // `../../assets/style.<hash>.css` from /next/payment-api/.
    let css = format!("/{}", css.trim_start_matches("../"));
    let (status, head, _) = server.request("GET", &css, "");
    assert_eq!(status, 200, "{css}");
    assert!(head.contains("Content-Type: text/css"), "{head}");
}

#[test]
fn takes_the_next_port_when_asked_for_one_in_use_and_stops_on_ctrl_c() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = taken.local_addr().map(|a| a.port()).unwrap_or(0);
    let site = SiteTest::scaffold();
    let mut server = Server::start(&site, port);
    assert_ne!(server.port, port);
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains(&format!("port {port} is taken")))
    );
    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success());
    server.wait_for("stopped");
    let code = server.child.wait().map(|s| s.code());
    assert_eq!(code.ok().flatten(), Some(0));
}

#[test]
fn built_sites_never_carry_the_live_reload_script() {
    let site = SiteTest::scaffold();
    site.run(&["build", "--drafts"]).code(0);
    for (path, bytes) in site.tree("public") {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("__keyguide"),
            "{path} mentions the serve-only script"
        );
    }
}

#[test]
fn an_edit_re_renders_only_the_pages_it_touches_and_equals_a_full_build() {
    let site = SiteTest::example();
    let mut server = Server::start(&site, free_port());
    assert!(
        server.log.iter().any(|l| l.contains("(21 pages rendered")),
        "{:?}",
        server.log
    );
    // An addendum: only its compiled integration page in the draft.
    let site = site.edit(
        "content/gateway/hosted-fields-psk.md",
        "render card entry",
        "render the card entry form",
    );
    server.wait_for("(1 pages rendered");
    // The base guide: its page and its three integration pages.
    let site = site.edit(
        "content/gateway/_index.md",
        "gives its payment gateway customers",
        "gives all of its payment gateway customers",
    );
    server.wait_for("(4 pages rendered");
    // A title shows in every page's navigation: everything in the draft.
    let site = site.edit(
        "content/vault/_index.md",
        "title = \"",
        "title = \"Renamed: ",
    );
    server.wait_for("(7 pages rendered");
    server.equals_a_full_build(&site);
}

#[test]
fn a_guide_folder_moved_out_and_back_is_noticed() {
    let site = SiteTest::scaffold();
    let mut server = Server::start(&site, free_port());
    let (inside, outside) = (site.path("content/payment-api"), site.path("moved-away"));
    std::fs::rename(&inside, &outside).unwrap_or_else(|e| panic!("{e}"));
    server.wait_for("build failed; still serving the last good version");
    std::fs::rename(&outside, &inside).unwrap_or_else(|e| panic!("{e}"));
    server.wait_for("rebuilt");
    let (status, page) = server.get(PAGE);
    assert_eq!(status, 200);
    assert!(page.contains("every twelve months"));
}

/// The `-->` lines (file:line:column of each finding) of a human report.
fn places(report: &str) -> Vec<String> {
    report
        .lines()
        .filter(|l| l.trim_start().starts_with("-->"))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn whatever_serve_reuses_is_redone_when_its_inputs_change_and_equals_a_full_build() {
    const ADDENDUM: &str = "content/gateway/hosted-fields-psk.md";
    const DONE: &str = "Only your server signs session requests.";
    const TODO: &str = "Only your server signs session requests. TODO";
    let site = SiteTest::example();
    let mut server = Server::start(&site, free_port());
    // A placeholder: the page parsed and linted before is parsed and linted again, and serve
    // reports exactly what lint reports.
    let site = site.edit(ADDENDUM, DONE, TODO);
    server.wait_for("build failed; still serving the last good version");
    let lint = site.run(&["lint"]).code(1);
    let expected = places(&lint.stderr);
    assert!(!expected.is_empty() && lint.stderr.contains("holds the placeholder `todo`"));
    let reported = places(&server.log.join("\n"));
    assert_eq!(reported, expected, "serve reports what lint reports");
    // A configuration change re-renders every page, and turns the error into a warning.
    let site = site.edit("keyguide.toml", "warn = []", "warn = [\"KG003\"]");
    server.wait_for("(21 pages rendered");
    assert!(server.log.iter().any(|l| l.contains("warning[KG003]")));
    // An inventory edit: a workflow no addendum covers, then gone again.
    let inventory = site.read("content/inventory.toml");
    let uncovered = "\n[[workflow]]\nid = \"wf-uncovered\"\nkey_material = \"AES-256 key\"\ncustomers = \"All\"\nprotects = [\"storage\"]\ndelivery = \"customer portal (MFA) download\"\nupdates = \"annual rotation\"\n";
    let site = site.write("content/inventory.toml", format!("{inventory}{uncovered}"));
    server.wait_for("workflow `wf-uncovered` is covered by no addendum");
    let site = site.write("content/inventory.toml", &inventory);
    server.wait_for("rebuilt");
    // Key material in the content: the memo of earlier scans does not hide it...
    let (block, body) = crate::key_material::armored("PRIVATE KEY", 5);
    let site = site.edit(ADDENDUM, TODO, &format!("{TODO}\n\n```text\n{block}\n```"));
    server.wait_for("build failed; still serving the last good version");
    let leak = format!("--> {ADDENDUM}:");
    assert!(
        server.log.iter().any(|l| l.contains(&leak)),
        "{:?}",
        server.log
    );
    assert!(!server.log.iter().any(|l| l.contains(&body[10..50])));
    // ...and once it is gone, the page is the one built before it: nothing to render.
    let site = site.edit(ADDENDUM, &format!("{TODO}\n\n```text\n{block}\n```"), TODO);
    server.wait_for("(0 pages rendered");
    // Key material reaching the output through the theme, not the content.
    let site = site.write("themes/default/static/notes.txt", &block);
    server.wait_for("build failed; still serving the last good version");
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("serve/static/notes.txt:1:1")),
        "{:?}",
        server.log
    );
    let site = site.remove_file("themes/default/static/notes.txt");
    server.wait_for("rebuilt");
    // A template change (an override of the built-in one) shows on every guide page.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| {
        std::fs::read_to_string(repo.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let template = read("themes/default/templates/guide.html");
    assert!(template.contains("{{ page.title }} — {{ site.title }}"));
    let site = site.write(
        "themes/default/templates/guide.html",
        template.replace(
            "{{ page.title }} — {{ site.title }}",
            "{{ page.title }} · {{ site.title }}",
        ),
    );
    server.wait_for("(21 pages rendered");
    server.eventually("/next/gateway/", "Key Handling Guide · Acme Payments");
    // A profile change checks every page again: findings kept for unchanged pages are not.
    let profile = read("profiles/pci-dss-4.0.1-3.7.9.toml");
    let stricter = profile.replace("\"coming soon\"]", "\"coming soon\", \"better still\"]");
    assert_ne!(profile, stricter);
    let site = site.write("site-profile.toml", &stricter).edit(
        "keyguide.toml",
        "profile = \"pci-dss-4.0.1-3.7.9\"",
        "profile = \"site-profile.toml\"",
    );
    server.wait_for("holds the placeholder `better still`");
    server.wait_for("rebuilt");
    let seen = server.log.len();
    let site = site.write("site-profile.toml", &profile);
    server.wait_for("rebuilt");
    assert!(
        !server.log[seen..]
            .iter()
            .any(|l| l.contains("better still")),
        "{:?}",
        &server.log[seen..]
    );
    // Back to clean content and configuration.
    let site = site
        .edit(ADDENDUM, TODO, DONE)
        .edit("keyguide.toml", "warn = [\"KG003\"]", "warn = []")
        .edit(
            "keyguide.toml",
            "profile = \"site-profile.toml\"",
            "profile = \"pci-dss-4.0.1-3.7.9\"",
        );
    server.eventually("/next/gateway/hosted-fields-psk/", DONE);
    server.wait_for("rebuilt");
    server.equals_a_full_build(&site);
}

#[test]
fn a_file_unchanged_for_long_is_reused_until_an_edit_of_the_same_size() {
    let site = SiteTest::scaffold();
    // Files last modified an hour ago are "settled": serve keeps what it read of them and
    // takes it again as long as their size, times and inode stay the same.
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for rel in [
        BASE,
        "content/payment-api/partner-api.md",
        "content/inventory.toml",
    ] {
        std::fs::File::options()
            .write(true)
            .open(site.path(rel))
            .and_then(|f| f.set_modified(hour_ago))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
    }
    let mut server = Server::start(&site, free_port());
    // Another file's save: the settled ones are taken as read.
    let addendum = site.read("content/payment-api/partner-api.md");
    let site = site.write(
        "content/payment-api/partner-api.md",
        format!("{addendum}\nEdited.\n"),
    );
    server.wait_for("rebuilt");
    // An edit in place that keeps the size still moves the file's times: it is read again.
    let site = site.edit(BASE, "every twelve months", "every TWELVE months");
    server.wait_for("rebuilt");
    server.eventually(PAGE, "every TWELVE months");
    server.equals_a_full_build(&site);
}
