#!/usr/bin/env bash
# Profiles one pgwarden backup with Java Flight Recorder and prints where the CPU samples go:
# by thread, by top frame, and by stage (bench/jfr-summary.sh).
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
"$ROOT/bench/jfr-summary.sh" "$JFR" "$OUT" | tee "$OUT/profile.txt"
echo "recording: $JFR"
