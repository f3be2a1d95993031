#!/usr/bin/env python3
"""How `cleak stack` compares with eu-stack and gdb on a many-threaded process.

Run it through bench/stack.sh (or `make bench`), which builds what it needs.
The target is build/fixtures/many-threads (tests/fixtures/many-threads.c):
N worker threads D frames deep, a heartbeat thread that records the longest
delay in its 1 ms wakeups, and epoll_wait(-1) threads that count EINTR.

What is measured, per configuration (threads x depth):

  wall     each tool's wall time, runs interleaved round by round (the order
           rotates every round), after one unrecorded warm-up run of each
  stall    before each run the heartbeat's record is reset; after it the
           largest delay is read (`gap`).  Right after, the same is done over
           an idle period as long as the run: the baseline jitter
  EINTR    the target's EINTR count before and after every run
  capture  cleak's own figures from --json (capture.wall_us, pause_us,
           max_thread_pause_us)

and, for the main configuration, a block of back-to-back runs counting EINTR
(20 cleak, 20 cleak --freeze, 5 eu-stack, 3 gdb by default).

Everything is printed as tables and written as Markdown to bench/results.md.
"""
import argparse
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# CLEAK=/path/to/cleak measures another build (bench/stack.sh then builds
# only the fixture).
CLEAK = os.environ.get("CLEAK") or os.path.join(ROOT, "build", "cleak")
FIXTURE = os.path.join(ROOT, "build", "fixtures", "many-threads")
DEFAULT_OUT = os.path.join(ROOT, "bench", "results.md")

# Every fixture process still alive, so that any exit path can end them.
LIVE_FIXTURES = []


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- fixture

class Fixture:
    """build/fixtures/many-threads, driven through a pipe on its stdin."""

    def __init__(self, nworkers, depth, mode="mix", start_timeout=120):
        self.nworkers, self.depth, self.mode = nworkers, depth, mode
        self.proc = subprocess.Popen([FIXTURE, str(nworkers), str(depth), mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        LIVE_FIXTURES.append(self)
        self.pid = self.proc.pid
        self._buf = b""
        line = self._readline(start_timeout)
        if not line.startswith("ready "):
            self.close()
            raise BenchError("many-threads %d %d did not start: %r" % (nworkers, depth, line))
        info = self.ask("info")
        self.kinds = dict(kv.split("=") for kv in info.split()[1:])
        self.kinds = {k: int(v) for k, v in self.kinds.items()}
        # main, heartbeat and epoll-eintr come on top of the workers.
        self.nthreads = nworkers + 3
        # epoll_wait(-1) callers whose EINTRs the `eintr` command counts.
        self.epoll_waiters = self.kinds.get("epoll", 0) + 1

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError("many-threads (pid %d) did not answer within %.0f s "
                                 "(stopped by a tool?)" % (self.pid, timeout))
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise BenchError("many-threads (pid %d) exited" % self.pid)
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode().strip()

    def ask(self, command, timeout=30):
        self.proc.stdin.write((command + "\n").encode())
        self.proc.stdin.flush()
        return self._readline(timeout)

    def reset(self):
        answer = self.ask("reset")
        if answer != "ok":
            raise BenchError("fixture answered %r to reset" % answer)

    def gap_us(self):
        return int(self.ask("gap").split()[1])

    def eintr(self):
        return int(self.ask("eintr").split()[1])

    def main_state(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return "?"

    def stopped_threads(self):
        """Threads in state T or t (stopped, or stopped by a tracer)."""
        stopped = 0
        task = "/proc/%d/task" % self.pid
        for tid in os.listdir(task):
            try:
                with open("%s/%s/stat" % (task, tid)) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state in ("T", "t"):
                stopped += 1
        return stopped

    def close(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGCONT)	# in case a tool left it stopped
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait()
        if self in LIVE_FIXTURES:
            LIVE_FIXTURES.remove(self)


def kill_all_fixtures():
    for fx in list(LIVE_FIXTURES):
        try:
            fx.proc.kill()
            fx.proc.wait(timeout=10)
        except Exception:
            pass
        if fx in LIVE_FIXTURES:
            LIVE_FIXTURES.remove(fx)


# ---------------------------------------------------------------- tools

def count_cleak_text(out):
    m = re.search(r"^(\d+) threads?, captured", out, re.M)
    return int(m.group(1)) if m else None


def count_cleak_json(out):
    try:
        return len(json.loads(out)["threads"])
    except (ValueError, KeyError, TypeError):
        return None


def count_eu_stack(out):
    return len(re.findall(r"^TID \d+:", out, re.M))


def count_gdb(out):
    return len(re.findall(r"^Thread \d+ \(", out, re.M))


class Tool:
    def __init__(self, key, label, argv, count, timeout, ok_rcs=(0,), json_out=False,
                 other=False):
        self.key, self.label = key, label
        self.argv = argv		# function pid -> argv
        self.count = count		# function output -> threads shown
        self.timeout = timeout
        self.ok_rcs = ok_rcs
        self.json_out = json_out
        self.other = other		# run on the bystander, not on the target

    def command(self, pid="PID"):
        return " ".join(shlex.quote(a) for a in self.argv(str(pid)))


def make_tools(have_eu, have_gdb):
    rel = os.path.relpath(CLEAK, ROOT)
    tools = {
        "cleak": Tool("cleak", "cleak stack", lambda p: [CLEAK, "stack", p],
                      count_cleak_text, 300),
        "cleak-all": Tool("cleak-all", "cleak stack --all", lambda p: [CLEAK, "stack", "--all", p],
                          count_cleak_text, 300),
        "cleak-freeze": Tool("cleak-freeze", "cleak stack --freeze",
                             lambda p: [CLEAK, "stack", "--freeze", p],
                             count_cleak_text, 300),
        "cleak-json": Tool("cleak-json", "cleak stack --json",
                           lambda p: [CLEAK, "stack", "--json", p],
                           count_cleak_json, 300, json_out=True),
        "cleak-freeze-json": Tool("cleak-freeze-json", "cleak stack --json --freeze",
                                  lambda p: [CLEAK, "stack", "--json", "--freeze", p],
                                  count_cleak_json, 300, json_out=True),
        "cleak-other": Tool("cleak-other", "cleak stack on another process",
                            lambda p: [CLEAK, "stack", p], count_cleak_text, 300,
                            other=True),
    }
    if have_eu:
        tools["eu-stack"] = Tool("eu-stack", "eu-stack -i -s",
                                 lambda p: ["eu-stack", "-i", "-s", "-p", p],
                                 count_eu_stack, 600)
    if have_gdb:
        tools["gdb"] = Tool("gdb", "gdb thread apply all bt",
                            lambda p: ["gdb", "-batch", "-p", p, "-ex", "thread apply all bt"],
                            count_gdb, 1200)
    for t in tools.values():
        t.display = t.command().replace(CLEAK, rel)
    tools["cleak-other"].display = "%s stack OTHER_PID (a second fixture)" % rel
    return tools


def tool_env():
    env = dict(os.environ)
    # No tool may go to the network for debug info: the same files for all.
    env.pop("DEBUGINFOD_URLS", None)
    env["LC_ALL"] = "C"
    return env


def left_stopped(fx):
    """How many of the fixture's threads a tool left stopped (looked at twice,
    50 ms apart); sends SIGCONT if there are any."""
    n = fx.stopped_threads()
    if n:
        time.sleep(0.05)
        n = fx.stopped_threads()
    if n:
        os.kill(fx.pid, signal.SIGCONT)
    return n


def read_runq_wait(pid):
    """Seconds the process's main thread spent runnable but not running
    (/proc/PID/schedstat, second field), or None."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def exit_code(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class Run:
    """One run of a tool on the target, and the baseline idle period after it."""

    def __init__(self, tool, config):
        self.tool, self.config = tool, config
        self.wall = self.cpu = None
        self.runq_wait = None	# main thread runnable, waiting for a CPU
        self.majflt = None
        self.read_mb = None	# read from disk (page cache misses)
        self.rc = None
        self.shown = None
        self.gap_us = None
        self.idle_gap_us = None
        self.eintr = None
        self.stopped_after = 0
        self.capture = None
        self.problem = None


def run_tool(tool, fx, target, env, scratch, config, record_gap=True, idle=True):
    """Run `tool` once against `target` (the fixture or the bystander).

    The fixture `fx` is the one whose heartbeat and EINTR count are read."""
    r = Run(tool, config)
    e0 = fx.eintr()
    if record_gap:
        fx.reset()
    scratch.seek(0)
    scratch.truncate()
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(tool.argv(str(target.pid)), stdout=scratch, stderr=err,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        timed_out = []

        def on_timeout():
            timed_out.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        timer = threading.Timer(tool.timeout, on_timeout)
        timer.daemon = True	# never keeps the benchmark from exiting
        timer.start()
        try:
            # Stop the clock when the tool exits, then read what its zombie
            # still tells (time spent waiting for a CPU) before reaping it.
            os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
            r.wall = time.perf_counter() - t0
            r.runq_wait = read_runq_wait(p.pid)
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): the tool goes too.
            on_timeout()
            p.wait()
            raise
        finally:
            timer.cancel()
        r.majflt = ru.ru_majflt
        r.read_mb = ru.ru_inblock * 512 / 1e6
        p.returncode = r.rc = exit_code(status)
        r.cpu = ru.ru_utime + ru.ru_stime
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    # A target left group-stopped could not answer: a cheap look at its main
    # thread first (SIGCONT if need be), the full look at every thread after.
    found_stopped = 0
    for f in {fx, target}:
        if f.main_state() in ("T", "t"):
            found_stopped += left_stopped(f)
    if record_gap:
        r.gap_us = fx.gap_us()
    r.eintr = fx.eintr() - e0
    r.stopped_after = found_stopped + left_stopped(fx) + \
        (left_stopped(target) if tool.other else 0)
    scratch.seek(0)
    out = scratch.read().decode(errors="replace")
    r.shown = tool.count(out)
    if tool.json_out and r.shown is not None:
        r.capture = json.loads(out)["capture"]
    problems = []
    if timed_out:
        problems.append("killed after %d s" % tool.timeout)
    if r.rc not in tool.ok_rcs:
        problems.append("exit status %s: %s" % (r.rc, stderr.strip()[:300]))
    if tool.json_out and r.shown is not None:
        bad = [t for t in json.loads(out)["threads"] if t.get("error") or t.get("truncated")]
        if bad:
            problems.append("%d thread(s) incomplete, e.g. %s: %s" % (
                len(bad), bad[0].get("name"), bad[0].get("error")))
    if r.shown != target.nthreads:
        problems.append("showed %s of %d threads" % (r.shown, target.nthreads))
    if r.stopped_after:
        problems.append("left %d thread(s) stopped (T/t state); sent SIGCONT"
                        % r.stopped_after)
    if problems:
        r.problem = "; ".join(problems)
    if record_gap and idle:
        fx.reset()
        time.sleep(r.wall)
        r.idle_gap_us = fx.gap_us()
    return r


# ---------------------------------------------------------------- statistics

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values, fmt):
    """'median [min-max]' of the values, formatted with fmt (value -> str)."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return "%s [%s-%s]" % (fmt(statistics.median(values)), fmt(min(values)), fmt(max(values)))


def f_ms(seconds):
    ms = seconds * 1000.0
    if ms >= 100:
        return "%.0f" % ms
    if ms >= 10:
        return "%.1f" % ms
    return "%.2f" % ms


def f_us_as_ms(us):
    return f_ms(us / 1e6)


def f_ratio(x):
    return "%.3f" % x


def f_int(x):
    return "%d" % x


# ---------------------------------------------------------------- tables

class Table:
    def __init__(self, title, headers, note=None):
        self.title, self.headers, self.rows, self.note = title, headers, [], note

    def add(self, *row):
        self.rows.append([str(c) for c in row])

    def text(self):
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row)]
        lines = [self.title, "-" * len(self.title)]
        fmt = "  ".join("%%-%ds" % w for w in widths)
        lines.append(fmt % tuple(self.headers))
        for row in self.rows:
            lines.append(fmt % tuple(row))
        if self.note:
            lines.append(self.note)
        return "\n".join(l.rstrip() for l in lines)

    def markdown(self):
        lines = ["### " + self.title, ""]
        if self.note:
            lines += [self.note, ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        return "\n".join(lines)


# ---------------------------------------------------------------- the benchmark

class Config:
    def __init__(self, nworkers, depth, main=False):
        self.nworkers, self.depth, self.main = nworkers, depth, main

    @property
    def name(self):
        if self.nworkers == 0:
            return "no workers (3 threads), depth %d" % self.depth
        return "%d threads, depth %d" % (self.nworkers, self.depth)


def log(msg):
    print(msg, flush=True)


def run_config(cfg, tools, args, env, scratch, runs, problems):
    log("== %s: starting the fixture" % cfg.name)
    t0 = time.monotonic()
    fx = Fixture(cfg.nworkers, cfg.depth)
    bystander = None
    try:
        log("   pid %d, %d threads (%s), ready after %.1f s"
            % (fx.pid, fx.nthreads, ", ".join("%s=%d" % kv for kv in sorted(fx.kinds.items())),
               time.monotonic() - t0))
        lineup = ["cleak", "cleak-all", "cleak-freeze", "cleak-json", "cleak-freeze-json"]
        if "eu-stack" in tools:
            lineup.append("eu-stack")
        if "gdb" in tools and cfg.nworkers <= args.gdb_max_threads:
            lineup.append("gdb")
        if cfg.main:
            # No busy loops in the bystander: they would take CPU from
            # everything measured on the target.
            bystander = Fixture(cfg.nworkers, cfg.depth, "blocked")
            lineup.append("cleak-other")
        # Warm-up: one unrecorded run of each tool (page cache, debug files).
        done = []
        for key in lineup:
            tool = tools[key]
            r = run_tool(tool, fx, bystander if tool.other else fx, env, scratch, cfg,
                         record_gap=False)
            done.append("%s %s" % (key, f_ms(r.wall)))
            if r.problem:
                problems.append("%s, warm-up %s: %s" % (cfg.name, tool.display, r.problem))
        log("   warm-up (not counted): %s" % ", ".join(done))
        for rnd in range(args.reps):
            order = lineup[rnd % len(lineup):] + lineup[:rnd % len(lineup)]
            done = []
            for key in order:
                if key == "gdb" and rnd >= args.gdb_reps:
                    continue
                tool = tools[key]
                r = run_tool(tool, fx, bystander if tool.other else fx, env, scratch, cfg)
                r.round = rnd
                runs.append(r)
                done.append("%s %s" % (key, f_ms(r.wall)))
                if r.problem:
                    problems.append("%s, %s: %s" % (cfg.name, tool.display, r.problem))
            log("   round %d/%d: %s" % (rnd + 1, args.reps, ", ".join(done)))
        eintr_block = None
        if cfg.main:
            eintr_block = run_eintr_block(cfg, fx, tools, args, env, scratch, problems)
        return fx.epoll_waiters, eintr_block
    finally:
        fx.close()
        if bystander:
            bystander.close()


def run_eintr_block(cfg, fx, tools, args, env, scratch, problems):
    plan = [("cleak", args.eintr_cleak), ("cleak-freeze", args.eintr_cleak)]
    if "eu-stack" in tools:
        plan.append(("eu-stack", args.eintr_eu))
    if "gdb" in tools:
        plan.append(("gdb", args.eintr_gdb))
    block = []
    for key, n in plan:
        tool = tools[key]
        before = fx.eintr()
        per_run = []
        for _ in range(n):
            r = run_tool(tool, fx, fx, env, scratch, cfg, record_gap=False)
            per_run.append(r.eintr)
            if r.problem:
                problems.append("%s, EINTR block, %s: %s" % (cfg.name, tool.display, r.problem))
        total = fx.eintr() - before
        block.append((tool, n, total, per_run))
        log("   EINTR: %d x %s -> %d" % (n, tool.display, total))
    return block


def versions(have_eu, have_gdb):
    def first_line(argv):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
            return out.splitlines()[0].strip() if out else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    v = {"cleak": first_line([CLEAK, "--version"])}
    v["eu-stack"] = first_line(["eu-stack", "--version"]) if have_eu else "not installed"
    v["gdb"] = first_line(["gdb", "--version"]) if have_gdb else "not installed"
    return v


def source_state():
    """The commit this tree is at, and whether the library or CLI differ from it."""
    def git(*a):
        try:
            return subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True,
                                  text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    head = git("log", "-1", "--format=commit %h of %cs")
    if not head:
        return "not a git checkout"
    dirty = git("status", "--porcelain", "--", "lib", "cmd", "Makefile")
    return "%s%s" % (head, "; lib/, cmd/ or Makefile MODIFIED since" if dirty else "")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


class RunnableSampler(threading.Thread):
    """Samples the machine's count of runnable tasks (/proc/loadavg, fourth
    field) twice a second: how much else competed for the two CPUs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            try:
                with open("/proc/loadavg") as f:
                    self.samples.append(int(f.read().split()[3].split("/")[0]))
            except (OSError, ValueError, IndexError):
                pass

    def summary(self):
        if not self.samples:
            return "?"
        s = sorted(self.samples)
        return "median %d, 90th percentile %d, max %d (%d samples; the fixture's 2 busy loops " \
               "and the tool being measured count too)" % (
                   statistics.median(s), s[int(len(s) * 0.9)], s[-1], len(s))


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def build_tables(configs, runs, tools, eintr_blocks, epoll_waiters):
    tables = []
    by = {}
    for r in runs:
        by.setdefault((r.config.name, r.tool.key), []).append(r)
    main = next(c for c in configs if c.main) if any(c.main for c in configs) else configs[0]

    def walls(cfg, key):
        return [r.wall for r in by.get((cfg.name, key), [])]

    def paired_ratio(cfg, a, b):
        ra = {r.round: r.wall for r in by.get((cfg.name, a), [])}
        rb = {r.round: r.wall for r in by.get((cfg.name, b), [])}
        return [ra[k] / rb[k] for k in ra if k in rb]

    # 1. wall time, every configuration.
    wall_keys = [k for k in ("cleak", "cleak-all", "cleak-freeze", "cleak-json", "eu-stack", "gdb")
                 if k in tools]
    for cfg in configs:
        t = Table("Wall time, %s (ms)" % cfg.name,
                  ["tool", "runs", "wall ms median [min-max]", "CPU ms", "waiting for CPU ms",
                   "disk read MB", "wall vs eu-stack (paired)"],
                  note="CPU (user+sys, all threads), waiting for a CPU (main thread, "
                       "/proc/PID/schedstat) and disk reads (page-cache misses) are medians.")
        for key in wall_keys:
            rs = by.get((cfg.name, key), [])
            if not rs:
                continue
            ratio = "-"
            if key != "eu-stack" and "eu-stack" in tools:
                ratio = spread(paired_ratio(cfg, key, "eu-stack"), f_ratio)
            t.add(tools[key].display, len(rs), spread([r.wall for r in rs], f_ms),
                  f_ms(med([r.cpu for r in rs])), f_ms(med([r.runq_wait for r in rs]) or 0),
                  "%.1f" % med([r.read_mb for r in rs]), ratio)
        tables.append(t)

    # 2. the headline ratio.
    if "eu-stack" in tools:
        t = Table("cleak stack / eu-stack -i -s wall-time ratio (goal <= 0.2)",
                  ["configuration", "cleak ms", "eu-stack ms", "ratio of medians",
                   "paired ratio median [min-max]", "goal met"])
        for cfg in configs:
            c, e = med(walls(cfg, "cleak")), med(walls(cfg, "eu-stack"))
            if c is None or e is None:
                continue
            pr = paired_ratio(cfg, "cleak", "eu-stack")
            t.add(cfg.name, f_ms(c), f_ms(e), f_ratio(c / e), spread(pr, f_ratio),
                  "yes" if med(pr) <= 0.2 else "NO")
        tables.append(t)

    # 3. target-visible stall.
    stall_keys = [k for k in ("cleak-json", "cleak", "cleak-all", "cleak-freeze-json",
                              "cleak-freeze", "eu-stack", "gdb", "cleak-other") if k in tools]
    for cfg in configs:
        t = Table("Target-visible stall (largest heartbeat delay), %s (ms)" % cfg.name,
                  ["tool", "runs", "delay during run", "delay over equal idle time",
                   "excess (paired)"])
        for key in stall_keys:
            rs = by.get((cfg.name, key), [])
            if not rs:
                continue
            t.add(tools[key].display, len(rs), spread([r.gap_us for r in rs], f_us_as_ms),
                  spread([r.idle_gap_us for r in rs], f_us_as_ms),
                  spread([r.gap_us - r.idle_gap_us for r in rs], f_us_as_ms))
        tables.append(t)

    # 4. cleak's own capture figures.
    t = Table("cleak's own capture figures from --json (ms)",
              ["configuration", "mode", "runs", "capture.wall_us", "capture.pause_us",
               "capture.max_thread_pause_us", "threads stopped", "heartbeat delay"])
    for cfg in configs:
        for key, mode in (("cleak-json", "default"), ("cleak-freeze-json", "--freeze")):
            rs = [r for r in by.get((cfg.name, key), []) if r.capture]
            if not rs:
                continue
            t.add(cfg.name, mode, len(rs),
                  spread([r.capture["wall_us"] for r in rs], f_us_as_ms),
                  spread([r.capture["pause_us"] for r in rs], f_us_as_ms),
                  spread([r.capture["max_thread_pause_us"] for r in rs], f_us_as_ms),
                  spread([r.capture["threads_stopped"] for r in rs], f_int),
                  spread([r.gap_us for r in rs], f_us_as_ms))
    tables.append(t)

    # 5. --freeze goal.
    rs = [r for r in by.get((main.name, "cleak-freeze-json"), []) if r.capture]
    rs += by.get((main.name, "cleak-freeze"), [])
    if rs:
        gaps = [r.gap_us for r in rs]
        pauses = [r.capture["pause_us"] for r in rs if r.capture]
        t = Table("--freeze stall at %s (goal <= 40 ms)" % main.name,
                  ["measure", "runs", "ms median [min-max]", "goal met (median)"])
        t.add("heartbeat delay during --freeze runs", len(gaps), spread(gaps, f_us_as_ms),
              "yes" if med(gaps) <= 40000 else "NO")
        if pauses:
            t.add("capture.pause_us (--json --freeze)", len(pauses), spread(pauses, f_us_as_ms),
                  "yes" if med(pauses) <= 40000 else "NO")
        tables.append(t)

    # 6. EINTR.
    for cfg in configs:
        block = eintr_blocks.get(cfg.name)
        if not block:
            continue
        t = Table("EINTR caused in the target, %s, back-to-back runs" % cfg.name,
                  ["tool", "runs", "EINTR total", "EINTR per run", "per-run counts", "goal"],
                  note="The target has %d threads in epoll_wait(-1); each counts its EINTRs."
                  % epoll_waiters[cfg.name])
        for tool, n, total, per_run in block:
            goal = "0 (met)" if total == 0 else ("0 (NOT met)" if tool.key == "cleak" else "-")
            t.add(tool.display, n, total, "%.2f" % (total / n if n else 0),
                  " ".join(str(x) for x in per_run), goal)
        tables.append(t)
    t = Table("EINTR over all measured runs (all configurations)",
              ["tool", "runs", "EINTR total", "EINTR per run median [min-max]"])
    for key in stall_keys:
        rs = [r for r in runs if r.tool.key == key]
        if rs:
            t.add(tools[key].display, len(rs), sum(r.eintr for r in rs),
                  spread([r.eintr for r in rs], f_int))
    tables.append(t)

    # 7. growth.
    t = Table("How cleak's cost grows (wall ms, median [min-max])",
              ["configuration", "cleak stack", "per thread us", "capture.wall_us",
               "eu-stack", "eu-stack per thread us"])
    for cfg in configs:
        c = walls(cfg, "cleak")
        if not c:
            continue
        nthreads = cfg.nworkers + 3
        caps = [r.capture["wall_us"] for r in by.get((cfg.name, "cleak-json"), []) if r.capture]
        e = walls(cfg, "eu-stack")
        per = cfg.nworkers > 0	# with no workers the time is all fixed cost
        t.add(cfg.name, spread(c, f_ms), "%.0f" % (med(c) * 1e6 / nthreads) if per else "-",
              spread(caps, f_us_as_ms), spread(e, f_ms) if e else "-",
              "%.0f" % (med(e) * 1e6 / nthreads) if e and per else "-")
    tables.append(t)

    # 8. marginal cost: what one more thread, or one more frame, adds.
    def find(n, d):
        return next((c for c in configs if c.nworkers == n and c.depth == d), None)
    steps = []
    for (n1, d1), (n2, d2) in (((0, 10), (100, 10)), ((100, 10), (1000, 10)),
                               ((1000, 10), (4000, 10)), ((1000, 10), (1000, 50))):
        a, b = find(n1, d1), find(n2, d2)
        if a and b:
            steps.append((a, b))
    if steps:
        t = Table("Marginal cost between configurations (difference of medians)",
                  ["from", "to", "tool", "extra wall ms", "per extra thread us",
                   "per extra frame us"])
        for a, b in steps:
            for key in ("cleak", "eu-stack"):
                wa, wb = med(walls(a, key)), med(walls(b, key))
                if wa is None or wb is None:
                    continue
                extra = wb - wa
                dthreads = b.nworkers - a.nworkers
                dframes = (b.nworkers + 3) * b.depth - (a.nworkers + 3) * a.depth
                t.add(a.name, b.name, tools[key].display, f_ms(extra),
                      "%.0f" % (extra * 1e6 / dthreads) if dthreads else "-",
                      "%.1f" % (extra * 1e6 / dframes) if not dthreads and dframes else "-")
        tables.append(t)
    return tables


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7,
                    help="measured rounds per configuration (default 7)")
    ap.add_argument("--gdb-reps", type=int, default=5,
                    help="rounds that include gdb (default 5)")
    ap.add_argument("--gdb-max-threads", type=int, default=1000,
                    help="run gdb only on configurations with at most this many workers")
    ap.add_argument("--eintr-cleak", type=int, default=20)
    ap.add_argument("--eintr-eu", type=int, default=5)
    ap.add_argument("--eintr-gdb", type=int, default=3)
    ap.add_argument("--configs", default="1000x10*,100x10,4000x10,1000x50,0x10",
                    help="comma-separated WORKERSxDEPTH list; the one marked * is the main "
                         "configuration; 0 workers measures the fixed cost "
                         "(default %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke test: 100 and 1000 threads, 2 rounds")
    ap.add_argument("--out", default=DEFAULT_OUT, help="Markdown output (default bench/results.md)")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.gdb_reps = 2, 1
        args.eintr_cleak, args.eintr_eu, args.eintr_gdb = 3, 1, 1
        args.configs = "1000x10*,100x10"
    configs = []
    for spec in args.configs.split(","):
        m = re.fullmatch(r"\s*(\d+)x(\d+)(\*?)\s*", spec)
        if not m:
            ap.error("bad configuration %r (want NxD, e.g. 1000x10)" % spec)
        configs.append(Config(int(m.group(1)), int(m.group(2)), bool(m.group(3))))
    if not any(c.main for c in configs):
        configs[0].main = True

    for path in (CLEAK, FIXTURE):
        if not os.access(path, os.X_OK):
            sys.exit("bench: %s is missing; run `make all build/fixtures/many-threads` "
                     "(bench/stack.sh does)" % os.path.relpath(path, ROOT))
    have_eu = shutil.which("eu-stack") is not None
    have_gdb = shutil.which("gdb") is not None
    if not have_eu:
        log("bench: eu-stack not found: SKIPPING eu-stack (it is in the elfutils package, "
            "e.g. `apt-get install elfutils`)")
    if not have_gdb:
        log("bench: gdb not found: SKIPPING gdb (e.g. `apt-get install gdb`)")

    tools = make_tools(have_eu, have_gdb)
    env = tool_env()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = loadavg()
    runs, problems, eintr_blocks, epoll_waiters = [], [], {}, {}
    sampler = RunnableSampler()
    sampler.start()
    with tempfile.TemporaryFile() as scratch:
        for cfg in configs:
            waiters, block = run_config(cfg, tools, args, env, scratch, runs, problems)
            epoll_waiters[cfg.name] = waiters
            if block:
                eintr_blocks[cfg.name] = block
    sampler.stop.set()
    elapsed = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()

    tables = build_tables(configs, runs, tools, eintr_blocks, epoll_waiters)
    v = versions(have_eu, have_gdb)
    cmdline = "sh bench/stack.sh" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    facts = [
        ("date", started.strftime("%Y-%m-%d %H:%M UTC")),
        ("kernel (uname -r)", platform.release()),
        ("CPUs (nproc)", str(os.cpu_count())),
        ("CPU", cpu_model()),
        ("load average before / after", "%s / %s" % (load_before, loadavg())),
        ("runnable tasks during the run", sampler.summary()),
        ("cleak --version", v["cleak"]),
        ("cleak binary", "%s, built from %s" % (os.path.relpath(CLEAK, ROOT), source_state())),
        ("eu-stack --version", v["eu-stack"]),
        ("gdb --version", v["gdb"]),
        ("rounds", "%d per configuration (gdb: %d), order rotated each round, after one "
                   "warm-up run of each tool" % (args.reps, min(args.gdb_reps, args.reps))),
        ("reproduce", "`%s` (from the top of the source tree; `make bench` runs the "
                      "default)" % cmdline),
        ("benchmark took", "%.0f s" % elapsed),
    ]
    log("")
    for k, val in facts:
        log("%-30s %s" % (k + ":", val.replace("`", "")))
    for t in tables:
        log("")
        log(t.text())
    if problems:
        log("\nPROBLEMS SEEN:")
        for p in problems:
            log("  - " + p)
    else:
        log("\nNo problems seen: every run exited as expected, showed every thread and "
            "left no thread stopped.")

    md = ["# cleak stack benchmark results", "",
          "Written by `bench/stack.py`; see docs/benchmarks.md for what is measured and how.",
          "Times are median [min-max] over the runs; all runs of a configuration were "
          "interleaved.", ""]
    if args.quick:
        md += ["**Quick smoke-test run (--quick): too few rounds to quote.**", ""]
    md += ["| | |", "|---|---|"]
    md += ["| %s | %s |" % (k, val) for k, val in facts]
    md += ["", "Commands (PID is the fixture's):", ""]
    md += ["- `%s`" % t.display for t in tools.values() if not t.other]
    md += ["- `%s`: cleak on a second fixture (same threads, without the two busy "
           "loops) while the first one's heartbeat is watched: CPU competition only, "
           "nothing of the watched process is touched" % tools["cleak-other"].display, ""]
    for t in tables:
        md += [t.markdown(), ""]
    md += ["### Problems seen", ""]
    md += ["- " + p for p in problems] if problems else \
        ["None: every run exited as expected, showed every thread and left no thread stopped."]
    md += ["", "### Every measured run", "", "<details><summary>%d runs (click)</summary>" % len(runs),
           "", "| configuration | round | tool | wall ms | CPU ms | waiting for CPU ms | disk read MB "
           "| heartbeat delay ms | idle delay ms | EINTR | capture.pause_us |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        md.append("| %s | %d | `%s` | %s | %s | %s | %.1f | %s | %s | %d | %s |" % (
            r.config.name, r.round + 1, r.tool.display, f_ms(r.wall), f_ms(r.cpu),
            f_ms(r.runq_wait or 0), r.read_mb, f_us_as_ms(r.gap_us),
            f_us_as_ms(r.idle_gap_us), r.eintr,
            r.capture["pause_us"] if r.capture else "-"))
    md += ["", "</details>", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(md))
    log("\nwrote %s" % os.path.relpath(args.out, os.getcwd()))


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    try:
        main()
    except BenchError as e:
        sys.exit("bench: %s" % e)
    finally:
        kill_all_fixtures()
