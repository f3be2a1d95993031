"""The help, the man pages and the shell completions agree.

`cleak --help` and `cleak <command> --help` are the reference: they are
printed from the command and option tables in cmd/.  Every command must
have its entry in man/cleak.1 and its own man/cleak-<command>.1, and every
option of a command must be documented there and completed by
completions/cleak.bash, completions/_cleak (zsh) and completions/cleak.fish,
with the same short and long names and, for the option's argument, the
same kind (a flag or an option that takes a value).

Failures name what is missing where, e.g.
    man/cleak-stack.1 OPTIONS: missing --freeze, -F
"""
import glob
import os
import re
import shlex
import shutil
import subprocess

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


def parse_help_options(text):
    """{option: argument name or None} from the Options section of a help."""
    opts = {}
    for line in help_sections(text).get("Options", []):
        m = re.match(r"^\s+(?:(-[A-Za-z0-9]),\s+)?(--[A-Za-z0-9][\w-]*)"
                     r"(?:[ =]([A-Z][A-Z0-9_]*|<[\w-]+>)(?=\s|$))?", line)
        if not m:
            continue
        short, long_, arg = m.groups()
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


# ---- completions ---------------------------------------------------------

def strip_shell_comments(text):
    """Shell text without its comments: a '#' that starts a word outside
    quotes, up to the end of the line."""
    out, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"':
                out.append(c)
                i += 1
                c = text[i] if i < len(text) else ""
        elif c in "'\"":
            quote = c
        elif c == "\\":
            out.append(c)
            i += 1
            c = text[i] if i < len(text) else ""
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n;"):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def shell_functions(text):
    """{name: body} of the functions defined at the start of a line."""
    funcs = {}
    pattern = re.compile(r"^(?:function\s+)?([\w-]+)\s*\(\)\s*\n?\s*\{\s*$(.*?)^\}\s*$",
                         re.M | re.S)
    for m in pattern.finditer(text):
        funcs[m.group(1)] = m.group(2)
    return funcs


def quoted_strings(text):
    return [m.group(2) for m in re.finditer(r"(['\"])(.*?)\1", text, re.S)]


def case_patterns(text):
    """Options in the patterns of `case` arms: `-n|--max-frames)`."""
    found = set()
    for m in re.finditer(r"^\s*\(?\s*([^\s()'\"]+)\)", text, re.M):
        for alt in m.group(1).split("|"):
            if OPT_RE.fullmatch(alt):
                found.add(alt)
    return found


def bash_section(text, func):
    """{option: takes an argument} completed by bash function `func`."""
    body = strip_shell_comments(shell_functions(text).get(func, ""))
    with_arg = case_patterns(body)
    opts = {}
    for s in quoted_strings(body):
        for name in OPT_RE.findall(s):
            opts[name] = name in with_arg
    return opts


def zsh_section(text, func):
    """{option: takes an argument} from the _arguments specs in `func`."""
    body = strip_shell_comments(shell_functions(text).get(func, ""))
    opts = {}
    for line in body.splitlines():
        # Descriptions in [...] are prose; what follows them says whether
        # the option takes an argument (":message:action").
        spec = re.sub(r"\[[^\]]*\]", "", line)
        names = set()
        for s in quoted_strings(spec) + re.findall(r"\{([^{}]*)\}", spec):
            names.update(OPT_RE.findall(s))
        takes_arg = ":" in spec
        for name in names:
            opts[name] = opts.get(name, False) or takes_arg
    return opts


FISH_WITH_VALUE = {
    "-c": "command", "--command": "command", "-n": "condition", "--condition": "condition",
    "-s": "short", "--short-option": "short", "-l": "long", "--long-option": "long",
    "-o": "old", "--old-option": "old", "-a": "arguments", "--arguments": "arguments",
    "-d": "description", "--description": "description", "-w": "wraps", "--wraps": "wraps",
    "-p": "path", "--path": "path",
}
FISH_TAKES_ARG = {"-r", "--require-parameter", "-x", "--exclusive"}


def fish_completes(text):
    """Each `complete` command as a dict of its parts."""
    entries = []
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("complete"):
            continue
        words = shlex.split(line, comments=True)
        entry = {"short": [], "long": [], "old": [], "arguments": [], "condition": "",
                 "takes_arg": False}
        i = 1
        while i < len(words):
            w = words[i]
            key, value = w, None
            if w.startswith("--") and "=" in w:
                key, value = w.split("=", 1)
            elif re.fullmatch(r"-[a-zA-Z].+", w) and w[:2] in FISH_WITH_VALUE:
                key, value = w[:2], w[2:]
            if key in FISH_WITH_VALUE:
                if value is None:
                    i += 1
                    value = words[i] if i < len(words) else ""
                part = FISH_WITH_VALUE[key]
                if isinstance(entry.get(part), list):
                    entry[part].append(value)
                else:
                    entry[part] = value
            elif key in FISH_TAKES_ARG:
                entry["takes_arg"] = True
            i += 1
        entries.append(entry)
    return entries


def fish_scope(entry):
    """The command an entry completes options of, "" for before the command."""
    cond = re.split(r"[\s;]+", entry["condition"])
    if "__fish_seen_subcommand_from" in cond and "not" not in cond:
        return set(cond[cond.index("__fish_seen_subcommand_from") + 1:])
    return {""}


def fish_section(text, cmd):
    opts = {}
    for e in fish_completes(text):
        if cmd not in fish_scope(e):
            continue
        names = (["-" + s for s in e["short"]] + ["--" + s for s in e["long"]]
                 + ["-" + s for s in e["old"]])
        for name in names:
            opts[name] = e["takes_arg"]
    return opts


def completion_options(shell, text, cmd):
    """{option: takes an argument} that a completion file offers for `cmd`
    ("" for the options that come before the command)."""
    if shell == "bash":
        return bash_section(text, "_cleak_" + cmd if cmd else "_cleak")
    if shell == "zsh":
        return zsh_section(text, "_cleak_" + cmd if cmd else "_cleak")
    return fish_section(text, cmd)


def completion_commands(shell, text):
    """The command names that a completion file offers in first position."""
    if shell == "fish":
        names = set()
        for e in fish_completes(text):
            if fish_scope(e) == {""}:
                for a in e["arguments"]:
                    if not a.startswith("("):
                        names.update(a.split())
        return names
    body = strip_shell_comments(shell_functions(text).get("_cleak", ""))
    names = set()
    for s in quoted_strings(body):
        if shell == "zsh":
            # _describe's "name:description" entries
            m = re.match(r"^([a-z][\w-]*):", s)
            if m:
                names.add(m.group(1))
        else:
            names.update(s.split())
    return names


def completion_problems(path, shell, cmd, want):
    """Problems of completion file `path` for `cmd` against {option: arg}."""
    text = read(path)
    have = completion_options(shell, text, cmd)
    what = "`cleak %s`" % cmd if cmd else "`cleak` (before the command)"
    where = "%s, %s" % (rel(path), what)
    if not have and want:
        hint = {"bash": "a function _cleak_%s" % cmd if cmd else "a function _cleak",
                "zsh": "a function _cleak_%s" % cmd if cmd else "a function _cleak",
                "fish": "complete lines with -n '__fish_seen_subcommand_from %s'" % cmd
                        if cmd else "complete lines with -n __fish_use_subcommand"}[shell]
        return ["%s: no options found (expected %s)" % (where, hint)]
    help_name = "`cleak %s --help`" % cmd if cmd else "`cleak --help`"
    problems = describe_diff(where, set(want), set(have), help_name)
    if cmd:
        for name in sorted(set(want) & set(have), key=sort_key):
            if bool(want[name]) != have[name]:
                if want[name]:
                    problems.append("%s: %s takes an argument (%s) but is completed as a flag"
                                    % (where, name, want[name]))
                else:
                    problems.append("%s: %s is a flag but is completed as taking an argument"
                                    % (where, name))
    return problems


# ---- tests ---------------------------------------------------------------

def test_docs_commands():
    """`cleak --help` commands = man/cleak.1 COMMANDS; each has its page and
    appears in every completion file."""
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
    for shell, path in sorted(COMPLETIONS.items()):
        offered = completion_commands(shell, read(path))
        for cmd in cmds:
            if cmd not in offered:
                problems.append("%s: does not offer the command %s" % (rel(path), cmd))
    check(not problems, "\n".join(problems))


def test_docs_global_options():
    """The options before the command: help = cleak.1 = completions."""
    want = parse_help_options(main_help())
    check(want, "found no option in the Options section of `cleak --help`")
    page = os.path.join(MAN_DIR, "cleak.1")
    problems = describe_diff("%s OPTIONS" % rel(page), set(want), set(man_options(page)),
                             "`cleak --help`")
    for shell, path in sorted(COMPLETIONS.items()):
        problems += completion_problems(path, shell, "", want)
    check(not problems, "\n".join(problems))


def test_docs_command_options():
    """Each command's options: help = its man page = each completion file."""
    problems = []
    for cmd in help_commands():
        want = parse_help_options(command_help(cmd))
        if not want:
            problems.append("found no option in `cleak %s --help`" % cmd)
            continue
        page = os.path.join(MAN_DIR, "cleak-%s.1" % cmd)
        if not os.path.exists(page):
            problems.append("%s is missing (the page of `cleak %s`)" % (rel(page), cmd))
        else:
            documented = man_options(page)
            where = "%s OPTIONS" % rel(page)
            problems += describe_diff(where, set(want), set(documented),
                                      "`cleak %s --help`" % cmd)
            for name in sorted(set(want) & set(documented), key=sort_key):
                if bool(want[name]) != documented[name]:
                    problems.append("%s: %s %s" % (where, name,
                                    "takes an argument (%s) but none is shown" % want[name]
                                    if want[name] else "is a flag but is shown with an argument"))
            stray = sorted(man_mentions(page) - set(want), key=sort_key)
            if stray:
                problems.append("%s mentions %s, which `cleak %s --help` does not list"
                                % (rel(page), ", ".join(stray), cmd))
        for shell, path in sorted(COMPLETIONS.items()):
            problems += completion_problems(path, shell, cmd, want)
    check(not problems, "\n".join(problems))


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


def bash_offers(path, words):
    """What the bash completion offers for a command line; the last word is
    the one being completed."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); '
              '_cleak cleak "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "--norc", "-c", script, "bash", path] + words,
                          capture_output=True, text=True, timeout=30)
    check(proc.returncode == 0 and not proc.stderr,
          "%s failed for `%s`: %s" % (rel(path), " ".join(words), proc.stderr))
    return set(w for w in proc.stdout.splitlines() if w)


def test_docs_completions_run():
    """The completion files parse, and bash offers what the help lists."""
    problems = []
    checks = [("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]),
              ("fish", ["fish", "--no-execute"])]
    for shell, argv in checks:
        if not shutil.which(argv[0]):
            continue	# the shell is not installed here: nothing to run
        proc = subprocess.run(argv + [COMPLETIONS[shell]], capture_output=True, text=True,
                              timeout=30)
        if proc.returncode != 0:
            problems.append("%s: %s rejects it:\n%s"
                            % (rel(COMPLETIONS[shell]), " ".join(argv), proc.stderr.strip()))
    if shutil.which("bash") and not problems:
        path = COMPLETIONS["bash"]
        cmds = help_commands()
        problems += describe_diff("%s offers for `cleak <TAB>`" % rel(path), set(cmds),
                                  bash_offers(path, ["cleak", ""]), "`cleak --help`")
        problems += describe_diff("%s offers for `cleak -<TAB>`" % rel(path),
                                  set(parse_help_options(main_help())),
                                  bash_offers(path, ["cleak", "-"]), "`cleak --help`")
        for cmd in cmds:
            problems += describe_diff("%s offers for `cleak %s -<TAB>`" % (rel(path), cmd),
                                      set(parse_help_options(command_help(cmd))),
                                      bash_offers(path, ["cleak", cmd, "-"]),
                                      "`cleak %s --help`" % cmd)
    check(not problems, "\n".join(problems))
