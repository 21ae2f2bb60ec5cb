#!/bin/sh
# End-to-end restore_command cost with and without prefetching: a real PostgreSQL cluster archives
# ~50 segments through bin/pgwarden wal-push, then bin/pgwarden wal-fetch runs once per segment
# (a new process per call, as PostgreSQL runs it) for each prefetch window. Needs root (the
# cluster runs as the postgres OS user) and a built distribution (mvn -DskipTests package).
# Usage: bench/wal-fetch.sh [segments=50] [windows=0,8] [rounds=2]
set -eu
cd "$(dirname "$0")/.."
mvn -B -q -o test-compile
CP_FILE=target/bench-classpath.txt
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
exec java -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" \
    org.pgwarden.bench.WalFetchBenchmark "${1:-50}" "${2:-0,8}" "${3:-2}"
