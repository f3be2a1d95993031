#!/usr/bin/env python3
"""cleak stack vs the Go runtime's own goroutine dump, side by side.

    python3 bench/go.py [--goroutines N] [--reps N] [--out FILE]

Builds bench/gomany (N goroutines parked 10 frames deep), then alternates,
in one run on one process: the runtime's pprof goroutine debug=2 dump
(timed inside the process) and `cleak stack PID` (timed from outside, with
its peak memory).  After each, the process reports the longest gap its
1 ms ticker saw: how long it was held up, by the runtime's stop-the-world
or by cleak's freeze.  Writes a Markdown table to bench/results-go.md.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLEAK = os.environ.get("CLEAK", os.path.join(ROOT, "build", "cleak"))


def build(out):
    subprocess.run(["go", "build", "-o", out, "."], cwd=os.path.join(ROOT, "bench", "gomany"),
                   check=True)


def ask(proc, cmd):
    proc.stdin.write(cmd + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().split()


def run_cleak(pid):
    t0 = time.monotonic()
    child = subprocess.Popen([CLEAK, "stack", str(pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - t0
    header = out.decode(errors="replace").splitlines()[:3]
    shown, frozen = 0, "?"
    for line in header:
        if line.startswith("Go "):
            shown = int(line.split(": ", 1)[1].split()[0])
        if "frozen for " in line:
            frozen = line.split("frozen for ", 1)[1]
    return wall, usage.ru_maxrss / 1024.0, shown, os.waitstatus_to_exitcode(status), frozen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--goroutines", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results-go.md"))
    a = ap.parse_args()
    exe = os.path.join(ROOT, "build", "bench", "gomany")
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    build(exe)
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    proc = subprocess.Popen([exe, str(a.goroutines)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    rows = []
    try:
        ready = proc.stdout.readline().split()
        if not ready or ready[0] != "ready":
            sys.exit("bench: gomany did not start")
        ask(proc, "stall")
        for rep in range(a.reps):
            # the runtime's own dump
            _, secs, nbytes, shown = ask(proc, "dump")
            stall = float(ask(proc, "stall")[1])
            rows.append(("runtime pprof debug=2", rep, float(secs), stall, None,
                         int(shown), int(nbytes)))
            time.sleep(0.5)
            ask(proc, "stall")
            wall, rss, shown, rc, frozen = run_cleak(proc.pid)
            stall = float(ask(proc, "stall")[1])
            rows.append(("cleak stack", rep, wall, stall, rss, shown,
                         "exit %d, froze it for %s" % (rc, frozen)))
            time.sleep(0.5)
            ask(proc, "stall")
    finally:
        proc.kill()
        proc.wait()
    def med(name, i):
        return statistics.median(r[i] for r in rows if r[0] == name)
    rt, cl = med("runtime pprof debug=2", 2), med("cleak stack", 2)
    lines = [
        "# cleak stack vs the Go runtime's goroutine dump",
        "",
        "`python3 bench/go.py --goroutines %d --reps %d`, %s, %s, %d CPUs."
        % (a.goroutines, a.reps, go_version, time.strftime("%Y-%m-%d"), os.cpu_count()),
        "Stall: the longest gap the target's own 1 ms ticker saw during the dump "
        "(it includes scheduling delays on this 2-core machine; cleak's own "
        "measure of its freeze is in the note).",
        "",
        "| tool | rep | wall (s) | target stalled (ms) | peak RSS (MB) | goroutines shown | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rep, wall, stall, rss, shown, extra in rows:
        note = "%d bytes" % extra if name.startswith("runtime") else extra
        lines.append("| %s | %d | %.3f | %.1f | %s | %d | %s |"
                     % (name, rep, wall, stall, "%.0f" % rss if rss else "-", shown, note))
    lines += ["", "Median wall: runtime %.3f s, cleak %.3f s (ratio %.2f); median stall: "
              "runtime %.0f ms, cleak %.0f ms." % (rt, cl, cl / rt,
                                                   med("runtime pprof debug=2", 3),
                                                   med("cleak stack", 3)), ""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
