#!/usr/bin/env python3
"""Doubling experiment: keyguide's time must grow linearly with the size of hostile input.

Usage: bench/linearity.py [--binary PATH] [--work DIR] [--steps N] [--runs R] [--only SHAPE...]

For each shape of input below, a scaffolded site (`keyguide init`) gets one generated
addendum (or inventory) of size n, 2n, 4n, ... and `keyguide lint` and `keyguide build
--drafts` are timed on it (median of R runs). The ratio of consecutive medians is printed:
about 2 means linear, about 4 quadratic. Figures are printed, never asserted: no test is
timed. Standard library only.

Shapes:
  long-line   one paragraph line of n words
  links       n inline links to the page's own sections
  sections    n `##` sections, each with a sentence
  nesting     n levels of block quotes
  table       a table of n columns
  workflows   an inventory of n workflows, all covered by one addendum
"""
import argparse
import os
import shutil
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ADDENDUM = "content/payment-api/partner-api.md"
INVENTORY = "content/inventory.toml"

WORKFLOW = (
    '[[workflow]]\nid = "wf-{i}"\nkey_material = "AES-256 data key"\n'
    'customers = "Partners"\nprotects = ["storage"]\n'
    'delivery = "customer portal download, behind multi-factor authentication"\n'
    'updates = "annual rotation"\n'
)


def tail(n):
    """Markdown appended to the scaffold's addendum, by shape."""
    return {
        "long-line": " ".join(f"word{i}" for i in range(n)) + "\n",
        "links": "\n".join(f"## Part {i} {{#part-{i}}}\n\n[to {i}](#part-{i})\n" for i in range(n // 4))
        + " ".join(f"[x](#part-{i % max(1, n // 4)})" for i in range(n))
        + "\n",
        "sections": "".join(f"## Section {i}\n\nSentence {i}.\n\n" for i in range(n)),
        "nesting": "> " * n + "deep\n",
        "table": "|" + "|".join(f"c{i}" for i in range(n)) + "|\n|" + "-|" * n + "\n|" + "v|" * n + "\n",
    }


SHAPES = {
    "long-line": 20_000,
    "links": 2_000,
    "sections": 1_000,
    "nesting": 5_000,
    "table": 10_000,
    "workflows": 2_000,
}


def site(binary, work, shape, n):
    """A scaffold with the input of `shape` at size `n`."""
    root = os.path.join(work, f"{shape}-{n}")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    subprocess.run([binary, "init", "."], cwd=root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    addendum = os.path.join(root, ADDENDUM)
    with open(addendum) as f:
        text = f.read()
    if shape == "workflows":
        ids = ", ".join(f'"wf-{i}"' for i in range(n))
        text = text.replace('workflows = ["wf-partner-api"]', f'workflows = ["wf-partner-api", {ids}]')
        with open(os.path.join(root, INVENTORY), "a") as f:
            f.write("".join(WORKFLOW.format(i=i) for i in range(n)))
    else:
        text += "\n" + tail(n)[shape]
    with open(addendum, "w") as f:
        f.write(text)
    return root


def median_time(cmd, cwd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(REPO, "target", "release", "keyguide"))
    parser.add_argument("--work", default="/tmp/keyguide-linearity")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--start", type=int, help="first size (default: per shape)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="shapes to run (default: all)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    print(f"{'shape':<10} {'n':>8} {'lint s':>8} {'ratio':>6} {'build s':>8} {'ratio':>6}")
    for shape, start in SHAPES.items():
        if args.only and shape not in args.only:
            continue
        previous = None
        for step in range(args.steps):
            n = (args.start or start) * 2**step
            root = site(args.binary, args.work, shape, n)
            lint = median_time([args.binary, "lint"], root, args.runs)
            build = median_time([args.binary, "build", "--drafts"], root, args.runs)
            ratios = ("", "") if previous is None else (f"{lint / previous[0]:.2f}", f"{build / previous[1]:.2f}")
            print(f"{shape:<10} {n:>8} {lint:>8.3f} {ratios[0]:>6} {build:>8.3f} {ratios[1]:>6}", flush=True)
            previous = (lint, build)
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
