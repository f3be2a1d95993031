#!/bin/sh
# cleak stack vs eu-stack vs gdb on a process with many threads.
#
#   sh bench/stack.sh [--quick] [--reps N] [--help for more]
#
# `make bench` runs it with the defaults.  It builds cleak and the fixture
# (build/fixtures/many-threads), then bench/stack.py measures and writes
# bench/results.md.  eu-stack (elfutils) and gdb are used when installed and
# skipped, with a message, when not: this script installs nothing.
# CLEAK=/path/to/cleak measures that binary instead of build/cleak.
set -eu
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null 2>&1; then
	echo "bench: python3 is needed to run bench/stack.py" >&2
	exit 1
fi
if [ -n "${CLEAK:-}" ]; then
	make -s build/fixtures/many-threads
else
	make -s all build/fixtures/many-threads
fi
exec python3 bench/stack.py "$@"
