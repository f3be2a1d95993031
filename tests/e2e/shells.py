"""Run a completion script in its shell and collect what it offers.

Each function takes command lines as a user would type them before
pressing Tab (the last word, maybe empty, is the one completed) and
returns {line: set of candidates}.  cleak is found on PATH, in build/
first, as an installed script would find it.  `cwd` is where file names
are completed.
"""
import os
import pty
import re
import select
import shlex
import subprocess
import tempfile
import time

from harness import BUILD, check


def shell_env(home):
    return dict(os.environ, PATH=BUILD + os.pathsep + os.environ.get("PATH", ""),
                HOME=home, TERM="dumb")


def bash_words(line):
    """COMP_WORDS, the word being completed and the one before it, as
    readline splits `line`: '=' and ':' are words of their own
    (COMP_WORDBREAKS), and the text after the last of them is completed."""
    words = []
    for token in line.split(" "):
        words += [w for w in re.split(r"([=:])", token) if w] or [""]
    # "--format=": COMP_WORDS ends with "=", and "" is being completed.
    return words, re.split(r"[ =:]", line)[-1], words[-2]


def bash_offers(script, lines, cwd):
    """Source `script` in bash and call its _cleak for each line, as
    `complete -F` would."""
    body = ['source %s' % shlex.quote(script)]
    for line in lines:
        words, cur, prev = bash_words(line)
        body.append("COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s; COMP_POINT=%d; "
                    "COMPREPLY=(); _cleak cleak %s %s; echo '--query--'; "
                    "printf '%%s\\n' \"${COMPREPLY[@]}\""
                    % (" ".join(shlex.quote(w) for w in words), len(words) - 1,
                       shlex.quote(line), len(line), shlex.quote(cur), shlex.quote(prev)))
    with tempfile.TemporaryDirectory() as home:
        proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(body)],
                              capture_output=True, text=True, timeout=120, cwd=cwd,
                              env=shell_env(home))
    check(proc.returncode == 0 and not proc.stderr,
          "bash with %s exited %d: %s" % (script, proc.returncode, proc.stderr))
    return split_answers(proc.stdout, lines, "bash")


def fish_offers(script, lines, cwd):
    """`complete -C` for each line, with `script` found on fish_complete_path
    as cleak.fish, as fish loads an installed one."""
    with tempfile.TemporaryDirectory() as home:
        os.symlink(script, os.path.join(home, "cleak.fish"))
        prog = ("set -g fish_complete_path %s $fish_complete_path; "
                "for l in $argv; echo -- --query--; complete -C $l; end" % shlex.quote(home))
        proc = subprocess.run(["fish", "--no-config", "-c", prog, "--"] + lines,
                              capture_output=True, text=True, timeout=120, cwd=cwd,
                              env=shell_env(home))
    check(proc.returncode == 0 and not proc.stderr,
          "fish with %s exited %d: %s" % (script, proc.returncode, proc.stderr))
    return split_answers(proc.stdout, lines, "fish", strip="\t")


def split_answers(out, lines, shell, strip=None):
    answers = out.split("--query--\n")[1:]
    check(len(answers) == len(lines), "%s answered %d of %d completions:\n%s"
          % (shell, len(answers), len(lines), out[-2000:]))
    result = {}
    for line, answer in zip(lines, answers):
        words = [w.split(strip)[0] if strip else w for w in answer.splitlines()]
        result[line] = set(w for w in words if w)
    return result


# The zsh side: compinit in an interactive zsh on a pseudo-terminal, with
# compadd wrapped to write each match that completion adds to a file, and
# a mark after each completion.  No listing, so that nothing waits for a key.
ZSH_SETUP = r'''
PS1= PS2= RPS1=
unsetopt auto_list auto_menu list_beep beep
fpath=(%(dir)s $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
	local -a __hits
	if (( ${@[(I)-[OAD]*]} == 0 )); then
		builtin compadd -O __hits "$@"
		(( $#__hits )) && print -rl -- $__hits >> %(out)s
	fi
	builtin compadd "$@"
}
__cleak_test_done() {
	print -r -- --done-- >> %(out)s
	comppostfuncs=(__cleak_test_done)
}
comppostfuncs=(__cleak_test_done)
bindkey '^I' complete-word
print -r -- --done-- >> %(out)s
'''


def zsh_offers(script, lines, cwd):
    """Type each line and Tab into one interactive zsh that has `script` on
    its fpath as _cleak."""
    with tempfile.TemporaryDirectory() as home:
        fdir = os.path.join(home, "functions")
        os.mkdir(fdir)
        os.symlink(script, os.path.join(fdir, "_cleak"))
        out = os.path.join(home, "out")
        setup = os.path.join(home, "setup.zsh")
        with open(setup, "w") as f:
            f.write(ZSH_SETUP % {"dir": shlex.quote(fdir), "out": shlex.quote(out)})
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(cwd)
            os.execvpe("zsh", ["zsh", "-f", "-i"], shell_env(home))
        seen = []
        try:
            zsh_wait(fd, out, 1, "source " + setup + "\n", seen)
            answers = []
            for i, line in enumerate(lines):
                text = zsh_wait(fd, out, i + 2, line + "\t", seen)
                answers.append(text.split("--done--\n")[-2])
                os.write(fd, b"\x15")	# kill-whole-line, for the next
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(fd)
    return {line: set(a.splitlines()) for line, a in zip(lines, answers)}


def zsh_wait(fd, out, marks, typed, seen):
    """Type `typed`, then read the terminal until `out` has `marks` marks."""
    os.write(fd, typed.encode())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.02)[0]:
            try:
                seen.append(os.read(fd, 65536).decode(errors="replace"))
            except OSError:
                break
        if os.path.exists(out):
            with open(out) as f:
                text = f.read()
            if text.count("--done--\n") >= marks:
                return text
    check(False, "zsh did not complete %r in 30 s; the terminal showed:\n%s"
          % (typed, "".join(seen)[-2000:]))
