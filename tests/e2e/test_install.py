"""make install gives a working binary, library, header, pkg-config file, docs."""
import os
import shutil
import subprocess
import tempfile

from harness import ROOT, check


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
        src = os.path.join(dest, "use.c")
        with open(src, "w") as f:
            f.write('#include <cleak.h>\n#include <string.h>\n'
                    'int main(void) { const char *n = cleak_syscall_name(202);\n'
                    '  return n && strcmp(n, "futex") == 0 ? 0 : 1; }\n')
        exe = os.path.join(dest, "use")
        cc = subprocess.run(["cc", src, "-o", exe] + flags.stdout.split(),
                            capture_output=True, text=True)
        check(cc.returncode == 0, cc.stderr)
        run = subprocess.run([exe], env=dict(os.environ,
                                             LD_LIBRARY_PATH=os.path.join(usr, "lib")))
        check(run.returncode == 0, "a program linked with libcleak runs")
        nm = subprocess.run(["nm", "-D", "--defined-only", os.path.join(usr, "lib",
                                                                      "libcleak.so.0")],
                            capture_output=True, text=True).stdout.split("\n")
        exported = [l.split()[-1] for l in nm if l.strip()]
        check(exported and all(s.startswith("cleak_") or s == "LIBCLEAK_0" for s in exported),
              "only cleak_* is exported: %s" % [s for s in exported if not s.startswith("cleak_")])
    finally:
        shutil.rmtree(dest)
