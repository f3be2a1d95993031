#!/bin/sh
# Set everything up, start the bundled demo service and show its threads.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -s all build/examples/pool-demo
# The demo keeps running while stdin is open.
sleep 30 | build/examples/pool-demo > /tmp/cleak-demo.$$ &
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q ready /tmp/cleak-demo.$$ 2>/dev/null && break
	sleep 0.2
done
pid=$(sed -n 's/^ready \([0-9]*\).*/\1/p' /tmp/cleak-demo.$$)
rm -f /tmp/cleak-demo.$$
echo "\$ cleak stack $pid"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO build/cleak stack "$pid" || true
kill "$pid" 2>/dev/null || true
