"""cleak diff over the saved snapshots of tests/data, compared with the
golden text of tests/golden: the analysis and its text and JSON renderers
without a live process, ptrace or a Go toolchain.

When a change to the output is intended, regenerate the golden files from
the same snapshots and review their diff before committing it:

    python3 tests/make-test-data.py --golden

(without --golden it takes the snapshots again from the fixtures)."""
import difflib
import os
import subprocess

from harness import CLEAK, ROOT, Failure, check

GOLDEN = os.path.join(ROOT, "tests", "golden")


def data(*names):
    """Paths as the golden text shows them: relative to the checkout."""
    return ["tests/data/" + n for n in names]


C_LEAK = data("c-leak-1.json", "c-leak-2.json", "c-leak-3.json")
GO_LEAK = data("go-leak-1.json", "go-leak-2.json", "go-leak-3.json")

# (golden file, cleak arguments, exit status)
GOLDEN_RUNS = [
    ("diff-c-leak.txt", ["diff"] + C_LEAK, 1),
    ("diff-c-leak-all.txt", ["diff", "--all"] + C_LEAK, 1),
    ("diff-c-leak-json.txt", ["diff", "--pretty"] + C_LEAK, 1),
    ("diff-moved.txt", ["diff"] + data("moved-1.json", "moved-2.json", "moved-3.json"), 0),
    ("diff-go-leak.txt", ["diff"] + GO_LEAK, 1),
    ("diff-go-leak-all.txt", ["diff", "--all"] + GO_LEAK, 1),
    ("diff-go-one-interval.txt", ["diff"] + GO_LEAK[:2], 0),
    # One snapshot given twice: how deadlocked threads and goroutines that
    # can never wake render, with no time between the two.
    ("diff-deadlock-twice.txt", ["diff"] + data("deadlock.json", "deadlock.json"), 1),
    ("diff-go-certain-twice.txt", ["diff"] + data("go-certain.json", "go-certain.json"), 1),
]


def run_golden(args, status):
    """cleak ARGS from the checkout; its stdout, once the exit status is
    the expected one."""
    proc = subprocess.run([CLEAK] + args, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    check(proc.returncode == status, "cleak %s: exit %d, expected %d: %s"
          % (" ".join(args), proc.returncode, status, proc.stderr))
    check(proc.stderr == "", "cleak %s wrote to stderr: %r" % (" ".join(args), proc.stderr))
    return proc.stdout


def test_offline_golden_text():
    """Each golden file is what cleak prints now for its command line."""
    failed = []
    for name, args, status in GOLDEN_RUNS:
        with open(os.path.join(GOLDEN, name)) as f:
            want = f.read()
        got = run_golden(args, status)
        if got != want:
            delta = difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                         "tests/golden/" + name, "cleak " + " ".join(args))
            failed.append("".join(list(delta)[:60]))
    if failed:
        raise Failure("output differs from the golden text (if the change is intended: "
                      "python3 tests/make-test-data.py --golden, and review the diff)\n"
                      + "\n".join(failed))


def test_offline_golden_files_are_all_used():
    """No golden file is left over from a run that was removed."""
    have = sorted(n for n in os.listdir(GOLDEN) if n.endswith(".txt"))
    check(have == sorted(r[0] for r in GOLDEN_RUNS), "tests/golden has %s, the table %s"
          % (have, sorted(r[0] for r in GOLDEN_RUNS)))


def test_offline_snapshot_errors():
    """Saved snapshots given in the wrong order, or of two programs, are
    refused with a message naming the files (exit 2)."""
    proc = subprocess.run([CLEAK, "diff", C_LEAK[1], C_LEAK[0]], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 2 and "%s was taken before %s" % (C_LEAK[0], C_LEAK[1])
          in proc.stderr, "out of order: exit %d %r" % (proc.returncode, proc.stderr))
    proc = subprocess.run([CLEAK, "diff", C_LEAK[0], GO_LEAK[2]], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 2 and "not of the same program" in proc.stderr,
          "C then Go: exit %d %r" % (proc.returncode, proc.stderr))
