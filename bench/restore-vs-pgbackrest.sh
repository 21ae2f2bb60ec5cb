#!/usr/bin/env bash
# Side-by-side restore benchmark: pgwarden against pgBackRest, from the same cluster and the same WAL.
#
# One throwaway cluster (the shared 01_cluster.sh: PostgreSQL 15, data checksums, pgbench SCALE)
# archives every WAL segment to both repositories (archive_command = pgBackRest archive-push, then
# pgwarden wal-push). One full backup is taken with each tool; then `pgbench -t TXNS -c 4` writes
# the same extra WAL after both backups, and the archive is drained. A digest of the pgbench tables
# is recorded and the cluster is stopped.
#
# Each of RUNS runs restores with both tools (the order alternates between runs), each into a fresh
# directory at the same parallelism (PARALLEL), then starts PostgreSQL, which replays the whole
# archive through the tool's own restore_command and promotes. Measured per restore:
#   restore_s    the restore command alone (lib.sh `measure`: wall, CPU, peak RSS, contamination)
#   ready_s      from pg_ctl start until the server accepts connections (hot standby: once consistent)
#   recovered_s  from pg_ctl start until recovery is done and the server accepts writes
#   total_s      restore_s + recovered_s, the time to a usable cluster
# and the restored cluster's digest must equal the primary's (a mismatch fails the run).
#
# restore_command: pgwarden writes its own (`pgwarden wal-fetch`, which prefetches restore.wal-prefetch
# segments in parallel); pgBackRest's archive-get runs asynchronously with process-max PARALLEL
# (its documented way to fetch ahead) unless PGBR_ASYNC=0.
#
# pgwarden runs twice per run: `restore --in-process` (a fresh JVM: a restore on a host where no
# daemon runs, as after losing the host), and, unless DAEMON=0, the plain `restore` with the daemon
# of the same configuration running, which hands the restore to it (pgwarden-handed; its CPU is
# the command's plus the daemon's over the run). The daemon's first HANDED_WARMUP restores (default
# 1) warm its JIT, as its scheduled drills would; they are timed apart (values
# handed_warmup_restore_s) and not counted.
#
# usage: [SCALE=20] [TXNS=5000] [RUNS=3] [PARALLEL=2] [LEVEL=3] [PGBR_ASYNC=1] [COLD=0] [DAEMON=1] [HANDED_WARMUP=1]
#        [PGW_RESTORE_ARGS="..."] [PGWARDEN=path/to/bin/pgwarden] [SKIP_INSTALL=1] [KEEP_DATA=1] [BENCH=DIR] [SHARED_BENCH=DIR]
#        bench/restore-vs-pgbackrest.sh
# TXNS is per pgbench client (4 clients). COLD=1 drops the page cache before every restore and start.
# Run as root (PostgreSQL and both tools run as the postgres OS user). Results: $RES/summary.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
SHARED_BENCH=$(cd "$SHARED_BENCH" && pwd)
export SCALE=${SCALE:-20}
TXNS=${TXNS:-5000}
RUNS=${RUNS:-3}
PARALLEL=${PARALLEL:-2}
LEVEL=${LEVEL:-3}
PGBR_ASYNC=${PGBR_ASYNC:-1}
# Our own directory and ports, so that a backup benchmark on the default /tmp/bench is not disturbed.
export BENCH=${BENCH:-/tmp/bench-restore}
export RES=${RES:-$BENCH/results}
export PGPORT=${PGPORT:-55442} RPORT=${RPORT:-55443}
ADMIN_PORT=${ADMIN_PORT:-55444}
DAEMON=${DAEMON:-1}
HANDED_WARMUP=${HANDED_WARMUP:-1}
export QUIET_MAX=${QUIET_MAX:-10}  # a shared box: do not wait long for quiet; contamination is recorded per run instead
export MAX_TRIES=${MAX_TRIES:-1}   # repeated runs + medians instead of retries
PGWARDEN=${PGWARDEN:-$ROOT/bin/pgwarden}   # another build's launcher can be compared (its restore_command is its own)

. "$SHARED_BENCH/lib.sh"
. "$ROOT/bench/pgwarden-lib.sh"
DAEMON_JVM=""
trap '[ -z "$DAEMON_JVM" ] || kill "$DAEMON_JVM" 2>/dev/null || true' EXIT   # a failed run leaves no daemon behind

[ "$(id -u)" = 0 ] || { echo "run as root (postgres and the tools run as the postgres OS user)" >&2; exit 2; }
[ "${SKIP_INSTALL:-0}" = 1 ] || "$SHARED_BENCH/00_install.sh"
[ -f "$ROOT/target/pgwarden.jar" ] || (cd "$ROOT" && mvn -B -o -q -DskipTests package)
"$SHARED_BENCH/99_cleanup.sh" >/dev/null
rm -rf "$RES"; mkdir -p "$RES"
RUNS_TSV=$RES/runs.tsv
printf 'tool\trun\trestore_s\trestore_cpu_s\trestore_maxrss_kb\trestore_tree_rss_kb\tready_s\trecovered_s\ttotal_s\tsegments\tdigest_ok\tforeign_cpu_s\n' > "$RUNS_TSV"
{
  echo "date: $(date -u +%FT%TZ)"; echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) x $(nproc)"
  echo "pgbackrest: $(pgbackrest version)"; echo "pgwarden: $("$PGWARDEN" version)"; echo "java: $(java -version 2>&1 | head -1)"
  echo "SCALE=$SCALE TXNS=$TXNS RUNS=$RUNS PARALLEL=$PARALLEL LEVEL=$LEVEL PGBR_ASYNC=$PGBR_ASYNC COLD=${COLD:-0}"
} > "$RES/env.txt"

PGW=$BENCH/pgwarden
CFG=l${LEVEL}_pm$PARALLEL
RLOG=$BENCH/logs/$(basename "$RESTORE").log
DIGEST_SQL="select string_agg(t || ' ' || n || ' ' || h, ', ' order by t) from (
  select 'accounts' t, count(*) n, sum(hashtext(a::text)::bigint) h from pgbench_accounts a union all
  select 'branches', count(*), sum(hashtext(b::text)::bigint) from pgbench_branches b union all
  select 'tellers', count(*), sum(hashtext(t::text)::bigint) from pgbench_tellers t union all
  select 'history', count(*), sum(hashtext(h::text)::bigint) from pgbench_history h) d"

# ---------- the cluster, both repositories, one full backup each, then the extra WAL ----------
log "cluster: pgbench scale $SCALE"
MIXED_ROWS=0 "$SHARED_BENCH/01_cluster.sh"
pgw_init
PGW_EXTRA_YAML=$(pgw_daemon_yaml "$ADMIN_PORT") pgw_setup "$CFG" "$LEVEL" "$PARALLEL" 128KiB
# Every segment goes to both archives, pgBackRest's first (a failure of either is retried by PostgreSQL).
set_archive_command "pgbackrest --config=$CONF --stanza=$STANZA archive-push %p && $PGWARDEN --config $PGW/$CFG/pgwarden.yaml wal-push %p"
wait_archived
log "full backups"
pgbr backup --type=full --process-max="$PARALLEL"
asp "$PGWARDEN" --config "$PGW/$CFG/pgwarden.yaml" backup --type full >/dev/null
record pgbackrest_backup "$(pgbr_newest)"
record pgwarden_backup "$(pgw_newest "$CFG")"
record pgbackrest_backup_bytes "$(bytes "$REPO/backup/$STANZA/$(pgbr_newest)")"
record pgwarden_backup_bytes "$(bytes "$PGW/$CFG/repository/backup/$(pgw_newest "$CFG")")"
start_lsn=$(psqlp -c "select pg_current_wal_lsn()")
log "extra WAL: pgbench -t $TXNS -c 4"
asp "$PGBIN/pgbench" -h "$SOCK" -p "$PGPORT" -t "$TXNS" -c 4 -j 2 -n "$DB" > "$RES/pgbench.txt" 2>&1
record wal_after_backups_bytes "$(psqlp -c "select pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn')")"
wait_archived
DIGEST=$(PSQLDB=$DB psqlp -c "$DIGEST_SQL")
echo "$DIGEST" > "$RES/digest.txt"
PGDATA_NOWAL=$(( $(bytes "$PGDATA") - $(bytes "$PGDATA/pg_wal") ))
record pgdata_nowal_bytes "$PGDATA_NOWAL"
pg_stop "$PGDATA"   # only the restored clusters run from here on

# ---------- one restore + recovery ----------
wait_recovered() {  # like lib.sh wait_promoted, but gives up (prints -) when the server has exited
  local port=$1 t0=$2 r
  while :; do
    r=$(asp "$PGBIN/psql" -h "$SOCK" -p "$port" -d postgres -XAtq -c 'select pg_is_in_recovery()' 2>/dev/null || true)
    if [ "$r" = f ]; then awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f\n", b-a}'; return 0; fi
    [ -f "$RESTORE/postmaster.pid" ] || { echo -; return 1; }
    sleep 0.05
  done
}
fresh_restore_dir() {
  pg_stop "$RESTORE"
  rm -rf "$RESTORE"; mkdir -p "$RESTORE"; chown postgres:postgres "$RESTORE"; chmod 700 "$RESTORE"
  # nothing a previous run fetched ahead may serve this one
  rm -rf "$BENCH/spool/archive/$STANZA/in" "$PGW/$CFG/restore-spool"/*
}
restore_with() {  # restore_with TOOL LABEL
  case "$1" in
    pgbackrest)
      local async=()
      [ "$PGBR_ASYNC" = 1 ] && async=(--recovery-option="restore_command=pgbackrest --config=$CONF --stanza=$STANZA --pg1-path=$RESTORE --archive-async=y --process-max=$PARALLEL archive-get %f \"%p\"")
      measure "$2" pgbr restore --pg1-path="$RESTORE" --process-max="$PARALLEL" "${async[@]}" ;;
    pgwarden)
      # shellcheck disable=SC2086  # PGW_RESTORE_ARGS holds several words on purpose
      measure "$2" asp "$PGWARDEN" --config "$PGW/$CFG/pgwarden.yaml" restore --in-process --pgdata "$RESTORE" \
        --parallelism "$PARALLEL" ${PGW_RESTORE_ARGS:-} ;;
    pgwarden-handed)
      local d0 rc=0
      d0=$(pgw_daemon_ticks)
      # shellcheck disable=SC2086
      measure "$2" asp "$PGWARDEN" --config "$PGW/$CFG/pgwarden.yaml" restore --pgdata "$RESTORE" \
        --parallelism "$PARALLEL" ${PGW_RESTORE_ARGS:-} || rc=$?
      pgw_daemon_cpu_is_ours "$d0"
      return $rc ;;
  esac
}
start_daemon() {
  log "starting the daemon (pgwarden-handed)"
  pgw_start_daemon "$PGW/$CFG/pgwarden.yaml" "$ADMIN_PORT" "$RES/daemon.log"
  # warm-up: the daemon's first restores (not counted)
  local t0 w
  for w in $(seq 1 "$HANDED_WARMUP"); do
    fresh_restore_dir
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    asp "$PGWARDEN" --config "$PGW/$CFG/pgwarden.yaml" restore --pgdata "$RESTORE" --parallelism "$PARALLEL" \
      ${PGW_RESTORE_ARGS:-} > "$RES/handed-warmup.txt" 2>&1 || { log "FAILED: warm-up restore in the daemon"; cat "$RES/handed-warmup.txt"; exit 1; }
    record handed_warmup_restore_s "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')"
    grep -q "restore handed to the daemon" "$RES/handed-warmup.txt" || { log "the restore was not handed to the daemon"; cat "$RES/handed-warmup.txt"; exit 1; }
  done
}
run_one() {  # run_one TOOL RUN
  local tool=$1 run=$2 label row t0 ready recovered segs got ok=yes fcpu
  label="restore_${tool}_r$run"
  fresh_restore_dir
  restore_with "$tool" "$label" || { log "FAILED: $label"; ok=FAILED; }
  row=$(awk -F'\t' -v l="$label" '$1==l' "$RES/measure.tsv" | tail -1)
  ready=-; recovered=-; segs=-; FCPU=0
  if [ "$ok" = yes ]; then
    rm -f "$RLOG"
    wait_quiet
    [ "${COLD:-0}" = 1 ] && dropcache >/dev/null
    foreign_start
    t0=$(date +%s.%N)
    asp "$PGBIN/pg_ctl" -D "$RESTORE" -l "$RLOG" -W -o "-p $RPORT -c unix_socket_directories=$SOCK -c archive_mode=off" start >/dev/null
    ready=$(wait_ready "$RPORT" "$t0") || ready=-
    recovered=$(wait_recovered "$RPORT" "$t0") || recovered=-
    foreign_stop
    segs=$(grep -c 'restored log file' "$RLOG" || true)
    cp "$RLOG" "$RES/$label.postgres.log"
    got=$(PSQLDB=$DB psqlr -c "$DIGEST_SQL" 2>&1 || true)
    if [ "$got" != "$DIGEST" ]; then
      ok=no; log "DIGEST MISMATCH after $label: expected '$DIGEST', got '$got'"
    fi
    pg_stop "$RESTORE"
  fi
  fcpu=$(awk -v a="$(echo "$row" | cut -f10)" -v b="${FCPU:-0}" 'BEGIN{printf "%.2f", a + b}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$run" "$(echo "$row" | cut -f2)" \
    "$(echo "$row" | awk -F'\t' '{printf "%.2f", $3 + $4}')" "$(echo "$row" | cut -f6)" "$(echo "$row" | cut -f7)" \
    "$ready" "$recovered" "$(awk -v a="$(echo "$row" | cut -f2)" -v b="$recovered" 'BEGIN{ if (b == "-") print "-"; else printf "%.2f", a + b}')" \
    "$segs" "$ok" "$fcpu" >> "$RUNS_TSV"
  log "$label: restore $(echo "$row" | cut -f2)s, accepts connections ${ready}s, recovered ${recovered}s, $segs segments replayed, digest $ok"
}

TOOLS="pgbackrest pgwarden"
if [ "$DAEMON" = 1 ]; then TOOLS="pgbackrest pgwarden pgwarden-handed"; start_daemon; fi
for r in $(seq 1 "$RUNS"); do
  # the order rotates between runs, so no tool always goes first
  read -r -a tools <<<"$TOOLS"
  n=${#tools[@]}
  for i in $(seq 0 $((n - 1))); do run_one "${tools[$(( (i + r - 1) % n ))]}" "$r"; done
done
if [ "$DAEMON" = 1 ]; then pgw_stop_daemon; fi

"$ROOT/bench/restore-vs-pgbackrest-report.sh" "$RES" | tee "$RES/summary.md"
[ "${KEEP_DATA:-0}" = 1 ] || "$SHARED_BENCH/99_cleanup.sh" >/dev/null
log "results in $RES"
! grep -qP '\t(no|FAILED)\t[^\t]*$' "$RUNS_TSV"   # a wrong digest or a failed restore fails the benchmark
