#!/usr/bin/env python3
"""cleak's test runner: the C unit tests, then the end-to-end tests.

Unit tests are the programs build/tests/test-*; each prints one line per
case, "ok NAME" or "FAIL NAME: why".  End-to-end tests are the functions
named test_* in tests/e2e/test_*.py; they start real fixture processes.

Usage: tests/run.py [-k SUBSTRING]   (only tests whose name contains it)
Ends with "N passed, N failed" and exits 1 if anything failed.
"""
import glob
import importlib.util
import os
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))


def run_unit(pattern, results):
    for exe in sorted(glob.glob(os.path.join(ROOT, "build", "tests", "test-*"))):
        proc = subprocess.run([exe], capture_output=True, text=True, timeout=120)
        lines = proc.stdout.splitlines()
        seen = False
        for line in lines:
            if line.startswith("ok "):
                name = "unit/" + line[3:]
                if pattern in name:
                    results.append((name, None))
                    print("ok   " + name, flush=True)
                seen = True
            elif line.startswith("FAIL "):
                name = "unit/" + line[5:].split(":")[0]
                if pattern in name:
                    results.append((name, line[5:]))
                    print("FAIL " + line[5:], flush=True)
                seen = True
        if proc.returncode != 0 and not any(r[1] for r in results):
            name = "unit/" + os.path.basename(exe)
            results.append((name, "exit %d: %s" % (proc.returncode, proc.stderr[-2000:])))
            print("FAIL %s exited %d" % (name, proc.returncode), flush=True)
        elif not seen:
            results.append(("unit/" + os.path.basename(exe), "printed no test results"))


def run_e2e(pattern, results):
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "e2e", "test_*.py"))):
        modname = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for fname in sorted(n for n in dir(mod) if n.startswith("test_")):
            name = "%s/%s" % (modname, fname)
            if pattern not in name:
                continue
            start = time.monotonic()
            try:
                getattr(mod, fname)()
            except Exception:
                results.append((name, traceback.format_exc()))
                print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)
                continue
            results.append((name, None))
            print("ok   %s (%.1fs)" % (name, time.monotonic() - start), flush=True)


def main():
    pattern = ""
    if len(sys.argv) == 3 and sys.argv[1] == "-k":
        pattern = sys.argv[2]
    results = []
    run_unit(pattern, results)
    run_e2e(pattern, results)
    failed = [name for name, err in results if err]
    if failed:
        print("\nfailed: " + ", ".join(failed))
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
