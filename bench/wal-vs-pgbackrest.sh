#!/usr/bin/env bash
# WAL archiving: pgwarden (direct, and through the daemon with push-ahead, asked by the native
# and by the JVM wal-push client) against pgBackRest archive-push (sync and async), on the same
# pre-generated set of real WAL segments.
#
# Each run stages the set as a fake PGDATA (pg_wal/ + archive_status/*.ready + global/pg_control),
# marks every segment ready at once (a backlog, as after a burst of writes), then plays
# PostgreSQL's archiver: archive_command once per segment in WAL order, .ready renamed to .done
# after exit 0. Printed per run: segments/s, per-call latency p50/p95/max, and archive lag (time
# from the burst until a segment is marked done: mean and max). Then the per-call time of wal-push
# for a pushed-ahead segment, native client against JVM client, and of a full-JVM direct push.
#
# Every tool first archives WARMUP other segments (a first burst, reported as "cold": for the
# daemon, a backlog met right after its start, before its JIT compiled the hot paths), then the N
# measured ones (the steady state of a long-running daemon). WARMUP=0 measures only the cold case.
# The daemon's JIT is still compiling after one burst of 40 (C2 took a sixth of its CPU during
# the next 40), so it archives the warm-up set WARMUP_ROUNDS times in all (default 3; its copies
# are removed from its repository in between), and only the first round is reported as cold.
# pgBackRest, compiled ahead of time, has nothing to warm and archives the set once.
#
# Both tools compress with zstd level 3 (PGW_LEVEL changes pgwarden's: 1 is its default; the stored
# bytes of each repository are printed, as a lower level trades repository size for CPU) and
# encrypt (pgBackRest aes-256-cbc, pgwarden AES-256-GCM),
# into a local repository on the same disk. Runs as root; PostgreSQL and both tools run as postgres.
#
# usage: bench/wal-vs-pgbackrest.sh            (N=40 segments; N=100 matches shared/bench/05_wal.sh)
# env:   N, REPEAT (measured bursts per tool for the headline ratio, default 5), WARMUP (default N), WARMUP_ROUNDS (pgwarden daemon, default 3), PGW_LEVEL (pgwarden's zstd level, default 3), PGW_PUSH_AHEAD (default 2), RUNS (per-call samples, default 50), WORK (default /tmp/pgwarden-walbench),
#        SHARED_BENCH (default ../../shared/bench relative to this script), PGBIN, PORT
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$HERE/../../shared/bench}
# lib.sh gives asp/log/wait_quiet; its defaults for BENCH and RES point into our work directory.
WORK=${WORK:-/tmp/pgwarden-walbench}
export BENCH=$WORK RES=${RES:-$WORK/results}
QUIET_MAX=${QUIET_MAX:-60}
# shellcheck source=/dev/null
. "$SHARED_BENCH/lib.sh"
WORK=$BENCH   # lib.sh points WORK at a subdirectory; ours is the whole tree
N=${N:-40}
REPEAT=${REPEAT:-5}
WARMUP=${WARMUP:-$N}
WARMUP_ROUNDS=${WARMUP_ROUNDS:-3}
PGW_LEVEL=${PGW_LEVEL:-3}
PGW_PUSH_AHEAD=${PGW_PUSH_AHEAD:-2}
RUNS=${RUNS:-50}
PORT=${PORT:-55440}
PGW="$ROOT/bin/pgwarden"

[ "$(id -u)" = 0 ] || { echo "run as root (PostgreSQL runs as the postgres user)" >&2; exit 2; }
command -v pgbackrest >/dev/null || { echo "install pgbackrest (apt-get install -y pgbackrest)" >&2; exit 2; }
[ -f "$ROOT/target/pgwarden.jar" ] || (cd "$ROOT" && mvn -B -q -o -DskipTests package)
[ -x "$ROOT/target/pgwarden-wal-push" ] || { echo "no native wal-push client in target/: install a C compiler and rebuild" >&2; exit 2; }

stop_all() {
    [ -n "${DAEMON_PID:-}" ] && kill "$DAEMON_PID" 2>/dev/null
    [ -d "$WORK/pg/data" ] && asp "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1 || true
}
trap stop_all EXIT
rm -rf "$WORK"; mkdir -p "$WORK/all" "$RES"; chown -R postgres:postgres "$WORK"; chmod 755 "$WORK"

# ---- one cluster; its WAL copied out by archive_command = cp
log "creating the cluster and $((WARMUP + N)) real segments"
asp "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$WORK/pg/data/postgresql.conf" <<EOF
port = $PORT
unix_socket_directories = '$WORK/pg'
listen_addresses = '127.0.0.1'
wal_level = replica
archive_mode = on
archive_command = 'cp %p $WORK/all/%f'
max_wal_size = 4GB
fsync = off
EOF
asp "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start >/dev/null
sql() { asp "$PGBIN/psql" -h "$WORK/pg" -p "$PORT" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
start_lsn=$(sql "select pg_current_wal_lsn()")
i=0
# Table-like rows (compress about 2x), not pgbench filler (40x), so compression costs what it would.
while [ "$(sql "select pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn') > ($WARMUP + $N + 1)::bigint * 16777216")" != t ]; do
    i=$((i + 1))
    sql "create table g$i as select g as id, md5(random()::text) || md5(g::text) as a, random() * 1e9 as b,
         now() - random() * interval '900 days' as c from generate_series(1, 300000) g" >/dev/null
done
last=$(sql "select pg_walfile_name(pg_current_wal_lsn())"); sql "select pg_switch_wal()" >/dev/null
until [ "$(sql "select coalesce(last_archived_wal, '') >= '$last' from pg_stat_archiver")" = t ]; do sleep 0.2; done
mapfile -t ALL < <(ls "$WORK/all" | grep -E '^[0-9A-F]{24}$' | sort | head -n "$((WARMUP + N))")
WARM=("${ALL[@]:0:WARMUP}")   # archived first, reported as the cold case
SEGS=("${ALL[@]:WARMUP}")     # measured
log "staged ${#ALL[@]} segments ($(du -sh "$WORK/all" | cut -f1)): $WARMUP warm-up, ${#SEGS[@]} measured"

# stage NAME: a fake PGDATA with the set in pg_wal, every segment .ready
stage() {
    local d=$WORK/$1
    rm -rf "$d"; mkdir -p "$d/pg_wal/archive_status" "$d/global"
    cp "$WORK/pg/data/global/pg_control" "$d/global/"; cp "$WORK/pg/data/PG_VERSION" "$d/"
    for s in "${ALL[@]}"; do cp "$WORK/all/$s" "$d/pg_wal/"; done
    chown -R postgres:postgres "$d"; chmod 700 "$d"
}
# mark_ready NAME [SET]: marks SET (an array name: SEGS, the default, or WARM) ready
mark_ready() { local -n set=${2:-SEGS}; for s in "${set[@]}"; do asp touch "$WORK/$1/pg_wal/archive_status/$s.ready"; done; }

# archiver NAME CMD...: the archiver loop over $SET (default SEGS) in the data directory $DATA
# (default NAME); results under NAME (+ "-cold" for the warm-up set); writes "segment latency_ms done_ms_after_burst" lines. Like PostgreSQL's
# archiver, the loop is one process of the postgres OS user that runs archive_command through
# /bin/sh once per segment, then renames .ready to .done: no runuser per call and per rename,
# which cost about 10 ms each, a third of a pushed-ahead segment's whole turn; times come from
# $EPOCHREALTIME instead of a date process. The burst starts the clock and only then marks every
# segment ready at once (a backlog, as after a burst of writes), in the same process: a daemon
# that pushes ahead gets no head start from the marking. CPU used meanwhile by other workloads on
# the box (lib.sh's foreign_start/foreign_stop) goes to NAME.foreign; BURST_CLEAN says whether it
# stayed within lib.sh's is_clean bounds.
archiver() {
    local name=$1; shift
    local -n set=${SET:-SEGS}
    foreign_start
    # shellcheck disable=SC2016 # expanded by the inner bash
    asp bash -c '
        dir=$1; shift
        n=0; for a in "$@"; do [ "$a" = -- ] && break; n=$((n + 1)); done
        cmd=("${@:1:n}"); segs=("${@:n+2}")
        t0=${EPOCHREALTIME/./}
        for s in "${segs[@]}"; do : >"$dir/pg_wal/archive_status/$s.ready"; done
        for s in "${segs[@]}"; do
            a=${EPOCHREALTIME/./}
            sh -c "\"\$@\"" archive_command "${cmd[@]}" "$dir/pg_wal/$s" >&2 || { echo "archive_command failed for $s" >&2; exit 1; }
            b=${EPOCHREALTIME/./}
            mv "$dir/pg_wal/archive_status/$s.ready" "$dir/pg_wal/archive_status/$s.done"
            echo "$s $(((b - a) / 1000)) $(((b - t0) / 1000))"
        done' archiver "$WORK/${DATA:-$name}" "$@" -- "${set[@]}" >"$RES/$name.tsv" 2>>"$WORK/$name.out" || { foreign_stop; return 1; }
    foreign_stop
    tail -1 "$RES/$name.tsv" | awk '{print $3}' >"$RES/$name.total"
    local wall; wall=$(awk '{ printf "%.2f", $1 / 1000 }' "$RES/$name.total")
    echo "$FCPU $FSTEAL $wall" >"$RES/$name.foreign"
    BURST_CLEAN=0
    if is_clean "$FCPU" "$wall" "$FSTEAL"; then BURST_CLEAN=1; else
        log "$name: other workloads used ${FCPU}s of CPU (steal ${FSTEAL}s) during the ${wall}s burst"
    fi
}

# rearm NAME: forgets NAME's archived copies of the measured set, so a repeated burst archives them
# again (both tools would otherwise find them stored and only compare); PostgreSQL's .done files go.
rearm() {
    local name=$1 s
    for s in "${SEGS[@]}"; do rm -f "$WORK/$name/pg_wal/archive_status/$s.done"; done
    case $name in
        pgbackrest-async)
            # the asynchronous process must have finished; its spool answers for what it pushed
            while pgrep -f 'archive-push:async' >/dev/null; do sleep 0.1; done
            for s in "${SEGS[@]}"; do rm -f "$WORK/pgbr-repo-async/archive/bench/15-1/${s:0:16}/$s-"*; done
            rm -f "$WORK/spool/archive/bench/out/"* ;;
        pgwarden-daemon)
            for s in "${SEGS[@]}"; do rm -f "$WORK/pgw-repo-daemon/wal/${s:0:8}/$s-"*; done ;;
        *) echo "rearm: unknown $name" >&2; return 1 ;;
    esac
}

# warm_up NAME CMD...: archives the warm-up set (the cold case), results as NAME-cold
warm_up() {
    local name=$1; shift
    [ "$WARMUP" -gt 0 ] || return 0
    log "$name: warm-up burst of $WARMUP segments (reported as cold)"
    SET=WARM archiver "$name" "$@"
    for f in tsv total foreign; do mv "$RES/$name.$f" "$RES/$name-cold.$f"; done
}

# summary NAME: segments/s, latency percentiles, lag, CPU other workloads used during the burst
summary() {
    local total foreign; total=$(cat "$RES/$1.total")
    foreign=$(awk '{ printf "foreign %.2fs%s", $1, ($1 > 0.2 + 0.03 * $3 || $2 > 0.3 + 0.10 * $3) ? " CONTAMINATED" : "" }' "$RES/$1.foreign")
    sort -n -k2 "$RES/$1.tsv" | awk -v name="$1" -v total="$total" -v foreign="$foreign" '
        { lat[NR] = $2; lag += $3; if ($3 > lagmax) lagmax = $3 }
        END { n = NR; printf "%-22s %6.2f seg/s  call p50 %5d ms  p95 %5d ms  max %5d ms  lag mean %6.0f ms  max %6d ms  %s\n",
              name, n / (total / 1000), lat[int((n + 1) / 2)], lat[int(n * 0.95 + 0.999)], lat[n], lag / n, lagmax, foreign }'
    awk -v total="$total" -v n="$(wc -l <"$RES/$1.tsv")" 'BEGIN { printf "%f\n", n / (total / 1000) }' >"$RES/$1.rate"
}

# ---- pgBackRest: sync and async (process-max 2), each into its own repository
PGBR_CONF=$WORK/pgbackrest.conf
cat >"$PGBR_CONF" <<EOF
[global]
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=bench-cipher-passphrase-0123456789
compress-type=zst
compress-level=3
spool-path=$WORK/spool
log-level-console=warn
log-level-file=off
lock-path=$WORK/lock
[bench]
pg1-path=$WORK/pg/data
pg1-port=$PORT
pg1-socket-path=$WORK/pg
EOF
chown postgres:postgres "$PGBR_CONF"
for mode in sync async; do
    repo=$WORK/pgbr-repo-$mode; mkdir -p "$repo"; chown postgres:postgres "$repo"
    asp pgbackrest --config="$PGBR_CONF" --stanza=bench --repo1-path="$repo" stanza-create >/dev/null
    stage "pgbackrest-$mode"
    async=n; [ "$mode" = async ] && async=y
    pgbr=(pgbackrest --config="$PGBR_CONF" --stanza=bench --repo1-path="$repo" \
        --pg1-path="$WORK/pgbackrest-$mode" --archive-async=$async --process-max=2 archive-push)
    wait_quiet >/dev/null 2>&1 || true
    warm_up "pgbackrest-$mode" "${pgbr[@]}"
    wait_quiet >/dev/null 2>&1 || true
    log "pgBackRest archive-push $mode"
    archiver "pgbackrest-$mode" "${pgbr[@]}"
done

# ---- pgwarden: direct (no daemon), and through the daemon asked by the JVM, then the native client
key=$WORK/pgwarden.key
"$PGW" key generate --file "$key" >/dev/null; chown postgres:postgres "$key"
pgw_config() { # pgw_config NAME DATA_DIR
    local repo=$WORK/pgw-repo-$1; mkdir -p "$repo" "$WORK/run-$1"; chown postgres:postgres "$repo" "$WORK/run-$1"
    cat >"$WORK/pgw-$1.yaml" <<EOF
stanza: bench
postgres:
  data-directory: $2
  connection:
    host: 127.0.0.1
    port: $PORT
repository:
  type: filesystem
  filesystem:
    path: $repo
encryption:
  provider: local
  local:
    key-file: $key
compression:
  level: $PGW_LEVEL
admin:
  listen: 127.0.0.1:0
schedules:
  health-check: "0 0 0 * * ?"
wal:
  socket: $WORK/run-$1/wal.sock
  push-ahead: $PGW_PUSH_AHEAD
  push-ahead-limit: 16
EOF
    chmod 644 "$WORK/pgw-$1.yaml"
    asp "$PGW" --config "$WORK/pgw-$1.yaml" stanza-create >/dev/null
}
for mode in direct daemon-jvm daemon; do
    pgw_config "$mode" "$WORK/pgwarden-$mode"
    stage "pgwarden-$mode"
    client=native   # without a daemon it hands over to the JVM client, as installed
    [ "$mode" != daemon-jvm ] || client=jvm
    if [ "$mode" != direct ]; then
        # The pid file names the JVM itself (bash execs the launcher, which execs java), so the
        # daemon can be stopped by its own pid.
        rm -f "$WORK/daemon.pid"
        runuser -u postgres -- bash -c 'echo $$ >"$1"; shift; exec "$@"' pid "$WORK/daemon.pid" \
            "$PGW" --config "$WORK/pgw-$mode.yaml" daemon >"$WORK/daemon-$mode.log" 2>&1 &
        until [ -s "$WORK/daemon.pid" ]; do sleep 0.05; done
        DAEMON_PID=$(cat "$WORK/daemon.pid")
        until [ -S "$WORK/run-$mode/wal.sock" ]; do sleep 0.1; done
    fi
    # The first call of a fresh jar writes the class-data archive; that is set-up, not archiving.
    asp env PGWARDEN_WAL_CLIENT=$client "$PGW" --config "$WORK/pgw-$mode.yaml" wal-push \
        "$WORK/pgwarden-$mode/pg_wal/${ALL[0]}" >/dev/null 2>&1
    wait_quiet >/dev/null 2>&1 || true
    warm_up "pgwarden-$mode" env PGWARDEN_WAL_CLIENT=$client "$PGW" --config "$WORK/pgw-$mode.yaml" wal-push
    if [ "$mode" != direct ] && [ "$WARMUP" -gt 0 ]; then
        for round in $(seq 2 "$WARMUP_ROUNDS"); do
            log "pgwarden-$mode: warm-up round $round of $WARMUP_ROUNDS (not reported)"
            for w in "${WARM[@]}"; do
                rm -f "$WORK/pgw-repo-$mode/wal/${w:0:8}/$w-"* "$WORK/pgwarden-$mode/pg_wal/archive_status/$w.done"
            done
            SET=WARM archiver "pgwarden-$mode" env PGWARDEN_WAL_CLIENT=$client "$PGW" --config "$WORK/pgw-$mode.yaml" wal-push
            rm -f "$RES/pgwarden-$mode.tsv" "$RES/pgwarden-$mode.total" "$RES/pgwarden-$mode.foreign"
        done
    fi
    wait_quiet >/dev/null 2>&1 || true
    log "pgwarden wal-push $mode ($client client)"
    archiver "pgwarden-$mode" env PGWARDEN_WAL_CLIENT=$client "$PGW" --config "$WORK/pgw-$mode.yaml" wal-push
    if [ "$mode" = daemon-jvm ]; then
        kill "$DAEMON_PID"; while kill -0 "$DAEMON_PID" 2>/dev/null; do sleep 0.1; done; DAEMON_PID=
    fi
done

# ---- repeated bursts: pgBackRest async and the pgwarden daemon, alternately
# The box is shared and one burst of each moves by a fifth from run to run, so the ratio is taken
# from REPEAT bursts per tool: the ones above, then REPEAT - 1 more, the two tools taking turns
# (drift hits both), each from a quiet-machine wait. A burst during which other workloads used
# more CPU than lib.sh's is_clean allows is redone, up to MAX_TRIES times.
pgbr_async=(pgbackrest --config="$PGBR_CONF" --stanza=bench --repo1-path="$WORK/pgbr-repo-async"
    --pg1-path="$WORK/pgbackrest-async" --archive-async=y --process-max=2 archive-push)
pgw_daemon=(env PGWARDEN_WAL_CLIENT=native "$PGW" --config "$WORK/pgw-daemon.yaml" wal-push)
for tool in pgbackrest-async pgwarden-daemon; do
    cp "$RES/$tool.tsv" "$RES/$tool-r1.tsv"; cp "$RES/$tool.total" "$RES/$tool-r1.total"
    cp "$RES/$tool.foreign" "$RES/$tool-r1.foreign"
done
repeat_burst() { # repeat_burst TOOL ROUND CMD...
    local tool=$1 round=$2 try; shift 2
    for try in $(seq 1 "$MAX_TRIES"); do
        rearm "$tool"
        wait_quiet >/dev/null 2>&1 || true
        DATA=$tool archiver "$tool-r$round" "$@"
        [ "$BURST_CLEAN" = 1 ] && return 0
        [ "$try" -lt "$MAX_TRIES" ] && log "$tool round $round: contaminated, again"
    done
}
for round in $(seq 2 "$REPEAT"); do
    log "round $round of $REPEAT: pgBackRest async, then the pgwarden daemon"
    repeat_burst pgbackrest-async "$round" "${pgbr_async[@]}"
    repeat_burst pgwarden-daemon "$round" "${pgw_daemon[@]}"
done

echo
if [ "$WARMUP" -gt 0 ]; then
    echo "WAL archiving, cold: the first burst of $WARMUP segments of 16 MiB after each tool (daemon) started ($(nproc) cores)"
    for name in pgbackrest-sync pgbackrest-async pgwarden-direct pgwarden-daemon-jvm pgwarden-daemon; do summary "$name-cold"; done
    awk -v a="$(cat "$RES/pgwarden-daemon-cold.rate")" -v y="$(cat "$RES/pgbackrest-async-cold.rate")" 'BEGIN {
        printf "ratio segments/s, cold: pgwarden daemon / pgBackRest async = %.2fx\n", a / y }'
    echo
fi
echo "WAL archiving, ${#SEGS[@]} segments of 16 MiB marked ready at once ($(nproc) cores); pgBackRest zstd-3, pgwarden zstd-$PGW_LEVEL"
for name in pgbackrest-sync pgbackrest-async pgwarden-direct pgwarden-daemon-jvm pgwarden-daemon; do summary "$name"; done
awk -v a="$(cat "$RES/pgwarden-daemon.rate")" -v s="$(cat "$RES/pgbackrest-sync.rate")" \
    -v y="$(cat "$RES/pgbackrest-async.rate")" -v d="$(cat "$RES/pgwarden-direct.rate")" \
    -v j="$(cat "$RES/pgwarden-daemon-jvm.rate")" 'BEGIN {
    printf "ratio segments/s: pgwarden daemon / pgBackRest async = %.2fx, / sync = %.2fx; pgwarden direct / pgBackRest sync = %.2fx\n", a / y, a / s, d / s
    printf "ratio segments/s: pgwarden daemon, native client / JVM client = %.2fx (JVM client / pgBackRest async = %.2fx)\n", a / j, j / y }'

echo
echo "Repeated bursts of the ${#SEGS[@]} measured segments, $REPEAT per tool (round 1 is the burst above; then alternately):"
for round in $(seq 1 "$REPEAT"); do
    for tool in pgbackrest-async pgwarden-daemon; do summary "$tool-r$round"; done
done
for round in $(seq 1 "$REPEAT"); do
    echo "$(cat "$RES/pgbackrest-async-r$round.rate") $(cat "$RES/pgwarden-daemon-r$round.rate")"
done | awk '
    function median(v, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
    { y[NR] = $1; a[NR] = $2; q[NR] = $2 / $1 }
    END { n = NR; my = median(y, n); ma = median(a, n); mq = median(q, n)
        printf "median segments/s: pgBackRest async %.2f, pgwarden daemon %.2f\n", my, ma
        printf "ratio segments/s, median of %d rounds: pgwarden daemon / pgBackRest async = %.2fx (ratio of the medians %.2fx; rounds %.2fx..%.2fx)\n", n, mq, ma / my, q[1], q[n] }'

echo "stored WAL (both bursts): pgBackRest async $(du -sm "$WORK/pgbr-repo-async" | cut -f1) MiB, pgwarden daemon $(du -sm "$WORK/pgw-repo-daemon" | cut -f1) MiB"
# The daemon (native-client mode) has archived every burst by now: its peak resident memory so far.
echo "pgwarden daemon peak RSS so far: $(awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$DAEMON_PID/status") MiB (VmHWM)"

# ---- start-up: wal-push of a pushed-ahead segment vs a full-JVM direct push
# The segments are marked ready again; the daemon pushes them ahead (finding them stored), so each
# call below is answered from what it already did, as when PostgreSQL is not behind.
mark_ready "pgwarden-daemon"
sleep 3
time_calls() { # time_calls KEY LABEL CMD... ; RUNS calls, one per segment; p50 into $RES/startup-KEY.p50
    # The loop runs as postgres inside one runuser, so runuser's own start is not counted: under
    # PostgreSQL, archive_command is a plain sh -c of the server's user.
    local key=$1 label=$2; shift 2
    runuser -u postgres -- bash -c 'n=$1 dir=$2; shift 2; segs=($(ls "$dir" | grep -E "^[0-9A-F]{24}$" | sort))
        for k in $(seq 0 $((n - 1))); do s=${segs[$((k % ${#segs[@]}))]}
            a=$(date +%s%N); "$@" "$dir/$s" >/dev/null 2>&1; b=$(date +%s%N); echo $(((b - a) / 1000)); done' \
        calls "$RUNS" "$WORK/pgwarden-daemon/pg_wal" "$@" |
    sort -n | awk -v label="$label" -v out="$RES/startup-$key.p50" '{ v[NR] = $1 / 1000 } END {
        printf "%-48s p50 %7.1f ms  p95 %7.1f ms  min %7.1f ms  (n=%d)\n", label, v[int((NR + 1) / 2)],
            v[int(NR * 0.95 + 0.999)], v[1], NR;
        print v[int((NR + 1) / 2)] > out }'
}
echo
echo "wal-push per call, $RUNS calls each, wall time including the process start (and the JVM's):"
time_calls fast "bin/pgwarden wal-push, native (pushed ahead)" env PGWARDEN_WAL_CLIENT=native \
    "$PGW" --config "$WORK/pgw-daemon.yaml" wal-push
time_calls jvm "bin/pgwarden wal-push, JVM client (pushed ahead)" env PGWARDEN_WAL_CLIENT=jvm \
    "$PGW" --config "$WORK/pgw-daemon.yaml" wal-push
# Without the launcher: what the native client itself costs.
time_calls bare "target/pgwarden-wal-push (pushed ahead)" env PGWARDEN_LAUNCHER="$PGW" \
    "$ROOT/target/pgwarden-wal-push" --config "$WORK/pgw-daemon.yaml" wal-push
kill "$DAEMON_PID"; while kill -0 "$DAEMON_PID" 2>/dev/null; do sleep 0.1; done; DAEMON_PID=
time_calls full "java -jar pgwarden.jar wal-push --direct (dup)" java -jar "$ROOT/target/pgwarden.jar" \
    --config "$WORK/pgw-daemon.yaml" wal-push --direct
time_calls fallback "bin/pgwarden wal-push, no daemon (dup)" "$PGW" --config "$WORK/pgw-daemon.yaml" wal-push
awk -v f="$(cat "$RES/startup-fast.p50")" -v j="$(cat "$RES/startup-full.p50")" \
    -v c="$(cat "$RES/startup-jvm.p50")" 'BEGIN {
    printf "ratio p50 pushed-ahead JVM client / native client = %.1fx; full-JVM direct / native client = %.1fx\n", c / f, j / f }'
