"""Helpers for the end-to-end tests: run cleak, start fixture processes."""
import json
import os
import re
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
CLEAK = os.path.join(BUILD, "cleak")


class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def cleak(*args, timeout=60, env=None):
    """Run cleak; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([CLEAK] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def cleak_json(*args):
    proc = cleak("stack", "--json", *args)
    check(proc.returncode in (0, 1), "cleak stack --json exited %d: %s"
          % (proc.returncode, proc.stderr))
    return json.loads(proc.stdout), proc


def marks(source):
    """{"name": line} for every "MARK: name" comment in a fixture source."""
    found = {}
    path = os.path.join(ROOT, "tests", "fixtures", source)
    with open(path) as f:
        for no, line in enumerate(f, 1):
            m = re.search(r"MARK: ([\w-]+)", line)
            if m:
                found[m.group(1)] = no
    return found


class Fixture:
    """A fixture process from build/fixtures, started with a pipe on stdin.

    It prints "ready ..." once its threads are parked; the pipe keeps it
    alive until the test ends (EOF makes it exit).
    """

    def __init__(self, name, *args, ready=True):
        self.name = name
        self.proc = subprocess.Popen([os.path.join(BUILD, "fixtures", name)] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.pid = self.proc.pid
        if ready:
            line = self.proc.stdout.readline()
            check(line.startswith("ready"), "%s did not start: %r" % (name, line))
            # "ready" is read while main may still be inside the write
            # that sent it: wait until it blocks reading stdin (syscall 0).
            check(wait_until(self._main_reads), "%s: main never blocked in read" % name)

    def _main_reads(self):
        try:
            with open("/proc/%d/syscall" % self.pid) as f:
                return f.read().split()[0] == "0"
        except OSError:
            return False

    def ask(self, command):
        """Send a command line, return the fixture's one-line answer."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        # As with "ready": the answer arrives before main is back in read().
        check(wait_until(self._main_reads), "%s: main never blocked in read" % self.name)
        return answer

    def state(self):
        with open("/proc/%d/stat" % self.pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]

    def thread_states(self):
        return thread_states(self.pid)

    def close(self):
        close_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def thread_states(pid):
    """{tid: state letter} from /proc/PID/task/*/stat."""
    states = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                states[int(tid)] = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            pass
    return states


def close_process(proc):
    """Kill a fixture process if it still runs, reap it, close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass


def wait_until(pred, timeout=5.0, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def thread_by_name(doc, name):
    for t in doc["threads"]:
        if t["name"] == name:
            return t
    raise Failure("no thread named %r in %s" % (name, [t["name"] for t in doc["threads"]]))


def functions(thread):
    return [f["function"] for f in thread["frames"]]
