"""cleak stack against real fixture processes: frames, lines, inlines, grouping."""
import json
import os
import signal
import subprocess
import time

from harness import (Fixture, check, cleak, cleak_json, functions, marks, thread_by_name,
                     wait_until, BUILD)

M = marks("threads.c")


def frame_for(thread, function):
    for f in thread["frames"]:
        if f["function"] == function:
            return f
    raise AssertionError("%s not in %s" % (function, functions(thread)))


def expect_line(thread, function, mark):
    f = frame_for(thread, function)
    check(f["file"] and f["file"].endswith("threads.c"), "%s: file %r" % (function, f["file"]))
    check(f["line"] == M[mark], "%s: line %r, the source says %d (MARK: %s)"
          % (function, f["line"], M[mark], mark))


def check_threads_fixture(fixture_name, partial=()):
    """The threads fixture, fully unwound except the threads named in partial."""
    with Fixture(fixture_name) as fx:
        doc, proc = cleak_json(fx.pid)
        check(proc.returncode == (1 if partial else 0),
              "exit %d, stderr %r" % (proc.returncode, proc.stderr))
        for t in doc["threads"]:
            if t["name"] in partial:
                check(t["truncated"] and t["error"], "%s should be partial" % t["name"])
            else:
                check(t["error"] is None and not t["truncated"], "%s: %s" % (t["name"], t["error"]))
                check(t["frames"][-1]["function"] in ("__clone3", "_start"),
                      "%s must unwind to its first frame: %s" % (t["name"], functions(t)[-3:]))
        check(doc["pid"] == fx.pid, "pid")
        tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % fx.pid))
        check(sorted(t["tid"] for t in doc["threads"]) == tids,
              "tids %s vs /proc %s" % ([t["tid"] for t in doc["threads"]], tids))
        workers = [t for t in doc["threads"] if t["name"] == "worker"]
        check(len(workers) == 5, "5 workers, got %d" % len(workers))
        for w in workers:
            expect_line(w, "worker_loop", "worker")
            check(any("pthread_cond_wait" in (n or "") for n in functions(w)), functions(w))
        expect_line(thread_by_name(doc, "sleeper"), "sleep_forever", "sleeper")
        expect_line(thread_by_name(doc, "pipe-reader"), "read_pipe", "pipe-read")
        expect_line(thread_by_name(doc, "epoll-eintr"), "wait_epoll", "epoll")
        expect_line(thread_by_name(doc, "spinner"), "spin", "spin")
        expect_line(thread_by_name(doc, fixture_name[:15]), "main", "main-read")
        deep = thread_by_name(doc, "recurse-200")
        n = functions(deep).count("recurse")
        check(n == 201, "recurse-200: %d recurse frames, expected 201" % n)
        check(deep["frames"][1]["line"] == M["recurse-bottom"], deep["frames"][1])
        for f in [f for f in deep["frames"] if f["function"] == "recurse"][1:]:
            check(f["line"] == M["recurse"], "recursive frame at line %r" % f["line"])
        return doc


def test_threads_dynamic_pie():
    doc = check_threads_fixture("threads")
    inl = thread_by_name(doc, "inliner")
    f = frame_for(inl, "inlined_nap")
    check(f["inlined"] is True, "inlined_nap must be marked inlined: %r" % f)
    check(f["line"] == M["inlined"], "inlined_nap line %r" % f["line"])
    caller = inl["frames"][inl["frames"].index(f) + 1]
    check(caller["function"] == "calls_inlined" and caller["inlined"] is False,
          "the frame after the inlined call is its physical caller: %r" % caller)
    check(caller["line"] == M["inline-call"], "call site line %r" % caller["line"])
    check(caller["pc"] == f["pc"], "inlined frames share their caller's pc")


def test_threads_static():
    check_threads_fixture("threads-static")


def test_threads_non_pie():
    check_threads_fixture("threads-nopie")


def test_threads_debug_frame_only():
    """Built without .eh_frame records: CFI only in .debug_frame."""
    check_threads_fixture("threads-debugframe")


def test_threads_frame_pointers_only():
    """No CFI at all: the frame-pointer chain, then libc's CFI again.  The
    epoll waiter needs RBP and a stop would interrupt it: partial."""
    check_threads_fixture("threads-fponly", partial=("epoll-eintr",))


def test_text_groups_identical_threads():
    with Fixture("threads") as fx:
        proc = cleak("stack", fx.pid)
        check(proc.returncode == 0, proc.stderr)
        out = proc.stdout
        check(out.startswith("pid %d (threads)" % fx.pid), out[:200])
        check("5 threads waiting on a condition variable (futex 0x" in out, out[:2000])
        check("[S sleeping, in futex(), wchan " in out, out[:2000])
        # the biggest group comes first
        first = out.split("\n\n")[1]
        check(first.startswith("5 threads"), first)
        check("worker_loop at " in first and "threads.c:%d" % M["worker"] in first, first)
        proc = cleak("stack", "--all", fx.pid)
        check(proc.stdout.count("\nthread ") == 12, proc.stdout[:500])


def test_cxx_demangled_names():
    tm = marks("templates.cc")
    with Fixture("templates") as fx:
        doc, proc = cleak_json(fx.pid)
        t = thread_by_name(doc, "order-worker")
        names = functions(t)
        check("shop::backend::Queue<shop::backend::Order>::drain(int)" in names, names)
        check("shop::backend::serve(shop::backend::Queue<shop::backend::Order>&)" in names, names)
        f = frame_for(t, "shop::backend::Queue<shop::backend::Order>::drain(int)")
        check(f["line"] == tm["drain"], f)
        raw = json.loads(cleak("stack", "--json", "--raw", fx.pid).stdout)
        names = functions(thread_by_name(raw, "order-worker"))
        check(any(n and n.startswith("_ZN4shop7backend") for n in names),
              "--raw keeps mangled names: %s" % names)


def chain(thread, start):
    """The functions of thread from `start` outwards."""
    names = functions(thread)
    check(start in names, "%s not in %s" % (start, names))
    return names[names.index(start):]


def inferred_from(thread):
    """Index of the first frame marked inferred, or None; all above it must be."""
    flags = [f["inferred"] for f in thread["frames"]]
    if True not in flags:
        return None
    i = flags.index(True)
    check(all(flags[i:]), "inferred frames must run to the end: %s" % flags)
    return i


def test_frame_pointer_callers():
    """Callers that need RBP: restartable calls are stopped and read; epoll
    is not stopped, and its RBP is found on the copied stack instead."""
    fm = marks("fp-callers.c")
    with Fixture("fp-callers") as fx:
        for _ in range(3):
            doc, proc = cleak_json(fx.pid)
        check(proc.returncode == 0, "exit %d: %s" % (proc.returncode, proc.stderr))
        reader = thread_by_name(doc, "fp-reader")
        f = frame_for(reader, "fp_read_pipe")
        check(f["line"] == fm["fp-read"], f)
        check(chain(reader, "fp_read_pipe") == ["fp_read_pipe", "reader", "start_thread",
                                                 "__clone3"], functions(reader))
        check(reader["error"] is None and reader["capture"] == "stopped", reader["error"])
        check(inferred_from(reader) is None, "a stopped thread's frames are read, not inferred")
        for args in ((), ("--freeze",)):
            d, _ = cleak_json(*args, fx.pid)
            ep = thread_by_name(d, "fp-epoll")
            check(ep["capture"] == "syscall", "%s: the epoll waiter must not be stopped" % (args,))
            check(ep["error"] is None and not ep["truncated"], "%s: %s" % (args, ep["error"]))
            check(frame_for(ep, "fp_wait_epoll")["line"] == fm["fp-epoll"], ep["frames"])
            check(chain(ep, "fp_wait_epoll") == ["fp_wait_epoll", "epoller", "start_thread",
                                                 "__clone3"], functions(ep))
            # fp_wait_epoll's own place comes from the registers; its callers from the search
            check(inferred_from(ep) == functions(ep).index("epoller"), ep["frames"])
        check(fx.ask("eintr") == "eintr 0", "EINTR seen by the epoll waiter")
        text = cleak("stack", "-a", fx.pid).stdout
        check("frame pointer searched for on the stack" in text, text)


def test_rbp_frames_found_without_a_stop():
    """Frames kept in RBP (alloca, a realigned stack, a task run through a
    pointer) in a program without frame pointers, above an epoll_wait that
    a stop would interrupt: whole stacks, no stop, no EINTR; and the same
    search on a thread that a stop reads gives what the stop gives."""
    rm = marks("rbp-frames.c")
    expect = {
        "alloca-epoll": (["alloca_wait", "alloca_thread"], ["alloca-wait", "alloca-thread"]),
        "aligned-epoll": (["aligned_wait", "aligned_thread"], ["aligned-wait", "aligned-thread"]),
        "pool-epoll": (["alloca_wait", "pool_task", "pool_run", "pool_thread"],
                       ["alloca-wait", "pool-task", "pool-run", "pool-thread"]),
    }
    with Fixture("rbp-frames") as fx:
        for args in ((), ("--freeze",), ("--nonblocking",)):
            for _ in range(5):
                doc, proc = cleak_json(*args, fx.pid)
                check(proc.returncode == 0, "%s: exit %d: %s" % (args, proc.returncode, proc.stderr))
            for name, (funcs, lines) in expect.items():
                t = thread_by_name(doc, name)
                check(t["capture"] == "syscall" and t["error"] is None,
                      "%s %s: %s, %s" % (args, name, t["capture"], t["error"]))
                check(chain(t, funcs[0]) == funcs + ["start_thread", "__clone3"],
                      "%s %s: %s" % (args, name, functions(t)))
                got = [frame_for(t, fn)["line"] for fn in funcs]
                check(got == [rm[m] for m in lines], "%s %s: lines %s" % (args, name, got))
                check(inferred_from(t) == functions(t).index(funcs[1]), t["frames"])
        check(fx.ask("eintr") == "eintr 0", "EINTR seen by an epoll waiter")
        stopped, _ = cleak_json(fx.pid)
        searched, _ = cleak_json("--nonblocking", fx.pid)
        a, b = thread_by_name(stopped, "alloca-read"), thread_by_name(searched, "alloca-read")
        check(a["capture"] == "stopped" and b["capture"] == "syscall", (a["capture"], b["capture"]))
        check(inferred_from(a) is None and inferred_from(b) is not None, "inferred flags")
        check([f["pc"] for f in a["frames"]] == [f["pc"] for f in b["frames"]],
              "the search must find what the stop reads: %s vs %s"
              % (functions(a), functions(b)))


def test_rbp_search_never_takes_a_stale_chain():
    """Where a stale chain on the stack fits as well as the live one, the
    search says so and keeps the frames it is sure of; where one chain
    fits (a tail call, a noreturn call ending its function, a library's
    call to itself through its PLT), it is the one gdb reads after a stop."""
    tm, am = marks("rbp-traps.c"), marks("lib/rbp-api.c")
    whole = {
        "tail-call": [("tail_blocker", tm["tail-blocker"]), ("tail_call", tm["tail-thread"])],
        "noreturn": [("noreturn_blocker", tm["noreturn-blocker"]),
                     ("noreturn_thread", tm["noreturn-thread"])],
        "plt-in-lib": [("api_wait", am["api-wait"]), ("api_poll", am["api-poll"]),
                       ("plt_in_lib", tm["plt-thread"])],
    }
    stale = {"stale-pool": ("pool_blocker", tm["pool-blocker"]),
             "stale-zero": ("zero_blocker", tm["zero-blocker"])}
    with Fixture("rbp-traps") as fx:
        for args in ((), ("--nonblocking",)):
            doc, _ = cleak_json(*args, fx.pid)
            for name, want in whole.items():
                t = thread_by_name(doc, name)
                check(t["error"] is None, "%s %s: %s" % (args, name, t["error"]))
                got = [(f["function"], f["line"]) for f in t["frames"]
                       if f["function"] in dict(want)]
                check(got == want and chain(t, want[0][0])[-2:] == ["start_thread", "__clone3"],
                      "%s %s: %s" % (args, name, [(f["function"], f["line"]) for f in t["frames"]]))
                check(len(chain(t, want[0][0])) == len(want) + 2, "%s %s: extra frames %s"
                      % (args, name, functions(t)))
            for name, (fn, line) in stale.items():
                t = thread_by_name(doc, name)
                check(t["truncated"] and "saved frames on the stack" in (t["error"] or ""),
                      "%s %s must be partial, said so: %s" % (args, name, t["error"]))
                check(functions(t)[-1] == fn and t["frames"][-1]["line"] == line,
                      "%s %s: only the frames read from registers: %s"
                      % (args, name, functions(t)))
                check(inferred_from(t) is None, "%s %s: nothing inferred" % (args, name))


def test_no_eintr_from_default_captures():
    with Fixture("threads") as fx:
        for _ in range(20):
            proc = cleak("stack", "--json", fx.pid)
            check(proc.returncode == 0, proc.stderr)
        check(fx.ask("eintr") == "eintr 0", "the epoll thread saw EINTR")


def test_freeze_is_consistent_and_reports_pause():
    with Fixture("threads") as fx:
        doc, proc = cleak_json("--freeze", fx.pid)
        check(doc["capture"]["mode"] == "freeze", doc["capture"])
        # all stopped but the epoll waiter, asleep the whole freeze
        check(doc["capture"]["threads_stopped"] + doc["capture"]["threads_unstopped"] == 12,
              doc["capture"])
        check(0 < doc["capture"]["pause_us"] < 2000000, doc["capture"])
        expect_line(thread_by_name(doc, "spinner"), "spin", "spin")
        check(wait_until(lambda: all(s in "SR" for s in fx.thread_states().values())),
              "threads left stopped: %s" % fx.thread_states())


def test_stopped_process_stays_stopped():
    with Fixture("threads") as fx:
        os.kill(fx.pid, signal.SIGSTOP)
        check(wait_until(lambda: set(fx.thread_states().values()) == {"T"}), "SIGSTOP")
        for args in ([], ["--freeze"]):
            proc = cleak("stack", "--json", *args, fx.pid)
            check(proc.returncode in (0, 1), proc.stderr)
            doc = json.loads(proc.stdout)
            check(doc["threads"][0]["state"] == "T", doc["threads"][0]["state"])
            kinds = {t["wait"]["kind"] for t in doc["threads"]}
            check(kinds == {"stopped"}, kinds)
            # Already stopped, so stopping it for its registers costs the
            # epoll waiter no EINTR: it is taken like the others.
            ep = thread_by_name(doc, "epoll-eintr")
            check(ep["error"] is None and "wait_epoll" in functions(ep), ep["error"])
            time.sleep(0.05)
            check(set(fx.thread_states().values()) == {"T"},
                  "a stopped process must stay stopped: %s" % fx.thread_states())
        os.kill(fx.pid, signal.SIGCONT)
        check(wait_until(lambda: "T" not in fx.thread_states().values()), "SIGCONT")
        # The job-control stop itself makes epoll_wait fail once (signal(7));
        # cleak's captures of the stopped process must add nothing to that.
        # Leaving state T comes before the waiter runs and counts it: give it a moment.
        wait_until(lambda: fx.ask("eintr") != "eintr 0", timeout=2)
        eintr = fx.ask("eintr")
        check(eintr == "eintr 1", "EINTRs besides the SIGSTOP's own: %s" % eintr)


def test_tid_filter_and_json_roundtrip_shape():
    with Fixture("threads") as fx:
        tid = thread_by_name(cleak_json(fx.pid)[0], "sleeper")["tid"]
        doc, proc = cleak_json("--tid", tid, fx.pid)
        check([t["tid"] for t in doc["threads"]] == [tid], doc["threads"])
        t = doc["threads"][0]
        for key in ("tid", "name", "state", "frames"):
            check(key in t, key)
        for f in t["frames"]:
            check(set(["pc", "function", "module", "file", "line", "inlined"]) <= set(f), f)
            check(f["pc"].startswith("0x"), f["pc"])
        check(set(["pid", "comm", "exe", "capture", "threads"]) <= set(doc), doc.keys())
        check("pause_us" in doc["capture"], doc["capture"])
        proc = cleak("stack", "--tid", "1", fx.pid)
        check(proc.returncode == 2 and "has no thread 1" in proc.stderr, proc.stderr)


def test_deleted_binary():
    """A binary removed after start is still read through /proc/PID/map_files."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp()
    exe = os.path.join(d, "threads-copy")
    shutil.copy(os.path.join(BUILD, "fixtures", "threads"), exe)
    p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline().startswith("ready"), "fixture start")
        os.unlink(exe)
        doc, proc = cleak_json(p.pid)
        check(doc["exe_deleted"] is True, doc["exe"])
        expect_line(thread_by_name(doc, "sleeper"), "sleep_forever", "sleeper")
        check("(deleted)" in cleak("stack", p.pid).stdout.splitlines()[0], "header")
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d)


def test_max_frames_counts_physical_frames():
    with Fixture("threads") as fx:
        doc, _ = cleak_json(fx.pid)
        sleeper = thread_by_name(doc, "sleeper")
        depth = len(sleeper["frames"])
        check(not any(f["inlined"] for f in sleeper["frames"]), "sleeper has no inlines")
        exact, proc = cleak_json("--max-frames", depth, "--tid", sleeper["tid"], fx.pid)
        t = exact["threads"][0]
        check(len(t["frames"]) == depth and not t["truncated"] and proc.returncode == 0,
              "a stack of exactly N frames is complete: %s" % t["error"])
        short, proc = cleak_json("--max-frames", depth - 1, "--tid", sleeper["tid"], fx.pid)
        t = short["threads"][0]
        check(len(t["frames"]) == depth - 1 and t["truncated"] and proc.returncode == 1,
              "one frame fewer is truncated")
        check("--max-frames" in t["error"], t["error"])
        check(len(short["threads"]) == 1 and short["capture"]["threads_unstopped"] +
              short["capture"]["threads_stopped"] == 1, "--tid touches only that thread")
