"""What each thread waits for, and deadlocks: against the waits fixture,
whose threads sit in known waits, with ground truth from /proc and from
the fixture itself (lock addresses, ports, its child)."""
import json
import os
import shutil
import signal
import subprocess

from harness import (CLEAK, Fixture, check, cleak, cleak_json, marks, thread_by_name,
                     wait_until)

M = marks("waits.c")


def fd_link(pid, fd):
    return os.readlink("/proc/%d/fd/%d" % (pid, fd))


def syscall_args(pid, tid):
    with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
        return f.read().split()


def tid_of(doc, name):
    return thread_by_name(doc, name)["tid"]


def wait_of(doc, name):
    return thread_by_name(doc, name)["wait"]


def has_mark(thread, mark):
    return any(f["file"] and f["file"].endswith("waits.c") and f["line"] == M[mark]
               for f in thread["frames"])


class Waits(Fixture):
    def __init__(self):
        Fixture.__init__(self, "waits")
        port, aport, self.unix_path, child = self.ask("ports").split()[1:]
        self.listen_port, self.accept_port, self.child = int(port), int(aport), int(child)
        a, b, pi, rw, sem = self.ask("addrs").split()[1:]
        self.lock_a, self.lock_b, self.lock_pi = int(a, 16), int(b, 16), int(pi, 16)
        self.rwlock, self.sem = int(rw, 16), int(sem, 16)


def test_lock_waits_name_the_lock_and_its_holder():
    with Waits() as fx:
        doc, proc = cleak_json(fx.pid)
        check(proc.returncode == 0, proc.stderr)
        # dl2-a holds lock_a and waits for lock_b, which dl2-b holds.
        w = wait_of(doc, "dl2-a")
        check(w["kind"] == "mutex" and int(w["address"], 16) == fx.lock_b, w)
        check(w["owner_tid"] == tid_of(doc, "dl2-b"), w)
        check(w["timeout"] is False and w["timeout_ms"] is None, w)
        w = wait_of(doc, "dl2-b")
        check(int(w["address"], 16) == fx.lock_a and w["owner_tid"] == tid_of(doc, "dl2-a"), w)
        check(has_mark(thread_by_name(doc, "dl2-a"), "cross"), "dl2-a frames")
        # A priority-inheritance mutex keeps its holder in the lock word.
        w = wait_of(doc, "pi-waiter")
        check(w["kind"] == "mutex" and int(w["address"], 16) == fx.lock_pi, w)
        check(w["owner_tid"] == tid_of(doc, "pi-holder"), w)
        check("priority-inheritance" in w["detail"], w)
        # An rwlock names its writer; the address is the rwlock itself.
        w = wait_of(doc, "rw-reader")
        check(w["kind"] == "rwlock" and w["mode"] == "read", w)
        check(int(w["address"], 16) == fx.rwlock, (hex(fx.rwlock), w))
        check(w["owner_tid"] == tid_of(doc, "rw-writer"), w)
        w = wait_of(doc, "sem-wait")
        check(w["kind"] == "semaphore" and int(w["address"], 16) == fx.sem, w)
        check(wait_of(doc, "cond-wait")["kind"] == "condvar", wait_of(doc, "cond-wait"))
        check(wait_of(doc, "cond-wait")["timeout"] is False, wait_of(doc, "cond-wait"))
        w = wait_of(doc, "cond-timed")
        check(w["kind"] == "condvar" and w["timeout"] is True, w)
        check(3500 * 1000 < w["timeout_ms"] <= 3600 * 1000, w)
        w = wait_of(doc, "joiner")
        check(w["kind"] == "join" and w["joined_tid"] == tid_of(doc, "sleeper"), w)
        check(w["waits_for"] == [tid_of(doc, "sleeper")], w)
        # Three waiters on one mutex, held by a thread that reads a socket.
        holder = tid_of(doc, "mx-holder")
        waiters = [t for t in doc["threads"] if t["name"] == "mx-waiter"]
        check(len(waiters) == 3, waiters)
        for t in waiters:
            check(t["wait"]["kind"] == "mutex" and t["wait"]["owner_tid"] == holder, t["wait"])
            check(t["wait"]["waits_for"] == [holder], t["wait"])


def test_descriptor_waits_say_what_the_descriptor_is():
    with Waits() as fx:
        doc, _ = cleak_json(fx.pid)

        def fd_wait(name, kind):
            t = thread_by_name(doc, name)
            w = t["wait"]
            check(w["kind"] == kind, (name, w))
            # the fd is the call's first argument, as /proc shows it
            check(w["fd"] == int(syscall_args(fx.pid, t["tid"])[1], 16), (name, w))
            return w

        w = fd_wait("pipe-read", "read")
        link = fd_link(fx.pid, w["fd"])
        check(w["resource"].startswith(link + " (write end: this process fd "), w)
        other = int(w["resource"].split("this process fd ")[1].split(",")[0].rstrip(")"))
        check(fd_link(fx.pid, other) == link, (other, link))
        check(w["timeout"] is False, w)
        w = fd_wait("pipe-write", "write")
        check("(read end: this process fd " in w["resource"], w)
        w = fd_wait("accept", "accept")
        check(w["resource"] == "tcp 127.0.0.1:%d (listening)" % fx.accept_port, w)
        check(w["timeout"] is None, w)  # SO_RCVTIMEO cannot be seen
        w = fd_wait("connect", "connect")
        check(w["resource"].startswith("tcp 127.0.0.1:") and
              w["resource"].endswith("-> 127.0.0.1:%d SYN_SENT" % fx.listen_port), w)
        w = fd_wait("mx-holder", "read")
        check(w["resource"].endswith("-> 127.0.0.1:%d ESTABLISHED" % fx.accept_port), w)
        w = fd_wait("unix-read", "read")
        check(w["resource"].startswith("unix socket connected to %s (other end: this process fd "
                                       % fx.unix_path), w)
        w = wait_of(doc, "epoll")
        check(w["kind"] == "poll" and fd_link(fx.pid, w["fd"]) == "anon_inode:[eventpoll]", w)
        watched = {x["fd"]: x["resource"] for x in w["watched"]}
        check(len(watched) == 2 and "eventfd" in watched.values(), watched)
        check(any(r.startswith("pipe:[") for r in watched.values()), watched)
        check(w["timeout"] is False, w)
        w = wait_of(doc, "poll")
        check(w["kind"] == "poll" and w["fd"] is None and len(w["watched"]) == 2, w)
        check(w["timeout"] is True and w["timeout_ms"] == 3600 * 1000, w)
        check("tcp 127.0.0.1:%d (listening)" % fx.accept_port in
              [x["resource"] for x in w["watched"]], w)


def test_other_waits():
    with Waits() as fx:
        doc, _ = cleak_json(fx.pid)
        w = wait_of(doc, "sleeper")
        check(w["kind"] == "sleep" and w["timeout"] is True and w["timeout_ms"] == 1000 * 1000, w)
        w = wait_of(doc, "waitpid")
        check(w["kind"] == "wait-child" and w["child_pid"] == fx.child, w)
        check(w["child_comm"] == "sleep", w)
        w = wait_of(doc, "sigwait")
        check(w["kind"] == "signal" and "SIGUSR2" in w["detail"], w)
        check(wait_of(doc, "pi-holder")["kind"] == "signal", wait_of(doc, "pi-holder"))
        check(wait_of(doc, "busy")["kind"] == "running", wait_of(doc, "busy"))
        # A vfork parent is in state D, waiting for its child: not "disk".
        t = thread_by_name(doc, "vfork")
        check(t["state"] == "D" and t["wait"]["kind"] == "wait-child", t["wait"])
        check(t["wait"]["child_pid"] not in (None, -1, fx.child), t["wait"])
        check(has_mark(t, "vfork"), [f["function"] for f in t["frames"]])
        check(wait_of(doc, "waits")["kind"] == "read", wait_of(doc, "waits"))


def test_deadlocks_are_reported_and_confirmed():
    with Waits() as fx:
        doc, _ = cleak_json(fx.pid)
        by_tid = {t["tid"]: t["name"] for t in doc["threads"]}
        cycles = sorted(sorted(by_tid[t] for t in d["tids"]) for d in doc["deadlocks"])
        check(cycles == [["dl2-a", "dl2-b"], ["dl3-a", "dl3-b", "dl3-c"], ["self-lock"]],
              cycles)
        for d in doc["deadlocks"]:
            check(d["confirmed"] is True, d)
            check(d["tids"][0] == min(d["tids"]), d)
            for i, lock in enumerate(d["locks"]):
                waiter = [t for t in doc["threads"] if t["tid"] == lock["waiter_tid"]][0]
                check(lock["holder_tid"] == d["tids"][(i + 1) % len(d["tids"])], d)
                check(lock["holder_tid"] == waiter["wait"]["owner_tid"], (lock, waiter["wait"]))
                check(lock["address"] == waiter["wait"]["address"], lock)
        out = cleak("stack", fx.pid).stdout
        check("Found 3 deadlocks." in out, out[-3000:])
        check("thread %d dl2-a is waiting for mutex 0x%x held by %d dl2-b"
              % (tid_of(doc, "dl2-a"), fx.lock_b, tid_of(doc, "dl2-b")) in out, out[-4000:])
        check("which it holds itself" in out, out[-3000:])
        # A thread stuck behind a deadlock is not part of it.
        w = wait_of(doc, "dl-victim")
        check(w["owner_tid"] == tid_of(doc, "dl2-a"), w)
        check(w["waits_for"] == [tid_of(doc, "dl2-a"), tid_of(doc, "dl2-b")], w)
        check("1 thread (%d dl-victim) waiting for mutex 0x%x held by %d dl2-a, which is in "
              "deadlock 1" % (tid_of(doc, "dl-victim"), fx.lock_a, tid_of(doc, "dl2-a")) in out,
              out[-3000:])
        # The pile-up behind mx-holder is explained down to its socket.
        chain = [line for line in out.splitlines() if "mx-waiter" in line and "which is" in line]
        check(len(chain) == 1 and chain[0].lstrip().startswith("3 threads (") and
              "held by %d mx-holder, which is reading fd" % tid_of(doc, "mx-holder") in chain[0]
              and "ESTABLISHED" in chain[0], chain)
        # The group header names the lock and its holder.
        check("3 threads waiting for mutex 0x" in out and "held by %d mx-holder ["
              % tid_of(doc, "mx-holder") in out, out[:3000])


def test_a_busy_lock_is_not_a_deadlock():
    """slow-holder keeps a mutex 30 ms at a time and slow-waiter keeps
    taking it: often one waits for the other, never both for each other."""
    with Waits() as fx:
        seen_holder = 0
        for _ in range(8):
            doc, _ = cleak_json(fx.pid)
            names = {t["tid"]: t["name"] for t in doc["threads"]}
            for d in doc["deadlocks"]:
                check(not any(names[t].startswith("slow-") for t in d["tids"]), d)
            w = wait_of(doc, "slow-waiter")
            # Only slow-holder ever holds it; a lock that changed hands
            # while it was read may show no holder, never a wrong one.
            if w["kind"] == "mutex":
                check(w["owner_tid"] in (None, tid_of(doc, "slow-holder")), w)
                seen_holder += w["owner_tid"] is not None
        check(seen_holder > 0, "slow-waiter never seen waiting for slow-holder")


def test_zombie_leader():
    """A main thread that called pthread_exit is a zombie while the other
    threads go on."""
    with Fixture("leader-exit", ready=False) as fx:
        check(fx.proc.stdout.readline().startswith("ready"), "leader-exit did not start")
        check(wait_until(lambda: fx.thread_states().get(fx.pid) == "Z"), "leader not a zombie")
        doc, proc = cleak_json(fx.pid)
        check(proc.returncode == 0, proc.stderr)
        kinds = {t["name"] if t["tid"] != fx.pid else "leader": t["wait"]["kind"]
                 for t in doc["threads"]}
        check(kinds == {"leader": "zombie", "survivor": "sleep"}, kinds)


def test_stopped_by_signal():
    with Waits() as fx:
        os.kill(fx.pid, signal.SIGSTOP)
        try:
            check(wait_until(lambda: "S" not in fx.thread_states().values()), "SIGSTOP")
            doc, _ = cleak_json(fx.pid)
            kinds = {t["name"]: t["wait"]["kind"] for t in doc["threads"] if t["state"] != "T"}
            # The vfork parent cannot stop until its child lets it go.
            check(kinds == {"vfork": "wait-child"}, kinds)
            kinds = {t["wait"]["kind"] for t in doc["threads"] if t["state"] == "T"}
            check(kinds == {"stopped"}, kinds)
            # Stopped, they still hold what they held: the deadlocks stay.
            check(len(doc["deadlocks"]) == 3, doc["deadlocks"])
            w = wait_of(doc, "dl2-a")
            check(w["stopped_while"] == "mutex" and w["owner_tid"] == tid_of(doc, "dl2-b"), w)
        finally:
            os.kill(fx.pid, signal.SIGCONT)


def test_freeze_reads_an_uninterruptible_thread_without_stopping_it():
    """A thread in state D stops only when it wakes: --freeze must read it
    as it sleeps instead of waiting for a stop that does not come."""
    with Waits() as fx:
        proc = cleak("stack", "--json", "--freeze", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        doc = json.loads(proc.stdout)
        t = thread_by_name(doc, "vfork")
        check(t["state"] == "D" and t["capture"] == "syscall" and t["error"] is None, t)
        check(has_mark(t, "vfork"), [f["function"] for f in t["frames"]])
        check(doc["capture"]["threads_stopped"] + doc["capture"]["threads_unstopped"] ==
              len(doc["threads"]), doc["capture"])
        check(len(doc["deadlocks"]) == 3, doc["deadlocks"])


def test_waits_restarted_after_a_stop_keep_their_kind():
    """After any ptrace stop (here cleak's own --freeze) an interrupted
    timed wait shows as restart_syscall; frames and wchan still tell, and
    the registers still hold its arguments."""
    with Waits() as fx:
        before, _ = cleak_json(fx.pid)
        proc = cleak("stack", "--freeze", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        for name in ("sleeper", "cond-timed", "poll"):
            tid = tid_of(before, name)
            check(wait_until(lambda: syscall_args(fx.pid, tid)[0] == "219"),
                  "%s not in restart_syscall: %s" % (name, syscall_args(fx.pid, tid)))
        after, _ = cleak_json(fx.pid)
        w = wait_of(after, "sleeper")
        check(w["kind"] == "sleep" and w["timeout"] is True, w)
        w = wait_of(after, "cond-timed")
        check(w["kind"] == "condvar" and w["timeout"] is True, w)
        check(w["address"] == wait_of(before, "cond-timed")["address"], (w, before))
        # a restarted poll still watches its descriptors (it said "polling
        # 0 descriptors" before); its timeout is the original one, a bound
        w, was = wait_of(after, "poll"), wait_of(before, "poll")
        check(w["kind"] == "poll" and [x["fd"] for x in w["watched"]] ==
              [x["fd"] for x in was["watched"]] and len(w["watched"]) == 2, (w, was))
        check(w["timeout"] is True and 0 < w["timeout_ms"] <= was["timeout_ms"], (w, was))
        check(len(after["deadlocks"]) == 3, after["deadlocks"])


def test_no_memory_errors_under_valgrind():
    """Every wait kind, descriptor description and deadlock path, under
    valgrind's memcheck: no invalid access, no uninitialised use, no leak."""
    if not shutil.which("valgrind"):
        raise AssertionError("valgrind is needed for this test (scripts/deps.sh installs it)")
    with Waits() as fx:
        for args in ([], ["--freeze"], ["--json"]):
            proc = cleak_under_valgrind(fx.pid, *args)
            check(proc.returncode == 0, proc.stderr[-3000:])


def cleak_under_valgrind(pid, *args):
    return subprocess.run(["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite",
                           "--error-exitcode=9", CLEAK, "stack"] + list(args) + [str(pid)],
                          capture_output=True, text=True, timeout=300)
