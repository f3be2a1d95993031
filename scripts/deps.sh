#!/bin/sh
# Install what building and testing cleak needs, on Debian or Ubuntu.
# Installs only what is missing; uses sudo when not root.
set -eu
PKGS="gcc g++ make pkg-config libc6-dev libunwind-dev libdw-dev libelf-dev libjson-c-dev \
libiberty-dev linux-libc-dev python3 groff-base util-linux procps iproute2 valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null; then
	echo "cleak: please install:$missing (Debian/Ubuntu package names)" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "cleak: installing$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
