//! `keyguide serve`: build the draft in memory, serve it on loopback, rebuild on save.
//!
//! HTTP: tiny_http, a small, synchronous, well-kept server — a docs preview serves one author,
//! and server-sent events need nothing more than a thread per open page, so an async runtime
//! would only add weight. Watching: notify, with the events of opening and reading files left
//! out (builds read every file) and a short quiet period ([`QUIET`]) that collapses the bursts
//! editors make when they save by writing in place or by renaming a temp file over the
//! original. notify-debouncer-mini cannot tell reads from writes.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use keyguide::Cache;
use keyguide::config::Config;
use keyguide::error::{Error, Result};
use keyguide::serve::{self, Served};
use keyguide::{BuildOptions, diag};
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::Outcome;
use crate::cli::ServeArgs;

/// Requests answered at once (open pages each hold one for live reload); more get a 503.
const MAX_IN_FLIGHT: usize = 512;

/// Ports tried after the one asked for, when it is taken.
const PORT_TRIES: u16 = 20;

/// Runs `keyguide serve` until Ctrl-C.
pub fn run(root: Option<&Path>, args: &ServeArgs) -> Result<Outcome> {
    let root = keyguide::config::find_root(root)?;
    let (server, addr) = bind(args.bind, args.port)?;
    // Ctrl-C stops the request loop below; installed first, so it works from the start.
    let server = Arc::new(server);
    let stopper = Arc::clone(&server);
    ctrlc::set_handler(move || stopper.unblock()).map_err(|e| Error::Usage {
        message: format!("cannot handle Ctrl-C: {e}"),
        help: "run keyguide serve from an ordinary terminal".into(),
    })?;
    let url = format!("http://{addr}/");
    if addr.port() != args.port {
        eprintln!("port {} is taken; using {}", args.port, addr.port());
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: serving on {} makes the draft readable from other machines",
            args.bind
        );
    }
    let served = Arc::new(Served::default());
    let cache = Arc::new(Cache::default());
    // Watch before the first build, so no save between the two goes unnoticed.
    let _watcher = watch(&root, &url, &served, &cache)?;
    rebuild(&root, &url, &served, &cache, "built");
    eprintln!("serving the draft at {url}  (Ctrl-C to stop)");
    if args.open {
        if let Err(e) = opener::open(&url) {
            eprintln!("could not open a browser ({e}); open {url} yourself");
        }
    }
    let in_flight = Arc::new(AtomicUsize::new(0));
    for request in server.incoming_requests() {
        // Each open page holds a thread for its reload stream; past the cap, a request gets
        // a quick 503 instead of another thread, so memory stays bounded whatever connects.
        if in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let busy = tiny_http::Response::from_string("busy: too many open requests\n")
                .with_status_code(503);
            let _ = request.respond(busy);
            continue;
        }
        let served = Arc::clone(&served);
        let in_flight = Arc::clone(&in_flight);
        std::thread::spawn(move || {
            serve::respond(&served, request);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
    eprintln!("stopped");
    Ok(Outcome::Success)
}

/// Binds `ip:port`, or the next free port of the following [`PORT_TRIES`].
fn bind(ip: IpAddr, port: u16) -> Result<(tiny_http::Server, SocketAddr)> {
    let mut last = String::new();
    for p in port..=port.saturating_add(PORT_TRIES) {
        let addr = SocketAddr::new(ip, p);
        match tiny_http::Server::http(addr) {
            Ok(server) => return Ok((server, addr)),
            Err(e) => last = e.to_string(),
        }
    }
    Err(Error::Usage {
        message: format!(
            "cannot listen on {ip} ports {port}–{}: {last}",
            port.saturating_add(PORT_TRIES)
        ),
        help: "pass another --port, or stop what is using these ports".into(),
    })
}

/// Builds the draft and installs the result; prints what happened.
fn rebuild(root: &Path, url: &str, served: &Served, cache: &Cache, verb: &str) {
    let started = Instant::now();
    match build(root, url, cache) {
        Ok((site, headers, warnings)) => {
            let files = site.len();
            served.succeeded(site, headers);
            eprint!("{warnings}");
            eprintln!(
                "{verb} {files} files in {} ms ({} pages rendered, the rest unchanged)",
                started.elapsed().as_millis(),
                cache.pages.rendered()
            );
        }
        Err(errors) => {
            eprint!("{errors}");
            match served.has_site() {
                true => eprintln!("build failed; still serving the last good version"),
                false => {
                    eprintln!("build failed; every page shows the diagnostics until a save builds")
                }
            }
            served.failed(errors);
        }
    }
}

type Built = (keyguide::output::OutputTree, Vec<(String, String)>, String);

/// One build of the draft for `url`: the site, its headers and the warnings' text, or the
/// text of what stopped it.
fn build(root: &Path, url: &str, cache: &Cache) -> std::result::Result<Built, String> {
    let config = Config::load(root)
        .and_then(|c| c.with_base_url(url))
        .map_err(|e| format!("error: {e}\n"))?;
    let options = BuildOptions {
        drafts: true,
        as_of: super::as_of(None).map_err(|e| format!("error: {e}\n"))?,
        cache: Some(cache),
        store: None,
        out: None,
    };
    let checked =
        keyguide::build(&config, options, "serve", None).map_err(|e| format!("error: {e}\n"))?;
    let mut text = anstream::StripStream::new(Vec::new());
    let _ = diag::write_human(&mut text, &checked.diagnostics, &checked.sources);
    let text = String::from_utf8_lossy(&text.into_inner()).into_owned();
    match checked.output {
        Some(site) => Ok((site, config.headers, text)),
        None => Err(text),
    }
}

/// How long the files must be quiet before a rebuild: an editor's save is a burst of events
/// (write in place, or write a temp file and rename it over the original) over a few
/// milliseconds; each further event starts the wait again.
const QUIET: Duration = Duration::from_millis(10);

/// Folders of the site root whose files the site is built from, watched recursively.
const WATCHED: [&str; 3] = ["content", "releases", "themes"];

/// Watches what the site is built from and rebuilds after each change, on a thread of its own
/// that ends when the returned watcher is dropped.
fn watch(
    root: &Path,
    url: &str,
    served: &Arc<Served>,
    cache: &Arc<Cache>,
) -> Result<Arc<Mutex<RecommendedWatcher>>> {
    let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Opening and reading a file changes nothing, and every build reads every file (as
        // does the check below): acting on those would rebuild, or walk the site, forever.
        let Ok(event) = event else { return };
        let read = matches!(event.kind, EventKind::Access(kind)
            if kind != AccessKind::Close(AccessMode::Write));
        if !read {
            event.paths.into_iter().for_each(|p| {
                // The receiver is gone only when serve is stopping.
                let _ = tx.send(p);
            });
        }
    })
    .map_err(|e| watch_error(root, &e))?;
    let watcher = Arc::new(Mutex::new(watcher));
    watch_folders(root, &watcher)?;
    let (root, url) = (root.to_path_buf(), url.to_owned());
    // Weak, so dropping the watcher closes the channel and ends the thread.
    let (served, cache, folders) = (
        Arc::clone(served),
        Arc::clone(cache),
        Arc::downgrade(&watcher),
    );
    // Taken before the first build, so no save between the two goes unnoticed.
    let mut last = inputs(&root);
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut paths = vec![first];
            while let Ok(path) = rx.recv_timeout(QUIET) {
                paths.push(path);
            }
            // A watched folder created (or moved back) after the start is watched from now on.
            if let Some(folders) = folders
                .upgrade()
                .filter(|_| paths.iter().any(|p| top_folder(&root, p)))
            {
                if let Err(e) = watch_folders(&root, &folders) {
                    eprintln!("{e}");
                }
            }
            if !paths
                .iter()
                .any(|p| relevant(&root, p) || top_folder(&root, p))
            {
                continue;
            }
            // Sizes and modification times tell a real change from, say, a touch of a folder.
            let now = inputs(&root);
            if now == last {
                continue;
            }
            eprintln!("changed: {}", first_change(&root, &last, &now));
            last = now;
            rebuild(&root, &url, &served, &cache, "rebuilt");
        }
    });
    Ok(watcher)
}

/// Watches the site root (its own files) and each folder of [`WATCHED`] that exists.
fn watch_folders(root: &Path, watcher: &Mutex<RecommendedWatcher>) -> Result<()> {
    let mut watcher = watcher.lock().unwrap_or_else(PoisonError::into_inner);
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .map_err(|e| watch_error(root, &e))?;
    for dir in WATCHED {
        let path = root.join(dir);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| watch_error(&path, &e))?;
        }
    }
    Ok(())
}

/// Whether `path` is one of the [`WATCHED`] folders itself.
fn top_folder(root: &Path, path: &Path) -> bool {
    path.strip_prefix(root)
        .is_ok_and(|rel| WATCHED.iter().any(|dir| rel == Path::new(dir)))
}

/// The first input that differs between two snapshots of [`inputs`], relative to the root.
fn first_change(root: &Path, last: &[Input], now: &[Input]) -> String {
    let before: std::collections::HashSet<_> = last.iter().collect();
    let after: std::collections::HashSet<_> = now.iter().collect();
    now.iter()
        .find(|f| !before.contains(f))
        .or_else(|| last.iter().find(|f| !after.contains(f)))
        .map(|(p, _, _)| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .unwrap_or_default()
}

/// An input file: path, size and modification time.
type Input = (PathBuf, u64, Option<std::time::SystemTime>);

/// Path, size and modification time of every input file, in order.
fn inputs(root: &Path) -> Vec<Input> {
    let top = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file());
    let nested = WATCHED.into_iter().flat_map(|dir| {
        walkdir::WalkDir::new(root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
    });
    let mut files: Vec<_> = top
        .chain(nested)
        .filter(|p| relevant(root, p))
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let modified = meta.and_then(|m| m.modified().ok());
            (p, size, modified)
        })
        .collect();
    files.sort();
    files
}

fn watch_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Usage {
        message: format!("cannot watch {}: {e}", path.display()),
        help: "check the folder exists and is readable; on Linux, raise fs.inotify.max_user_watches if it is exhausted".into(),
    }
}

/// Whether a changed path is something the site is built from: keyguide.toml, a profile at
/// the root, or a file under content/, releases/ or themes/ — and not an editor's temp, swap
/// or backup file.
fn relevant(root: &Path, path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let editor_file = name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name == "4913"
        || [".swp", ".swo", ".swx", ".tmp", ".kate-swp", ".crswap"]
            .iter()
            .any(|ext| name.ends_with(ext));
    if editor_file {
        return false;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut parts = rel.components();
    match (parts.next(), parts.next()) {
        (Some(only), None) => {
            let only = only.as_os_str();
            only == "keyguide.toml" || only.to_string_lossy().ends_with(".toml")
        }
        (Some(top), Some(_)) => WATCHED.iter().any(|dir| top.as_os_str() == *dir),
        _ => false,
    }
}
