"""The map in docs/architecture.md, checked against the code: one way
through the stages, no circle, and only lib/target/ touching the process."""
import glob
import os
import re

from harness import ROOT, check

# Each lib/ file's stage, in pipeline order (docs/architecture.md).
STAGES = ["base", "target", "go binary", "capture", "unwind", "analyze", "json"]
GO_STAGE = {
    "gobinary": "go binary", "goruntime": "go binary", "godwarf": "go binary",
    "gocheck": "go binary", "goopen": "go binary", "gowait": "go binary",
    "goroutine": "go binary", "gocapture": "capture", "gochan": "capture", "goprobe": "capture",
    "gounwind": "unwind",
}
FOLDER_STAGE = {"": "base", "target": "target", "capture": "capture", "native": "unwind",
                "analyze": "analyze", "json": "json"}
# What only lib/target/ may call.
TOUCHES_TARGET = ("ptrace", "process_vm_readv", "waitpid", "tgkill", "kill")


def lib_files():
    return sorted(glob.glob(os.path.join(ROOT, "lib", "**", "*.c"), recursive=True))


def name_of(path):
    return os.path.relpath(path, os.path.join(ROOT, "lib"))[:-2]


def stage_of(name):
    folder, _, base = name.rpartition("/")
    return GO_STAGE[base] if folder == "go" else FOLDER_STAGE[folder]


def code_of(path):
    """The file without its comments and string literals."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def call_graph():
    """{file: {file it calls}}, from the cleak_ functions each defines."""
    codes = {name_of(p): code_of(p) for p in lib_files()}
    defined = {}
    for name, code in codes.items():
        for m in re.finditer(r"^[a-z][^\n;{]*?\b(cleak_\w+)\(", code, re.M):
            defined.setdefault(m.group(1), name)
    return {name: {defined[f] for f in set(re.findall(r"\b(cleak_\w+)\(", code))
                   if f in defined and defined[f] != name}
            for name, code in codes.items()}


def test_every_file_has_a_stage_and_is_on_the_map():
    with open(os.path.join(ROOT, "docs", "architecture.md")) as f:
        doc = f.read()
    for p in lib_files():
        name = name_of(p)
        check(stage_of(name) in STAGES, "%s has no stage" % name)
        check("`%s.c`" % os.path.basename(name) in doc,
              "docs/architecture.md does not place %s.c" % name)


def test_calls_go_one_way():
    graph = call_graph()
    for a, callees in graph.items():
        for b in callees:
            check(STAGES.index(stage_of(b)) <= STAGES.index(stage_of(a)),
                  "%s (%s) calls %s (%s), a later stage" % (a, stage_of(a), b, stage_of(b)))


def test_no_circle():
    graph = call_graph()
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                loop = path[path.index(nxt):] + [nxt]
                raise AssertionError("circle: " + " -> ".join(loop))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_only_target_touches_the_process():
    pattern = re.compile(r"\b(%s)\s*\(" % "|".join(TOUCHES_TARGET))
    for p in lib_files():
        name = name_of(p)
        if name.startswith("target/"):
            continue
        found = sorted(set(pattern.findall(code_of(p))))
        check(not found, "%s calls %s: only lib/target/ touches the process" % (name, found))
    for p in glob.glob(os.path.join(ROOT, "cmd", "*.c")):
        found = sorted(set(pattern.findall(code_of(p))))
        check(not found, "%s calls %s" % (os.path.relpath(p, ROOT), found))


def test_cmd_sees_only_the_public_header():
    for p in glob.glob(os.path.join(ROOT, "cmd", "*.[ch]")):
        with open(p) as f:
            local = re.findall(r'#include "([^"]+)"', f.read())
        check(set(local) <= {"cli.h", "cleak.h"},
              "%s includes %s: the CLI uses libcleak's public API only"
              % (os.path.relpath(p, ROOT), local))
