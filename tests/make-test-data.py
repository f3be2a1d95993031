#!/usr/bin/env python3
"""Regenerate the saved snapshots of tests/data and the golden text of
tests/golden, which the offline tests (tests/unit/test-analysis.c,
tests/e2e/test_offline.py) read instead of live processes.

  python3 tests/make-test-data.py            take new snapshots, then golden
  python3 tests/make-test-data.py --golden   only the golden text, from the
                                             snapshots already in tests/data

Taking snapshots needs what the end-to-end tests need: root (ptrace), the
C fixtures (make build/fixtures/stages build/fixtures/moving-thread
build/fixtures/waits) and the newest Go fixtures (sh scripts/go-fixtures.sh,
CLEAK_GO_VERSIONS=27 is enough).  New snapshots have new pids, tids,
addresses and times: tests/unit/test-analysis.c finds threads by name and
groups by function, but the capture times and the seconds between
snapshots that it checks are this capture's, and need updating (the
golden text changes too).

Each snapshot is what `cleak stack --json` printed, with two changes:
the checkout's path is replaced by /src/cleak (so that the files do not
depend on where they were made), and the big snapshots keep only the
threads or goroutines listed below (each dropped goroutine's channels are
checked to be no kept goroutine's, so that the counts of goroutines
parked on a channel stay true).  Every capture is checked for the shape
the tests rely on and taken again, up to three times, if it is not.
"""
import glob
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from harness import BUILD, Fixture, check, cleak  # noqa: E402
from test_offline import GOLDEN_RUNS, run_golden  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
GOLDEN = os.path.join(ROOT, "tests", "golden")
PLACEHOLDER = "/src/cleak"

# waits.c: the threads of its deadlocks, the thread that waits on one of
# them, and a mutex chain that is no cycle (three waiters on one holder).
DEADLOCK_THREADS = {"waits", "dl2-a", "dl2-b", "dl-victim", "dl3-a", "dl3-b", "dl3-c",
                    "self-lock", "mx-holder", "mx-waiter"}
# leaks (Go): the certain leaks, a few sends nobody receives, a lock never
# released, an idle pool and its ticker, and the runtime's own goroutines.
CERTAIN_ROLES = {"main.main", "main.nilReceive", "main.nilSend", "main.selectNothing",
                 "main.producer", "main.worker", "main.queryReplica",
                 "main.sumInBackground", "main.lockMutex", "main.poolWorker",
                 "main.tickerLoop", "main.sleeper"}



# ---- snapshots -----------------------------------------------------------

def take(pid):
    proc = cleak("stack", "--json", pid)
    check(proc.returncode == 0, "cleak stack --json %d: exit %d: %s"
          % (pid, proc.returncode, proc.stderr))
    return json.loads(proc.stdout)


def placeholder(value):
    """The document with the checkout's path replaced in every string."""
    if isinstance(value, str):
        return value.replace(ROOT + "/", PLACEHOLDER + "/")
    if isinstance(value, list):
        return [placeholder(v) for v in value]
    if isinstance(value, dict):
        return {k: placeholder(v) for k, v in value.items()}
    return value


def save(name, doc):
    """Written as cleak writes it: one line, no spaces."""
    text = json.dumps(placeholder(doc), separators=(",", ":"), ensure_ascii=False) + "\n"
    check(len(text) < 100000, "%s: %d bytes, too big to commit" % (name, len(text)))
    with open(os.path.join(DATA, name), "w") as f:
        f.write(text)


def retry(what, make):
    for attempt in range(3):
        try:
            return make()
        except AssertionError as e:
            print("%s: %s; again" % (what, e), file=sys.stderr)
            time.sleep(0.5)
    raise SystemExit("%s: no good capture in three tries" % what)


def diff_doc(docs):
    """cleak diff --json over the documents (saved to scratch files)."""
    paths = []
    for i, d in enumerate(docs):
        paths.append("/tmp/cleak-make-test-data-%d-%d.json" % (os.getpid(), i))
        with open(paths[-1], "w") as f:
            json.dump(d, f)
    try:
        proc = cleak("diff", "--json", *paths)
        check(proc.returncode in (0, 1), "cleak diff: %s" % proc.stderr)
        return json.loads(proc.stdout)
    finally:
        for p in paths:
            os.unlink(p)


def thread_named(doc, name):
    return [t for t in doc["threads"] if t["name"] == name]


def stages_leak():
    """stages leak, two steps before each of three snapshots a second apart:
    the second stage grows by two an interval (one thread moved on from
    the first stage, one passed through it)."""
    with Fixture("stages", "leak") as fx:
        docs = []
        for n in range(3):
            if n:
                time.sleep(1)
            for _ in range(2):
                check(fx.ask("step") == "stepped", "no step")
            docs.append(take(fx.pid))
    d = diff_doc(docs)
    suspects = [g for g in d["groups"] if g["suspect"]]
    check(len(suspects) == 1 and suspects[0]["counts"] == [1, 3, 5], "suspects %r"
          % [(g["counts"], g["why"]) for g in suspects])
    return docs


def moving_thread():
    """moving-thread: two snapshots with the mover in pthread_cond_wait,
    then it moves to pthread_cond_timedwait, then the third."""
    with Fixture("moving-thread") as fx:
        docs = [take(fx.pid)]
        time.sleep(0.5)
        docs.append(take(fx.pid))
        check(fx.ask("move") == "moved", "the thread did not move")
        docs.append(take(fx.pid))
    d = diff_doc(docs)
    check([g["moved_in"] for g in d["groups"] if g["moved_in"]] == [1],
          "moved %r" % [(g["wait"], g["moved_in"]) for g in d["groups"]])
    return docs


def waits_deadlock():
    with Fixture("waits") as fx:
        time.sleep(0.3)
        doc = take(fx.pid)
    check(len(doc["deadlocks"]) == 3 and all(dl["confirmed"] for dl in doc["deadlocks"]),
          "deadlocks %r" % doc["deadlocks"])
    doc["threads"] = [t for t in doc["threads"] if t["name"] in DEADLOCK_THREADS]
    kept = {t["tid"] for t in doc["threads"]}
    check(all(set(dl["tids"]) <= kept for dl in doc["deadlocks"]), "a deadlock lost a thread")
    check(len(thread_named(doc, "mx-waiter")) == 3, "mx-waiters")
    return [doc]


def newest_go(name):
    found = sorted(glob.glob(os.path.join(BUILD, "fixtures", "go", "go1.*", name)),
                   key=lambda p: int(os.path.basename(os.path.dirname(p)).split(".")[1]))
    check(found, "no build/fixtures/go/go1.N/%s: run 'sh scripts/go-fixtures.sh'" % name)
    return found[-1]


def chans_of(g):
    found = [g["channel"]["address"]] if g.get("channel") else []
    return found + [c["address"] for c in g.get("select_channels") or []]


def go_leaks():
    """The leaks fixture, once, trimmed to CERTAIN_ROLES."""
    from test_go import GoFixture, role
    fx = GoFixture("leaks", newest_go("leaks"))
    try:
        fx.wait_ready()
        doc = take(fx.pid)
    finally:
        fx.close()
    keep = [g for g in doc["goroutines"] if g["system"] or role(g) in CERTAIN_ROLES]
    dropped = [g for g in doc["goroutines"] if g not in keep]
    kept_chans = {c for g in keep for c in chans_of(g)}
    check(not [c for g in dropped for c in chans_of(g) if c in kept_chans],
          "a dropped goroutine shares a channel with a kept one")
    check(len([g for g in keep if g["leaked"]]) == 3, "leaked: %r"
          % [role(g) for g in keep if g["leaked"]])
    doc["goroutines"] = keep
    doc["go"]["goroutines"] = len([g for g in keep if not g["system"]])
    return [doc]


def go_servers():
    """The leaky servers fixture: five /sum and two /logs requests before
    the second and the third snapshot, none before the first."""
    from test_diff import Server
    with Server("leaky") as srv:
        docs = [srv.snapshot("/dev/null")]
        for n in (1, 2):
            srv.sums(5)
            srv.logs(2)
            srv.wait_at({"sum-send": 5 * n, "logs-send": 2 * n})
            docs.append(srv.snapshot("/dev/null"))
            if n == 1:
                time.sleep(1)
    d = diff_doc(docs)
    suspects = [(g["frames"][0]["function"], g["counts"]) for g in d["groups"] if g["suspect"]]
    check(suspects == [("main.sumInBackground", [0, 5, 10]), ("main.followLog", [0, 2, 4])],
          "suspects %r" % suspects)
    pool = [g for g in d["groups"] if g["idle"] == "worker pool"]
    check(len(pool) == 1 and pool[0]["counts"] == [4, 4, 4], "pool %r"
          % [g["counts"] for g in pool])
    return docs


def snapshots():
    os.makedirs(DATA, exist_ok=True)
    for prefix, make in (("c-leak", stages_leak), ("moved", moving_thread),
                         ("deadlock", waits_deadlock), ("go-certain", go_leaks),
                         ("go-leak", go_servers)):
        docs = retry(prefix, make)
        if len(docs) == 1:
            save(prefix + ".json", docs[0])
        else:
            for i, d in enumerate(docs, 1):
                save("%s-%d.json" % (prefix, i), d)


# ---- golden text ---------------------------------------------------------

def golden():
    os.makedirs(GOLDEN, exist_ok=True)
    for name, args, status in GOLDEN_RUNS:
        with open(os.path.join(GOLDEN, name), "w") as f:
            f.write(run_golden(args, status))


def main():
    if sys.argv[1:] not in ([], ["--golden"]):
        raise SystemExit(__doc__)
    if not sys.argv[1:]:
        snapshots()
    golden()


if __name__ == "__main__":
    main()
