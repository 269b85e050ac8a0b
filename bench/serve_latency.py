#!/usr/bin/env python3
"""keyguide serve: time from saving one page to the reload event, on the shared corpus.

Usage: bench/serve_latency.py [--pages N] [--saves S] [--shared DIR] [--work DIR] [--binary PATH]

Generates the N-page corpus like bench/run.py (reusing it when present), starts the release
binary's `keyguide serve` on a free loopback port, listens to /__keyguide/events, then S times
appends a sentence to one addendum and measures the wall time until the next event. Prints the
median, 90th percentile, min and max. `--binary` times another keyguide build (e.g. a copy of
the previous commit's) instead of building this one. Standard library only; results are
printed, never asserted.
"""
import argparse
import os
import socket
import statistics
import subprocess
import time

from run import REPO, prepare_site

SETTLED_S = 3.5


def events_after(port, count):
    """Connects to the event stream and returns (socket, buffer) once `count` events arrived."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /__keyguide/events HTTP/1.1\r\nHost: bench\r\n\r\n")
    buf = b""
    while buf.count(b"data:") < count:
        buf += s.recv(65536)
    return s, buf


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pages", type=int, default=1000)
    p.add_argument("--saves", type=int, default=7)
    p.add_argument("--shared", default=os.path.join(REPO, "..", "shared", "bench"))
    p.add_argument("--work", default="/tmp/keyguide-bench")
    p.add_argument("--binary", help="keyguide binary to time (default: build this repository's)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    _, site = prepare_site(os.path.abspath(args.shared), args.work, args.pages)
    binary = args.binary or os.path.join(REPO, "target", "release", "keyguide")
    if not args.binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "serve", "--port", str(port)],
                              cwd=site, stderr=subprocess.PIPE, text=True)
    try:
        while "serving the draft" not in server.stderr.readline():
            pass
        # The corpus was written a moment ago. serve trusts a file's stamp only once the file
        # is older than its time granularity allows to be ambiguous (3 s, `Stamp::settled`),
        # so until then every rebuild reads all 1,000 files again; an author's files were
        # written long before. Wait until the next rebuild would trust them, then time.
        time.sleep(SETTLED_S)
        with open(os.path.join(site, "keyguide.toml"), "a", encoding="utf-8") as f:
            f.write("\n")
        time.sleep(1)
        page = next(os.path.join(root, f) for root, _, files in sorted(os.walk(os.path.join(site, "content")))
                    for f in sorted(files) if f.endswith(".md") and f != "_index.md")
        original = open(page, encoding="utf-8").read()
        times = []
        for i in range(args.saves):
            s, buf = events_after(port, 1)
            start = time.perf_counter()
            with open(page, "w", encoding="utf-8") as f:
                f.write(original + f"\nThis sentence was added by save {i}.\n")
            while buf.count(b"data:") < 2:
                buf += s.recv(65536)
            times.append(time.perf_counter() - start)
            s.close()
        with open(page, "w", encoding="utf-8") as f:
            f.write(original)
    finally:
        server.terminate()
        server.wait()
    ms = [t * 1000 for t in times]
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    print(f"{args.pages} pages: save -> reload event, {args.saves} saves: median {statistics.median(ms):.0f} ms, "
          f"p90 {p90:.0f} ms (min {min(ms):.0f}, max {max(ms):.0f})")


if __name__ == "__main__":
    main()
