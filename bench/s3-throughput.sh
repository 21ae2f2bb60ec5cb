#!/usr/bin/env bash
# S3 put/get throughput of pgwarden's S3 store against the in-JVM S3 server (S3Mock).
# Usage: bench/s3-throughput.sh [object-MiB] [part-MiB] [max-concurrency] [runs]   (defaults 256 16 4 5)
# Prints one line per run and the medians in MB/s (10^6 bytes per second).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -o -q test-compile
mvn -B -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
exec java -Xmx3g -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
    org.pgwarden.bench.S3Throughput "$@"
