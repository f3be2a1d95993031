"""The help, the man pages and the shell completions agree.

`cleak --help` and `cleak <command> --help` are the reference: they are
printed from the command and option tables in cmd/.  Every command must
have its entry in man/cleak.1 and its own man/cleak-<command>.1, and every
option of a command must be documented there, with the same short and long
names and, for the option's argument, the same kind (a flag or an option
that takes a value).

The completions (completions/cleak.bash, completions/_cleak for zsh and
completions/cleak.fish) name no option: they ask the hidden
`cleak __complete`, which prints the same tables.  So its rows must be
those of the help, and each script, run by its shell, must offer the
commands, each command's options, the values of an option that has fixed
ones, files, directories and pids where they belong, and nothing where an
option takes a number or a name.

Failures name what is missing where, e.g.
    man/cleak-stack.1 OPTIONS: missing --freeze, -F
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

import shells
from harness import ROOT, check, cleak

MAN_DIR = os.path.join(ROOT, "man")
COMPLETIONS = {
    "bash": os.path.join(ROOT, "completions", "cleak.bash"),
    "zsh": os.path.join(ROOT, "completions", "_cleak"),
    "fish": os.path.join(ROOT, "completions", "cleak.fish"),
}

# An option name as it appears in help, man pages and completions.
OPT_RE = re.compile(r"(?<![\w-])(--[A-Za-z0-9][\w-]*|-[A-Za-z0-9])(?![\w])")


def rel(path):
    return os.path.relpath(path, ROOT)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def describe_diff(where, want, have, want_name):
    """Problems for two sets of option names: what `have` lacks or adds."""
    problems = []
    missing = sorted(want - have, key=sort_key)
    extra = sorted(have - want, key=sort_key)
    if missing:
        problems.append("%s: missing %s" % (where, ", ".join(missing)))
    if extra:
        problems.append("%s: has %s, which %s does not list"
                        % (where, ", ".join(extra), want_name))
    return problems


def sort_key(opt):
    return (opt.lstrip("-").lower(), opt)


# ---- help ----------------------------------------------------------------

def help_sections(text):
    """{"Options": [lines], "Commands": [lines]} of a --help text."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][\w ]*):\s*$", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif not line.strip():
            current = None
        elif current:
            sections[current].append(line)
    return sections


def help_rows(text):
    """[(short or None, long, argument name or None, description)] from the
    Options section of a help."""
    rows = []
    for line in help_sections(text).get("Options", []):
        m = re.match(r"^\s+(?:(-[A-Za-z0-9]),\s+)?(--[A-Za-z0-9][\w-]*)"
                     r"(?:[ =]([A-Z][A-Z0-9_]*|<[\w-]+>)(?=\s|$))?\s*(.*)$", line)
        if m:
            rows.append(m.groups())
    return rows


def parse_help_options(text):
    """{option: argument name or None} from the Options section of a help."""
    opts = {}
    for short, long_, arg, _ in help_rows(text):
        opts[long_] = arg
        if short:
            opts[short] = arg
    return opts


def main_help():
    proc = cleak("--help")
    check(proc.returncode == 0, "`cleak --help` exited %d: %s" % (proc.returncode, proc.stderr))
    return proc.stdout


def command_help(cmd):
    proc = cleak(cmd, "--help")
    check(proc.returncode == 0,
          "`cleak %s --help` exited %d: %s" % (cmd, proc.returncode, proc.stderr))
    return proc.stdout


def help_commands():
    """The commands that `cleak --help` lists, in order."""
    cmds = []
    for line in help_sections(main_help()).get("Commands", []):
        # "  stack      Print ..."; continuation lines are indented otherwise.
        m = re.match(r"^  ([a-z][\w-]*)\s{2,}\S", line)
        if m:
            cmds.append(m.group(1))
    check(cmds, "found no command in the Commands section of `cleak --help`")
    return cmds


# ---- man pages -----------------------------------------------------------

def roff_to_text(line):
    """Plain text of one roff line: macro name, font escapes and quotes gone."""
    line = re.sub(r"^\.(B|I|R|BR|RB|BI|IB|IR|RI|SM|SB)\b\s*", "", line)
    line = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", line)
    line = line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    line = line.replace("\\&", "").replace("\\c", "").replace('"', "")
    return line


def man_sections(path):
    """{section name: [lines]} of a man page, comments left out."""
    sections, current = {}, None
    for line in read(path).splitlines():
        if line.startswith(('.\\"', "'\\\"")):
            continue
        m = re.match(r"^\.SH\s+(.*)$", line)
        if m:
            current = m.group(1).strip().strip('"')
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def tp_tags(lines):
    """The tag line of each .TP entry, as plain text."""
    tags = []
    for i, line in enumerate(lines):
        if re.match(r"^\.TP\b", line):
            for tag in lines[i + 1:]:
                if not tag.startswith(('.\\"', ".PD")):
                    tags.append(roff_to_text(tag).strip())
                    break
    return tags


def man_options(path, section="OPTIONS"):
    """{option: takes an argument} from the .TP entries of a section."""
    sections = man_sections(path)
    check(section in sections, "%s has no %s section" % (rel(path), section))
    opts = {}
    for tag in tp_tags(sections[section]):
        names = OPT_RE.findall(tag)
        rest = OPT_RE.sub("", tag).replace(",", " ").split()
        for name in names:
            opts[name] = bool(rest)
    return opts


def man_commands(path):
    sections = man_sections(path)
    check("COMMANDS" in sections, "%s has no COMMANDS section" % rel(path))
    cmds = [tag.split()[0] for tag in tp_tags(sections["COMMANDS"]) if tag.split()]
    return cmds, "\n".join(sections["COMMANDS"])


def man_mentions(path):
    """Every --option written anywhere in a man page (comments left out)."""
    text = "\n".join(roff_to_text(line) for lines in man_sections(path).values()
                     for line in lines)
    return set(m for m in OPT_RE.findall(text) if m.startswith("--"))


# ---- cleak __complete ----------------------------------------------------

COMPLETE_FIELDS = ("long", "short", "arg", "value", "repeat", "conflicts", "help")
VALUES = ("any", "file", "dir", "dirs")


def complete_lines(*args):
    """The lines `cleak __complete ARGS` prints (the tables for the shells)."""
    proc = cleak("__complete", *args)
    check(proc.returncode == 0 and not proc.stderr, "`cleak __complete %s` exited %d: %s"
          % (" ".join(args), proc.returncode, proc.stderr))
    return proc.stdout.splitlines()


def complete_options(cmd=None):
    """The rows of `cleak __complete options [CMD]` as dicts, None for "-"."""
    args = ("options", cmd) if cmd else ("options",)
    rows = []
    for line in complete_lines(*args):
        fields = line.split("\t")
        check(len(fields) == len(COMPLETE_FIELDS), "`cleak __complete %s`: %r has %d "
              "fields, not %d" % (" ".join(args), line, len(fields), len(COMPLETE_FIELDS)))
        rows.append({k: None if v == "-" else v for k, v in zip(COMPLETE_FIELDS, fields)})
    return rows


def complete_names(rows):
    """{option: argument name or None}, as parse_help_options gives."""
    opts = {}
    for r in rows:
        opts[r["long"]] = r["arg"]
        if r["short"]:
            opts[r["short"]] = r["arg"]
    return opts


def complete_problems(cmd, help_text):
    """Where `cleak __complete options [CMD]` differs from the help: the
    names, the argument and the description of each option, and whether
    what it says for the shells fits."""
    what = "`cleak __complete options%s`" % (" " + cmd if cmd else "")
    help_name = "`cleak %s--help`" % (cmd + " " if cmd else "")
    rows = {r["long"]: r for r in complete_options(cmd)}
    want = {long_: (short, arg, desc) for short, long_, arg, desc in help_rows(help_text)}
    names = parse_help_options(help_text)
    problems = describe_diff(what, set(want), set(rows), help_name)
    for long_ in sorted(set(want) & set(rows), key=sort_key):
        r, (short, arg, desc) = rows[long_], want[long_]
        for field, value in (("short", short), ("arg", arg), ("help", desc)):
            if r[field] != value:
                problems.append("%s: %s has %s %r where %s has %r"
                                % (what, long_, field, r[field], help_name, value))
        value = r["value"] or ""
        if arg is None and value:
            problems.append("%s: %s is a flag but has a value to complete (%s)"
                            % (what, long_, value))
        if arg is not None and value not in VALUES and not value.startswith("one-of:"):
            problems.append("%s: %s takes %s, but its value is %r, not one of %s or "
                            "one-of:..." % (what, long_, arg, value, ", ".join(VALUES)))
        choices = value[len("one-of:"):].split() if value.startswith("one-of:") else []
        unnamed = [c for c in choices if not re.search(r"\b%s\b" % re.escape(c), desc)]
        if value.startswith("one-of:") and (len(choices) < 2 or unnamed):
            problems.append("%s: %s completes %s, which its help (%r) does not name"
                            % (what, long_, " ".join(unnamed or choices), desc))
        if r["repeat"] not in ("repeat", "once") or \
           (r["repeat"] == "repeat") != desc.endswith("(repeatable)"):
            problems.append("%s: %s is %r to repeat, its help says %r"
                            % (what, long_, r["repeat"], desc))
        stray = [c for c in (r["conflicts"] or "").split() if c != "*" and c not in names]
        if stray:
            problems.append("%s: %s conflicts with %s, which %s does not list"
                            % (what, long_, ", ".join(stray), help_name))
    return problems


def usage_operands(help_text):
    """What `cleak __complete operands` should say for a command, from the
    arguments on its Usage line."""
    m = re.match(r"Usage: \S+ \S+ \[options\] ?(.*)$", help_text.splitlines()[0])
    check(m, "no Usage line in %r" % help_text[:200])
    args = m.group(1).strip()
    if not args:
        return "none"
    if args == "<pid>":
        return "pid"
    if args.startswith("<pid> |") and ".json" in args:
        return "pid-or-snapshots"
    return "(%s)" % args


# ---- the completion scripts, run by their shells --------------------------

# Files in the directory where the shells complete.
FILE, SNAPSHOT, DIR = "rules.txt", "snap.json", "subdir"


def completion_cases():
    """(line, source, exact, has, lacks, pids) for each line a script must
    complete: the candidates are `exact` if it is not None, include `has`,
    include none of `lacks`, and include a process id if `pids` is True,
    none if it is False.  `source` names where the expectation comes from."""
    cases = []

    def case(line, source, exact=None, has=(), lacks=(), pids=None):
        cases.append((line, source, exact, set(has), set(lacks), pids))

    cmds = help_commands()
    case("cleak ", "`cleak --help`", exact=set(cmds))
    case("cleak -", "`cleak --help`", exact=set(parse_help_options(main_help())))
    case("cleak --help ", "`cleak --help`", exact=set(cmds))
    for cmd in cmds:
        text = command_help(cmd)
        source = "`cleak %s --help`" % cmd
        table = "`cleak __complete options %s`" % cmd
        rows = {r["long"]: r for r in complete_options(cmd)}
        operands = usage_operands(text)
        case("cleak %s -" % cmd, source, exact=set(parse_help_options(text)))
        for short, long_, arg, _ in help_rows(text):
            r = rows.get(long_)
            if not r:
                continue	# test_docs_command_options says so
            value = r["value"] or ""
            for name in (n for n in (short, long_) if n):
                line = "cleak %s %s " % (cmd, name)
                if arg is None:
                    # A flag: what follows is what would follow without it,
                    # unless it takes the whole line (--help).
                    if r["conflicts"] != "*" and operands != "none":
                        case(line, source, pids=True)
                    if r["conflicts"] != "*" and "--help" in rows:
                        case(line + "-", source, has={"--help"})
                elif value.startswith("one-of:"):
                    case(line, table, exact=set(value[len("one-of:"):].split()))
                elif value == "file":
                    case(line, table, has={FILE}, pids=False)
                elif value in ("dir", "dirs"):
                    case(line, table, has={DIR}, lacks={FILE}, pids=False)
                else:
                    case(line, table, exact=set())
            if r["repeat"] == "repeat":
                case("cleak %s %s %s-" % (cmd, long_, "x " if arg else ""), table,
                     has={long_})
            if value.startswith("one-of:"):
                case("cleak %s %s=" % (cmd, long_), table,
                     exact=set(value[len("one-of:"):].split()))
            if value == "dirs":
                case("cleak %s %s %s:sub" % (cmd, long_, FILE), table, has={DIR},
                     lacks={FILE})
        if operands == "pid":
            case("cleak %s " % cmd, source, pids=True)
            case("cleak %s 1 " % cmd, source, pids=False)	# one pid at a time
        elif operands == "pid-or-snapshots":
            case("cleak %s " % cmd, source, has={SNAPSHOT}, pids=True)
            case("cleak %s %s " % (cmd, SNAPSHOT), source, has={SNAPSHOT}, pids=False)
            case("cleak %s 1 " % cmd, source, exact=set())
        else:
            case("cleak %s " % cmd, source, pids=False)
    return cases


def candidate(word):
    """A candidate as the checks compare it: fish prints "--format=go" and
    "dir1:subdir/" whole, the others only what follows the '=' or ':'."""
    if word.startswith("--") and "=" in word:
        word = word.split("=", 1)[1]
    return word.rsplit(":", 1)[-1].rstrip("/")


def completion_run_problems(shell, syntax, offers):
    """Problems of completion script `shell` run by that shell: `syntax`
    is the command that parses it without running it, `offers` one of the
    functions of shells.py."""
    path = COMPLETIONS[shell]
    if not shutil.which(shell):
        print("skipped: %s is not installed here (apt-get install %s), so %s was not run"
              % (shell, shell, rel(path)))
        return []
    proc = subprocess.run(syntax + [path], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        return ["%s: %s rejects it:\n%s" % (rel(path), " ".join(syntax), proc.stderr.strip())]
    cases = completion_cases()
    with tempfile.TemporaryDirectory() as cwd:
        for name in (FILE, SNAPSHOT):
            open(os.path.join(cwd, name), "w").close()
        os.mkdir(os.path.join(cwd, DIR))
        got = offers(path, [c[0] for c in cases], cwd)
    problems = []
    for line, source, exact, has, lacks, pids in cases:
        words = set(candidate(w) for w in got[line])
        numbers = sorted(w for w in words if w.isdigit())
        where = "%s, offered for `%s<Tab>`" % (rel(path), line)
        if exact is not None:
            problems += describe_diff(where, exact, words, source)
        if has - words:
            problems.append("%s: missing %s" % (where, ", ".join(sorted(has - words))))
        if lacks & words:
            problems.append("%s: has %s" % (where, ", ".join(sorted(lacks & words))))
        if pids and not numbers:
            problems.append("%s: no process id, where %s takes one" % (where, source))
        if pids is False and numbers and exact is None:
            problems.append("%s: has process ids (%s ...), where %s takes none"
                            % (where, " ".join(numbers[:3]), source))
    return problems

# ---- tests ---------------------------------------------------------------

def test_docs_commands():
    """`cleak --help` commands = man/cleak.1 COMMANDS = `cleak __complete
    commands`; each has its page; `__complete` itself is in neither."""
    cmds = help_commands()
    page = os.path.join(MAN_DIR, "cleak.1")
    documented, commands_text = man_commands(page)
    problems = describe_diff("%s COMMANDS" % rel(page), set(cmds), set(documented),
                             "`cleak --help`")
    for cmd in cmds:
        own = os.path.join(MAN_DIR, "cleak-%s.1" % cmd)
        if not os.path.exists(own):
            problems.append("%s is missing (the page of `cleak %s`)" % (rel(own), cmd))
        if "cleak\\-%s (1)" % cmd not in commands_text and \
           "cleak-%s (1)" % cmd not in commands_text:
            problems.append("%s COMMANDS: %s does not refer to cleak-%s(1)"
                            % (rel(page), cmd, cmd))
    # Each command's name and its summary, as --help lists them.
    listed = []
    for line in help_sections(main_help())["Commands"]:
        m = re.match(r"^  ([a-z][\w-]*)\s{2,}(\S.*)$", line)
        if m:
            listed.append(m.groups())
    for line in complete_lines("commands"):
        if tuple(line.split("\t")) not in listed:
            problems.append("`cleak __complete commands` prints %r, which `cleak --help` "
                            "does not list" % line)
    names = [line.split("\t")[0] for line in complete_lines("commands")]
    if names != cmds:
        problems.append("`cleak __complete commands` lists %s, `cleak --help` %s"
                        % (" ".join(names), " ".join(cmds)))
    for path in [None] + sorted(glob.glob(os.path.join(MAN_DIR, "*.1"))):
        text = main_help() if path is None else read(path)
        if "__complete" in text:
            problems.append("%s names the hidden `cleak __complete`"
                            % (rel(path) if path else "`cleak --help`"))
    check(not problems, "\n".join(problems))


def test_docs_global_options():
    """The options before the command: help = cleak.1 = `cleak __complete
    options`."""
    want = parse_help_options(main_help())
    check(want, "found no option in the Options section of `cleak --help`")
    page = os.path.join(MAN_DIR, "cleak.1")
    problems = describe_diff("%s OPTIONS" % rel(page), set(want), set(man_options(page)),
                             "`cleak --help`")
    problems += complete_problems(None, main_help())
    problems += describe_diff("%s OPTIONS" % rel(page), set(complete_names(complete_options())),
                              set(man_options(page)), "`cleak __complete options`")
    check(not problems, "\n".join(dict.fromkeys(problems)))


def man_option_problems(page, want, want_name):
    """Where the OPTIONS of man page `page` differ from {option: argument}:
    names, and whether each takes an argument."""
    documented = man_options(page)
    where = "%s OPTIONS" % rel(page)
    problems = describe_diff(where, set(want), set(documented), want_name)
    for name in sorted(set(want) & set(documented), key=sort_key):
        if bool(want[name]) != documented[name]:
            problems.append("%s: %s %s" % (where, name,
                            "takes an argument (%s) but none is shown" % want[name]
                            if want[name] else "is a flag but is shown with an argument"))
    return problems


def test_docs_command_options():
    """Each command's options: help = its man page = `cleak __complete
    options <command>`, and its operands are those of its Usage line."""
    problems = []
    for cmd in help_commands():
        text = command_help(cmd)
        want = parse_help_options(text)
        if not want:
            problems.append("found no option in `cleak %s --help`" % cmd)
            continue
        problems += complete_problems(cmd, text)
        operands = complete_lines("operands", cmd)
        if operands != [usage_operands(text)]:
            problems.append("`cleak __complete operands %s` prints %s, its Usage line says %s"
                            % (cmd, operands, usage_operands(text)))
        page = os.path.join(MAN_DIR, "cleak-%s.1" % cmd)
        if not os.path.exists(page):
            problems.append("%s is missing (the page of `cleak %s`)" % (rel(page), cmd))
        else:
            problems += man_option_problems(page, want, "`cleak %s --help`" % cmd)
            problems += man_option_problems(page, complete_names(complete_options(cmd)),
                                            "`cleak __complete options %s`" % cmd)
            stray = sorted(man_mentions(page) - set(want), key=sort_key)
            if stray:
                problems.append("%s mentions %s, which `cleak %s --help` does not list"
                                % (rel(page), ", ".join(stray), cmd))
    # A page that lacks an option lacks it against both: say so once.
    check(not problems, "\n".join(dict.fromkeys(problems)))


def test_docs_man_pages_render():
    """groff renders every man page without a warning."""
    groff = shutil.which("groff")
    check(groff, "groff is not installed (apt-get install groff-base); "
                 "it is needed to check the man pages")
    pages = sorted(p for p in os.listdir(MAN_DIR) if re.fullmatch(r"[\w-]+\.\d", p))
    check(pages, "no man page in %s" % rel(MAN_DIR))
    problems = []
    for name in pages:
        proc = subprocess.run([groff, "-man", "-ww", "-z", os.path.join(MAN_DIR, name)],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or proc.stderr.strip():
            problems.append("man/%s: groff -man -ww -z exited %d:\n%s"
                            % (name, proc.returncode, proc.stderr.strip()))
    check(not problems, "\n".join(problems))


def test_docs_version():
    """`cleak --version` prints CLEAK_VERSION of lib/include/cleak.h."""
    header = read(os.path.join(ROOT, "lib", "include", "cleak.h"))
    m = re.search(r'^#define CLEAK_VERSION "([^"]+)"', header, re.M)
    check(m, "lib/include/cleak.h defines no CLEAK_VERSION")
    oldest, newest = go_range()
    want = ("cleak %s\nreads Go 1.%d to 1.%d with its own tables, newer Go releases through "
            "their DWARF\n" % (m.group(1), oldest, newest))
    proc = cleak("--version")
    check(proc.returncode == 0, "`cleak --version` exited %d" % proc.returncode)
    check(proc.stdout == want, "`cleak --version` printed %r, expected %r" % (proc.stdout, want))


def go_range():
    """(oldest, newest): the Go releases cleak has tables for, written once
    in lib/include/cleak.h."""
    header = read(os.path.join(ROOT, "lib", "include", "cleak.h"))
    got = [re.search(r"^#define CLEAK_GO_%s (\d+)$" % w, header, re.M) for w in ("OLDEST", "NEWEST")]
    check(all(got), "lib/include/cleak.h defines no CLEAK_GO_OLDEST/NEWEST")
    return tuple(int(g.group(1)) for g in got)


def test_docs_go_release_range():
    """Every "Go 1.N to 1.M" the docs write is the range cleak.h defines,
    and the fixtures are built for each release of it."""
    oldest, newest = go_range()
    docs = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "man", "*.1")))
    problems, seen = [], 0
    for path in docs:
        for no, line in enumerate(read(path).splitlines(), 1):
            for m in re.finditer(r"Go 1\.(\d+) to 1\.(\d+)", line):
                seen += 1
                if (int(m.group(1)), int(m.group(2))) != (oldest, newest):
                    problems.append("%s:%d: %s" % (rel(path), no, m.group(0)))
    check(seen, "no doc names the Go releases cleak reads")
    script = read(os.path.join(ROOT, "scripts", "go-fixtures.sh"))
    m = re.search(r"VERSIONS=\$\{CLEAK_GO_VERSIONS:-([\d ]+)\}", script)
    check(m and [int(v) for v in m.group(1).split()] == list(range(oldest, newest + 1)),
          "scripts/go-fixtures.sh builds %s, not 1.%d to 1.%d" % (m and m.group(1), oldest, newest))
    check(not problems, "ranges that are not Go 1.%d to 1.%d:\n  %s"
          % (oldest, newest, "\n  ".join(problems)))


def test_docs_completions_bash():
    """completions/cleak.bash, run by bash, offers what the help lists."""
    problems = completion_run_problems("bash", ["bash", "-n"], shells.bash_offers)
    check(not problems, "\n".join(problems))


def test_docs_completions_zsh():
    """completions/_cleak, run by zsh, offers what the help lists."""
    problems = completion_run_problems("zsh", ["zsh", "-n"], shells.zsh_offers)
    check(not problems, "\n".join(problems))


def test_docs_completions_fish():
    """completions/cleak.fish, run by fish, offers what the help lists."""
    problems = completion_run_problems("fish", ["fish", "--no-execute"], shells.fish_offers)
    check(not problems, "\n".join(problems))
