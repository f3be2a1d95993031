#!/bin/sh
# The runtime layout of a Go release, read from a binary's DWARF, as a row
# of lib/goruntime.c; or, with --check, the differences between that DWARF
# and the row cleak has for the binary's release.  To add Go 1.N:
#
#   sh scripts/go-fixtures.sh        (with N added to its VERSIONS)
#   sh scripts/go-layout.sh build/fixtures/go/go1.N/leaks
#
# then paste the row into lib/goruntime.c, write its flags and wait
# reasons by hand (DWARF cannot tell how a release behaves), and raise
# CLEAK_GO_NEWEST in lib/include/cleak.h.  tests/e2e/test_go.py runs
# --check on every fixture.
#
# Usage: sh scripts/go-layout.sh [--check] BINARY
# Exit: 0 printed (or the row matches), 1 the row differs, 2 error.
set -eu
cd "$(dirname "$0")/.."
make -s build/tools/go-layout
exec build/tools/go-layout "$@"
