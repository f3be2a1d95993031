"""cleak stack on Go programs: the goroutines cleak reads from outside,
compared with the runtime's own dump (pprof's goroutine profile, debug=2)
of the same process, for every Go release and build that
scripts/go-fixtures.sh builds into build/fixtures/go/go1.N/.

The fixture (tests/fixtures/go/leaks) parks its goroutines in known leak
patterns and prints "ready <pid>"; on "dump" it prints the runtime's dump
and "END".  cleak runs first, while the fixture's main goroutine is blocked
reading stdin; the dump comes after.  Every goroutine but main (which the
"dump" command wakes) must be the same in both."""
import contextlib
import glob
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import traceback

import gotraceback
from harness import (BUILD, Failure, Fixture, check, cleak, close_process, marks,
                     thread_states, wait_until)

GO_FIXTURES = os.path.join(BUILD, "fixtures", "go")
BUILDS = ("leaks", "leaks-stripped", "leaks-pie")
MODULE = "cleak.test/leaks"
M = marks("go/leaks/main.go")
M_CGO = marks("go/leaks/cgo.go")
M_GENERIC = marks("go/leaks/generic_methods.go")

# What the fixture parks, by each goroutine's outermost frame (the function
# it was started with): how many, and the header the runtime prints.
INVENTORY = {
    "main.nilReceive": (1, "chan receive (nil chan)"),
    "main.nilSend": (1, "chan send (nil chan)"),
    "main.producer": (1, "chan send"),
    "main.worker": (1, "chan send"),
    "main.queryReplica": (3, "chan send"),
    "main.sumInBackground": (3, "chan send"),
    "net/http.(*Server).Serve": (1, "IO wait"),
    "main.drainForever": (1, "chan receive"),
    "main.waitDoneOrWork": (1, "select"),
    "main.followLog": (1, "IO wait"),
    "main.lockMutex": (2, "sync.Mutex.Lock"),
    "main.waitForAll": (1, "sync.WaitGroup.Wait"),  # "semacquire" before 1.24
    "main.waitSignal": (1, "sync.Cond.Wait"),
    "main.readLocked": (1, "sync.RWMutex.RLock"),
    "main.writeLocked": (1, "sync.RWMutex.Lock"),
    "main.selectNothing": (1, "select (no cases)"),
    "main.waitCommand": (1, "syscall"),
    "main.panicAndHang": (1, "chan receive"),
    "main.poolWorker": (4, "chan receive"),
    "main.tickerLoop": (1, "select"),
    "main.lockedReceiver": (1, "chan receive, locked to thread"),
    "main.sleeper": (1, "sleep"),
    "main.recurse": (1, "chan receive"),
    "main.deepChain": (1, "chan receive"),
}
INVENTORY_CGO = {"main.sleepInC": (1, "syscall")}
# Go 1.27 on: a method with type parameters of its own (generic_methods.go).
INVENTORY_127 = {"main.genericWaiter": (1, "chan receive")}
# Before these releases the runtime called the wait "semacquire".
SEMACQUIRE_UNTIL = {"main.waitForAll": 24, "main.lockMutex": 20, "main.readLocked": 20,
                    "main.writeLocked": 20}
# Before Go 1.21 the runtime's traceback walked at most this many physical
# frames and did not record who created a goroutine in which goroutine.
OLD_TRACEBACK_MAX = 100
# The goroutines that can never wake: a nil channel, a select with no cases.
LEAKED = {"main.nilReceive", "main.nilSend", "main.selectNothing"}


# ---- fixtures ------------------------------------------------------------

def buildinfo_version(path):
    """The Go version in a binary's .go.buildinfo ("go1.26.0"), as
    debug/buildinfo reads it: the magic, then (flag 2, Go 1.18 on) two
    varint-prefixed strings 32 bytes in, the version first."""
    with open(path, "rb") as f:
        data = f.read()
    at = data.find(b"\xff Go buildinf:")
    check(at >= 0, "%s has no .go.buildinfo" % path)
    check(data[at + 15] & 2, "%s: buildinfo from before Go 1.18" % path)
    n, shift, p = 0, 0, at + 32
    while True:
        b = data[p]
        p += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            break
    return data[p:p + n].decode(), p


def release(label):
    """'go1.20/leaks-pie' -> 20."""
    return int(label.split("/")[0].split(".")[1])


def fixture_paths(builds=BUILDS, cgo=True):
    """[(label, path)] for every built Go fixture; fails when there are none,
    since Go is a test dependency, not an option."""
    versions = sorted(glob.glob(os.path.join(GO_FIXTURES, "go1.*")),
                      key=lambda d: int(d.rsplit(".", 1)[1]))
    check(versions, "no Go fixtures in %s: run 'sh scripts/go-fixtures.sh' (it needs "
          "go 1.21 or newer: 'sh scripts/deps.sh' installs one)" % GO_FIXTURES)
    found = []
    for d in versions:
        names = list(builds) + (["leaks-cgo"] if cgo else [])
        for name in names:
            path = os.path.join(d, name)
            if os.path.exists(path):
                found.append(("%s/%s" % (os.path.basename(d), name), path))
            elif name != "leaks-cgo":
                raise Failure("%s is missing: run 'sh scripts/go-fixtures.sh'" % path)
    return found


def cgo_fixture():
    paths = [p for p in fixture_paths() if p[0].endswith("/leaks-cgo")]
    check(paths, "no leaks-cgo fixture: run 'sh scripts/go-fixtures.sh' (it needs gcc)")
    return paths[-1]


class GoFixture:
    """One Go fixture process, spoken to through pipes; every read has a
    deadline so that a stuck fixture fails the test instead of hanging it."""

    def __init__(self, label, path):
        self.label, self.path = label, path
        self.cgo = label.endswith("leaks-cgo")
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pid = self.proc.pid
        self.buf = b""

    def readline(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "%s: no answer in %.0f s (got %r)" % (self.label, timeout,
                                                                 self.buf[-200:]))
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 1 << 16)
                check(chunk, "%s exited (status %r) after %r" % (self.label, self.proc.poll(),
                                                                 self.buf[-200:]))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def send(self, command):
        self.proc.stdin.write(command.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_ready(self):
        line = self.readline(timeout=30)
        check(line == "ready %d" % self.pid, "%s did not start: %r" % (self.label, line))
        self.wait_main_reads()

    def main_reads(self):
        """Some thread of the process is in read(0, ...): the main goroutine
        is blocked on stdin again (its thread is any of the process's)."""
        for tid in os.listdir("/proc/%d/task" % self.pid):
            try:
                with open("/proc/%d/task/%s/syscall" % (self.pid, tid)) as f:
                    if f.read().split()[:2] == ["0", "0x0"]:
                        return True
            except OSError:
                pass
        return False

    def wait_main_reads(self):
        check(wait_until(self.main_reads), "%s: main never blocked reading stdin" % self.label)

    def ask(self, command):
        self.send(command)
        return self.readline()

    def dump(self):
        """The runtime's own dump, parsed; main reads stdin again after it."""
        self.send("dump")
        lines = []
        while True:
            line = self.readline()
            if line == "END":
                break
            lines.append(line)
        self.wait_main_reads()
        text = "\n".join(lines) + "\n"
        try:
            return gotraceback.parse(text)
        except gotraceback.ParseError as e:
            raise Failure("%s: the runtime's dump does not parse: %s" % (self.label, e))

    def thread_states(self):
        return thread_states(self.pid)

    def close(self):
        close_process(self.proc)


class Started:
    """Start fixtures together (each takes a few hundred ms to park its
    goroutines), wait until all are ready, kill them all at the end."""

    def __init__(self, paths):
        self.fixtures = []
        try:
            for label, path in paths:
                self.fixtures.append(GoFixture(label, path))
            for fx in self.fixtures:
                fx.wait_ready()
        except BaseException:
            self.close()
            raise

    def close(self):
        for fx in self.fixtures:
            fx.close()

    def __enter__(self):
        return self.fixtures

    def __exit__(self, *exc):
        self.close()


def run_on_each(fixtures, check_one, failures):
    """check_one(fx) on each fixture; a failure is noted, not raised, so
    that one run names every fixture that fails."""
    for fx in fixtures:
        if any(f.startswith(fx.label + ":") for f in failures):
            continue
        try:
            check_one(fx)
        except Failure as e:
            failures.append("%s: %s" % (fx.label, e))
        except Exception:
            failures.append("%s: %s" % (fx.label, traceback.format_exc(limit=3)))


def check_no_failures(failures, fixtures):
    check(not failures, "%d of %d fixtures failed:\n%s" % (
        len(failures), len(fixtures), "\n".join(f[:3000] for f in failures)))


def for_each_fixture(check_one, paths=None):
    """Start every fixture, run check_one(fx) on each; fail naming each one
    that failed."""
    failures = []
    with Started(fixture_paths() if paths is None else paths) as fixtures:
        run_on_each(fixtures, check_one, failures)
    check_no_failures(failures, fixtures)


# ---- running cleak -------------------------------------------------------

def check_not_stopped(fx):
    """cleak must leave no thread of the fixture stopped."""
    def running():
        states = fx.thread_states()
        return all(s not in "tT" for s in states.values())
    if not wait_until(running, timeout=1.0):
        raise Failure("%s left stopped by cleak: %s" % (fx.label, fx.thread_states()))
    with open("/proc/%d/stat" % fx.pid) as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    check(state in "SR", "%s: process state %s after cleak" % (fx.label, state))


def run_cleak(fx, *args):
    proc = cleak("stack", *(list(args) + [fx.pid]), timeout=60)
    check_not_stopped(fx)
    return proc


def cleak_doc(fx, *args):
    """cleak stack --json: (document, process); checks the "go" summary."""
    proc = run_cleak(fx, "--json", *args)
    check(proc.returncode in (0, 1), "cleak stack --json %s exited %d: %s"
          % (" ".join(args), proc.returncode, proc.stderr.strip()))
    try:
        doc = json.loads(proc.stdout)
    except ValueError as e:
        raise Failure("cleak's JSON does not parse (%s): %r" % (e, proc.stdout[:300]))
    go = doc.get("go")
    check(isinstance(go, dict), 'no "go" object in cleak\'s JSON (keys: %s); stderr %r'
          % (sorted(doc), proc.stderr.strip()))
    check(go.get("error") is None, "go.error: %r" % go.get("error"))
    check(go.get("version") == buildinfo_version(fx.path)[0],
          "go.version %r, the binary says %r" % (go.get("version"), buildinfo_version(fx.path)[0]))
    check(go.get("module") == MODULE, "go.module %r" % go.get("module"))
    check(isinstance(doc.get("goroutines"), list), 'no "goroutines" list in the JSON')
    user = [g for g in doc["goroutines"] if not g["system"]]
    check(go.get("goroutines") == len(user), "go.goroutines %r but %d user goroutines listed"
          % (go.get("goroutines"), len(user)))
    check(go.get("system_goroutines") == len(doc["goroutines"]) - len(user),
          "go.system_goroutines %r but %d listed" % (go.get("system_goroutines"),
                                                     len(doc["goroutines"]) - len(user)))
    return doc, proc


# ---- comparing with the runtime's dump -----------------------------------

def is_dumper(g):
    return any(f["function"] == "runtime/pprof.writeGoroutineStacks" for f in g["frames"])


def oracle(fx):
    """{goid: goroutine} from the runtime's dump, less the goroutine that
    wrote it and main (goroutine 1: blocked on stdin when cleak looked, awake
    to answer "dump" when the runtime looked)."""
    return {g["goid"]: g for g in fx.dump() if g["goid"] != 1 and not is_dumper(g)}


def user_goroutines(doc):
    return {g["goid"]: g for g in doc["goroutines"] if not g["system"] and g["goid"] != 1}


def role(g):
    """The function a goroutine was started with: its outermost frame."""
    return g["frames"][-1]["function"] if g["frames"] else None


def show(frames):
    return "\n      ".join("%s %s:%s%s%s" % (f["function"], f["file"], f["line"],
                                            " +0x%x" % f["offset"] if f.get("offset") else "",
                                            " (inlined)" if f.get("inlined") else "")
                           for f in frames)


def frame_diffs(got, want, elided, minor):
    """Differences between cleak's frames and the runtime's.  Where the
    runtime elided frames, cleak may list them all or elide the same ones.
    Before 1.21 the runtime stopped after 100 physical frames, some of them
    hidden (gopark and the like), with no note unless it printed 100."""
    if elided and elided["count"] and len(got) == len(want) + elided["count"]:
        got = got[:elided["after"]] + got[elided["after"] + elided["count"]:]
    if minor < 21 and len(got) > len(want) >= OLD_TRACEBACK_MAX - 5:
        got = got[:len(want)]
    bad = len(got) != len(want)
    for g, w in zip(got, want):
        if (g["function"], g["file"], g["line"], bool(g["inlined"])) != \
                (w["function"], w["file"], w["line"], w["inlined"]):
            bad = True
        if w["offset"] is not None and g["offset"] != w["offset"]:
            bad = True
    if not bad:
        return []
    return ["frames differ:\n    cleak:\n      %s\n    runtime:\n      %s"
            % (show(got), show(want))]


def created_by_diffs(got, want):
    if want is None or got is None:
        return [] if want is got else ["created_by %r, the runtime says %r" % (got, want)]
    keys = ["function", "file", "line", "goid"] + (["offset"] if want["offset"] is not None else [])
    if any(got.get(k) != want[k] for k in keys):
        return ["created_by %r, the runtime says %r" % ({k: got.get(k) for k in keys},
                                                        {k: want[k] for k in keys})]
    return []


def goroutine_diffs(g, o, minor):
    """What differs between cleak's JSON goroutine g and the runtime's o."""
    diffs = []
    header = gotraceback.strip_minutes(g["header"] or "")
    if header != gotraceback.strip_minutes(o["header"]):
        diffs.append("header %r, the runtime says %r" % (g["header"], o["header"]))
    reason = o["wait_reason_or_status"]
    if g["status"] == "waiting":
        if g["wait_reason"] != reason:
            diffs.append("wait_reason %r, the runtime says %r" % (g["wait_reason"], reason))
    elif g["status"] != reason:
        diffs.append("status %r (wait_reason %r), the runtime says %r"
                     % (g["status"], g["wait_reason"], reason))
    if g["locked_to_thread"] != o["locked"]:
        diffs.append("locked_to_thread %r, header %r" % (g["locked_to_thread"], o["header"]))
    if g["stack_unavailable"] != o["unavailable"]:
        diffs.append("stack_unavailable %r" % g["stack_unavailable"])
    diffs += frame_diffs(g["frames"], o["frames"], o["elided"], minor)
    diffs += created_by_diffs(g["created_by"], o["created_by"])
    return diffs


def compare(label, got, want, allow_missing=0):
    """got: {goid: cleak goroutine}, want: {goid: runtime goroutine}.
    allow_missing: goroutines cleak may lack (those it says it skipped)."""
    problems = []
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if extra or len(missing) > allow_missing:
        problems.append("goroutines only cleak shows: %s; only the runtime shows: %s" % (
            ["%d %s" % (i, role(got[i])) for i in extra],
            ["%d %s" % (i, role(want[i])) for i in missing]))
    for goid in sorted(set(got) & set(want)):
        for d in goroutine_diffs(got[goid], want[goid], release(label)):
            problems.append("goroutine %d (%s): %s" % (goid, role(want[goid]), d))
    check(not problems, "%d differences from the runtime's dump:\n  %s"
          % (len(problems), "\n  ".join(problems[:12])))


def by_role(goroutines):
    roles = {}
    for g in goroutines.values():
        roles.setdefault(role(g), []).append(g)
    return roles


def only(goroutines, name):
    found = by_role(goroutines).get(name, [])
    check(len(found) == 1, "%d goroutines started with %s" % (len(found), name))
    return found[0]


def frame_named(g, function):
    for f in g["frames"]:
        if f["function"] == function:
            return f
    raise Failure("no frame %s in goroutine %d: %s" % (function, g["goid"],
                                                      [f["function"] for f in g["frames"]]))


# ---- tests ---------------------------------------------------------------

def test_go_fixtures_are_built():
    paths = fixture_paths()
    check(any(label.endswith("leaks-cgo") for label, _ in paths),
          "no leaks-cgo fixture among %s" % [label for label, _ in paths])
    for label, path in paths:
        version = buildinfo_version(path)[0]
        check(version.startswith(label.split("/")[0] + "."),
              "%s was built by %s" % (label, version))


def test_go_fixture_goroutines_stay_parked():
    """The fixture itself: every goroutine parked where the inventory says,
    unchanged a second later (the other tests rely on it), and its marks
    agree with the source."""
    source_marks = dict(M, **M_CGO, **M_GENERIC)
    first = {}

    def inventory(fx):
        first[fx.label] = dump = oracle(fx)
        expected = dict(INVENTORY, **(INVENTORY_CGO if fx.cgo else {}),
                        **(INVENTORY_127 if release(fx.label) >= 27 else {}))
        roles = by_role(dump)
        check(sorted(roles) == sorted(expected), "goroutines started with %s, expected %s"
              % (sorted(roles), sorted(expected)))
        for name, (count, header) in expected.items():
            if release(fx.label) < SEMACQUIRE_UNTIL.get(name, 0):
                header = "semacquire"
            got = [gotraceback.strip_minutes(g["header"]) for g in roles[name]]
            check(got == [header] * count, "%s: headers %s, expected %d x %r"
                  % (name, got, count, header))
        check(json.loads(fx.ask("marks")) == source_marks,
              "the fixture's marks differ from the source's")

    def unchanged(fx):
        before, after = first[fx.label], oracle(fx)
        check(sorted(before) == sorted(after), "goroutines changed: %s then %s"
              % (sorted(before), sorted(after)))
        for goid, g in before.items():
            h = after[goid]
            same = (gotraceback.strip_minutes(g["header"]) == gotraceback.strip_minutes(h["header"])
                    and [(f["function"], f["line"], f["offset"]) for f in g["frames"]]
                    == [(f["function"], f["line"], f["offset"]) for f in h["frames"]]
                    and g["created_by"] == h["created_by"])
            check(same, "goroutine %d (%s) moved: %r then %r" % (goid, role(g), g, h))

    failures = []
    with Started(fixture_paths()) as fixtures:
        run_on_each(fixtures, inventory, failures)
        time.sleep(1)
        run_on_each(fixtures, unchanged, failures)
    check_no_failures(failures, fixtures)


def test_go_goroutines_match_runtime_dump():
    """cleak stack --json shows the goroutines the runtime shows, with the
    same headers, frames and creators, for each release and build."""
    def one(fx):
        doc, proc = cleak_doc(fx)
        got = user_goroutines(doc)
        want = oracle(fx)
        check(doc["go"]["skipped"] == 0, "go.skipped %r without --nonblocking"
              % doc["go"]["skipped"])
        # Frozen, every thread unwinds to where the runtime's traceback
        # ends (past Go 1.20's runtime.mstart and 1.21's mcall the frame
        # pointers are stale and must not be followed).
        broken = ["%d: %s" % (t["tid"], t["error"]) for t in doc["threads"] if t.get("error")]
        check(not broken and proc.returncode == 0, "exit %d; threads not unwound: %s"
              % (proc.returncode, broken))
        # The runtime's dump has main too (writing the dump).
        check(doc["go"]["goroutines"] == len(want) + 1, "go.goroutines %r, the runtime "
              "shows %d" % (doc["go"]["goroutines"], len(want) + 1))
        compare(fx.label, got, want)
    for_each_fixture(one)


def test_go_format_go_matches_runtime_dump():
    """cleak stack --format go prints what the runtime's dump prints."""
    def one(fx):
        proc = run_cleak(fx, "--format", "go")
        check(proc.returncode in (0, 1), "exit %d: %s" % (proc.returncode, proc.stderr))
        try:
            printed = gotraceback.parse(proc.stdout)
        except gotraceback.ParseError as e:
            raise Failure("--format go output does not parse: %s\n%s" % (e, proc.stdout[:2000]))
        got = {g["goid"]: g for g in printed if g["goid"] != 1}
        want = oracle(fx)
        only_cleak, only_runtime = sorted(set(got) - set(want)), sorted(set(want) - set(got))
        check(not only_cleak and not only_runtime, "goroutines only cleak prints: %s; only "
              "the runtime: %s" % (only_cleak, only_runtime))
        problems = []
        for goid, o in sorted(want.items()):
            g = got[goid]
            if gotraceback.strip_minutes(g["header"]) != gotraceback.strip_minutes(o["header"]):
                problems.append("goroutine %d: header %r, runtime %r" % (goid, g["header"],
                                                                         o["header"]))
            for key in ("unavailable", "elided"):
                if g[key] != o[key]:
                    problems.append("goroutine %d: %s %r, runtime %r" % (goid, key, g[key], o[key]))
            # cleak may print "(...)" for a physical frame's arguments, but
            # an inlined frame must print "(...)" and no offset.
            fields = ("function", "file", "line", "offset")
            if [[f[k] for k in fields] for f in g["frames"]] != \
                    [[f[k] for k in fields] for f in o["frames"]] or \
                    any(w["inlined"] and not f["inlined"] for f, w in zip(g["frames"], o["frames"])):
                problems.append("goroutine %d (%s): frames differ:\n    cleak:\n      %s\n"
                                "    runtime:\n      %s" % (goid, role(o), show(g["frames"]),
                                                            show(o["frames"])))
            if g["created_by"] != o["created_by"]:
                problems.append("goroutine %d: created_by %r, runtime %r"
                                % (goid, g["created_by"], o["created_by"]))
        check(not problems, "\n  ".join(problems[:12]))
    for_each_fixture(one)


def test_go_frames_match_source_marks():
    """Ground truth from the source, not the runtime: the lines where the
    goroutines wait, inlined frames, generic and method names."""
    def one(fx):
        doc, _ = cleak_doc(fx)
        gs = user_goroutines(doc)
        # The path the binary was built from; the checkout may have moved since.
        main_go = "/tests/fixtures/go/leaks/main.go"

        def at(g, function, mark, inlined=False):
            f = frame_named(g, function)
            check((f["file"] or "").endswith(main_go), "%s: file %r, expected ...%s"
                  % (function, f["file"], main_go))
            check(f["line"] == M[mark], "%s: line %r, the source says %d (MARK: %s)"
                  % (function, f["line"], M[mark], mark))
            check(bool(f["inlined"]) == inlined, "%s: inlined %r" % (function, f["inlined"]))

        g = only(gs, "main.nilReceive")
        check(len(g["frames"]) == 1, "nilReceive frames: %s" % show(g["frames"]))
        at(g, "main.nilReceive", "nil-recv")
        at(only(gs, "main.selectNothing"), "main.selectNothing", "select-empty")
        at(only(gs, "main.producer"), "main.producer", "producer-send")
        at(only(gs, "main.waitDoneOrWork"), "main.waitDoneOrWork", "select-done")
        at(only(gs, "main.drainForever"), "main.drainForever", "range-recv")
        at(only(gs, "main.followLog"), "main.followLog", "follow-write")
        at(only(gs, "main.waitForAll"), "main.waitForAll", "wg-wait")
        at(only(gs, "main.waitCommand"), "main.waitCommand", "exec-wait")
        at(only(gs, "main.sleeper"), "main.sleeper", "sleep")
        for g in by_role(gs)["main.lockMutex"]:
            at(g, "main.lockMutex", "mutex-lock")
        for g in by_role(gs)["main.sumInBackground"]:
            at(g, "main.sumInBackground", "sum-send")
            check(g["created_by"] and g["created_by"]["function"] == "main.handleSum"
                  and g["created_by"]["line"] == M["sum-go"], "created_by %r" % g["created_by"])
            if release(fx.label) >= 21:
                check(g["created_by"]["goid"] not in (None, 1),
                      "created in a handler goroutine: %r" % g["created_by"])
            else:
                check(g["created_by"]["goid"] is None, "a creator's goroutine before Go 1.21, "
                      "which did not record it: %r" % g["created_by"])
        deep = only(gs, "main.deepChain")
        names = [f["function"] for f in deep["frames"]]
        check(names == ["main.recvOne", "main.waitHere", "main.deepChain.func1", "main.visit[...]",
                        "main.(*box[...]).hold", "main.(*walker).step", "main.deepChain"],
              "deepChain frames: %s" % names)
        at(deep, "main.recvOne", "deep-recv", inlined=True)
        at(deep, "main.waitHere", "wait-here", inlined=True)
        at(deep, "main.deepChain.func1", "closure")
        at(deep, "main.visit[...]", "visit")
        at(deep, "main.(*box[...]).hold", "box-hold")
        at(deep, "main.(*walker).step", "walker-step")
        at(deep, "main.deepChain", "deep-chain")
        check(deep["frames"][0]["offset"] is None and deep["frames"][2]["offset"],
              "inlined frames have no offset, their physical caller has one")
        hang = only(gs, "main.panicAndHang")
        check([f["function"] for f in hang["frames"]] ==
              ["main.panicAndHang.func1", "panic", "main.panicAndHang"],
              "a deferred call during a panic: %s" % show(hang["frames"]))
        at(hang, "main.panicAndHang.func1", "panic-defer")
        if release(fx.label) >= 27:
            g = only(gs, "main.genericWaiter")
            check([f["function"] for f in g["frames"]] ==
                  ["main.(*crate[...]).await[...]", "main.genericWaiter"],
                  "a generic method of a generic type: %s" % show(g["frames"]))
            for f, mark in zip(g["frames"], ("generic-method-recv", "generic-method-call")):
                check(f["line"] == M_GENERIC[mark], "%s: line %r, the source says %d"
                      % (f["function"], f["line"], M_GENERIC[mark]))
        rec = only(gs, "main.recurse")
        at(rec, "main.recurse", "recurse-bottom")
        check(all(f["line"] == M["recurse"] for f in rec["frames"][1:]), "recurse lines")
    for_each_fixture(one)


def test_go_leaked_channels_and_locked_threads():
    def one(fx):
        doc, _ = cleak_doc(fx)
        gs = user_goroutines(doc)
        roles = by_role(gs)
        leaked = {role(g) for g in gs.values() if g["leaked"]}
        check(leaked == LEAKED, "leaked: %s, expected %s" % (sorted(leaked), sorted(LEAKED)))
        locked = {role(g) for g in gs.values() if g["locked_to_thread"]}
        check(locked == {"main.lockedReceiver"}, "locked to a thread: %s" % locked)

        def channel(g, **want):
            ch = g["channel"]
            check(ch is not None, "goroutine %d (%s) has no channel" % (g["goid"], role(g)))
            for k, v in want.items():
                check(ch.get(k) == v, "goroutine %d (%s): channel.%s %r, expected %r; %r"
                      % (g["goid"], role(g), k, ch.get(k), v, ch))
            check(int(ch["address"], 16) != 0, "channel address %r" % ch["address"])
            return ch["address"]

        # Three replicas stuck sending on one unbuffered channel.
        addrs = {channel(g, elem_type="int", len=0, cap=0, closed=False, senders=3, receivers=0)
                 for g in roles["main.queryReplica"]}
        check(len(addrs) == 1, "the replicas wait on one channel: %s" % addrs)
        # The producer filled its buffer of 2, then blocked.
        channel(only(gs, "main.producer"), elem_type="int", len=2, cap=2, senders=1, receivers=0)
        channel(only(gs, "main.worker"), elem_type="main.result", senders=1, receivers=0)
        # One channel per request.
        addrs = {channel(g, elem_type="int", cap=0, senders=1, receivers=0)
                 for g in roles["main.sumInBackground"]}
        check(len(addrs) == 3, "one channel per leaked request: %s" % addrs)
        # The idle pool: four receivers on one channel of a struct type.
        addrs = {channel(g, elem_type="main.job", cap=0, closed=False, senders=0, receivers=4)
                 for g in roles["main.poolWorker"]}
        check(len(addrs) == 1, "the pool waits on one channel: %s" % addrs)
        channel(only(gs, "main.drainForever"), elem_type="string", senders=0, receivers=1)
        nil = only(gs, "main.nilReceive")["channel"]
        check(nil is None or int(nil["address"], 16) == 0, "a nil channel: %r" % nil)
    for_each_fixture(one)


def test_go_nonblocking_matches_runtime_dump():
    """--nonblocking reads goroutines without stopping a thread; it may skip
    some, but only those it counts in go.skipped."""
    def one(fx):
        doc, _ = cleak_doc(fx, "--nonblocking")
        skipped = doc["go"]["skipped"]
        check(isinstance(skipped, int) and skipped >= 0, "go.skipped %r" % skipped)
        compare(fx.label, user_goroutines(doc), oracle(fx), allow_missing=skipped)
    for_each_fixture(one)


def test_go_nonblocking_threads_unwind_whole():
    """--nonblocking reads a Go program's threads without a stop, so
    without RBP: Go frames step by pclntab's frame sizes, and each thread
    has the same frames as when every thread was stopped (it cut every
    thread at runtime.futex, "RBP needs a ptrace stop", before)."""
    def frames(doc):
        return {t["tid"]: ([f["function"] for f in t["frames"]], t.get("error"))
                for t in doc["threads"]}

    def one(fx):
        stopped, _ = cleak_doc(fx)
        free, proc = cleak_doc(fx, "--nonblocking")
        got, want = frames(free), frames(stopped)
        broken = {tid: err for tid, (_, err) in got.items() if err}
        check(not broken and proc.returncode == 0, "exit %d; threads cut short: %s"
              % (proc.returncode, broken))
        differ = {tid: (got[tid][0], want[tid][0]) for tid in got
                  if tid in want and got[tid][0] != want[tid][0]}
        check(not differ, "frames without a stop differ from frames with one: %s" % differ)
    for_each_fixture(one, fixture_paths(builds=("leaks", "leaks-stripped", "leaks-pie")))


def test_go_cgo_goroutine_in_c():
    """A goroutine inside a C call is in a system call on its own thread,
    and that thread's native stack shows the C side."""
    label, path = cgo_fixture()

    def one(fx):
        doc, _ = cleak_doc(fx)
        g = only(user_goroutines(doc), "main.sleepInC")
        check(g["status"] == "syscall", "status %r" % g["status"])
        f = frame_named(g, "main.sleepInC")
        check(f["line"] == M_CGO["c-sleep"], "sleepInC line %r, MARK says %d"
              % (f["line"], M_CGO["c-sleep"]))
        check(isinstance(g["tid"], int), "tid %r" % g["tid"])
        threads = [t for t in doc["threads"] if t["tid"] == g["tid"]]
        check(threads, "tid %d not among the threads" % g["tid"])
        native = [(fr["function"] or "", os.path.basename(fr.get("module") or ""))
                  for fr in threads[0]["frames"]]
        check(any("sleep" in fn and mod.startswith("libc") for fn, mod in native),
              "no libc sleep frame on thread %d: %s" % (g["tid"], native))
        check(any("cleak_c_sleep" in fn for fn, _ in native),
              "no cleak_c_sleep frame on thread %d: %s" % (g["tid"], native))
    for_each_fixture(one, [(label, path)])


@contextlib.contextmanager
def copy_as_release(path, minor):
    """A copy of the fixture at path, in a directory of its own removed
    afterwards, whose buildinfo names Go 1.<minor> (the same length, so
    nothing else moves)."""
    version, at = buildinfo_version(path)
    patched_version = "go1.%d" % minor + version[len("go1.NN"):]
    check(len(version) == len(patched_version) and version.startswith("go1."), version)
    tmp = tempfile.mkdtemp(prefix="cleak-go1%d-" % minor)
    try:
        copy = os.path.join(tmp, "leaks")
        shutil.copy2(path, copy)
        with open(copy, "r+b") as f:
            f.seek(at)
            f.write(patched_version.encode())
        check(buildinfo_version(copy)[0] == patched_version, "patch failed")
        yield copy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def newest_release():
    return max(release(label) for label, _ in fixture_paths(builds=("leaks",), cgo=False))


def relabelled(paths, minor, stack):
    """[(label, copy)]: each fixture copied with its buildinfo naming 1.<minor>."""
    return [(label + " as go1.%d" % minor, stack.enter_context(copy_as_release(path, minor)))
            for label, path in paths]


def test_go_newer_release_read_from_dwarf():
    """A release newer than cleak's tables, built the default way (with
    DWARF): its layout is read from its DWARF and every goroutine matches
    the runtime's own dump.  The 1.26 build proves the layout came from
    the DWARF: its moduledata is not the newest table's."""
    paths = [p for p in fixture_paths(builds=("leaks",), cgo=False)
             if release(p[0]) in (26, newest_release())]

    def one(fx):
        doc, proc = cleak_doc(fx)
        check(doc["go"]["layout"] == "dwarf", "go.layout %r" % doc["go"]["layout"])
        check(doc["go"]["rules"] == "go1.%d" % newest_release(), "go.rules %r" % doc["go"]["rules"])
        check("newer than this cleak" in proc.stderr and "DWARF" in proc.stderr,
              "stderr must say the layout came from DWARF: %r" % proc.stderr)
        compare(fx.label, user_goroutines(doc), oracle(fx))
        text = run_cleak(fx).stdout
        check("read from the binary's DWARF" in text, "the text output must say so: %r"
              % text[:600])
    with contextlib.ExitStack() as stack:
        for_each_fixture(one, relabelled(paths, 99, stack))


def test_go_newer_release_stripped_is_checked_or_refused():
    """Stripped, a newer release is read with the newest table, and only
    if every invariant holds; otherwise refused with its release named.
    Never wrong goroutines: what is shown matches the runtime's dump.  The
    newest release's builds must pass (the checks are no blanket refusal);
    older releases, whose layouts differ from it, must be refused."""
    paths = fixture_paths(builds=("leaks-stripped", "leaks-pie"), cgo=False)
    newest = newest_release()
    outcome = {}

    def one(fx):
        proc = run_cleak(fx, "--json")
        doc = json.loads(proc.stdout)
        go = doc["go"]
        if go.get("error"):
            outcome[fx.label] = "refused"
            check(proc.returncode == 1, "refused but exit %d" % proc.returncode)
            check("go1.99" in go["error"] and "go1.99" in proc.stderr,
                  "the refusal must name the release: %r" % go["error"])
            check(not doc.get("goroutines"), "goroutines shown although refused")
            return
        outcome[fx.label] = "read"
        check(go["layout"] == "checked", "go.layout %r" % go["layout"])
        check("passed every check" in proc.stderr, "stderr: %r" % proc.stderr)
        compare(fx.label, user_goroutines(doc), oracle(fx))
    with contextlib.ExitStack() as stack:
        for_each_fixture(one, relabelled(paths, 99, stack))
    for label, result in outcome.items():
        want = "read" if release(label) == newest else "refused"
        check(result == want, "%s was %s, expected %s (all: %s)" % (label, result, want,
                                                                     outcome))


GO_LAYOUT = os.path.join(BUILD, "tools", "go-layout")


def test_go_builtin_rows_match_dwarf():
    """Each release's built-in row (lib/goruntime.c) is what that release's
    own DWARF says: every offset, the wrapper id, the statuses and the wait
    reasons, string by string (scripts/go-layout.sh --check)."""
    problems = []
    for label, path in fixture_paths(builds=("leaks",), cgo=False):
        proc = subprocess.run([GO_LAYOUT, "--check", path], capture_output=True, text=True,
                              timeout=60)
        if proc.returncode != 0 or "matches" not in proc.stdout:
            problems.append("%s: exit %d\n%s%s" % (label, proc.returncode, proc.stdout,
                                                    proc.stderr))
    check(not problems, "\n".join(problems))
    stripped = fixture_paths(builds=("leaks-stripped",), cgo=False)[-1][1]
    proc = subprocess.run([GO_LAYOUT, stripped], capture_output=True, text=True, timeout=60)
    check(proc.returncode == 2 and "no DWARF" in proc.stderr,
          "a stripped binary: exit %d, %r" % (proc.returncode, proc.stderr))


MISREAD = os.path.join(BUILD, "tools", "go-misread")
# Layout fields and how far to move them: a word, or for the one-byte
# wait reason a byte.
SHIFTS = [(f, d) for f in ("g_m", "g_sched", "g_syscallsp", "g_syscallpc", "g_atomicstatus",
                           "g_goid", "g_gopc", "g_startpc", "g_waiting", "m_procid", "sudog_c",
                           "sudog_waitlink", "hchan_elemtype") for d in (-8, 8)] + \
    [("g_waitreason", -1), ("g_waitreason", 1)]


def misread(fx, *shift):
    proc = subprocess.run([MISREAD, str(fx.pid)] + [str(a) for a in shift],
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0, "go-misread %s exited %d: %s" % (" ".join(map(str, shift)),
                                                                 proc.returncode, proc.stderr))
    check_not_stopped(fx)
    return proc.stdout


def test_go_checks_hold_for_every_release():
    """The checks a newer release's reading must pass hold for every
    release and build cleak has a table for, read as if it had none: they
    refuse wrong layouts, not real programs."""
    def one(fx):
        out = misread(fx)
        check(out.startswith("read\n"), "its own layout, checked, was refused: %s" % out[:400])
        check(len(out.splitlines()) > len(INVENTORY), "only %d goroutines read"
              % (len(out.splitlines()) - 1))
    for_each_fixture(one)


def test_go_wrong_layouts_are_refused():
    """A layout with one field moved, as a new release may move it: cleak's
    checks refuse it, or it reads exactly what the right layout reads
    (a pointer and its shadow copy hold the same value).  Never other
    goroutines shown as right."""
    paths = [p for p in fixture_paths(builds=("leaks-stripped",), cgo=False)
             if release(p[0]) in (19, newest_release())]

    def one(fx):
        right = misread(fx)
        check(right.startswith("read\n"), "the right layout was refused: %s" % right[:400])
        problems, refused = [], 0
        for field, delta in SHIFTS:
            # a goroutine of the runtime may run between two readings
            # (a GC worker on another thread): a difference must hold on
            # a second try beside a fresh reading with the right layout
            for attempt in range(3):
                out = misread(fx, field, delta)
                if out.startswith("refused: ") or out == right:
                    break
                right = misread(fx)
            if out.startswith("refused: "):
                refused += 1
                check("newer than this cleak" in out, "the refusal says why: %r" % out)
            elif out != right:
                problems.append("%s%+d was read, and differently: %s" % (field, delta,
                                                                          out[:300]))
        check(not problems, "\n  ".join(problems))
        check(refused >= len(SHIFTS) - 6, "only %d of %d wrong layouts refused"
              % (refused, len(SHIFTS)))
    for_each_fixture(one, paths)


@contextlib.contextmanager
def stripped_copy(path):
    """A copy of the binary at path without .symtab and DWARF, as
    -ldflags='-s -w' leaves one."""
    tmp = tempfile.mkdtemp(prefix="cleak-stripped-")
    try:
        copy = os.path.join(tmp, os.path.basename(path))
        shutil.copy2(path, copy)
        subprocess.run(["strip", "--strip-all", copy], check=True, timeout=60)
        yield copy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_go_corners_are_not_refused():
    """The corners of real programs a check must not take for a wrong
    layout (tests/fixtures/go/corners: main gone with Goexit, a C thread
    blocked in a Go callback, a select over nil channels, a channel of a
    type reflect made, goroutines churning through system calls and
    channels): read with the release's table, from its DWARF, and stripped
    with the checks, frozen, --nonblocking and with --tid, never refused."""
    corners = os.path.join(GO_FIXTURES, "go1.%d" % newest_release(), "corners")
    check(os.path.exists(corners), "%s is missing: run 'sh scripts/go-fixtures.sh'" % corners)

    def one(fx):
        def stack(*args):
            proc = run_cleak(fx, "--json", *args)
            doc = json.loads(proc.stdout)
            # (a thread running Go code cannot be unwound without a stop:
            # --nonblocking may exit 1 for it, which is no refusal)
            check(proc.returncode in (0, 1) and not doc["go"]["error"],
                  "%s refused: exit %d, %r" % (" ".join(args), proc.returncode, doc["go"]["error"]))
            return {g["goid"]: g for g in doc["goroutines"] if not g["system"]}
        # the goroutine serving stdin writes the dump, so it moves
        got = {k: g for k, g in stack().items() if role(g) != "main.serve"}
        want = {g["goid"]: g for g in fx.dump() if not is_dumper(g)}
        check(sorted(got) == sorted(want), "goroutines %s, the runtime's dump has %s"
              % (sorted(got), sorted(want)))
        check(1 not in got, "goroutine 1 called runtime.Goexit")
        for goid, g in got.items():
            reason = want[goid]["wait_reason_or_status"]
            check((g["wait_reason"] or g["status"]) == reason, "goroutine %d: %r, the runtime "
                  "says %r" % (goid, g["wait_reason"] or g["status"], reason))
        nils = [g for g in got.values() if role(g) == "main.selectNils"]
        check(len(nils) == 1 and nils[0]["leaked"], "a select over nil channels only can never "
              "wake: %r" % nils)
        check(fx.ask("churn") == "ok", "churn did not start")
        try:
            for _ in range(5):
                stack()
                stack("--nonblocking")
            stack("--tid", str(fx.pid))
            for _ in range(5):
                out = misread(fx)
                check(out.startswith("read\n"), "go-misread refused: %s" % out[:300])
        finally:
            check(fx.ask("calm") == "ok", "churn did not stop")

    with contextlib.ExitStack() as stack:
        dwarf = stack.enter_context(copy_as_release(corners, 99))
        stripped = stack.enter_context(copy_as_release(stack.enter_context(
            stripped_copy(corners)), 99))
        for_each_fixture(one, [("corners", corners), ("corners as go1.99", dwarf),
                               ("corners stripped as go1.99", stripped)])


def test_go_older_release_is_refused():
    """A release older than cleak's oldest table: the threads, and a clear
    refusal to guess at goroutines."""
    label, path = [p for p in fixture_paths(builds=("leaks",), cgo=False)][-1]

    def one(fx):
        proc = run_cleak(fx)
        check(proc.returncode == 1, "exit %d for an unknown Go release, expected 1 (partial)"
              % proc.returncode)
        check("go1.18" in proc.stderr and "not known" in proc.stderr,
              "stderr must say go1.18 is not known: %r" % proc.stderr)
        check("pid %d" % fx.pid in proc.stdout and "thread" in proc.stdout,
              "the threads are still shown: %r" % proc.stdout[:500])
        doc = json.loads(run_cleak(fx, "--json").stdout)
        check(doc["threads"], "no threads in the JSON")
        check(doc["go"].get("error") and "go1.18" in doc["go"]["error"], "go.error %r" % doc["go"])
        check(not doc.get("goroutines"), "goroutines shown for an unknown release")
        rows = {r["pid"]: r for r in json.loads(cleak("ps", "--json").stdout)}
        check("not known" in (rows[fx.pid]["go"]["error"] or ""), "ps: %r" % rows[fx.pid])
        text = cleak("ps")
        check("%d (" % fx.pid in text.stderr and "not known" in text.stderr,
              "ps must say why it did not count: %r" % text.stderr)
    with copy_as_release(path, 18) as copy:
        for_each_fixture(one, [(label + " as go1.18", copy)])


def test_go_main_in_select_nothing():
    """Goroutine 1 in select {} (a server's main blocking for good): Go
    1.27's runtime no longer reports it as leaked, and nor does cleak;
    before 1.27 cleak calls it leaked, as every goroutine in select {}."""
    paths = [p for p in fixture_paths(builds=("leaks-stripped",), cgo=False)
             if release(p[0]) >= 26]

    def one(fx):
        check(fx.ask("hang") == "hanging", "the fixture did not hang")

        seen = []

        def main_parked():
            doc, _ = cleak_doc(fx, "--nonblocking")
            seen[:] = [g for g in doc["goroutines"] if g["goid"] == 1]
            return seen and seen[0]["wait_reason"] == "select (no cases)"
        check(wait_until(main_parked), "goroutine 1 never parked in select {}: %r" % seen)
        main = seen[0]
        want = release(fx.label) < 27
        check(main["leaked"] == want, "goroutine 1 in select {}: leaked %r on %s, expected %r"
              % (main["leaked"], fx.label, want))
        check(main["frames"][0]["line"] == M["main-select"], "main's frame %r" % main["frames"][0])
    for_each_fixture(one, paths)


def test_go_release_and_function_table_disagree():
    """A Go 1.19 binary whose buildinfo claims Go 1.21: its function table
    is in the older format, and cleak says so instead of reading it with
    the newer release's rules."""
    found = [p for p in fixture_paths(builds=("leaks",), cgo=False) if release(p[0]) == 19]
    check(found, "no go1.19 fixture: run 'sh scripts/go-fixtures.sh'")
    label, path = found[0]

    def one(fx):
        proc = run_cleak(fx, "--json")
        check(proc.returncode == 1, "exit %d, expected 1 (partial)" % proc.returncode)
        check(".gopclntab" in proc.stderr and "go1.21" in proc.stderr,
              "stderr must name the function table and the release: %r" % proc.stderr)
        doc = json.loads(proc.stdout)
        check(doc["threads"], "no threads in the JSON")
        check(not doc.get("goroutines"), "goroutines read with the wrong format: %d"
              % len(doc.get("goroutines") or []))
    with copy_as_release(path, 21) as copy:
        for_each_fixture(one, [(label + " as go1.21", copy)])


def test_go_absent_for_c_programs():
    """A C program has no "go" and no goroutines."""
    with Fixture("threads") as fx:
        proc = cleak("stack", "--json", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        doc = json.loads(proc.stdout)
        check(doc.get("go") is None, "go: %r" % doc.get("go"))
        check(not doc.get("goroutines"), "goroutines: %r" % doc.get("goroutines"))
        proc = cleak("stack", "--format", "go", fx.pid)
        check("not a Go program" in proc.stderr and proc.returncode == 2,
              "--format go on a C program: exit %d, %r" % (proc.returncode, proc.stderr))


def test_go_ps_lists_go_programs():
    """cleak ps names each Go fixture's release (from its buildinfo) and
    counts the goroutines the runtime's own dump shows; C programs are
    listed without a release."""
    def one(fx):
        proc = cleak("ps", "--json")
        check(proc.returncode == 0, "cleak ps: exit %d: %s" % (proc.returncode, proc.stderr))
        rows = {r["pid"]: r for r in json.loads(proc.stdout)}
        check(fx.pid in rows, "pid %d not listed by cleak ps" % fx.pid)
        go = rows[fx.pid]["go"]
        want_version = buildinfo_version(fx.path)[0]
        check(go and go["version"] == want_version, "go %r, buildinfo says %s"
              % (go, want_version))
        # The dump's goroutines: main (which wrote it) and the others.
        want = len(oracle(fx)) + 1
        check(go["goroutines"] == want, "goroutines %r, the runtime shows %d"
              % (go["goroutines"], want))
        text = cleak("ps", "--go").stdout
        check(any(l.split()[0] == str(fx.pid) and want_version in l.split()
                  for l in text.splitlines()[1:]), "ps --go: %r" % text)
    for_each_fixture(one, fixture_paths(builds=("leaks-stripped",), cgo=False))
    with Fixture("threads") as fx:
        rows = {r["pid"]: r for r in json.loads(cleak("ps", "--json").stdout)}
        check(rows[fx.pid]["go"] is False, "a C program: go %r" % rows[fx.pid]["go"])
        check(fx.pid not in [r["pid"] for r in json.loads(cleak("ps", "--go", "--json").stdout)],
              "ps --go lists a C program")
