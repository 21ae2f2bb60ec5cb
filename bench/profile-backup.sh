#!/usr/bin/env bash
# Profiles one pgwarden backup with Java Flight Recorder and prints where the CPU samples go:
# by thread, by top frame, and by stage (first stage found walking each stack from the top).
# Java samples (jdk.ExecutionSample) and samples of threads inside native code such as zstd
# (jdk.NativeMethodSample) are both counted.
#
# usage: bench/profile-backup.sh CONFIG_YAML [full|incr|diff] [OUT_DIR]
# Needs a running cluster and a configured repository, e.g. one left by
# `KEEP_DATA=1 bench/backup-vs-pgbackrest.sh` ($BENCH/pgwarden/<config>/pgwarden.yaml; switch the
# cluster's archive_command to that configuration's wal-push first). Run as root: the backup runs
# as the postgres OS user, like the benchmark.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG=${1:?usage: $0 CONFIG_YAML [full|incr|diff] [OUT_DIR]}
TYPE=${2:-full}
OUT=${3:-$(mktemp -d)}
mkdir -p "$OUT"; chmod 777 "$OUT"
JFR=$OUT/backup.jfr
t0=$(date +%s.%N)
runuser -u postgres -- env PGWARDEN_JAVA_OPTS="-XX:StartFlightRecording=filename=$JFR,settings=profile ${PGWARDEN_JAVA_OPTS:-}" \
  "$ROOT/bin/pgwarden" --config "$CFG" backup --type "$TYPE"
echo "wall $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
jfr print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$JFR" > "$OUT/samples.txt"
awk '
  function stage(f) {
    if (f ~ /PageChecksum/) return "page checksum (Java)"
    if (f ~ /luben\.zstd/) return "zstd (JNI)"
    if (f ~ /GHASH|GaloisCounterMode|AESCrypt|crypto\.tink|CounterMode|com\.sun\.crypto/) return "AES-GCM (Tink/JCE)"
    if (f ~ /sun\.security\.provider\.(SHA|Digest)|MessageDigest/) return "SHA-256"
    if (f ~ /HexFormat/) return "hex encoding"
    if (f ~ /FileChannel|FileDispatcher|sun\.nio\.ch/) return "file read/write"
    if (f ~ /Piped(Input|Output)Stream/) return "pipe to upload thread"
    if (f ~ /FilesystemObjectStore/) return "object store (filesystem)"
    if (f ~ /ByteArrayOutputStream|Arrays\.copyOf|System\.arraycopy/) return "buffer copies"
    if (f ~ /EntrySpool|Manifest/) return "manifest / spool"
    return ""
  }
  /^jdk\.(Execution|NativeMethod)Sample/ { inside = 1; top = ""; st = ""; thread = ""; next }
  inside && /sampledThread = / { thread = $0; sub(/.*sampledThread = "/, "", thread); sub(/".*/, "", thread); sub(/-[0-9]+$/, "-N", thread) }
  inside && /stackTrace = \[/ { instack = 1; next }
  instack && /^[[:space:]]*\]/ { instack = 0
    n++; threads[thread]++; tops[top]++; if (st == "") st = "other (JVM, JIT, startup, ...)"; stages[st]++; next }
  instack { f = $0; sub(/^[[:space:]]+/, "", f); sub(/[[:space:]]+line:.*/, "", f)
    if (top == "") top = f
    if (st == "") st = stage(f) }
  END {
    printf "samples: %d\n\nby stage:\n", n
    for (s in stages) printf "  %5.1f%%  %s\n", 100 * stages[s] / n, s | "sort -rn"; close("sort -rn")
    print "\nby thread:"
    for (t in threads) printf "  %5.1f%%  %s\n", 100 * threads[t] / n, t | "sort -rn"; close("sort -rn")
    print "\ntop frames:"
    for (t in tops) printf "  %5.1f%%  %s\n", 100 * tops[t] / n, t | "sort -rn | head -15"; close("sort -rn | head -15")
  }' "$OUT/samples.txt" | tee "$OUT/profile.txt"
echo "recording: $JFR"
