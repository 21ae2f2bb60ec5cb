#!/bin/sh
# Benchmark of the object data path (SHA-256 + compression + AES-256-GCM streaming AEAD) on
# table-like data, one thread: prints the compression ratio and MB/s per core for each codec.
# Usage: bench/pipeline.sh [MiB=64] [runs=5] [codecs=none,zstd-1,zstd-3,zstd-6]
set -eu
cd "$(dirname "$0")/.."
mvn -B -q -o test-compile
CP_FILE=target/bench-classpath.txt
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null
exec java -Xmx1g -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" \
    org.pgwarden.bench.PipelineBenchmark "${1:-64}" "${2:-5}" "${3:-none,zstd-1,zstd-3,zstd-6}"
