#!/bin/sh
# Install what building and testing cleak needs, on Debian or Ubuntu.
# Installs only what is missing; uses sudo when not root.
set -eu
PKGS="gcc g++ make pkg-config libc6-dev libunwind-dev libdw-dev libelf-dev libjson-c-dev \
libiberty-dev linux-libc-dev python3 groff-base util-linux procps iproute2 valgrind zsh fish"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if ! command -v apt-get >/dev/null; then
		echo "cleak: please install:$missing (Debian/Ubuntu package names)" >&2
		exit 1
	fi
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "cleak: installing$missing" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Go 1.21 or newer builds the Go test fixtures (scripts/go-fixtures.sh,
# which finds it on PATH, in /usr/local/go or where this installs it, and
# fetches the older releases it also builds with through the Go module
# proxy).  Debian's golang is often older, so take the toolchain module
# from the proxy: the same zip "GOTOOLCHAIN=go1.26.0" downloads.
here=$(dirname "$0")
sh "$here/go-fixtures.sh" --which-go >/dev/null 2>&1 && exit 0
case "$(uname -m)" in
x86_64) goarch=amd64 ;;
aarch64 | arm64) goarch=arm64 ;;
*) echo "cleak: please install Go 1.21 or newer (for the Go tests)" >&2; exit 1 ;;
esac
toolchain=v0.0.1-go1.26.0.linux-$goarch
if [ -n "${CLEAK_GO_DIR:-}" ]; then
	godir=$CLEAK_GO_DIR
elif [ "$(id -u)" -eq 0 ]; then
	godir=/usr/local/lib/cleak-go
else
	godir=${XDG_CACHE_HOME:-$HOME/.cache}/cleak/go
fi
url=https://proxy.golang.org/golang.org/toolchain/@v/$toolchain.zip
echo "cleak: installing Go 1.26.0 into $godir (for the Go tests)" >&2
mkdir -p "$godir"
zip=$godir/$toolchain.zip
if command -v curl >/dev/null; then
	curl -fsSL -o "$zip.tmp" "$url"
else
	python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
		"$url" "$zip.tmp"
fi
# Module zips keep no file modes: the commands and tools must be made
# executable again, as the go command does for the toolchains it fetches.
python3 - "$zip.tmp" "$godir" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2])
    for name in z.namelist():
        parts = name.split("/")
        if "bin" in parts[2:3] or parts[2:4] == ["pkg", "tool"]:
            path = os.path.join(sys.argv[2], name)
            if os.path.isfile(path):
                os.chmod(path, 0o755)
PY
rm -f "$zip.tmp"
if ! sh "$here/go-fixtures.sh" --which-go >/dev/null; then
	echo "cleak: the Go installed in $godir does not run" >&2
	exit 1
fi
