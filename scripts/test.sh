#!/bin/sh
# Set everything up, build, and run every test (as root: tests use ptrace).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -s -j2 all
if [ "$(id -u)" -ne 0 ]; then
	exec sudo make -s check
fi
make -s check
