"""cleak diff, cleak check and cleak watch against HTTP servers that leak
goroutines per request as the seeds' handlers do, and against the same
servers written correctly, with the runtime's own dump as ground truth.

The fixture (tests/fixtures/go/servers, built by scripts/go-fixtures.sh
into build/fixtures/go/go1.N/servers for the newest N) takes a mode,
"leaky" or "healthy", prints "ready <pid> <port>" once its goroutines are
parked, and answers "dump" (the runtime's dump, then "END"), "marks" and
"count" on stdin.  The load comes from here, over loopback:

  /sum          one sumInBackground per request; leaky: it waits forever at
                MARK sum-send
  /logs         a client that reads one line and hangs up; leaky: followLog
                waits forever at MARK logs-send
  /run?sleep=S  a client that gives up after 0.2 s while "sleep S" runs;
                leaky: runCommand waits forever at MARK run-send once the
                command ends

Both modes also run goroutines that are idle by design: four pool workers
(MARK pool-recv) fed by a ticker loop (MARK ticker-select), and the HTTP
accept loop.  Certain leaks (a nil channel, select {}) come from the
fixture of test_go.py, build/fixtures/go/go1.N/leaks."""
import glob
import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import BUILD, CLEAK, Failure, Fixture, check, cleak, marks, wait_until
from test_go import LEAKED, GoFixture, fixture_paths, oracle, role

M = marks("go/servers/main.go")
# The path the binary was built from ends so; the checkout may have moved since.
MAIN_GO = "/tests/fixtures/go/servers/main.go"
SUM_REQUESTS = 50
LOGS_REQUESTS = 10
RUN_REQUESTS = 10


# ---- the fixture ---------------------------------------------------------

def servers_path():
    """build/fixtures/go/go1.N/servers for the newest N built."""
    found = sorted(glob.glob(os.path.join(BUILD, "fixtures", "go", "go1.*", "servers")),
                   key=lambda p: int(os.path.basename(os.path.dirname(p)).split(".")[1]))
    check(found, "no build/fixtures/go/go1.N/servers: run 'sh scripts/go-fixtures.sh' (it "
          "needs go 1.21 or newer: 'sh scripts/deps.sh' installs one)")
    return found[-1]


class Server(GoFixture):
    """The servers fixture in one mode, with the load the tests drive."""

    def __init__(self, mode):
        self.label, self.path, self.cgo = "servers " + mode, servers_path(), False
        self.proc = subprocess.Popen([self.path, mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.pid = self.proc.pid
        self.buf = b""
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise

    def wait_ready(self):
        line = self.readline(timeout=30)
        parts = line.split()
        check(len(parts) == 3 and parts[:2] == ["ready", str(self.pid)],
              "%s did not start: %r" % (self.label, line))
        self.port = int(parts[2])
        self.wait_main_reads()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- load --

    def get(self, path, timeout=5.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def sums(self, n=SUM_REQUESTS):
        for _ in range(n):
            status, body = self.get("/sum")
            check(status == 200 and body == b"accepted\n", "/sum: %d %r" % (status, body))

    def logs(self, n=LOGS_REQUESTS):
        """n clients that follow the log, read one line and hang up."""
        for _ in range(n):
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(b"GET /logs HTTP/1.1\r\nHost: servers\r\n\r\n")
                got = b""
                while b"log line 0\n" not in got:
                    chunk = s.recv(4096)
                    check(chunk, "/logs: the server closed after %r" % got)
                    got += chunk

    def runs(self, n=RUN_REQUESTS, sleep=0.5, timeout=0.2):
        """n clients at once that give up after timeout s while the command
        sleeps longer; returns once they all gave up."""
        answered = []

        def one():
            try:
                answered.append(self.get("/run?sleep=%s" % sleep, timeout=timeout))
            except (socket.timeout, TimeoutError):
                pass
        clients = [threading.Thread(target=one) for _ in range(n)]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        check(not answered, "/run answered before the client timeout: %r" % answered[:2])

    # -- ground truth --

    def at(self, dump, mark):
        """Goids of the runtime's dump whose innermost frame is at MARK."""
        return {g["goid"] for g in dump if g["frames"]
                and g["frames"][0]["file"].endswith(MAIN_GO)
                and g["frames"][0]["line"] == M[mark]}

    def wait_at(self, counts, timeout=5.0):
        """Waits until the runtime's dump has counts[mark] goroutines at each
        mark; returns that dump."""
        seen = {}

        def settled():
            seen["dump"] = self.dump()
            return all(len(self.at(seen["dump"], m)) == n for m, n in counts.items())
        if not wait_until(settled, timeout=timeout, step=0.05):
            raise Failure("%s: the runtime's dump has %s, expected %s" % (
                self.label, {m: len(self.at(seen["dump"], m)) for m in counts}, counts))
        return seen["dump"]

    def count(self):
        answer = self.ask("count")
        self.wait_main_reads()
        return int(answer)

    def snapshot(self, path):
        """cleak stack --json into path, with main back in read() (as in a
        live diff, where nobody talks to the fixture); returns the document."""
        self.wait_main_reads()
        proc = cleak("stack", "--json", self.pid)
        check(proc.returncode in (0, 1), "cleak stack --json: exit %d: %s"
              % (proc.returncode, proc.stderr))
        with open(path, "w") as f:
            f.write(proc.stdout)
        return json.loads(proc.stdout)


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="cleak-diff-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


# ---- running cleak -------------------------------------------------------

def run_json(*args, codes=(0, 1)):
    """cleak ARGS with --json; (document, process)."""
    proc = cleak(*args, timeout=60)
    check(proc.returncode in codes, "cleak %s: exit %d, expected %s; stderr %r"
          % (" ".join(map(str, args)), proc.returncode, codes, proc.stderr.strip()[:2000]))
    try:
        return json.loads(proc.stdout), proc
    except ValueError as e:
        raise Failure("cleak %s: JSON does not parse (%s): %r" % (" ".join(map(str, args)), e,
                                                               proc.stdout[:500]))


def start_cleak(*args):
    return subprocess.Popen([CLEAK] + [str(a) for a in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop(proc):
    """Ends a cleak started with start_cleak if it still runs; reaps it."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def finish(proc, timeout=30):
    """Waits for a cleak started with start_cleak: (stdout, stderr)."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure("cleak %s did not end in %d s: %r %r" % (" ".join(proc.args[1:]), timeout,
                                                              out[-500:], err[-500:]))


def parse(out, what):
    try:
        return json.loads(out)
    except ValueError as e:
        raise Failure("%s: JSON does not parse (%s): %r" % (what, e, out[:500]))


def where(group):
    f = group["frames"][0] if group["frames"] else {}
    return "%s %s at %s:%s" % (group["kind"], group.get("wait"), f.get("function"), f.get("line"))


def groups_at(doc, mark):
    """Goroutine groups of a diff whose innermost frame is at MARK."""
    return [g for g in doc["groups"] if g["kind"] == "goroutine" and g["frames"]
            and (g["frames"][0]["file"] or "").endswith(MAIN_GO)
            and g["frames"][0]["line"] == M[mark]]


def group_at(doc, mark):
    found = groups_at(doc, mark)
    check(len(found) == 1, "%d groups at MARK %s (line %d); groups: %s" % (
        len(found), mark, M[mark], [where(g) for g in doc["groups"]]))
    return found[0]


def check_leak_group(doc, mark, growth, creator, go_mark, dump, srv, counts=None):
    """The group at MARK grew by growth, waits in a channel send, is a
    suspect, was created at go_mark, and its members are the goroutines the
    runtime's dump shows at MARK."""
    g = group_at(doc, mark)
    want = srv.at(dump, mark)
    what = "group at MARK %s" % mark
    check(g["status"] == "waiting" and g["wait"] == "chan send",
          "%s: status %r wait %r" % (what, g["status"], g["wait"]))
    check(g["growth"] == growth and g["after"] - g["before"] == growth,
          "%s: growth %r (%r -> %r), expected %d" % (what, g["growth"], g["before"], g["after"],
                                                     growth))
    check(g["after"] == len(want), "%s: after %r, the runtime's dump has %d there"
          % (what, g["after"], len(want)))
    check(set(g["goids"]) == want, "%s: goids %s, the runtime's dump has %s"
          % (what, sorted(g["goids"]), sorted(want)))
    if counts is not None:
        check(g["counts"] == counts, "%s: counts %r, expected %r" % (what, g["counts"], counts))
    check(g["suspect"] is True and isinstance(g["rank"], int) and g["rank"] >= 1,
          "%s: suspect %r rank %r why %r" % (what, g["suspect"], g["rank"], g.get("why")))
    check(g["grew_every_interval"] is True, "%s: grew_every_interval %r"
          % (what, g["grew_every_interval"]))
    check(g["idle"] is None, "%s: idle %r" % (what, g["idle"]))
    check(isinstance(g["why"], str) and g["why"], "%s: why %r" % (what, g["why"]))
    c = g["created_by"] or {}
    check(c.get("function") == creator and c.get("line") == M[go_mark]
          and (c.get("file") or "").endswith(MAIN_GO),
          "%s: created_by %r, expected %s at line %d (MARK %s)" % (what, c, creator, M[go_mark],
                                                                 go_mark))
    return g


def check_ranks(doc):
    """suspects counts the suspect groups, which come first, ranked 1..n."""
    suspects = [g for g in doc["groups"] if g["suspect"]]
    check(doc["suspects"] == len(suspects), "suspects %r but %d groups are suspects"
          % (doc["suspects"], len(suspects)))
    check(doc["groups"][:len(suspects)] == suspects, "suspects are not listed first: %s"
          % [(where(g), g["suspect"]) for g in doc["groups"]])
    check([g["rank"] for g in suspects] == list(range(1, len(suspects) + 1)),
          "ranks %r" % [g["rank"] for g in suspects])
    check(all(g["rank"] is None for g in doc["groups"][len(suspects):]),
          "a group that is not a suspect has a rank")
    check(all(g["idle"] is None for g in suspects), "an idle group is a suspect: %s"
          % [where(g) for g in suspects if g["idle"]])


def problems(doc, name):
    return [p for p in doc["problems"] if p["check"] == name]


# ---- cleak diff ----------------------------------------------------------

def test_diff_sum_leak_in_saved_snapshots():
    """/sum leaks one goroutine per request: a diff of three saved snapshots,
    with 25 requests before the second and 25 before the third, shows +50
    at the send nobody receives, grown in each interval, the same
    goroutines as the runtime's dump."""
    half = SUM_REQUESTS // 2
    with Server("leaky") as srv, TempDir() as tmp:
        paths = [os.path.join(tmp, n) for n in ("a.json", "b.json", "c.json")]
        check(json.loads(srv.ask("marks")) == M, "the fixture's marks differ from the source's")
        a = srv.snapshot(paths[0])
        srv.sums(half)
        srv.wait_at({"sum-send": half})
        srv.snapshot(paths[1])
        srv.sums(SUM_REQUESTS - half)
        dump = srv.wait_at({"sum-send": SUM_REQUESTS})
        c = srv.snapshot(paths[2])
        doc, _ = run_json("diff", "--json", *paths, codes=(1,))
        g = check_leak_group(doc, "sum-send", SUM_REQUESTS, "main.sumHandler", "sum-go", dump,
                             srv, counts=[0, half, SUM_REQUESTS])
        check(g["interval_growth"] == [half, SUM_REQUESTS - half], "interval_growth %r"
              % g["interval_growth"])
        check(g["stuck"] == 0, "stuck %r: none of them was in the first snapshot" % g["stuck"])
        check(g["pile"] is None, "one channel per request, no pile: %r" % g["pile"])
        check_ranks(doc)
        check(doc["pid"] == srv.pid and doc["comm"] == "servers", "pid %r comm %r"
              % (doc["pid"], doc["comm"]))
        snaps = doc["snapshots"]
        check(len(snaps) == 3, "%d snapshots" % len(snaps))
        check([snaps[0]["time_unix_ms"], snaps[2]["time_unix_ms"]] ==
              [a["time_unix_ms"], c["time_unix_ms"]],
              "snapshot times %r, the files say %r" % ([s["time_unix_ms"] for s in snaps],
                                                       [a["time_unix_ms"], c["time_unix_ms"]]))
        check([os.path.basename(s["file"] or "") for s in snaps] == ["a.json", "b.json", "c.json"],
              "snapshot files %r" % [s["file"] for s in snaps])
        check(abs(doc["seconds"] - (c["time_unix_ms"] - a["time_unix_ms"]) / 1000.0) < 0.01,
              "seconds %r" % doc["seconds"])
        # appeared / ended: by goid, from the files themselves.
        goids_a = {x["goid"] for x in a["goroutines"] if not x["system"]}
        goids_c = {x["goid"] for x in c["goroutines"] if not x["system"]}
        appeared = set(doc["goroutines"]["appeared"])
        check(set(g["goids"]) <= appeared <= goids_c and not appeared & goids_a,
              "appeared %s; the leaked %s" % (sorted(appeared), sorted(g["goids"])))
        check(not set(doc["goroutines"]["ended"]) - goids_a, "ended %r"
              % doc["goroutines"]["ended"])
        check(doc["goroutines"]["after"] - doc["goroutines"]["before"] == len(goids_c) - len(goids_a),
              "goroutines %r; the files have %d then %d" % (doc["goroutines"], len(goids_a),
                                                           len(goids_c)))
        # The text form says the same.
        proc = cleak("diff", *paths)
        check(proc.returncode == 1, "text: exit %d: %s" % (proc.returncode, proc.stderr))
        out = proc.stdout
        check(out.startswith("cleak diff: pid %d (servers), 3 snapshots" % srv.pid), out[:300])
        check("Leak suspects:" in out and "+%d goroutines" % SUM_REQUESTS in out
              and "main.sumInBackground" in out and "main.sumHandler" in out
              and "main.go:%d" % M["sum-send"] in out, out[:3000])


def test_diff_one_interval_gives_no_verdict():
    """Two snapshots, one interval: a group that grew cannot be told from
    requests in flight at the second one, so it is no suspect (exit 0);
    the group is marked unconfirmed and the output says how to get a
    verdict."""
    with Server("leaky") as srv, TempDir() as tmp:
        paths = [os.path.join(tmp, n) for n in ("a.json", "b.json")]
        srv.snapshot(paths[0])
        srv.sums()
        srv.wait_at({"sum-send": SUM_REQUESTS})
        srv.snapshot(paths[1])
        doc, _ = run_json("diff", "--json", *paths, codes=(0,))
        g = group_at(doc, "sum-send")
        check(g["growth"] == SUM_REQUESTS and g["unconfirmed"] is True and not g["suspect"],
              "growth %r unconfirmed %r suspect %r" % (g["growth"], g["unconfirmed"],
                                                       g["suspect"]))
        check(doc["suspects"] == 0 and doc["unconfirmed"] >= 1, "suspects %r unconfirmed %r"
              % (doc["suspects"], doc["unconfirmed"]))
        proc = cleak("diff", *paths)
        check(proc.returncode == 0 and "no verdict" in proc.stdout and "--count 2" in proc.stdout
              and "No leak suspects." in proc.stdout, "exit %d: %r"
              % (proc.returncode, proc.stdout[:1500]))


def test_diff_sum_leak_live():
    """cleak diff --interval 2s PID (two intervals by default) while 25
    requests leak in each: the same +50, counted in the live process."""
    half = SUM_REQUESTS // 2
    with Server("leaky") as srv:
        proc = start_cleak("diff", "--json", "--interval", "2s", srv.pid)
        try:
            time.sleep(0.5)
            load_ms = int(time.time() * 1000)
            srv.sums(half)
            time.sleep(2.0)
            srv.sums(SUM_REQUESTS - half)
            out, err = finish(proc)
        finally:
            stop(proc)
        check(proc.returncode == 1, "exit %d: %s" % (proc.returncode, err))
        doc = parse(out, "cleak diff --json --interval 2s")
        snaps = doc["snapshots"]
        check(len(snaps) == 3 and all(s["file"] is None for s in snaps), "snapshots %r" % snaps)
        check(snaps[0]["time_unix_ms"] <= load_ms, "test timing: the first snapshot (%d) came "
              "after the load began (%d)" % (snaps[0]["time_unix_ms"], load_ms))
        check(3.8 <= doc["seconds"] <= 5.5, "seconds %r for --interval 2s, twice" % doc["seconds"])
        dump = srv.wait_at({"sum-send": SUM_REQUESTS})
        check_leak_group(doc, "sum-send", SUM_REQUESTS, "main.sumHandler", "sum-go", dump, srv,
                         counts=[0, half, SUM_REQUESTS])
        check_ranks(doc)


def test_diff_log_follow_and_command_leaks():
    """/logs with clients that hang up, and /run with clients that time out:
    one producer and one command runner left per request, each at its
    send, as the runtime's dump shows; half of the load in each of two
    intervals."""
    logs_half, runs_half = LOGS_REQUESTS // 2, RUN_REQUESTS // 2
    with Server("leaky") as srv, TempDir() as tmp:
        paths = [os.path.join(tmp, n) for n in ("a.json", "b.json", "c.json")]
        srv.snapshot(paths[0])
        srv.logs(logs_half)
        srv.runs(runs_half, sleep=0.5, timeout=0.2)
        srv.wait_at({"logs-send": logs_half, "run-send": runs_half})
        srv.snapshot(paths[1])
        srv.logs(LOGS_REQUESTS - logs_half)
        srv.runs(RUN_REQUESTS - runs_half, sleep=0.5, timeout=0.2)
        dump = srv.wait_at({"logs-send": LOGS_REQUESTS, "run-send": RUN_REQUESTS})
        srv.snapshot(paths[2])
        doc, _ = run_json("diff", "--json", *paths, codes=(1,))
        check_leak_group(doc, "logs-send", LOGS_REQUESTS, "main.logsContainer", "logs-go",
                         dump, srv, counts=[0, logs_half, LOGS_REQUESTS])
        check_leak_group(doc, "run-send", RUN_REQUESTS, "main.runHandler", "run-go",
                         dump, srv, counts=[0, runs_half, RUN_REQUESTS])
        check_ranks(doc)


def check_idle(doc, srv):
    """The pool, the ticker loop and the accept loop: idle by design."""
    pool = group_at(doc, "pool-recv")
    check(pool["idle"] == "worker pool" and pool["after"] == 4 and not pool["suspect"],
          "pool workers: idle %r after %r suspect %r" % (pool["idle"], pool["after"],
                                                         pool["suspect"]))
    ticker = group_at(doc, "ticker-select")
    # A time.Timer's and a time.Ticker's channel look alike from outside.
    check(ticker["idle"] == "timer or ticker" and not ticker["suspect"], "ticker loop: idle %r suspect %r"
          % (ticker["idle"], ticker["suspect"]))
    accept = [g for g in doc["groups"] if g["kind"] == "goroutine"
              and any(f["function"] == "net.(*netFD).accept" for f in g["frames"])]
    check(len(accept) == 1 and accept[0]["idle"] == "accept loop" and not accept[0]["suspect"],
          "accept loop: %r" % [(g["idle"], g["suspect"]) for g in accept])


def test_diff_healthy_server_no_suspects():
    """The same load on the healthy server leaves nothing behind: no
    suspect, exit 0; the pool, ticker and accept loop are idle by design."""
    with Server("healthy") as srv, TempDir() as tmp:
        base = srv.count()
        a_path, b_path = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
        srv.snapshot(a_path)
        srv.sums()
        srv.logs()
        srv.runs(sleep=0.5, timeout=0.2)
        check(wait_until(lambda: srv.count() == base, timeout=5, step=0.05),
              "the healthy server did not return to its %d goroutines: %d" % (base, srv.count()))
        dump = srv.wait_at({"sum-send": 0, "logs-select": 0, "run-send": 0})
        srv.snapshot(b_path)
        doc, proc = run_json("diff", "--json", a_path, b_path, codes=(0,))
        check(doc["suspects"] == 0 and not [g for g in doc["groups"] if g["suspect"]],
              "suspects on the healthy server: %s" % [(where(g), g["why"]) for g in doc["groups"]
                                                      if g["suspect"]])
        check_idle(doc, srv)
        proc = cleak("diff", "--all", a_path, b_path)
        check(proc.returncode == 0, "text --all: exit %d: %s" % (proc.returncode, proc.stderr))
        check("No leak suspects." in proc.stdout, proc.stdout[:2000])
        idle = [l for l in proc.stdout.splitlines() if l.startswith("Idle by design")]
        check(idle and all(k in idle[0] for k in ("worker pool", "ticker", "accept loop")),
              "Idle by design line: %r" % idle)
        # cleak check agrees, and counts what the runtime counts.
        doc, _ = run_json("check", "--json", srv.pid, codes=(0,))
        check(doc["healthy"] is True and doc["problems"] == [] and doc["attempts"] == 1,
              "check: healthy %r attempts %r problems %r" % (doc["healthy"], doc["attempts"],
                                                           doc["problems"]))
        check(doc["goroutines"] == len(dump), "check: goroutines %r, the runtime's dump has %d"
              % (doc["goroutines"], len(dump)))
        # The sums ran and ended: none is left to match.
        doc, _ = run_json("check", "--json", "--expect-none", "sumInBackground", srv.pid,
                          codes=(0,))
        check(not doc["problems"], "expect-none on the healthy server: %r" % doc["problems"])


def test_diff_certain_leaks_rank_first():
    """Goroutines that can never wake (nil channel, select {}) are suspects
    ranked before anything else, even in a diff where nothing grew."""
    label, path = fixture_paths(builds=("leaks",), cgo=False)[-1]
    fx = GoFixture(label, path)
    try:
        fx.wait_ready()
        want = {goid for goid, g in oracle(fx).items() if role(g) in LEAKED}
        fx.wait_main_reads()
        doc, _ = run_json("diff", "--json", "--interval", "500ms", fx.pid, codes=(1,))
        check_ranks(doc)
        leaked = [g for g in doc["groups"] if g["kind"] == "goroutine" and g["leaked"]]
        check({i for g in leaked for i in g["goids"]} == want,
              "leaked groups hold %s, the runtime's dump says %s"
              % (sorted(i for g in leaked for i in g["goids"]), sorted(want)))
        check(all(g["suspect"] and g["rank"] <= len(leaked) for g in leaked),
              "certain leaks first: %s" % [(where(g), g["rank"]) for g in leaked])
        check(all(g["growth"] == 0 for g in leaked), "growth %r" % [g["growth"] for g in leaked])
    finally:
        fx.close()


def test_diff_threads_of_a_c_program():
    """Two snapshots of a C program: no goroutines; the stuck list holds
    threads (the workers waiting on a condition variable that is never
    signalled), not the thread that spins."""
    with Fixture("threads") as fx, TempDir() as tmp:
        a_path, b_path = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
        docs = []
        for p in (a_path, b_path):
            proc = cleak("stack", "--json", fx.pid)
            check(proc.returncode == 0, proc.stderr)
            with open(p, "w") as f:
                f.write(proc.stdout)
            docs.append(json.loads(proc.stdout))
            time.sleep(0.3)
        doc, _ = run_json("diff", "--json", a_path, b_path, codes=(0,))
        check(doc["suspects"] == 0, "suspects %r" % doc["suspects"])
        check(not [g for g in doc["groups"] if g["kind"] == "goroutine"],
              "goroutine groups in a C program")
        check(doc["threads"]["before"] == len(docs[0]["threads"])
              and doc["threads"]["after"] == len(docs[1]["threads"]),
              "threads %r" % doc["threads"])
        stuck = doc["stuck"]
        check(stuck and all("tid" in t and "goid" not in t for t in stuck),
              "stuck: %r" % [sorted(t)[:6] for t in stuck])
        tids = {t["tid"] for t in stuck}
        workers = {t["tid"] for t in docs[1]["threads"] if t["name"] == "worker"}
        spinner = {t["tid"] for t in docs[1]["threads"] if t["name"] == "spinner"}
        check(len(workers) == 5 and workers <= tids, "workers %s, stuck %s"
              % (sorted(workers), sorted(tids)))
        check(not spinner & tids, "the spinning thread is listed stuck")
        for t in stuck:
            check(0 <= t["group"] < len(doc["groups"]) and
                  doc["groups"][t["group"]]["kind"] == "thread", "stuck thread %d: group %r"
                  % (t["tid"], t.get("group")))


def snapshots_between(fx, tmp, n, command=None, answer=None):
    """n snapshots of fx saved in tmp, with `command` (if any) asked
    between each two; returns their paths."""
    paths = []
    for i in range(n):
        if i and command:
            check(fx.ask(command) == answer, "%s did not answer %r" % (command, answer))
        proc = cleak("stack", "--json", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        paths.append(os.path.join(tmp, "s%d.json" % i))
        with open(paths[-1], "w") as f:
            f.write(proc.stdout)
    return paths


def test_diff_thread_that_changed_its_wait_is_moved_not_new():
    """A thread that sat in pthread_cond_wait for a whole interval, then
    went to pthread_cond_timedwait: no thread appeared, so no group grew
    and nothing is a suspect; the thread is reported as moved."""
    with Fixture("moving-thread") as fx, TempDir() as tmp:
        paths = snapshots_between(fx, tmp, 2)
        check(fx.ask("move") == "moved", "the thread did not move")
        proc = cleak("stack", "--json", fx.pid)
        paths.append(os.path.join(tmp, "s2.json"))
        with open(paths[-1], "w") as f:
            f.write(proc.stdout)
        doc, _ = run_json("diff", "--json", *paths, codes=(0,))
        check(doc["suspects"] == 0 and doc["unconfirmed"] == 0, "suspects: %r" % [
            g["why"] for g in doc["groups"] if g["suspect"]])
        check(doc["threads"]["appeared"] == [] and doc["threads"]["ended"] == [],
              "threads appeared or ended: %r" % doc["threads"])
        check(all(g["growth"] <= 0 for g in doc["groups"]),
              "growth: %r" % [(g["wait"], g["growth"]) for g in doc["groups"] if g["growth"]])
        moved_in = [g for g in doc["groups"] if g["moved_in"]]
        moved_out = [g for g in doc["groups"] if g["moved_out"]]
        check(len(moved_in) == 1 and moved_in[0]["moved_in"] == 1 and moved_in[0]["after"] == 1
              and moved_in[0]["growth"] == 0, "the group it moved to: %r"
              % [(g["wait"], g["before"], g["after"], g["growth"]) for g in moved_in])
        check(len(moved_out) == 1 and moved_out[0]["moved_out"] == 1,
              "the group it left: %r" % moved_out)
        text = cleak("diff", *paths)
        check(text.returncode == 0 and "moved: 1 in, 0 out" in text.stdout,
              "text: exit %d, %r" % (text.returncode, text.stdout[-800:]))


def test_diff_threads_passing_through_are_no_growth():
    """Threads that pass through two waits and end, one a step (a
    pipeline's stages): every count stays the same, so no group grew,
    whatever members moved."""
    with Fixture("stages", "pipeline") as fx, TempDir() as tmp:
        for _ in range(2):
            check(fx.ask("step") == "stepped", "no step")
        paths = snapshots_between(fx, tmp, 4, "step", "stepped")
        doc, _ = run_json("diff", "--json", *paths, codes=(0,))
        check(doc["suspects"] == 0, "suspects: %r" % [g["why"] for g in doc["groups"]
                                                      if g["suspect"]])
        check(all(g["growth"] == 0 for g in doc["groups"]), "growth: %r"
              % [(g["wait"], g["counts"], g["growth"]) for g in doc["groups"] if g["growth"]])
        proc = cleak("check", "--json", "--max-growth", "0", "--interval", "200ms", fx.pid)
        check(proc.returncode == 0, "check --max-growth 0 on a steady pipeline: exit %d %s"
              % (proc.returncode, proc.stdout[-600:]))


def test_diff_leak_reached_through_another_wait():
    """Threads that wait a step in one place, then stay for good in
    another: the second place grows by one a step, and is the suspect,
    although its members moved in from the first."""
    marks_ = marks("stages.c")
    with Fixture("stages", "leak") as fx, TempDir() as tmp:
        check(fx.ask("step") == "stepped", "no step")
        paths = snapshots_between(fx, tmp, 4, "step", "stepped")
        doc, _ = run_json("diff", "--json", *paths, codes=(1,))
        suspects = [g for g in doc["groups"] if g["suspect"]]
        check(len(suspects) == 1, "suspects: %r" % [(g["frames"][4]["line"] if len(g["frames"])
                                                     > 4 else None, g["why"]) for g in suspects])
        lines = [f["line"] for f in suspects[0]["frames"]]
        check(marks_["second"] in lines and suspects[0]["interval_growth"] == [1, 1, 1],
              "the suspect waits at lines %r with growth %r, the leak is at line %d"
              % (lines, suspects[0]["interval_growth"], marks_["second"]))


def leaks_snapshot_text():
    """cleak stack --json of the newest leaks fixture, as saved."""
    label, path = [p for p in fixture_paths(builds=("leaks",), cgo=False)][-1]
    fx = GoFixture(label, path)
    try:
        fx.wait_ready()
        proc = cleak("stack", "--json", fx.pid)
        check(proc.returncode == 0, proc.stderr)
    finally:
        fx.close()
    return proc.stdout


def test_diff_goroutine_that_changed_its_wait_is_moved_not_new():
    """The same for a goroutine: a saved snapshot of the leaks fixture,
    the same a second later, and a copy in which one goroutine waits
    elsewhere (as if it had moved from a receive to a select after a
    whole interval): growth 0, no suspect, moved."""
    text = leaks_snapshot_text()
    docs = [json.loads(text) for _ in range(3)]
    for i, doc in enumerate(docs):
        doc["time_unix_ms"] += 1000 * i
    mover = [g for g in docs[2]["goroutines"] if g["frames"] and
             g["frames"][-1]["function"] == "main.drainForever"]
    check(len(mover) == 1, "no drainForever goroutine")
    mover[0]["wait_reason"] = "select"
    mover[0]["header"] = "select"
    mover[0]["frames"][0]["line"] += 1
    with TempDir() as tmp:
        paths = [os.path.join(tmp, "s%d.json" % i) for i in range(3)]
        for doc, p in zip(docs, paths):
            with open(p, "w") as f:
                json.dump(doc, f)
        # exit 1: the fixture's goroutines on nil channels are suspects
        doc, _ = run_json("diff", "--json", *paths, codes=(1,))
    moved = [g for g in doc["groups"] if g["moved_in"]]
    check(len(moved) == 1 and moved[0]["wait"] == "select" and moved[0]["growth"] == 0
          and not moved[0]["suspect"], "the group it moved to: %r"
          % [(g["wait"], g["growth"], g["suspect"], g["why"]) for g in moved])
    check(all(g["growth"] <= 0 for g in doc["groups"]), "growth: %r"
          % [(g["wait"], g["growth"]) for g in doc["groups"] if g["growth"]])
    check(all(g["leaked"] for g in doc["groups"] if g["suspect"]), "suspects other than "
          "the certain leaks: %r" % [g["why"] for g in doc["groups"] if g["suspect"]])


def test_diff_pile_is_a_suspect_over_one_interval():
    """A pile of stuck goroutines on a channel nobody serves is a suspect
    even over a single interval, when its group also grew (growth alone
    would give no verdict there)."""
    text = leaks_snapshot_text()
    a, b = json.loads(text), json.loads(text)
    b["time_unix_ms"] += 1000
    replicas = [i for i, g in enumerate(a["goroutines"]) if g["frames"] and
                g["frames"][-1]["function"] == "main.queryReplica"]
    check(len(replicas) == 3, "queryReplica goroutines: %d" % len(replicas))
    del a["goroutines"][replicas[-1]]
    with TempDir() as tmp:
        paths = [os.path.join(tmp, n) for n in ("a.json", "b.json")]
        for doc, p in zip((a, b), paths):
            with open(p, "w") as f:
                json.dump(doc, f)
        doc, _ = run_json("diff", "--json", "--pile", "2", *paths, codes=(1,))
    g = [g for g in doc["groups"] if g["frames"] and
         g["frames"][-1]["function"] == "main.queryReplica"]
    check(len(g) == 1 and g[0]["suspect"] and "stuck on one channel" in (g[0]["why"] or "")
          and g[0]["growth"] == 1, "the replicas: %r" % [(x["growth"], x["suspect"], x["why"],
                                                         x["unconfirmed"]) for x in g])


def test_diff_saved_snapshot_errors():
    """A truncated or missing snapshot file: exit 2, naming the file.

    (Two snapshots of different programs are not checked: the spec does
    not say what diff makes of them.  cleak now exits 2 for a Go program's
    snapshot against a C program's: "... are not of the same program".)"""
    with Fixture("threads") as fx, TempDir() as tmp:
        good, bad = os.path.join(tmp, "good.json"), os.path.join(tmp, "truncated.json")
        proc = cleak("stack", "--json", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        with open(good, "w") as f:
            f.write(proc.stdout)
        with open(bad, "w") as f:
            f.write(proc.stdout[:len(proc.stdout) // 2])
        for files, named in (((good, bad), "truncated.json"), ((bad, good), "truncated.json"),
                             ((good, os.path.join(tmp, "absent.json")), "absent.json")):
            proc = cleak("diff", "--json", *files)
            check(proc.returncode == 2, "diff %s: exit %d, expected 2" % (
                [os.path.basename(f) for f in files], proc.returncode))
            check(named in proc.stderr, "the message must name %s: %r" % (named, proc.stderr))
            check(proc.stdout == "", "stdout %r" % proc.stdout[:200])


# ---- cleak check ---------------------------------------------------------

def test_check_leaky_server():
    """--max-growth while the load runs, --expect-none and --max-goroutines
    after it: each a problem, exit 1, matching the runtime's dump; without
    those options a leaky server still passes (its goroutines could wake)."""
    with Server("leaky") as srv:
        proc = start_cleak("check", "--json", "--max-growth", "0", "--interval", "2s", srv.pid)
        try:
            time.sleep(0.5)
            srv.sums()
            out, err = finish(proc)
        finally:
            stop(proc)
        check(proc.returncode == 1, "--max-growth 0: exit %d: %s" % (proc.returncode, err))
        doc = parse(out, "cleak check --max-growth 0")
        check(doc["healthy"] is False, "healthy %r" % doc["healthy"])
        growth = problems(doc, "growth")
        check(growth, "no growth problem: %r" % doc["problems"])
        dump = srv.wait_at({"sum-send": SUM_REQUESTS})
        sum_groups = [g for p in growth for g in p["groups"]
                      if g["frames"] and g["frames"][0]["line"] == M["sum-send"]
                      and (g["frames"][0]["file"] or "").endswith(MAIN_GO)]
        check(len(sum_groups) == 1 and sum_groups[0]["growth"] == SUM_REQUESTS,
              "the growth problem's groups at sum-send: %r" % [(g["growth"], g["after"])
                                                               for g in sum_groups])
        want = srv.at(dump, "sum-send")

        # Always on: certain leaks and deadlocks; the sums could still be received.
        doc, _ = run_json("check", "--json", srv.pid, codes=(0,))
        check(doc["healthy"] is True and not doc["problems"], "plain check: %r" % doc["problems"])

        doc, _ = run_json("check", "--json", "--expect-none", "sumInBackground", srv.pid,
                          codes=(1,))
        found = problems(doc, "expect-none")
        check(len(found) == 1 and set(found[0]["goroutines"]) == want,
              "expect-none sumInBackground: %r; the runtime's dump has %s at sum-send"
              % ([(p["message"], p["goroutines"]) for p in found], sorted(want)))
        # The regex also meets each frame's file:line.
        doc, _ = run_json("check", "--json", "--expect-none", r"servers/main\.go:%d$"
                          % M["sum-send"], srv.pid, codes=(1,))
        found = problems(doc, "expect-none")
        check(len(found) == 1 and set(found[0]["goroutines"]) == want,
              "expect-none on file:line: %r" % [p["goroutines"] for p in found])
        # A handler no goroutine is in now: nothing matches.
        doc, _ = run_json("check", "--json", "--expect-none", "logsContainer", srv.pid,
                          codes=(0,))

        doc, _ = run_json("check", "--json", "--max-goroutines", "5", srv.pid, codes=(1,))
        check(problems(doc, "max-goroutines"), "no max-goroutines problem: %r" % doc["problems"])
        check(doc["goroutines"] == len(dump), "goroutines %r, the runtime's dump has %d"
              % (doc["goroutines"], len(dump)))
        proc = cleak("check", "--max-goroutines", "5", srv.pid)
        check(proc.returncode == 1, "text: exit %d" % proc.returncode)
        check(proc.stdout.startswith("cleak check: pid %d (servers): " % srv.pid)
              and "max-goroutines: %d goroutines, more than 5" % len(dump) in proc.stdout,
              proc.stdout[:1000])


def test_check_certain_leaks_and_ignore_rules():
    """The leaks fixture's nil-channel and select {} goroutines are the
    "leaked" problem; ignore rules (options, prefixes, a file) drop them."""
    label, path = fixture_paths(builds=("leaks",), cgo=False)[-1]
    fx = GoFixture(label, path)
    try:
        fx.wait_ready()
        dump = oracle(fx)
        want = {goid for goid, g in dump.items() if role(g) in LEAKED}
        by_start = {goid for goid, g in dump.items()
                    if g["created_by"] and g["created_by"]["function"] == "main.start"}
        check(len(want) == 3 and want <= by_start, "fixture: leaked %s" % sorted(want))
        fx.wait_main_reads()

        doc, _ = run_json("check", "--json", fx.pid, codes=(1,))
        leaked = problems(doc, "leaked")
        check(len(leaked) == 1 and set(leaked[0]["goroutines"]) == want,
              "leaked problem %r; the runtime's dump says %s"
              % ([p["goroutines"] for p in leaked], sorted(want)))
        check(leaked[0]["groups"] and all(g["leaked"] for g in leaked[0]["groups"]),
              "the leaked problem's groups: %r" % [where(g) for g in leaked[0]["groups"]])
        proc = cleak("check", fx.pid)
        check(proc.returncode == 1 and "\n  leaked: " in proc.stdout, proc.stdout[:1000])

        with TempDir() as tmp:
            rules = os.path.join(tmp, "ignore")
            with open(rules, "w") as f:
                f.write("# the certain leaks this fixture parks on purpose\n\n"
                        "top main.nilReceive\n"
                        "top main.nilSend   # a send on a nil channel\n"
                        "   \n"
                        "top main.selectNothing\n")
            for args in (["--ignore-top", "main.nilReceive", "--ignore-top", "main.nilSend",
                          "--ignore-top", "main.selectNothing"],
                         ["--ignore-top", "main.nil*", "--ignore-top", "main.selectNothing"],
                         ["--ignore-file", rules]):
                doc, _ = run_json("check", "--json", *(args + [fx.pid]))
                check(not problems(doc, "leaked"), "%s: still %r" % (args, problems(doc, "leaked")))
                check(doc["ignored"] == 3, "%s: ignored %r, expected 3" % (args, doc["ignored"]))
            doc, _ = run_json("check", "--json", "--ignore-created-by", "main.start", fx.pid)
            check(not problems(doc, "leaked"), "--ignore-created-by main.start: %r"
                  % problems(doc, "leaked"))
            check(doc["ignored"] == len(by_start), "--ignore-created-by main.start: ignored %r, "
                  "the runtime's dump has %d goroutines created by main.start"
                  % (doc["ignored"], len(by_start)))

            with open(rules, "w") as f:
                f.write("top main.nilReceive\n# fine\nbottom main.nilSend\n")
            proc = cleak("check", "--ignore-file", rules, fx.pid)
            check(proc.returncode == 64 and "%s:3" % rules in proc.stderr,
                  "a bad rule on line 3: exit %d, %r" % (proc.returncode, proc.stderr))
    finally:
        fx.close()


def test_check_settle():
    """Right after a burst of slow requests the healthy server is over its
    goroutine budget; --settle looks again until the burst is over."""
    with Server("healthy") as srv:
        base = srv.count()
        limit = base + 2
        done = []

        def slow():
            done.append(srv.get("/run?sleep=2", timeout=15)[0])
        clients = [threading.Thread(target=slow) for _ in range(RUN_REQUESTS)]
        try:
            for t in clients:
                t.start()
            check(wait_until(lambda: srv.count() > limit + 10, timeout=5, step=0.02),
                  "the burst never showed: %d goroutines" % srv.count())
            burst = time.monotonic()
            srv.wait_main_reads()
            doc, _ = run_json("check", "--json", "--max-goroutines", limit, srv.pid, codes=(1,))
            check(problems(doc, "max-goroutines"), "during the burst: %r" % doc["problems"])
            started = time.monotonic() - burst
            doc, proc = run_json("check", "--json", "--max-goroutines", limit, "--settle", "5s",
                                 srv.pid, codes=(0,))
            check(doc["healthy"] is True, "healthy %r" % doc["healthy"])
            # The requests last 2 s: one begun well within them failed first.
            if started < 1.0:
                check(doc["attempts"] > 1, "attempts %r, though it began %.2f s into a 2 s "
                      "burst" % (doc["attempts"], started))
        finally:
            for t in clients:
                t.join(20)
        check(done == [200] * RUN_REQUESTS, "the slow requests: %r" % done)


def test_check_diff_watch_errors():
    """A process that does not exist: exit 2 and a message; a pid that is
    not a number, a bad duration: usage errors (64)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    for args in (["check"], ["check", "--json"], ["diff", "--interval", "500ms"],
                 ["watch", "--count", "1"]):
        proc = cleak(*(args + [gone.pid]), timeout=30)
        check(proc.returncode == 2, "%s on a missing process: exit %d" % (args, proc.returncode))
        check(proc.stderr.strip(), "%s on a missing process: no message" % args)
    for args in (["check", "12ab"], ["watch", "12ab"]):
        proc = cleak(*args)
        check(proc.returncode == 64, "%s: exit %d, expected 64" % (args, proc.returncode))
    # Bad options with a live pid (a process of our own), so that the usage
    # error is not confused with a missing process.
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for args in (["check", "--max-growth", "0", "--interval", "2x"],
                     ["check", "--max-goroutines", "x"],
                     ["diff", "--interval", "soon"], ["watch", "--interval", "-1s"]):
            proc = cleak(*(args + [sleeper.pid]), timeout=30)
            check(proc.returncode == 64, "%s: exit %d, expected 64" % (args, proc.returncode))
    finally:
        sleeper.kill()
        sleeper.wait()


# ---- cleak watch ---------------------------------------------------------

def read_line(proc, timeout):
    """One line of a running cleak's stdout, with a deadline."""
    ready = select.select([proc.stdout], [], [], timeout)[0]
    check(ready, "no line from cleak %s in %.0f s" % (" ".join(proc.args[1:]), timeout))
    return proc.stdout.readline()


def read_rest(proc, timeout):
    """The rest of a running cleak's stdout and stderr, once it has ended;
    read from the same buffered files as read_line (communicate would read
    the descriptors and miss what they buffered)."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait()
    finally:
        timer.cancel()
    check(proc.returncode != -9, "cleak %s did not end in %.0f s: %r"
          % (" ".join(proc.args[1:]), timeout, out[-500:]))
    return out, err


def test_watch_leaky_server():
    """cleak watch --json while 50 requests leak: three lines, goroutines
    never fewer, the last as many as cleak stack counts right after."""
    with Server("leaky") as srv:
        base = cleak_goroutines(srv)
        proc = start_cleak("watch", "--json", "--interval", "500ms", "--count", "3", srv.pid)
        try:
            first = read_line(proc, 10)
            srv.sums()
            out, err = read_rest(proc, 10)
        finally:
            stop(proc)
        check(proc.returncode == 0, "exit %d: %s" % (proc.returncode, err))
        lines = [parse(l, "watch line") for l in [first] + out.splitlines() if l.strip()]
        check(len(lines) == 3, "%d lines for --count 3" % len(lines))
        counts = [l["goroutines"] for l in lines]
        check(counts[0] == base, "first line: %r goroutines, cleak stack said %d (the load "
              "began after it)" % (counts[0], base))
        check(counts == sorted(counts), "goroutines went down: %r" % counts)
        for prev, cur in zip(lines, lines[1:]):
            check(cur["goroutines_change"] == cur["goroutines"] - prev["goroutines"],
                  "goroutines_change %r for %r" % (cur["goroutines_change"], counts))
            check(cur["time_unix_ms"] - prev["time_unix_ms"] >= 400, "times %r"
                  % [l["time_unix_ms"] for l in lines])
        last = lines[-1]
        check(last["goroutines_since_start"] == last["goroutines"] - counts[0],
              "goroutines_since_start %r for %r" % (last["goroutines_since_start"], counts))
        check(SUM_REQUESTS <= last["goroutines_since_start"] <= SUM_REQUESTS + 2,
              "goroutines_since_start %r after %d leaking requests"
              % (last["goroutines_since_start"], SUM_REQUESTS))
        check(last["waits"].get("chan send", 0) >= SUM_REQUESTS, "waits %r" % last["waits"])
        check(last["threads"] == len(os.listdir("/proc/%d/task" % srv.pid)),
              "threads %r" % last["threads"])
        after = cleak_goroutines(srv)
        check(abs(last["goroutines"] - after) <= 2, "last line: %r goroutines, cleak stack "
              "counts %d right after" % (last["goroutines"], after))
        srv.wait_at({"sum-send": SUM_REQUESTS})


def cleak_goroutines(srv):
    srv.wait_main_reads()
    proc = cleak("stack", "--json", srv.pid)
    check(proc.returncode in (0, 1), proc.stderr)
    return json.loads(proc.stdout)["go"]["goroutines"]
