"""Targets as they are found in production: other mount and network
namespaces, churn."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import BUILD, Fixture, check, cleak, functions, marks, thread_by_name


def test_binary_only_visible_in_the_targets_mount_namespace():
    """A container's files are not at the same path on the host."""
    if not shutil.which("unshare"):
        raise AssertionError("unshare (util-linux) is needed for this test")
    hidden = tempfile.mkdtemp()
    src = os.path.join(BUILD, "fixtures", "threads")
    script = ("mount -t tmpfs none %s && cp %s %s/app && exec %s/app"
              % (hidden, src, hidden, hidden))
    p = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        check(line.startswith("ready"), "fixture in a mount namespace: %r" % line)
        pid = int(line.split()[1])
        check(not os.path.exists(os.path.join(hidden, "app")),
              "the binary must not be visible from here")
        proc = cleak("stack", "--json", pid)
        check(proc.returncode == 0, proc.stderr)
        doc = json.loads(proc.stdout)
        sleeper = thread_by_name(doc, "sleeper")
        check("sleep_forever" in functions(sleeper), functions(sleeper))
        f = [f for f in sleeper["frames"] if f["function"] == "sleep_forever"][0]
        check(f["line"] == marks("threads.c")["sleeper"], f)
        check(f["module"] == os.path.join(hidden, "app"), f["module"])
    finally:
        p.kill()
        p.wait()
        os.rmdir(hidden)


def test_sockets_in_the_targets_network_namespace():
    """A container's sockets are not in the host's tables: cleak reads the
    target's own /proc/PID/net and asks sock_diag inside its namespace."""
    for tool in ("unshare", "ip"):
        if not shutil.which(tool):
            raise AssertionError("%s is needed for this test (util-linux, iproute2)" % tool)
    script = "ip link set lo up && exec %s" % os.path.join(BUILD, "fixtures", "waits")
    p = subprocess.Popen(["unshare", "--net", "sh", "-c", script],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        check(line.startswith("ready"), "fixture in a network namespace: %r" % line)
        pid = int(line.split()[1])
        p.stdin.write("ports\n")
        p.stdin.flush()
        port, aport, unix_path = p.stdout.readline().split()[1:4]
        check(os.readlink("/proc/self/ns/net") != os.readlink("/proc/%d/ns/net" % pid),
              "the fixture must have its own network namespace")
        with open("/proc/self/net/tcp") as f:
            ours = f.read()
        check(":%04X " % int(aport) not in ours, "port %s is visible from here" % aport)
        proc = cleak("stack", "--json", pid)
        check(proc.returncode == 0, proc.stderr)
        doc = json.loads(proc.stdout)
        w = thread_by_name(doc, "accept")["wait"]
        check(w["resource"] == "tcp 127.0.0.1:%s (listening)" % aport, w)
        w = thread_by_name(doc, "unix-read")["wait"]
        check(w["resource"].startswith("unix socket connected to %s (other end: this process fd "
                                       % unix_path), w)
    finally:
        p.kill()
        p.wait()


def test_lock_holders_in_the_targets_pid_namespace():
    """In a container's pid namespace, lock words hold the target's own
    thread ids: cleak translates them to ours to name holders and find
    deadlocks."""
    if not shutil.which("unshare"):
        raise AssertionError("unshare (util-linux) is needed for this test")
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", os.path.join(BUILD, "fixtures", "waits")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        check(line.startswith("ready"), "fixture in a pid namespace: %r" % line)
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            pid = int(f.read().split()[0])
        check(int(line.split()[1]) != pid, "the fixture must see other ids than ours")
        proc = cleak("stack", "--json", pid)
        check(proc.returncode == 0, proc.stderr)
        doc = json.loads(proc.stdout)
        tids = {t["name"]: t["tid"] for t in doc["threads"]}
        w = thread_by_name(doc, "dl2-a")["wait"]
        check(w["owner_tid"] == tids["dl2-b"], w)
        check(len(doc["deadlocks"]) == 3, doc["deadlocks"])
        check(thread_by_name(doc, "pi-waiter")["wait"]["owner_tid"] == tids["pi-holder"],
              thread_by_name(doc, "pi-waiter")["wait"])
        check(thread_by_name(doc, "joiner")["wait"]["joined_tid"] == tids["sleeper"],
              thread_by_name(doc, "joiner")["wait"])
        w = thread_by_name(doc, "waitpid")["wait"]
        with open("/proc/%d/task/%d/children" % (pid, tids["waitpid"])) as f:
            check(w["child_pid"] == int(f.read().split()[0]) and w["child_comm"] == "sleep", w)
    finally:
        p.kill()
        p.wait()


def test_threads_born_and_dying_during_capture():
    with Fixture("churn") as fx:
        for args in ([], ["--freeze"]):
            for _ in range(15):
                proc = cleak("stack", "--json", *args, fx.pid)
                check(proc.returncode in (0, 1), "exit %d: %s" % (proc.returncode, proc.stderr))
                doc = json.loads(proc.stdout)
                check(len(doc["threads"]) >= 3, len(doc["threads"]))
                for t in doc["threads"]:
                    if t["error"] and t["frames"] == []:
                        # Recorded on the thread, never fatal; on an overloaded
                        # machine a thread may also take too long to stop.
                        check(t["error"] == "exited during capture" or "zombie" in t["error"]
                              or t["error"].startswith("did not stop within"), t["error"])
        check(fx.proc.poll() is None, "the target died")
