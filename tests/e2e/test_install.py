"""make install gives a working binary, library, header, pkg-config file, docs."""
import os
import re
import shutil
import subprocess
import tempfile

from harness import ROOT, Fixture, check


def man_example(page):
    """The C program between .EX and .EE in a man page, unescaped."""
    with open(page) as f:
        text = f.read()
    body = text.split("\n.EX\n", 1)[1].split("\n.EE\n", 1)[0]
    return body.replace("\\e", "\\").replace("\\-", "-") + "\n"


def test_install_tree_and_library_link():
    dest = tempfile.mkdtemp()
    try:
        proc = subprocess.run(["make", "-s", "install", "DESTDIR=" + dest, "PREFIX=/usr"],
                              cwd=ROOT, capture_output=True, text=True)
        check(proc.returncode == 0, proc.stderr)
        usr = os.path.join(dest, "usr")
        for rel in ("bin/cleak", "lib/libcleak.so.0", "lib/libcleak.a", "include/cleak.h",
                    "lib/pkgconfig/libcleak.pc", "share/man/man1/cleak.1",
                    "share/man/man1/cleak-stack.1",
                    "share/bash-completion/completions/cleak",
                    "share/zsh/site-functions/_cleak",
                    "share/fish/vendor_completions.d/cleak.fish"):
            check(os.path.exists(os.path.join(usr, rel)), "missing " + rel)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(usr, "lib", "pkgconfig"),
                   PKG_CONFIG_SYSROOT_DIR=dest)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcleak"], env=env,
                               capture_output=True, text=True)
        check(flags.returncode == 0, flags.stderr)
        check(os.path.exists(os.path.join(usr, "share/man/man3/cleak.3")), "missing cleak.3")
        # cleak(3)'s example, as the page prints it, built against the
        # installed library and run on a fixture
        src = os.path.join(dest, "use.c")
        with open(src, "w") as f:
            f.write(man_example(os.path.join(ROOT, "man", "cleak.3")))
        exe = os.path.join(dest, "use")
        cc = subprocess.run(["cc", "-Wall", "-Werror", src, "-o", exe] + flags.stdout.split(),
                            capture_output=True, text=True)
        check(cc.returncode == 0, cc.stderr)
        with Fixture("threads") as fx:
            run = subprocess.run([exe, str(fx.pid)], capture_output=True, text=True,
                                 env=dict(os.environ, LD_LIBRARY_PATH=os.path.join(usr, "lib")))
        check(run.returncode == 0, "cleak(3)'s example: %s" % run.stderr)
        out = run.stdout.splitlines()
        check(len(out) == 12 and any(l.endswith(": condvar in __futex_abstimed_wait_common64")
                                     for l in out), "cleak(3)'s example printed %s" % out)
        nm = subprocess.run(["nm", "-D", "--defined-only", os.path.join(usr, "lib",
                                                                      "libcleak.so.0")],
                            capture_output=True, text=True).stdout.split("\n")
        exported = {l.split()[-1].split("@")[0] for l in nm if l.strip()} - {"LIBCLEAK_0"}
        # exactly the functions the public header declares: no cleak__ internals
        with open(os.path.join(ROOT, "lib", "include", "cleak.h")) as f:
            declared = set(re.findall(r"\b(cleak_[a-z0-9_]+)\(", f.read()))
        check(exported == declared,
              "exported but not in cleak.h: %s; in cleak.h but not exported: %s"
              % (sorted(exported - declared), sorted(declared - exported)))
    finally:
        shutil.rmtree(dest)
