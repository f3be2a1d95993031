#!/usr/bin/env python3
"""cleak diff, check and watch on a big Go process, beside the runtime's dump.

    python3 bench/leaks.py [--goroutines N] [--reps N] [--out FILE]

The seeds' habit is to dump the goroutines (pprof debug=2) before and after
and compare; cleak diff does the comparison from outside.  On one
bench/gomany process (N goroutines parked 10 frames deep) this alternates:
the runtime's own dump (timed inside the process), `cleak diff --interval
1s --count 1` (its wall time less the interval: two snapshots and the
comparison; the figures were taken when one interval was the default),
`cleak check` and one update of `cleak watch`.  After each, the process
reports the longest gap its 1 ms ticker saw.  Writes bench/results-leaks.md.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import go as gobench  # noqa: E402  (bench/go.py: build and ask)

ROOT = gobench.ROOT
CLEAK = gobench.CLEAK

RUNS = [
    ("cleak diff --interval 1s --count 1", ["diff", "--interval", "1s", "--count", "1"], 1.0),
    ("cleak check", ["check"], 0.0),
    ("cleak watch --count 1", ["watch", "--count", "1"], 0.0),
]


def run(args, pid, less):
    t0 = time.monotonic()
    child = subprocess.Popen([CLEAK] + args + [str(pid)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return (time.monotonic() - t0 - less, usage.ru_maxrss / 1024.0,
            os.waitstatus_to_exitcode(status))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--goroutines", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results-leaks.md"))
    a = ap.parse_args()
    exe = os.path.join(ROOT, "build", "bench", "gomany")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    gobench.build(exe)
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    proc = subprocess.Popen([exe, str(a.goroutines)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    rows = []
    try:
        ready = proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            sys.exit("bench: gomany did not start")
        gobench.ask(proc, "stall")
        for rep in range(a.reps):
            _, secs, _, _ = gobench.ask(proc, "dump")
            rows.append(("runtime pprof debug=2", rep, float(secs),
                         float(gobench.ask(proc, "stall")[1]), None, "-"))
            for name, args, less in RUNS:
                time.sleep(0.5)
                gobench.ask(proc, "stall")
                wall, rss, rc = run(args, proc.pid, less)
                rows.append((name, rep, wall, float(gobench.ask(proc, "stall")[1]), rss,
                             "exit %d" % rc))
    finally:
        proc.kill()
        proc.wait()
    names = [r[0] for r in rows if r[1] == 0]
    lines = [
        "# cleak diff, check and watch vs the Go runtime's goroutine dump",
        "",
        "`python3 bench/leaks.py --goroutines %d --reps %d`, %s, %s, %d CPUs."
        % (a.goroutines, a.reps, go_version, time.strftime("%Y-%m-%d"), os.cpu_count()),
        "diff's wall time leaves out its 1 s interval.  Stall: the longest gap the "
        "target's own 1 ms ticker saw (scheduling delays included).",
        "",
        "| tool | median wall (s) | median stall (ms) | median peak RSS (MB) | exit |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        mine = [r for r in rows if r[0] == name]
        rss = [r[4] for r in mine if r[4]]
        lines.append("| %s | %.3f | %.1f | %s | %s |" % (
            name, statistics.median(r[2] for r in mine), statistics.median(r[3] for r in mine),
            "%.0f" % statistics.median(rss) if rss else "-", mine[-1][5]))
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
