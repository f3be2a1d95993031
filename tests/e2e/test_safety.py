"""The target runs on whatever happens to cleak: killed, interrupted, stopped."""
import json
import os
import random
import signal
import subprocess
import time

from harness import CLEAK, Fixture, check, wait_until


def all_running(fx):
    """No thread of the fixture is left in a stop (T or t)."""
    return not set(fx.thread_states().values()) & {"T", "t"}


def tracer_of(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


def interrupt_captures(sig, args, rounds):
    random.seed(sig)
    with Fixture("threads", "400") as fx:
        for i in range(rounds):
            p = subprocess.Popen([CLEAK, "stack", "--json"] + args + [str(fx.pid)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Somewhere inside the capture: it takes several milliseconds
            # for 400 threads.
            time.sleep(random.uniform(0, 0.02))
            p.send_signal(sig)
            p.wait()
            check(wait_until(lambda: all_running(fx), timeout=2),
                  "round %d (%s %s): threads left stopped: %s" % (
                      i, signal.Signals(sig).name, args,
                      {t: s for t, s in fx.thread_states().items() if s in "Tt"}))
            tids = list(fx.thread_states())
            check(wait_until(lambda: all(tracer_of(fx.pid, t) == 0 for t in tids
                                         if os.path.exists("/proc/%d/task/%d" % (fx.pid, t)))),
                  "round %d: a thread is still traced" % i)
        # The target still answers and saw no EINTR.
        check(fx.ask("eintr") == "eintr 0" or "--freeze" in args,
              "EINTR in the target after interrupted default captures")


def test_freeze_leaves_a_thread_asleep_in_epoll_wait():
    """--freeze stops every thread but those asleep, for the whole freeze,
    in a call a stop would fail with EINTR (signal(7)): 20 frozen
    captures, and the epoll waiter saw no EINTR; its stack is whole."""
    with Fixture("threads") as fx:
        for _ in range(20):
            proc = subprocess.run([CLEAK, "stack", "--freeze", "--json", str(fx.pid)],
                                  capture_output=True, text=True, timeout=60)
            check(proc.returncode == 0, "exit %d: %s" % (proc.returncode, proc.stderr))
        check(fx.ask("eintr") == "eintr 0", "EINTR in the target after 20 --freeze captures")
        doc = json.loads(proc.stdout)
        epoll = [t for t in doc["threads"] if t["name"] == "epoll-eintr"]
        check(len(epoll) == 1 and epoll[0]["capture"] == "syscall" and not epoll[0]["error"]
              and len(epoll[0]["frames"]) >= 3, "the epoll waiter: %r" % [
                  (t["capture"], t["error"], len(t["frames"])) for t in epoll])
        others = [t for t in doc["threads"] if t["name"] != "epoll-eintr"]
        check(all(t["capture"] in ("stopped", "syscall") for t in others),
              "captures: %r" % [(t["name"], t["capture"]) for t in others])
        check(doc["capture"]["mode"] == "freeze" and doc["capture"]["threads_unstopped"] >= 1,
              "capture %r" % doc["capture"])


def test_sigkill_mid_capture():
    interrupt_captures(signal.SIGKILL, [], 15)


def test_sigkill_mid_freeze():
    interrupt_captures(signal.SIGKILL, ["--freeze"], 15)


def test_sigint_and_sigterm_mid_capture():
    interrupt_captures(signal.SIGINT, ["--freeze"], 8)
    interrupt_captures(signal.SIGTERM, [], 8)


def test_sigpipe_closed_output():
    with Fixture("threads") as fx:
        p = subprocess.Popen([CLEAK, "stack", "--all", str(fx.pid)], stdout=subprocess.PIPE)
        p.stdout.close()
        p.wait()
        check(wait_until(lambda: all_running(fx)), "threads left stopped")
        check(fx.ask("eintr") == "eintr 0", "EINTR")
