#!/bin/sh
# Builds the native wal-push client: build.sh OUTPUT
#
# Used by the Maven build (into target/) and by bin/pgwarden on first use, so both compile the
# same way. The binary is linked statically when the C library allows it, so a distribution built
# on one machine runs on a production host whatever that host's C library version (the client
# uses no name services, which is what makes static glibc binaries fragile). It is compiled under
# a temporary name and renamed into place, so a concurrent caller never runs half a file.
#
# Environment: CC (default cc), CFLAGS (added after ours, e.g. -Werror).
# Exit status: 0 built; 3 no C compiler; 4 the compiler failed (its output is on stderr).
set -u
src="$(dirname -- "$0")/wal-push.c"
out="${1:?usage: build.sh OUTPUT}"
cc="${CC:-cc}"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "no C compiler: '$cc' is not on PATH (Debian: apt-get install gcc libc6-dev)" >&2
    exit 3
fi
tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
# CFLAGS is split into words on purpose: it holds several options.
# shellcheck disable=SC2086
if "$cc" -std=c11 -O2 -Wall -Wextra ${CFLAGS:-} -static -o "$tmp" "$src" 2>/dev/null \
    || "$cc" -std=c11 -O2 -Wall -Wextra ${CFLAGS:-} -o "$tmp" "$src"; then
    chmod 755 "$tmp" && mv -f "$tmp" "$out" && exit 0
fi
echo "'$cc' could not compile '$src'" >&2
exit 4
