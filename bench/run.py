#!/usr/bin/env python3
"""keyguide's benchmark: the shared fixed corpus, keyguide against the "limit" program and
the peers a team would pick instead (Hugo, Zola, mdBook), in one run.

Usage: bench/run.py [--pages N[,N...]] [--runs R] [--releases K] [--shared DIR] [--work DIR]
                    [--no-peers]

For each corpus size, generates the deterministic N-page corpus with the shared generator
(`gen_corpus.py`, `to_keyguide.py`) once, makes a keyguide site of it with one release, builds
keyguide and the limit program in release mode, then runs every command in alternation
(A B C A B C ...) after one warm-up round:

  limit        the floor: read, pulldown-cmark, fixed template, write (rayon, 2 threads)
  limit-1      the same on one thread
  lint         keyguide lint (the draft; every rule)
  build        keyguide build of the released site: lint, composition, templates,
               post-processing, search index, manifest hashing, atomic write; after the
               warm-up round the release's output is kept in .keyguide/cache/ and reused,
               as on any build after the first
  build-cold   the same with --no-cache: every released version rendered afresh
  build-K      (with --releases K) the same site with K releases, to show what each
               release adds when only the draft changed
  hugo, zola, mdbook-nosearch, mdbook-default
               the peers, each on its own layout of the same pages, when on PATH
               (`apt-get install hugo`, `cargo install mdbook`, a `zola` binary); mdBook
               only up to 2,000 pages, since it grows quadratically (minutes beyond)

and prints each one's median wall time, the ratio to limit's median from the same run, and
peak memory (max RSS via /usr/bin/time). With several sizes it also prints keyguide's
build time per page at each size relative to the smallest (the scaling check). Results are
printed, never asserted: performance targets live here, not in timed tests. Put --work on a
tmpfs for stable figures (see the shared bench README). Standard library only.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
AS_OF = "2026-11-28"
MDBOOK_MAX_PAGES = 2000


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def quiet(cmd, cwd=None):
    sh(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(cmd, work, cwd=None):
    """Wall seconds and peak RSS (KiB, or None) of one run."""
    rss_file = os.path.join(work, "rss.txt")
    wrapper = ["/usr/bin/time", "-f", "%M", "-o", rss_file] if os.path.exists("/usr/bin/time") else []
    start = time.perf_counter()
    subprocess.run(wrapper + cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    rss = None
    if wrapper:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    return elapsed, rss


def prepare_site(shared, work, pages):
    """The shared corpus of `pages` pages in `work` (generated once) and its keyguide site
    (converted afresh): (corpus folder, site folder)."""
    corpus = os.path.join(work, f"n{pages}")
    site = os.path.join(work, f"site{pages}")
    if not os.path.isdir(corpus):
        sh([sys.executable, os.path.join(shared, "gen_corpus.py"), str(pages), "--out", work])
    shutil.rmtree(site, ignore_errors=True)
    sh([sys.executable, os.path.join(shared, "to_keyguide.py"), os.path.join(corpus, "plain"), site])
    return corpus, site


def release(keyguide, site, count, start=0):
    """Publishes `count` releases of the draft, touching one page between them so each is a
    real new version."""
    page = None
    for root, _, files in os.walk(os.path.join(site, "content")):
        for name in sorted(files):
            if name.endswith(".md") and name != "_index.md":
                page = os.path.join(root, name)
                break
        if page:
            break
    for i in range(start, start + count):
        if i > 0:
            with open(page, "a") as f:
                f.write(f"\nRevision {i}: the rotation schedule was confirmed again.\n")
        # One release a day from 2026-09-02, after the corpus's review dates.
        date = datetime.date(2026, 9, 2) + datetime.timedelta(days=i)
        quiet([keyguide, "release", f"1.{i}.0", "--approver", "Chief Information Security Officer",
               "--date", date.isoformat(), "--notes", os.path.join(site, "NOTES.bench.md")], cwd=site)


def released_site(keyguide, shared, work, pages, releases):
    """The N-page site with `releases` releases; cached across runs of the script."""
    _, site = prepare_site(shared, work, pages)
    with open(os.path.join(site, "NOTES.bench.md"), "w") as f:
        f.write("Benchmark release: one page revised.\n")
    release(keyguide, site, releases)
    return site


def peers(corpus, work, pages):
    """The peer commands available on this machine for a corpus."""
    found = {}
    if shutil.which("hugo"):
        found["hugo"] = (["hugo", "--quiet", "--source", os.path.join(corpus, "hugo"),
                          "--destination", os.path.join(work, "hugo-out")], None)
    if shutil.which("zola"):
        found["zola"] = (["zola", "--root", os.path.join(corpus, "zola"), "build", "--force",
                          "--output-dir", os.path.join(work, "zola-out")], None)
    if shutil.which("mdbook") and pages <= MDBOOK_MAX_PAGES:
        for variant in ("mdbook-nosearch", "mdbook-default"):
            found[variant] = (["mdbook", "build", os.path.join(corpus, variant), "--dest-dir",
                               os.path.join(work, f"{variant}-out")], None)
    return found


def measure(commands, runs, work, scratch):
    """Medians and peaks of `commands`, run in alternation after a warm-up round."""
    times = {name: [] for name in commands}
    peaks = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, (cmd, cwd) in commands.items():
            for folder in scratch:
                shutil.rmtree(folder, ignore_errors=True)
            elapsed, rss = timed(cmd, work, cwd)
            if round_ > 0:  # round 0 warms caches
                times[name].append(elapsed)
                if rss:
                    peaks[name].append(rss)
    return {name: (statistics.median(times[name]), max(peaks[name]) if peaks[name] else None)
            for name in commands}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", default="1000", help="corpus sizes, comma-separated (e.g. 1000,10000)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--releases", type=int, default=0, help="also build the site with this many releases")
    p.add_argument("--no-peers", action="store_true", help="leave Hugo, Zola and mdBook out")
    p.add_argument("--shared", default=os.path.join(REPO, "..", "shared", "bench"))
    p.add_argument("--work", default="/tmp/keyguide-bench")
    args = p.parse_args()
    shared = os.path.abspath(args.shared)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)

    sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    keyguide = os.path.join(REPO, "target", "release", "keyguide")
    limit_target = os.path.join(work, "limit-target")
    sh(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(shared, "limit", "Cargo.toml"),
        "--target-dir", limit_target])
    limit = os.path.join(limit_target, "release", "limit")

    per_page = {}
    for pages in [int(n) for n in args.pages.split(",")]:
        corpus = os.path.join(work, f"n{pages}")
        site = released_site(keyguide, shared, work, pages, 1)
        # The corpus must lint clean, or the timings measure error reporting.
        sh([keyguide, "lint", "--as-of", AS_OF], cwd=site)
        limit_out = os.path.join(work, "limit-out")
        commands = {
            "limit": ([limit, os.path.join(corpus, "plain"), limit_out], None),
            "limit-1": ([limit, "--single-thread", os.path.join(corpus, "plain"), limit_out], None),
            "lint": ([keyguide, "lint", "--as-of", AS_OF], site),
            "build": ([keyguide, "build", "--out", os.path.join(work, "kg-out")], site),
            "build-cold": ([keyguide, "build", "--no-cache", "--out", os.path.join(work, "kg-out-cold")], site),
        }
        if args.releases > 1:
            many = os.path.join(work, f"site{pages}-r{args.releases}")
            if not os.path.isdir(many):
                shutil.copytree(site, many, symlinks=True)
                release(keyguide, many, args.releases - 1, start=1)
            commands[f"build-{args.releases}"] = (
                [keyguide, "build", "--out", os.path.join(work, "kg-out-many")], many)
            commands[f"build-{args.releases}-cold"] = (
                [keyguide, "build", "--no-cache", "--out", os.path.join(work, "kg-out-many-cold")], many)
        if not args.no_peers:
            commands.update(peers(corpus, work, pages))
        results = measure(commands, args.runs, work, [limit_out])
        base = results["limit"][0]
        print(f"\n{pages} pages, {args.runs} runs each, alternating; medians on {os.cpu_count()} cores")
        print(f"{'command':16} {'median':>9} {'vs limit':>9} {'peak RSS':>10}")
        for name, (med, peak) in results.items():
            peak_text = f"{peak / 1024:.0f} MiB" if peak else "n/a"
            print(f"{name:16} {med:8.3f}s {med / base:8.1f}x {peak_text:>10}")
        per_page[pages] = {name: results[name][0] / pages for name in ("build", "build-cold")}
    if len(per_page) > 1:
        smallest = min(per_page)
        for name in ("build", "build-cold"):
            print(f"\nkeyguide {name} time per page, relative to the smallest corpus:")
            for pages, t in sorted(per_page.items()):
                t, base = t[name], per_page[smallest][name]
                print(f"  {pages:>6} pages: {t * 1e6:8.1f} us/page ({t / base:.2f}x)")


if __name__ == "__main__":
    main()
