#!/usr/bin/env bash
# Profiles one pgwarden restore with Java Flight Recorder and prints where the CPU samples go
# (bench/jfr-summary.sh: by stage, thread and top frame).
#
# usage: bench/profile-restore.sh CONFIG_YAML PGDATA [OUT_DIR] [restore options...]
# PGDATA must be absent or empty; it is created for the postgres OS user. A repository with a
# backup is needed, e.g. the one left by `KEEP_DATA=1 bench/restore-vs-pgbackrest.sh`
# ($BENCH/pgwarden/<config>/pgwarden.yaml). Run as root: the restore runs as the postgres OS user,
# like the benchmark. PGWARDEN_JAVA_OPTS is passed on (e.g. -Xmx).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG=${1:?usage: $0 CONFIG_YAML PGDATA [OUT_DIR] [restore options...]}
PGDATA=${2:?usage: $0 CONFIG_YAML PGDATA [OUT_DIR] [restore options...]}
OUT=${3:-$(mktemp -d)}
shift $(( $# < 3 ? $# : 3 ))
mkdir -p "$OUT" "$PGDATA"; chmod 777 "$OUT"; chown postgres:postgres "$PGDATA"; chmod 700 "$PGDATA"
JFR=$OUT/restore.jfr
t0=$(date +%s.%N)
runuser -u postgres -- env PGWARDEN_JAVA_OPTS="-XX:StartFlightRecording=filename=$JFR,settings=profile ${PGWARDEN_JAVA_OPTS:-}" \
  "$ROOT/bin/pgwarden" --config "$CFG" restore --pgdata "$PGDATA" "$@"
echo "wall $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
"$ROOT/bench/jfr-summary.sh" "$JFR" "$OUT" | tee "$OUT/profile.txt"
echo "recording: $JFR"
