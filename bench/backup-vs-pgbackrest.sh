#!/usr/bin/env bash
# Side-by-side physical backup benchmark: pgwarden against pgBackRest on the same cluster.
#
# Reuses the shared anchor scripts (../shared/bench next to this repository, or SHARED_BENCH=DIR):
# its lib.sh `measure` (quiet-machine wait, process-tree RSS, contamination accounting), its
# cluster setup (01_cluster.sh) and its pgBackRest settings (zstd level 3, encryption, posix repo).
#
# Cases (every figure is the median of RUNS runs; ratios are pgwarden / pgBackRest):
#   1. full backup of the pgbench cluster (SCALE), parallelism 1 and 2
#   2. full backup of a mixed, realistically compressible table (MIXED_ROWS rows, pgbench scale 1)
#   3. incremental after `pgbench -T 60 -c 4` (uniform random updates)
#   4. incremental after `pgbench -T 60 -c 4 -f hotcold.pgbench` (5% hot rows + appends)
# pgwarden runs at zstd level 3 (like pgBackRest's compress-level=3) and at its default level 1;
# the incremental cases also run at slice sizes SLICES (level 3, one repository chain each).
#
# WAL archiving: one archive_command at a time. During the workloads and pgBackRest's backups it is
# pgBackRest's archive-push (the shared setup); before a pgwarden backup it is switched to that
# configuration's `pgwarden wal-push`. Before every switch the archiver is drained, so each
# backup waits only for its own WAL and no tool pays for the other's backlog.
#
# Unless DAEMON=0, the full cases also run `pgwarden backup` as operators type it on a host where
# the daemon runs (zstd 3, parallelism 2, a configuration of its own with an admin API): the command
# hands the run to the daemon and follows it (tool pgwarden-handed; its CPU is the command's plus
# the daemon's over the run; one warm-up backup per cluster is not counted; the daemon's peak RSS
# is recorded as daemon_vmhwm_kb).
#
# usage: [SCALE=50] [MIXED_ROWS=1500000] [RUNS=3] [SLICES="16KiB 32KiB 64KiB 128KiB"] [DAEMON=1]
#        [SKIP_INSTALL=1] [RES=DIR] [SHARED_BENCH=DIR] bench/backup-vs-pgbackrest.sh
# Run as root (PostgreSQL and both tools run as the postgres OS user). Results: $RES/summary.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
SHARED_BENCH=$(cd "$SHARED_BENCH" && pwd)
export SCALE=${SCALE:-50}
MIXED_ROWS=${MIXED_ROWS:-1500000}
RUNS=${RUNS:-3}
WORK_SECONDS=${WORK_SECONDS:-60}   # length of each pgbench workload before an incremental
SLICES=${SLICES:-16KiB 32KiB 64KiB 128KiB}
DEFAULT_SLICE=${DEFAULT_SLICE:-128KiB}
export BENCH=${BENCH:-/tmp/bench}
export RES=${RES:-$BENCH/results-pgwarden}
export QUIET_MAX=${QUIET_MAX:-10}   # a shared box: do not wait long for quiet; contamination is recorded per run instead
export MAX_TRIES=${MAX_TRIES:-1}  # repeated runs + medians instead of retries (an incremental cannot be retried anyway)
PGWARDEN=$ROOT/bin/pgwarden
DAEMON=${DAEMON:-1}
ADMIN_PORT=${ADMIN_PORT:-55445}
DCFG=l3_pm2_s${DEFAULT_SLICE:-128KiB}_daemon

. "$SHARED_BENCH/lib.sh"
. "$ROOT/bench/pgwarden-lib.sh"   # pgw_init, pgw_setup, pgw_newest, pgbr_newest
DAEMON_JVM=""
trap '[ -z "$DAEMON_JVM" ] || kill "$DAEMON_JVM" 2>/dev/null || true' EXIT   # a failed run leaves no daemon behind

[ "$(id -u)" = 0 ] || { echo "run as root (postgres and the tools run as the postgres OS user)" >&2; exit 2; }
[ "${SKIP_INSTALL:-0}" = 1 ] || "$SHARED_BENCH/00_install.sh"
[ -f "$ROOT/target/pgwarden.jar" ] || (cd "$ROOT" && mvn -B -o -q -DskipTests package)
"$SHARED_BENCH/99_cleanup.sh" >/dev/null
rm -rf "$RES"; mkdir -p "$RES"
RUNS_TSV=$RES/runs.tsv
printf 'case\ttool\tconfig\trun\twall_s\ttree_rss_kb\tstored_bytes\tmanifest_bytes\tdata_bytes\tforeign_cpu_s\tsteal_s\n' > "$RUNS_TSV"
{
  echo "date: $(date -u +%FT%TZ)"; echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) x $(nproc)"
  echo "pgbackrest: $(pgbackrest version)"; echo "pgwarden: $("$PGWARDEN" version)"; echo "java: $(java -version 2>&1 | head -1)"
  echo "SCALE=$SCALE MIXED_ROWS=$MIXED_ROWS RUNS=$RUNS SLICES=$SLICES"
} > "$RES/env.txt"

PGW=$BENCH/pgwarden
PGBR_ARCHIVE="pgbackrest --config=$CONF --stanza=$STANZA archive-push %p"
CUR_ARCHIVE=pgbackrest

# ---------- archive_command switching ----------
drain_archive() {  # everything written so far is archived by the current command; nothing failing
  wait_archived
}
use_archive() {  # use_archive pgbackrest | <pgwarden config name>
  [ "$CUR_ARCHIVE" = "$1" ] && return 0
  drain_archive
  if [ "$1" = pgbackrest ]; then set_archive_command "$PGBR_ARCHIVE" >/dev/null
  else set_archive_command "$PGWARDEN --config $PGW/$1/pgwarden.yaml wal-push %p" >/dev/null; fi
  CUR_ARCHIVE=$1
}

# ---------- one measured backup ----------
# run_backup CASE TOOL CONFIG RUN TYPE DATA_BYTES   (CONFIG: pgBackRest "pmN", pgwarden config name)
run_backup() {
  local case=$1 tool=$2 cfg=$3 run=$4 type=$5 data=$6 label row stored manifest=-
  label="${case}_${tool}_${cfg}_r${run}"
  psqlp -c checkpoint   # a pending checkpoint is paid outside the measurement, never by whichever tool goes first
  if [ "$tool" = pgbackrest ]; then
    use_archive pgbackrest
    measure "$label" pgbr backup --type="$type" --process-max="${cfg#pm}" || log "FAILED: $label"
    stored=$(bytes "$REPO/backup/$STANZA/$(pgbr_newest)")
  else
    use_archive "$cfg"
    local d0=0; [ "$tool" = pgwarden-handed ] && d0=$(pgw_daemon_ticks)
    measure "$label" asp "$PGWARDEN" --config "$PGW/$cfg/pgwarden.yaml" backup --type "$type" || log "FAILED: $label"
    [ "$tool" = pgwarden-handed ] && pgw_daemon_cpu_is_ours "$d0"
    local l; l=$(pgw_newest "$cfg")
    stored=$(bytes "$PGW/$cfg/repository/backup/$l")
    manifest=$(stat -c %s "$PGW/$cfg/repository/backup/$l/manifest" 2>/dev/null || echo -)
  fi
  row=$(awk -F'\t' -v l="$label" '$1==l' "$RES/measure.tsv" | tail -1)
  [ "$(echo "$row" | cut -f8)" = 0 ] || stored=FAILED
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" "$cfg" "$run" \
    "$(echo "$row" | cut -f2)" "$(echo "$row" | cut -f7)" "$stored" "$manifest" "$data" \
    "$(echo "$row" | cut -f10)" "$(echo "$row" | cut -f11)" >> "$RUNS_TSV"
}
pgdata_nowal() { echo $(( $(bytes "$PGDATA") - $(bytes "$PGDATA/pg_wal") )); }

# ---------- the daemon (pgwarden-handed) ----------
start_daemon() {  # a configuration of its own with an admin API, a running daemon, one warm-up backup
  [ "$DAEMON" = 1 ] || return 0
  PGW_EXTRA_YAML=$(pgw_daemon_yaml "$ADMIN_PORT") pgw_setup "$DCFG" 3 2 "$DEFAULT_SLICE"
  log "starting the daemon of $DCFG"
  pgw_start_daemon "$PGW/$DCFG/pgwarden.yaml" "$ADMIN_PORT" "$RES/daemon.log"
  use_archive "$DCFG"; psqlp -c checkpoint
  asp "$PGWARDEN" --config "$PGW/$DCFG/pgwarden.yaml" backup --type full > "$RES/daemon-warmup.txt" 2>&1 \
    && grep -q "handed to the daemon" "$RES/daemon-warmup.txt" \
    || { log "warm-up backup was not handed to the daemon"; cat "$RES/daemon-warmup.txt"; exit 1; }
}
stop_daemon() {
  [ "$DAEMON" = 1 ] || return 0
  record daemon_vmhwm_kb "$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_JVM/status")"
  use_archive pgbackrest
  pgw_stop_daemon
}

full_case() {  # full_case CASE : RUNS x {pgBackRest, pgwarden level 3, pgwarden level 1} x parallelism {1,2}
  local case=$1 r pm data
  data=$(pgdata_nowal); record "${case}_pgdata_nowal_bytes" "$data"
  for r in $(seq 1 "$RUNS"); do
    for pm in 1 2; do
      run_backup "$case" pgbackrest "pm$pm" "$r" full "$data"
      run_backup "$case" pgwarden "l3_pm${pm}_s$DEFAULT_SLICE" "$r" full "$data"
      run_backup "$case" pgwarden "l1_pm${pm}_s$DEFAULT_SLICE" "$r" full "$data"
      if [ "$DAEMON" = 1 ] && [ "$pm" = 2 ]; then run_backup "$case" pgwarden-handed "$DCFG" "$r" full "$data"; fi
    done
  done
}

INCR_CFGS=""
incr_case() {  # incr_case CASE WORKLOAD_FUNCTION : RUNS x (workload, then one incr per chain)
  local case=$1 work=$2 r c data
  for r in $(seq 1 "$RUNS"); do
    use_archive pgbackrest
    wait_quiet; log "$case run $r: workload"; $work "$r"
    drain_archive
    data=$(pgdata_nowal)
    # an incremental cannot be retried (the retry would see no changes): one try, contamination recorded
    run_backup "$case" pgbackrest pm2 "$r" incr "$data"
    for c in $INCR_CFGS; do run_backup "$case" pgwarden "$c" "$r" incr "$data"; done
  done
}
work_uniform() {
  asp "$PGBIN/pgbench" -h "$SOCK" -p "$PGPORT" -T "$WORK_SECONDS" -c 4 -j 2 -n "$DB" > "$RES/pgbench_uniform_r$1.txt" 2>&1
}
work_hotcold() {  # -s makes :scale the data's scale, so the hot rows are 5% of pgbench_accounts
  asp "$PGBIN/pgbench" -h "$SOCK" -p "$PGPORT" -T "$WORK_SECONDS" -c 4 -j 2 -n -s "$SCALE" -f "$SHARED_BENCH/hotcold.pgbench" "$DB" \
    > "$RES/pgbench_hotcold_r$1.txt" 2>&1
}

# ========== cluster A: pgbench data (cases 1, 3, 4) ==========
log "cluster A: pgbench scale $SCALE"
SCALE=$SCALE MIXED_ROWS=0 "$SHARED_BENCH/01_cluster.sh"
pgw_init
for pm in 1 2; do
  pgw_setup "l3_pm${pm}_s$DEFAULT_SLICE" 3 "$pm" "$DEFAULT_SLICE"
  pgw_setup "l1_pm${pm}_s$DEFAULT_SLICE" 1 "$pm" "$DEFAULT_SLICE"
done
start_daemon
full_case full_pgbench
stop_daemon

# incremental chains: level 3 at every slice size, and level 1 at the default; parallelism 2
for s in $SLICES; do
  n="l3_pm2_s$s"; [ -d "$PGW/$n" ] || pgw_setup "$n" 3 2 "$s"; INCR_CFGS="$INCR_CFGS $n"
done
INCR_CFGS="$INCR_CFGS l1_pm2_s$DEFAULT_SLICE"
# every chain starts from a full taken on the same data (the full-case repositories already hold one)
for c in $INCR_CFGS; do
  if [ -z "$(ls -A "$PGW/$c/repository/backup" 2>/dev/null)" ]; then
    use_archive "$c"; asp "$PGWARDEN" --config "$PGW/$c/pgwarden.yaml" backup --type full >/dev/null
  fi
done
use_archive pgbackrest
# incremental chains must all start from the same state: take one more backup of each now
pgbr backup --type=incr --process-max=2
for c in $INCR_CFGS; do use_archive "$c"; asp "$PGWARDEN" --config "$PGW/$c/pgwarden.yaml" backup --type incr >/dev/null; done
incr_case incr_uniform work_uniform
incr_case incr_hotcold work_hotcold
record pgbench_accounts_bytes_end "$(PSQLDB=$DB psqlp -c "select pg_total_relation_size('pgbench_accounts')")"
use_archive pgbackrest

# ========== cluster B: mixed table (case 2) ==========
log "cluster B: mixed table, $MIXED_ROWS rows (pgbench scale 1)"
"$SHARED_BENCH/99_cleanup.sh" >/dev/null
CUR_ARCHIVE=pgbackrest
SCALE=1 MIXED_ROWS=$MIXED_ROWS "$SHARED_BENCH/01_cluster.sh"
record mixed_table_bytes "$(PSQLDB=$DB psqlp -c "select pg_total_relation_size('mixed')")"
pgw_init
for pm in 1 2; do
  pgw_setup "l3_pm${pm}_s$DEFAULT_SLICE" 3 "$pm" "$DEFAULT_SLICE"
  pgw_setup "l1_pm${pm}_s$DEFAULT_SLICE" 1 "$pm" "$DEFAULT_SLICE"
done
start_daemon
full_case full_mixed
stop_daemon
use_archive pgbackrest

"$ROOT/bench/backup-vs-pgbackrest-report.sh" "$RES" | tee "$RES/summary.md"
[ "${KEEP_DATA:-0}" = 1 ] || "$SHARED_BENCH/99_cleanup.sh" >/dev/null
log "results in $RES"
