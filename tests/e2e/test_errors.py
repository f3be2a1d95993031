"""Bad input gets a message that says what happened and what to do."""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import BUILD, CLEAK, Fixture, check, cleak, wait_until


def unused_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise AssertionError("no free pid")


def test_no_such_process():
    pid = unused_pid()
    proc = cleak("stack", pid)
    check(proc.returncode == 2, "exit %d" % proc.returncode)
    check("no process with pid %d" % pid in proc.stderr, proc.stderr)
    check(proc.stdout == "", "nothing on stdout: %r" % proc.stdout)


def test_usage_errors():
    for args, words in [([], "Give a pid"), (["abc"], "'abc' is not a process id"),
                        (["-5"], "unknown option"), (["1", "2"], "one pid at a time"),
                        (["--max-frames", "0", "1"], "--max-frames"),
                        (["--stack-bytes", "12Q", "1"], "--stack-bytes"),
                        (["--bogus", "1"], "unknown option '--bogus'")]:
        proc = cleak("stack", *args)
        check(proc.returncode == 64, "%s: exit %d" % (args, proc.returncode))
        check(words in proc.stderr and "cleak stack --help" in proc.stderr,
              "%s: %r" % (args, proc.stderr))
    proc = cleak("frobnicate")
    check(proc.returncode == 64 and "unknown command 'frobnicate'" in proc.stderr, proc.stderr)
    proc = cleak()
    check(proc.returncode == 64 and "Usage:" in proc.stderr, proc.stderr)
    proc = cleak("st", "--help")
    check(proc.returncode == 0 and "Usage: cleak stack" in proc.stdout,
          "a unique prefix names the command")


def test_kernel_thread():
    kthreads = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    flags = int(f.read().rsplit(")", 1)[1].split()[6])
            except OSError:
                continue
            if flags & 0x00200000:  # PF_KTHREAD
                kthreads.append(int(name))
    check(kthreads, "this machine shows no kernel threads in /proc")
    proc = cleak("stack", kthreads[0])
    check(proc.returncode == 2, "exit %d" % proc.returncode)
    check("is a kernel thread" in proc.stderr, proc.stderr)


def test_zombie():
    child = subprocess.Popen(["true"])
    check(wait_until(lambda: open("/proc/%d/stat" % child.pid).read().rsplit(")", 1)[1]
                     .split()[0] == "Z"), "child did not become a zombie")
    proc = cleak("stack", child.pid)
    child.wait()
    check(proc.returncode == 2, "exit %d" % proc.returncode)
    check("is a zombie" in proc.stderr and "reap" in proc.stderr, proc.stderr)


def yama_scope():
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            return int(f.read())
    except OSError:
        return None


def test_permission_denied():
    """Another user's process: the message says who runs what, and the one
    thing that would work; Yama only where it is there."""
    with Fixture("threads") as fx:
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               CLEAK, "stack", str(fx.pid)], capture_output=True, text=True)
        check(proc.returncode == 2, "exit %d: %s" % (proc.returncode, proc.stderr))
        scope = yama_scope()
        if scope in (None, 0):
            want = ["not allowed", "runs as uid 0", "cleak as uid 65534", "or as root"]
        elif scope == 1:
            want = ["not allowed", "runs as uid 0", "cleak as uid 65534"]
        else:
            want = ["not allowed", "ptrace_scope is %d" % scope]
        for words in want:
            check(words in proc.stderr, "%r missing from %r" % (words, proc.stderr))
        check(scope is not None or "yama" not in proc.stderr.lower(),
              "Yama named where it is not there: %r" % proc.stderr)


@contextlib.contextmanager
def fixture_as_nobody(name, *setpriv):
    """A fixture running as uid 65534, from a directory that user can read."""
    tmp = tempfile.mkdtemp(prefix="cleak-nobody-")
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, name)
    shutil.copy2(os.path.join(BUILD, "fixtures", name), path)
    proc = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] +
                            list(setpriv) + [path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        check(line.startswith("ready"), "%s as nobody did not start: %r" % (name, line))
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def test_root_without_cap_sys_ptrace():
    """Root with CAP_SYS_PTRACE dropped (a container's usual root): the
    message says to grant the capability, not to run as root."""
    with fixture_as_nobody("threads") as pid:
        proc = subprocess.run(["setpriv", "--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace",
                               CLEAK, "stack", str(pid)], capture_output=True, text=True)
        check(proc.returncode == 2, "exit %d: %s" % (proc.returncode, proc.stderr))
        for words in ("runs as root but without CAP_SYS_PTRACE", "--cap-add SYS_PTRACE"):
            check(words in proc.stderr, "%r missing from %r" % (words, proc.stderr))
        check("run as root" not in proc.stderr and "(sudo)" not in proc.stderr,
              "advice to run as root, which it is: %r" % proc.stderr)


def test_target_with_capabilities_cleak_lacks():
    """Same user, but the target holds a capability (here an ambient
    CAP_NET_BIND_SERVICE) that cleak has not: the kernel wants
    CAP_SYS_PTRACE, and the message says why, not "not dumpable"."""
    with fixture_as_nobody("threads", "--inh-caps=+net_bind_service",
                           "--ambient-caps=+net_bind_service") as pid:
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               CLEAK, "stack", str(pid)], capture_output=True, text=True)
        check(proc.returncode == 2 and "holds capabilities that cleak lacks" in proc.stderr
              and "dumpable" not in proc.stderr, "exit %d: %r" % (proc.returncode, proc.stderr))


def test_user_namespace():
    """cleak in a user namespace of its own (unshare -r) is root there
    only: the message says so."""
    with Fixture("threads") as fx:
        proc = subprocess.run(["unshare", "-r", CLEAK, "stack", str(fx.pid)],
                              capture_output=True, text=True)
        check(proc.returncode == 2, "exit %d: %s" % (proc.returncode, proc.stderr))
        check("user namespace" in proc.stderr, proc.stderr)


def test_cleak_itself():
    proc = subprocess.run(["sh", "-c", 'exec "$0" stack $$', CLEAK], capture_output=True,
                          text=True)
    check(proc.returncode == 2 and "this cleak itself" in proc.stderr,
          "exit %d: %r" % (proc.returncode, proc.stderr))


def test_jit_code_frame_has_just_an_address():
    with Fixture("jit", ready=False) as fx:
        line = fx.proc.stdout.readline()
        page = int(line.split()[1], 16)
        proc = cleak("stack", "--json", fx.pid)
        doc = json.loads(proc.stdout)
        t = [t for t in doc["threads"] if t["name"] == "jitted"][0]
        f0 = t["frames"][0]
        check(int(f0["pc"], 16) in (page, page + 1) or page <= int(f0["pc"], 16) < page + 2,
              "pc %s, code at %#x" % (f0["pc"], page))
        check(f0["function"] is None and f0["module"] is None, f0)
        out = cleak("stack", fx.pid).stdout
        check("?? [?]" in out, out)
