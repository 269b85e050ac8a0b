//! `keyguide serve`: the draft, built in memory, served on loopback, rebuilt on every save.
//!
//! The site is never written to disk: each rebuild produces an [`OutputTree`] in memory and
//! swaps it in whole, so a reader never sees half a site, a failed build keeps the last good
//! one, and stopping leaves nothing behind. Requests are answered only from that tree: the
//! path is percent-decoded and split into segments, and any `..`, `.`, backslash or NUL makes
//! it a 404 — there is no file system path to escape from.
//!
//! Live reload: every HTML page served gets one extra `<script src="/__keyguide/live.js">`
//! (a file, so a strict CSP still holds; `keyguide build` output never has it). The script
//! listens to `/__keyguide/events` (server-sent events): each rebuild sends the build's
//! generation and, when it failed, the diagnostics, which the script shows in an overlay
//! (as text, never as HTML) until the next good build reloads the page.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::output::OutputTree;

/// The URL folder of keyguide's own serve files.
pub const SERVE_DIR: &str = "/__keyguide/";

/// The live-reload client.
const LIVE_JS: &str = include_str!("serve/live.js");

/// The current site and how it came to be.
#[derive(Default)]
struct Current {
    /// Incremented by every rebuild, good or bad.
    generation: u64,
    /// The last good build.
    site: Arc<OutputTree>,
    /// The diagnostics of the last build when it failed; empty when it succeeded.
    errors: String,
    /// The response headers of the last good build's keyguide.toml.
    headers: Arc<Vec<(String, String)>>,
}

/// The served site, shared by the request threads and the rebuilder.
#[derive(Default)]
pub struct Served {
    current: Mutex<Current>,
    changed: Condvar,
}

impl Served {
    /// Installs a successful build, served with `headers` (keyguide.toml's `[headers]`).
    pub fn succeeded(&self, site: OutputTree, headers: Vec<(String, String)>) {
        let mut current = self.lock();
        current.generation += 1;
        current.site = Arc::new(site);
        current.headers = Arc::new(headers);
        current.errors.clear();
        self.changed.notify_all();
    }

    /// Records a failed build; the last good site stays served.
    pub fn failed(&self, errors: String) {
        let mut current = self.lock();
        current.generation += 1;
        current.errors = errors;
        self.changed.notify_all();
    }

    /// Whether a build has succeeded yet: until then every path answers the diagnostics.
    pub fn has_site(&self) -> bool {
        !self.lock().site.is_empty()
    }

    /// The current generation and errors.
    pub fn status(&self) -> (u64, String) {
        let current = self.lock();
        (current.generation, current.errors.clone())
    }

    /// Waits until the generation differs from `seen`, or `timeout` passes.
    fn wait_change(&self, seen: u64, timeout: Duration) -> (u64, String) {
        let current = self.lock();
        let (current, _) = self
            .changed
            .wait_timeout_while(current, timeout, |c| c.generation == seen)
            .unwrap_or_else(PoisonError::into_inner);
        (current.generation, current.errors.clone())
    }

    fn site(&self) -> (Arc<OutputTree>, Arc<Vec<(String, String)>>) {
        let current = self.lock();
        (Arc::clone(&current.site), Arc::clone(&current.headers))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        // A panic in another thread cannot leave `Current` half-written: every update is a
        // few assignments. Serving on is better than stopping.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Answers one request from the served site.
pub fn respond(served: &Served, request: tiny_http::Request) {
    let url = request.url().to_owned();
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == format!("{SERVE_DIR}events") {
        stream_events(served, request);
        return;
    }
    let response = if path == format!("{SERVE_DIR}live.js") {
        file(
            200,
            "text/javascript; charset=utf-8",
            LIVE_JS.as_bytes().to_vec(),
        )
    } else {
        page(served, path, &request)
    };
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(response);
}

type Response = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

/// A page or file of the site, with the site's headers.
fn page(served: &Served, path: &str, request: &tiny_http::Request) -> Response {
    let (site, headers) = served.site();
    if site.is_empty() {
        return not_built(served);
    }
    let Some(rel) = site_path(path) else {
        return not_found(&site, &headers);
    };
    let found = if rel.is_empty() || rel.ends_with('/') {
        site.get(&format!("{rel}index.html"))
            .map(|b| (b, format!("{rel}index.html")))
    } else {
        site.get(&rel).map(|b| (b, rel.clone()))
    };
    let Some((bytes, file_path)) = found else {
        if site.get(&format!("{rel}/index.html")).is_some() {
            let mut r = file(301, "text/plain; charset=utf-8", Vec::new());
            add_header(&mut r, "Location", &format!("/{rel}/"));
            return r;
        }
        return not_found(&site, &headers);
    };
    let etag = format!(
        "\"{}\"",
        &crate::versions::sha256(bytes)["sha256:".len()..][..16]
    );
    let unchanged = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("If-None-Match") && h.value.as_str() == etag);
    let mut response = if unchanged {
        file(304, content_type(&file_path), Vec::new())
    } else {
        file(
            200,
            content_type(&file_path),
            with_live_script(&file_path, bytes),
        )
    };
    add_header(&mut response, "ETag", &etag);
    with_site_headers(response, &headers)
}

/// What every path answers while no build has succeeded yet (the first one failed): the
/// diagnostics, and the live-reload script, which shows them in its overlay too and reloads
/// the page into the site once a save builds. Status 503: the site is not there yet.
fn not_built(served: &Served) -> Response {
    let (_, errors) = served.status();
    let errors = match errors.is_empty() {
        true => "The site is being built.".to_owned(),
        false => crate::theme::escape_html(&errors),
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>keyguide serve: the site did not build</title>\n\
         <script src=\"{SERVE_DIR}live.js\" defer></script>\n</head>\n<body>\n\
         <h1>The site did not build</h1>\n\
         <p>Fix what is listed below and save: this page reloads as soon as the site builds.</p>\n\
         <pre>{errors}</pre>\n</body>\n</html>\n"
    );
    file(503, "text/html; charset=utf-8", body.into_bytes())
}

/// The site's 404 page, with status 404.
fn not_found(site: &OutputTree, headers: &[(String, String)]) -> Response {
    let body = site
        .get("404.html")
        .map(|b| with_live_script("404.html", b))
        .unwrap_or_else(|| b"<!doctype html><title>Not found</title><p>Not found.".to_vec());
    with_site_headers(file(404, "text/html; charset=utf-8", body), headers)
}

/// The request path as a path in the output tree, or none when it is not a plain path:
/// percent-decoded, without `.`/`..`/empty segments, backslashes or NUL.
pub fn site_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let rest = decoded.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    // Only the last segment may be empty (a folder's trailing `/`).
    let safe = segments.iter().enumerate().all(|(i, seg)| {
        (!seg.is_empty() || i + 1 == segments.len())
            && *seg != ".."
            && *seg != "."
            && !seg.contains(['\\', '\0'])
    });
    safe.then(|| rest.to_owned())
}

/// HTML pages get the live-reload script before `</head>`; other files are served as built.
fn with_live_script(path: &str, bytes: &[u8]) -> Vec<u8> {
    if !path.ends_with(".html") {
        return bytes.to_vec();
    }
    let html = String::from_utf8_lossy(bytes);
    let tag = format!("<script src=\"{SERVE_DIR}live.js\" defer></script>\n");
    match html.find("</head>") {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]).into_bytes(),
        None => format!("{html}{tag}").into_bytes(),
    }
}

fn with_site_headers(mut response: Response, headers: &[(String, String)]) -> Response {
    for (name, value) in headers {
        // HSTS on a loopback http:// server would only confuse the browser.
        if !name.eq_ignore_ascii_case("Strict-Transport-Security") {
            add_header(&mut response, name, value);
        }
    }
    add_header(&mut response, "Cache-Control", "no-store");
    response
}

fn file(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let mut response = tiny_http::Response::from_data(body).with_status_code(status);
    add_header(&mut response, "Content-Type", content_type);
    response
}

/// Adds a header; names and values are keyguide's own or validated by keyguide.toml, so one
/// that does not parse cannot occur, and would be left out rather than stop the server.
fn add_header(response: &mut Response, name: &str, value: &str) {
    if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        response.add_header(h);
    }
}

/// The content type of an output file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "pub" | "sig" | "md" => "text/plain; charset=utf-8",
        _ if path.ends_with("SHA256SUMS") || path.ends_with("allowed_signers") => {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

/// Server-sent events: the current status at once, then one event per rebuild, and a
/// comment every 15 s so a closed connection is noticed and its thread ends.
fn stream_events(served: &Served, request: tiny_http::Request) {
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n";
    if out.write_all(head.as_bytes()).is_err() {
        return;
    }
    let (mut seen, mut errors) = served.status();
    loop {
        let event = serde_json::json!({ "generation": seen, "errors": errors });
        let message = format!("data: {event}\n\n");
        if out
            .write_all(message.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
        loop {
            let (generation, now) = served.wait_change(seen, Duration::from_secs(15));
            if generation != seen {
                (seen, errors) = (generation, now);
                break;
            }
            if out
                .write_all(b": keep-alive\n\n")
                .and_then(|()| out.flush())
                .is_err()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_reach_the_site() {
        assert_eq!(
            site_path("/1.0.0/gateway/").as_deref(),
            Some("1.0.0/gateway/")
        );
        assert_eq!(
            site_path("/key%20flow.svg").as_deref(),
            Some("key flow.svg")
        );
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/%2e%2e/x",
            "/a/./b",
            "/a\\..\\b",
            "/a%00b",
            "relative",
            "//etc/passwd",
            "/%ff",
        ] {
            assert_eq!(site_path(bad), None, "{bad}");
        }
    }
}
