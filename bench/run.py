#!/usr/bin/env python3
"""keyguide's benchmark: the shared fixed corpus, keyguide against the "limit" program.

Usage: bench/run.py [--pages N] [--runs R] [--shared DIR] [--work DIR]

Generates the deterministic N-page corpus with the shared generator (`gen_corpus.py`,
`to_keyguide.py`), builds keyguide and the limit program in release mode, then runs, in
alternation (A B C A B C ...), after one warm-up round:

  limit    the floor: read, pulldown-cmark, fixed template, write (2 threads)
  lint     keyguide lint --as-of 2026-11-28
  build    keyguide build --drafts (checks, composition, templates, atomic write)

and prints each one's median wall time, the ratio to limit's median from the same run, and
peak memory (max RSS via /usr/bin/time when present). Results are printed, never asserted:
performance targets live here, not in timed tests. Put --work on a tmpfs for stable figures
(see the shared bench README). Standard library only.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def timed(cmd, cwd=None):
    """Wall seconds and peak RSS (KiB, or None) of one run."""
    rss_file = os.path.join(ARGS.work, "rss.txt")
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
    sh([sys.executable, os.path.join(shared, "to_keyguide.py"), os.path.join(corpus, "plain"), site])
    return corpus, site


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--shared", default=os.path.join(REPO, "..", "shared", "bench"))
    p.add_argument("--work", default="/tmp/keyguide-bench")
    ARGS = p.parse_args()
    shared = os.path.abspath(ARGS.shared)
    os.makedirs(ARGS.work, exist_ok=True)

    corpus, site = prepare_site(shared, ARGS.work, ARGS.pages)

    sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    keyguide = os.path.join(REPO, "target", "release", "keyguide")
    limit_target = os.path.join(ARGS.work, "limit-target")
    sh(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(shared, "limit", "Cargo.toml"),
        "--target-dir", limit_target])
    limit = os.path.join(limit_target, "release", "limit")

    commands = {
        "limit": ([limit, os.path.join(corpus, "plain"), os.path.join(ARGS.work, "limit-out")], None),
        "lint": ([keyguide, "lint", "--as-of", "2026-11-28"], site),
        "build": ([keyguide, "build", "--drafts", "--out", os.path.join(ARGS.work, "kg-out")], site),
    }
    # The corpus must lint clean, or the timings measure error reporting.
    sh([keyguide, "lint", "--as-of", "2026-11-28"], cwd=site)

    times = {name: [] for name in commands}
    peaks = {name: [] for name in commands}
    for round_ in range(ARGS.runs + 1):
        for name, (cmd, cwd) in commands.items():
            shutil.rmtree(os.path.join(ARGS.work, "limit-out"), ignore_errors=True)
            elapsed, rss = timed(cmd, cwd)
            if round_ > 0:  # round 0 warms caches
                times[name].append(elapsed)
                if rss:
                    peaks[name].append(rss)

    base = statistics.median(times["limit"])
    print(f"{ARGS.pages} pages, {ARGS.runs} runs each, alternating; medians on {os.cpu_count()} cores")
    print(f"{'command':8} {'median':>9} {'vs limit':>9} {'peak RSS':>10}")
    for name in commands:
        med = statistics.median(times[name])
        peak = f"{max(peaks[name]) / 1024:.0f} MiB" if peaks[name] else "n/a"
        print(f"{name:8} {med:8.3f}s {med / base:8.1f}x {peak:>10}")


if __name__ == "__main__":
    main()
