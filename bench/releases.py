#!/usr/bin/env python3
"""What reading a Go release newer than cleak's tables costs, side by side.

    python3 bench/releases.py [--goroutines N] [--reps N] [--out FILE]

Builds bench/gomany with Go 1.27 twice, as `go build` leaves it (DWARF) and
stripped (-ldflags='-s -w'), and makes copies whose buildinfo says go1.99
(the same bytes otherwise).  Three processes of N goroutines run at once:
go1.27 read with cleak's own table, "go1.99" with DWARF (layout read from
it), "go1.99" stripped (newest table, checked).  `cleak stack` runs on
each in turn, REPS times; the same three readings are taken of
tests' small Go fixture (tests/fixtures/go/leaks, 40 goroutines).  Writes
a Markdown table to bench/results-releases.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLEAK = os.environ.get("CLEAK", os.path.join(ROOT, "build", "cleak"))
TOOLCHAIN = "go1.27.3"


def build(src, out, *flags):
    env = dict(os.environ, GOTOOLCHAIN=TOOLCHAIN, CGO_ENABLED="0")
    subprocess.run(["go", "build", "-o", out] + list(flags) + ["."], cwd=src, env=env,
                   check=True)


def relabel(path, out, minor):
    """A copy of path whose .go.buildinfo names go1.<minor> (same length)."""
    data = bytearray(open(path, "rb").read())
    at = data.find(b"\xff Go buildinf:")
    p, n, shift = at + 32, 0, 0
    while True:
        b = data[p]
        p += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    old = data[p:p + n].decode()
    new = "go1.%d" % minor + old[len("go1.NN"):]
    assert len(new) == len(old)
    data[p:p + n] = new.encode()
    with open(out, "wb") as f:
        f.write(data)
    os.chmod(out, 0o755)


def run_cleak(pid):
    t0 = time.monotonic()
    proc = subprocess.run([CLEAK, "stack", str(pid)], capture_output=True, text=True)
    wall = time.monotonic() - t0
    frozen, shown = "?", 0
    for line in proc.stdout.splitlines()[:3]:
        if "frozen for " in line:
            frozen = line.split("frozen for ", 1)[1].split(";")[0]
        if line.startswith("Go ") and ": goroutines not shown" not in line:
            shown = int(line.split(": ", 1)[1].split()[0])
    return wall, frozen, shown, proc.returncode


def start(path, args):
    proc = subprocess.Popen([path] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline().split()
    if not line or line[0] != "ready":
        sys.exit("bench: %s did not start" % path)
    return proc


def measure(label, variants, args, reps, rows):
    procs = [(name, start(path, args)) for name, path in variants]
    try:
        for rep in range(reps):
            for name, proc in procs:
                wall, frozen, shown, rc = run_cleak(proc.pid)
                rows.append((label, name, rep, wall, frozen, shown, rc))
                time.sleep(0.2)
    finally:
        for _, proc in procs:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--goroutines", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results-releases.md"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cleak-bench-releases-")
    rows = []
    try:
        for label, src, args in (
                ("gomany, %d goroutines" % a.goroutines, os.path.join(ROOT, "bench", "gomany"),
                 [str(a.goroutines)]),
                ("tests/fixtures/go/leaks", os.path.join(ROOT, "tests", "fixtures", "go", "leaks"),
                 [])):
            plain, stripped = os.path.join(tmp, "plain"), os.path.join(tmp, "stripped")
            build(src, plain)
            build(src, stripped, "-ldflags=-s -w")
            relabel(plain, plain + "-99", 99)
            relabel(stripped, stripped + "-99", 99)
            measure(label, [("go1.27, built-in table", plain),
                            ("go1.99, layout from DWARF", plain + "-99"),
                            ("go1.99 stripped, checked", stripped + "-99")], args, a.reps, rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [
        "# Reading a newer Go release: built-in table, DWARF, checked",
        "",
        "`python3 bench/releases.py --goroutines %d --reps %d`, %s, %s, %d CPUs."
        % (a.goroutines, a.reps, TOOLCHAIN, time.strftime("%Y-%m-%d"), os.cpu_count()),
        "The three processes of a program run at once; `cleak stack` visits them in turn.",
        "",
        "| program | read as | median wall (s) | min-max wall (s) | freeze (each rep) | "
        "goroutines shown | exit |",
        "|---|---|---|---|---|---|---|",
    ]
    seen = []
    for r in rows:
        if (r[0], r[1]) not in seen:
            seen.append((r[0], r[1]))
    for label, name in seen:
        mine = [r for r in rows if r[0] == label and r[1] == name]
        walls = [r[3] for r in mine]
        lines.append("| %s | %s | %.3f | %.3f-%.3f | %s | %d | %s |"
                     % (label, name, statistics.median(walls), min(walls), max(walls),
                        ", ".join(r[4] for r in mine), mine[0][5],
                        ",".join(sorted(set(str(r[6]) for r in mine)))))
    lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
