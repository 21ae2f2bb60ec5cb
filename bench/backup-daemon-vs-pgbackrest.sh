#!/usr/bin/env bash
# Full backups taken by the running daemon (the way scheduled and triggered backups run) against
# the same backup from a fresh CLI process and against pgBackRest, on one pgbench cluster.
#
# The daemon is a long-lived JVM: its JIT has compiled the hot paths (AES-GCM, SHA-256, the copy
# loop) after the first backup, which a one-shot CLI process never reaches. One warm-up backup
# per tool is taken and not counted. Then RUNS rounds, tools interleaved in each round:
#   pgBackRest  backup --type=full --process-max=PARALLEL        (zstd 3, aes-256-cbc)
#   pgwarden    backup --type full --in-process, fresh JVM        (zstd LEVEL, AES-256-GCM)
#   pgwarden    backup --type full: the command as operators type it; with the daemon running it
#               hands the run to the daemon and follows it (its own JVM start included)
#   pgwarden    POST /api/v1/jobs {"kind":"backup","type":"full"} to the daemon, polled to the end
# Wall time is from the command (or the POST) to the committed backup. CPU: user+sys of the CLI
# process tree, or of the daemon process over the run (its /proc/PID/stat before and after), or
# both for the handed-over command.
# Printed: medians, MB/s of PGDATA (without pg_wal), and ratios against pgBackRest.
#
# usage: [SCALE=20] [RUNS=5] [LEVEL=3] [PARALLEL=2] [SKIP_INSTALL=1] [DAEMON_JAVA_OPTS=...] bench/backup-daemon-vs-pgbackrest.sh
# DAEMON_JAVA_OPTS go to the daemon's JVM only, e.g. to profile it:
#   DAEMON_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/daemon.jfr,settings=profile,dumponexit=true"
# Run as root (PostgreSQL and both tools run as the postgres OS user). Uses its own BENCH
# directory and ports, so it does not disturb another benchmark's cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
SHARED_BENCH=$(cd "$SHARED_BENCH" && pwd)
export SCALE=${SCALE:-20}
RUNS=${RUNS:-5}
LEVEL=${LEVEL:-3}
PARALLEL=${PARALLEL:-2}
export BENCH=${BENCH:-/tmp/bench-daemon}
export PGPORT=${PGPORT:-55452} RPORT=${RPORT:-55453}
export RES=${RES:-$BENCH/results}
export QUIET_MAX=${QUIET_MAX:-10}
ADMIN_PORT=${ADMIN_PORT:-59816}
PGWARDEN=$ROOT/bin/pgwarden

. "$SHARED_BENCH/lib.sh"

[ "$(id -u)" = 0 ] || { echo "run as root (postgres and the tools run as the postgres OS user)" >&2; exit 2; }
command -v jq >/dev/null && command -v curl >/dev/null || { echo "needs jq and curl" >&2; exit 2; }
[ "${SKIP_INSTALL:-0}" = 1 ] || "$SHARED_BENCH/00_install.sh"
[ -f "$ROOT/target/pgwarden.jar" ] || (cd "$ROOT" && mvn -B -o -q -DskipTests package)
"$SHARED_BENCH/99_cleanup.sh" >/dev/null 2>&1 || true
rm -rf "$BENCH"; mkdir -p "$BENCH"

DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ]; then kill "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  "$SHARED_BENCH/99_cleanup.sh" >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "cluster: pgbench scale $SCALE"
SCALE=$SCALE MIXED_ROWS=0 "$SHARED_BENCH/01_cluster.sh"
mkdir -p "$RES"

PGW=$BENCH/pgwarden
. "$ROOT/bench/pgwarden-lib.sh"
pgw_init
TOKEN_YAML=$(pgw_daemon_yaml "$ADMIN_PORT")
TOKEN=$(cat "$PGW/token")
PGW_EXTRA_YAML=$TOKEN_YAML pgw_setup daemon "$LEVEL" "$PARALLEL" 128KiB
CFG=$PGW/daemon/pgwarden.yaml

PGBR_ARCHIVE="pgbackrest --config=$CONF --stanza=$STANZA archive-push %p"
PGW_ARCHIVE="$PGWARDEN --config $CFG wal-push %p"
use_archive() { wait_archived; set_archive_command "$1" >/dev/null; }

log "starting the daemon"
pgw_start_daemon "$CFG" "$ADMIN_PORT" "$RES/daemon.log" "${DAEMON_JAVA_OPTS:-${PGWARDEN_JAVA_OPTS:-}}"
HZ=$(getconf CLK_TCK)

daemon_backup() {  # prints "wall cpu" in seconds
  local t0 t1 c0 c1 id status
  c0=$(pgw_daemon_ticks); t0=$(date +%s.%N)
  id=$(curl -fs -H "Authorization: Bearer $TOKEN" -X POST -d '{"kind":"backup","type":"full"}' \
      "http://127.0.0.1:$ADMIN_PORT/api/v1/jobs" | jq -r .id)
  while :; do
    status=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/api/v1/jobs/$id" | jq -r .status)
    case "$status" in succeeded) break ;; failed|cancelled|skipped) log "daemon backup $id: $status"; return 1 ;; esac
    sleep 0.05
  done
  t1=$(date +%s.%N); c1=$(pgw_daemon_ticks)
  awk -v a="$t0" -v b="$t1" -v c="$(( c1 - c0 ))" -v hz="$HZ" 'BEGIN{printf "%.2f %.2f\n", b-a, c/hz}'
}
cli_backup() {  # cli_backup COMMAND... ; prints "wall cpu"
  local tf; tf=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$tf" runuser -u postgres -- env PATH="$PATH" "$@" >/dev/null 2>&1 || { log "FAILED: $*"; rm -f "$tf"; return 1; }
  awk '{printf "%.2f %.2f\n", $1, $2+$3}' "$tf"; rm -f "$tf"
}
pgbr_full() { use_archive "$PGBR_ARCHIVE"; psqlp -c checkpoint; cli_backup pgbackrest --config="$CONF" --stanza="$STANZA" backup --type=full --process-max="$PARALLEL"; }
pgw_cli_full() { use_archive "$PGW_ARCHIVE"; psqlp -c checkpoint; cli_backup "$PGWARDEN" --config "$CFG" backup --type full --in-process; }
pgw_handed_full() {  # the plain command: the CLI's own CPU plus the daemon's over the run
  local c0 c1 wc
  use_archive "$PGW_ARCHIVE"; psqlp -c checkpoint
  c0=$(pgw_daemon_ticks); wc=$(cli_backup "$PGWARDEN" --config "$CFG" backup --type full) || return 1; c1=$(pgw_daemon_ticks)
  awk -v w="${wc% *}" -v c="${wc#* }" -v d="$(( c1 - c0 ))" -v hz="$HZ" 'BEGIN{printf "%.2f %.2f\n", w, c + d/hz}'
}
pgw_daemon_full() { use_archive "$PGW_ARCHIVE"; psqlp -c checkpoint; daemon_backup; }

DATA=$(( $(bytes "$PGDATA") - $(bytes "$PGDATA/pg_wal") ))
log "warm-up (not counted)"
pgbr_full >/dev/null; pgw_daemon_full >/dev/null
printf 'run\ttool\twall_s\tcpu_s\n' > "$RES/runs.tsv"
for r in $(seq 1 "$RUNS"); do
  wait_quiet
  printf '%s\tpgbackrest\t%s\n' "$r" "$(pgbr_full | tr ' ' '\t')" >> "$RES/runs.tsv"
  printf '%s\tpgwarden-cli\t%s\n' "$r" "$(pgw_cli_full | tr ' ' '\t')" >> "$RES/runs.tsv"
  printf '%s\tpgwarden-daemon\t%s\n' "$r" "$(pgw_daemon_full | tr ' ' '\t')" >> "$RES/runs.tsv"
  printf '%s\tpgwarden-handed\t%s\n' "$r" "$(pgw_handed_full | tr ' ' '\t')" >> "$RES/runs.tsv"
  log "round $r: $(awk -F'\t' -v r="$r" '$1==r {printf "%s %ss  ", $2, $3}' "$RES/runs.tsv")"
done
use_archive "$PGBR_ARCHIVE"
DAEMON_RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_JVM/status")

{
  echo "# Full backups: daemon vs fresh CLI vs pgBackRest"
  echo
  echo "date $(date -u +%FT%TZ); SCALE=$SCALE ($((DATA / 1048576)) MiB PGDATA without pg_wal); RUNS=$RUNS; pgwarden zstd-$LEVEL, parallelism $PARALLEL; pgBackRest zstd-3, process-max $PARALLEL"
  echo
  echo "| tool | median wall s | MB/s | median CPU s | throughput ratio vs pgBackRest | CPU ratio |"
  echo "|---|---:|---:|---:|---:|---:|"
  bw=$(awk -F'\t' '$2=="pgbackrest" {print $3}' "$RES/runs.tsv" | med)
  bc=$(awk -F'\t' '$2=="pgbackrest" {print $4}' "$RES/runs.tsv" | med)
  for t in pgbackrest pgwarden-cli pgwarden-daemon pgwarden-handed; do
    w=$(awk -F'\t' -v t="$t" '$2==t {print $3}' "$RES/runs.tsv" | med)
    c=$(awk -F'\t' -v t="$t" '$2==t {print $4}' "$RES/runs.tsv" | med)
    awk -v t="$t" -v w="$w" -v c="$c" -v bw="$bw" -v bc="$bc" -v d="$DATA" \
      'BEGIN{printf "| %s | %.2f | %.0f | %.2f | %.2f | %.2f |\n", t, w, d/1e6/w, c, bw/w, c/bc}'
  done
  echo
  echo "daemon peak RSS over the whole run (VmHWM): $((DAEMON_RSS_KB / 1024)) MiB"
} | tee "$RES/summary.md"
log "results in $RES"
