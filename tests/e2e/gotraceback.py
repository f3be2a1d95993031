"""Parse the Go runtime's goroutine dumps: runtime.Stack(buf, true), pprof's
goroutine profile with debug=2, a panic's or SIGQUIT's traceback, and
`cleak stack --format go`, which copies that layout.

    goroutine 7 [chan receive, 2 minutes, locked to thread]:
    main.(*T).m(0xc000010000, {0x4b1f20?, 0x1})
    \t/src/main.go:42 +0x1d
    main.helper(...)
    \t/src/main.go:30
    ...12 frames elided...
    created by main.start in goroutine 1
    \t/src/main.go:20 +0x3c

parse(text) returns a list of goroutines, in the dump's order:

    {"goid": 7, "header": "chan receive, 2 minutes, locked to thread",
     "wait_reason_or_status": "chan receive", "minutes": 2, "locked": True,
     "unavailable": False,
     "frames": [{"function": "main.(*T).m", "args": "0xc000010000, {0x4b1f20?, 0x1}",
                 "file": "/src/main.go", "line": 42, "offset": 0x1d, "inlined": False}, ...],
     "elided": None or {"after": index of the first frame after the gap,
                        "count": N, or None for "...additional frames elided..."},
     "created_by": {"function": "main.start", "goid": 1, "file": "/src/main.go",
                    "line": 20, "offset": 0x3c} or None}

Lines that belong to no goroutine (a panic message, "END", text cleak prints
around the dump) are ignored.  Usage as a tool: python3 gotraceback.py < dump
prints the parse as JSON.
"""
import json
import re
import sys

# "goroutine 7 [...]:"; with GOTRACEBACK=system or crash (1.23+) also
# "gp=0x... m=N mp=0x..." before the brackets.
HEADER = re.compile(r"^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[(.*)\]:$")
FILE_LINE = re.compile(r"^\t(.*):(\d+)(?: \+0x([0-9a-fA-F]+))?$")
CREATED_BY = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?$")
ELIDED = re.compile(r"^\.\.\.(\d+) frames elided\.\.\.$")
MINUTES = re.compile(r"^(\d+) minutes$")
UNAVAILABLE = "\tgoroutine running on other thread; stack unavailable"


class ParseError(ValueError):
    pass


def split_call(line):
    """'main.(*T).m(0x1, {0x2, 0x3})' -> ('main.(*T).m', '0x1, {0x2, 0x3}').

    The arguments are the parenthesised group that ends the line; a name can
    hold parentheses of its own (a pointer receiver), the arguments hold
    none but may nest braces, so match from the end."""
    if not line.endswith(")"):
        raise ParseError("not a call: %r" % line)
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        c = line[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                return line[:i], line[i + 1:-1]
    raise ParseError("unbalanced parentheses: %r" % line)


def parse_header(text):
    """The text between the brackets -> (reason or status, minutes, locked)."""
    # 1.26's optional "labels:{...}" ends the header and may hold commas.
    at = text.find(", labels:{")
    if at >= 0:
        text = text[:at]
    parts = text.split(", ")
    minutes, locked = None, False
    for part in parts[1:]:
        m = MINUTES.match(part)
        if m:
            minutes = int(m.group(1))
        elif part == "locked to thread":
            locked = True
    return parts[0], minutes, locked


def strip_minutes(header):
    """A header without its ", N minutes": that part changes with time."""
    return re.sub(r", \d+ minutes", "", header)


def _file_line(lines, i, what):
    if i >= len(lines):
        raise ParseError("%s: missing file:line at the end" % what)
    m = FILE_LINE.match(lines[i])
    if not m:
        raise ParseError("%s: expected '\\tfile:line [+0xN]', got %r" % (what, lines[i]))
    return m.group(1), int(m.group(2)), int(m.group(3), 16) if m.group(3) else None


def parse(text):
    lines = text.splitlines()
    goroutines = []
    i = 0
    while i < len(lines):
        m = HEADER.match(lines[i])
        i += 1
        if not m:
            continue
        reason, minutes, locked = parse_header(m.group(2))
        g = {"goid": int(m.group(1)), "header": m.group(2),
             "wait_reason_or_status": reason, "minutes": minutes, "locked": locked,
             "unavailable": False, "frames": [], "elided": None, "created_by": None}
        goroutines.append(g)
        what = "goroutine %d" % g["goid"]
        # The block ends at a blank line, the next header, or the end.
        while i < len(lines) and lines[i] != "" and not HEADER.match(lines[i]):
            line = lines[i]
            if line == UNAVAILABLE:
                g["unavailable"] = True
                i += 1
                continue
            e = ELIDED.match(line)
            if e or line == "...additional frames elided...":
                g["elided"] = {"after": len(g["frames"]),
                               "count": int(e.group(1)) if e else None}
                i += 1
                continue
            c = CREATED_BY.match(line)
            if c:
                f, no, off = _file_line(lines, i + 1, what)
                g["created_by"] = {"function": c.group(1),
                                   "goid": int(c.group(2)) if c.group(2) else None,
                                   "file": f, "line": no, "offset": off}
                i += 2
                continue
            if line.startswith("\t"):
                raise ParseError("%s: file:line without a function: %r" % (what, line))
            if not line.endswith(")"):
                break  # text after the dump, such as the fixture's "END"
            name, args = split_call(line)
            f, no, off = _file_line(lines, i + 1, what)
            g["frames"].append({"function": name, "args": args, "file": f, "line": no,
                                "offset": off, "inlined": args == "..."})
            i += 2
    return goroutines


def by_goid(goroutines):
    return {g["goid"]: g for g in goroutines}


if __name__ == "__main__":
    json.dump(parse(sys.stdin.read()), sys.stdout, indent=1)
    print()
