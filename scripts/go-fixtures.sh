#!/bin/sh
# Build the Go fixtures that tests/e2e/test_go.py runs, with each Go release
# cleak reads:
#
#   build/fixtures/go/go1.N/leaks           default build
#   build/fixtures/go/go1.N/leaks-stripped  -ldflags='-s -w'
#   build/fixtures/go/go1.N/leaks-pie       -buildmode=pie -ldflags='-s -w'
#   build/fixtures/go/go1.N/leaks-cgo       newest N only: cgo, one goroutine in C
#   build/fixtures/go/go1.N/servers         newest N only: tests/fixtures/go/servers,
#                                           the HTTP server of tests/e2e/test_diff.py
#   build/fixtures/go/go1.N/corners         newest N only, cgo: tests/fixtures/go/corners,
#                                           real programs' corners for gocheck.c
#
# N is 19 to 27, or the list in CLEAK_GO_VERSIONS (e.g. "19 26").  All but
# leaks-cgo are built with CGO_ENABLED=0 so that they are the same on
# machines with and without a C compiler (with one, "go build" would link
# net's cgo resolver and libc).  A go 1.21 or newer must be on PATH, in /usr/local/go,
# or where scripts/deps.sh installs one; for the other releases it runs
# GOTOOLCHAIN=go1.N.0 (go1.19.13 and go1.20.14, the only builds of those
# releases that the proxy serves as toolchains; go1.27.3 for the newest), which fetches that
# toolchain through the Go module proxy once and keeps it in the module
# cache.  A target newer than its sources and this script is kept.
#
# Usage: sh scripts/go-fixtures.sh            build what is missing or stale
#        sh scripts/go-fixtures.sh --which-go print the go it would use
# Exit: 0 all built or up to date, 1 a build failed, 3 no go 1.21 or newer.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCRIPT=$ROOT/scripts/go-fixtures.sh
OUT=$ROOT/build/fixtures/go
LEAKS=$ROOT/tests/fixtures/go/leaks
SERVERS=$ROOT/tests/fixtures/go/servers
CORNERS=$ROOT/tests/fixtures/go/corners
CACHE_HOME=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}

# go_minor GO: the minor release of that go command (26 for go1.26.8).
go_minor() {
	GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null |
		sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p'
}

# find_go: the first go >= 1.21 of PATH, /usr/local/go and the places
# scripts/deps.sh installs one (CLEAK_GO_DIR, /usr/local/lib/cleak-go,
# ~/.cache/cleak/go).
find_go() {
	for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go \
		"${CLEAK_GO_DIR:-/nonexistent}"/golang.org/toolchain@*/bin/go \
		/usr/local/lib/cleak-go/golang.org/toolchain@*/bin/go \
		"$CACHE_HOME"/cleak/go/golang.org/toolchain@*/bin/go; do
		[ -n "$candidate" ] && [ -x "$candidate" ] || continue
		minor=$(go_minor "$candidate")
		if [ -n "$minor" ] && [ "$minor" -ge 21 ]; then
			echo "$candidate"
			return 0
		fi
	done
	return 1
}

if ! GO=$(find_go); then
	echo "go-fixtures: no go 1.21 or newer found (PATH, /usr/local/go," \
		"/usr/local/lib/cleak-go, $CACHE_HOME/cleak/go)." >&2
	echo "go-fixtures: the Go tests need one: run 'sh scripts/deps.sh', which installs it." >&2
	exit 3
fi
if [ "${1:-}" = "--which-go" ]; then
	echo "$GO"
	exit 0
fi
LOCAL_MINOR=$(go_minor "$GO")

# The cache the go command would choose anyway; spelled out because HOME
# may be unset (then go refuses to pick one).
GOCACHE=$(GOTOOLCHAIN=local "$GO" env GOCACHE 2>/dev/null || true)
case "$GOCACHE" in
"" | off) GOCACHE=$CACHE_HOME/go-build ;;
esac
export GOCACHE
export GOFLAGS="-mod=mod -buildvcs=false"

VERSIONS=${CLEAK_GO_VERSIONS:-19 20 21 22 23 24 25 26 27}
NEWEST=0
for n in $VERSIONS; do
	if [ "$n" -gt "$NEWEST" ]; then NEWEST=$n; fi
done

# stale TARGET [SOURCES]: true when TARGET is missing or older than a source
# (in SOURCES, default $LEAKS) or this script.
stale() {
	[ -e "$1" ] || return 0
	for src in "$SCRIPT" "${2:-$LEAKS}"/*.go "${2:-$LEAKS}"/go.mod; do
		if [ "$src" -nt "$1" ]; then return 0; fi
	done
	return 1
}

failed=""
# build TOOLCHAIN TARGET CGO [go build flags...]: servers from $SERVERS,
# the others from $LEAKS.
build() {
	toolchain=$1 target=$2 cgo=$3
	shift 3
	case $target in
	*/servers) srcdir=$SERVERS ;;
	*/corners) srcdir=$CORNERS ;;
	*) srcdir=$LEAKS ;;
	esac
	stale "$target" "$srcdir" || return 0
	echo "go-fixtures: building $target" >&2
	mkdir -p "$(dirname "$target")"
	if (cd "$srcdir" && if [ -n "$modcache" ]; then export GOMODCACHE="$modcache"; fi &&
		GOTOOLCHAIN=$toolchain CGO_ENABLED=$cgo "$builder" build -o "$target.tmp" "$@" .); then
		mv "$target.tmp" "$target"
	else
		rm -f "$target.tmp"
		failed="$failed ${target#"$ROOT"/}"
	fi
}

for n in $VERSIONS; do
	dir=$OUT/go1.$n
	# built for an earlier newest release: the tests take the newest
	if [ "$n" != "$NEWEST" ]; then rm -f "$dir/leaks-cgo" "$dir/servers" "$dir/corners"; fi
	need=""
	for t in leaks leaks-stripped leaks-pie; do
		if stale "$dir/$t"; then need=1; fi
	done
	if [ "$n" = "$NEWEST" ] && stale "$dir/leaks-cgo"; then need=1; fi
	if [ "$n" = "$NEWEST" ] && stale "$dir/servers" "$SERVERS"; then need=1; fi
	if [ "$n" = "$NEWEST" ] && stale "$dir/corners" "$CORNERS"; then need=1; fi
	[ -n "$need" ] || continue
	# The installed go for its own release, a fetched go1.N.0 for the others.
	builder=$GO modcache=""
	case $n in
	19) toolchain=go1.19.13 ;;
	20) toolchain=go1.20.14 ;;
	27) toolchain=go1.27.3 ;;
	*) toolchain=go1.$n.0 ;;
	esac
	if [ "$n" = "$LOCAL_MINOR" ]; then
		toolchain=local
	elif ! GOTOOLCHAIN=$toolchain "$GO" version >/dev/null; then
		echo "go-fixtures: cannot get the $toolchain toolchain (it comes" \
			"through the Go module proxy, GOPROXY=$("$GO" env GOPROXY))" >&2
		failed="$failed go1.$n"
		continue
	elif [ "$n" -lt 21 ]; then
		# Go 1.20 and older predate toolchain switching: run the fetched
		# go itself.  Go 1.19 refuses to build a module ("import of
		# unknown directory") while its own GOROOT is inside the module
		# cache, so it gets a cache of its own (the fixtures need no
		# modules).
		builder=$(GOTOOLCHAIN=$toolchain "$GO" env GOROOT)/bin/go
		toolchain=local
		modcache=$OUT/modcache-go1.$n
	fi
	build "$toolchain" "$dir/leaks" 0
	build "$toolchain" "$dir/leaks-stripped" 0 -ldflags="-s -w"
	build "$toolchain" "$dir/leaks-pie" 0 -buildmode=pie -ldflags="-s -w"
	if [ "$n" = "$NEWEST" ]; then
		build "$toolchain" "$dir/leaks-cgo" 1 -tags cleakcgo
		build "$toolchain" "$dir/servers" 0
		build "$toolchain" "$dir/corners" 1
	fi
done

if [ -n "$failed" ]; then
	echo "go-fixtures: failed:$failed" >&2
	exit 1
fi
