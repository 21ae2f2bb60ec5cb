# pgwarden configurations for the side-by-side benchmarks (backup-vs-pgbackrest.sh,
# restore-vs-pgbackrest.sh). Source after the shared lib.sh (it defines STANZA, PGDATA, PGBIN,
# SOCK, PGPORT and asp) with PGWARDEN (the launcher) and PGW (a directory holding one
# subdirectory per configuration, each with its own local repository) set.

pgw_init() {  # a fresh $PGW with one repository key shared by every configuration
  rm -rf "$PGW"; mkdir -p "$PGW"; chown postgres:postgres "$PGW"
  asp "$PGWARDEN" key generate --file "$PGW/repository.key" >/dev/null
}

# pgw_setup NAME LEVEL PARALLELISM SLICE : $PGW/NAME/pgwarden.yaml with its own repository,
# backup spool, wal-fetch prefetch spool and daemon socket path (no daemon runs: wal-push falls
# back to pushing directly, and the socket is ours so another daemon on the box is never used),
# then stanza-create. PGW_EXTRA_YAML, when set, is appended (sections not written above).
pgw_setup() {
  local name=$1 level=$2 pm=$3 slice=$4 d=$PGW/$1
  mkdir -p "$d/repository" "$d/spool" "$d/restore-spool"
  cat > "$d/pgwarden.yaml" <<YAML
stanza: $STANZA
postgres:
  data-directory: $PGDATA
  bin-directory: $PGBIN
  connection:
    socket: $SOCK
    port: $PGPORT
repository:
  type: filesystem
  filesystem:
    path: $d/repository
encryption:
  provider: local
  local:
    key-file: $PGW/repository.key
compression:
  algorithm: zstd
  level: $level
backup:
  parallelism: $pm
  slice-size: $slice
  fast-start: true
  spool-directory: $d/spool
restore:
  spool-directory: $d/restore-spool
wal:
  socket: $d/wal.sock
logging:
  level: warn
YAML
  # extra top-level sections for one benchmark (e.g. admin: and daemon: for a running daemon)
  [ -z "${PGW_EXTRA_YAML:-}" ] || printf '%s\n' "$PGW_EXTRA_YAML" >> "$d/pgwarden.yaml"
  chown -R postgres:postgres "$d"
  asp "$PGWARDEN" --config "$d/pgwarden.yaml" stanza-create >/dev/null
}

pgw_newest() { ls -1t "$PGW/$1/repository/backup" | head -1; }          # newest backup label of configuration $1
pgbr_newest() { pgbr info --output=json | jq -r '.[0].backup[-1].label'; }  # newest pgBackRest backup label

# med: median of the numbers on stdin (one per line); empty when there are none
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------- a running daemon (the "handed" measurements) ----------
# pgw_daemon_yaml PORT : creates $PGW/token and $PGW/run, prints the sections a configuration needs
# for a daemon with an admin API on 127.0.0.1:PORT (pass them as PGW_EXTRA_YAML to pgw_setup).
# Retention keeps every backup and expires nothing, so the daemon does no work of its own.
pgw_daemon_yaml() {
  head -c 32 /dev/urandom | base64 | tr -d '\n=+/' > "$PGW/token"; chmod 600 "$PGW/token"; chown postgres:postgres "$PGW/token"
  mkdir -p "$PGW/run"; chown postgres:postgres "$PGW/run"
  printf 'retention:\n  full:\n    count: 99\n  expire-after-backup: false\nadmin:\n  listen: 127.0.0.1:%s\n  token-file: %s\ndaemon:\n  stop-file: %s\n' \
    "$1" "$PGW/token" "$PGW/run/pgwarden.stop"
}

# pgw_start_daemon CONFIG_FILE PORT LOG [JAVA_OPTS] : starts the daemon as postgres, waits for its
# admin API, and sets DAEMON_PID (runuser) and DAEMON_JVM (the java process: the launcher execs it
# below runuser). The caller stops it (pgw_stop_daemon, and an EXIT trap for failures).
pgw_start_daemon() {
  runuser -u postgres -- env PATH="$PATH" PGWARDEN_JAVA_OPTS="${4:-}" "$PGWARDEN" --config "$1" daemon >> "$3" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$2/health/live" >/dev/null && break; sleep 0.2; done
  DAEMON_JVM=""
  for p in $(pgrep -P "$DAEMON_PID") "$DAEMON_PID"; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = java ] && DAEMON_JVM=$p; done
  [ -n "$DAEMON_JVM" ] || { echo "daemon JVM not found below PID $DAEMON_PID; see $3" >&2; exit 1; }
}
pgw_stop_daemon() { kill "$DAEMON_JVM" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; }

pgw_daemon_ticks() { awk '{print $14+$15}' "/proc/$DAEMON_JVM/stat"; }   # the daemon JVM's CPU (clock ticks)

# pgw_daemon_cpu_is_ours TICKS_BEFORE : the daemon worked for the run lib.sh `measure` recorded last,
# so its CPU since TICKS_BEFORE is that run's, not foreign work: moved from the foreign-CPU column
# to the user-time column of the last row of $RES/measure.tsv.
pgw_daemon_cpu_is_ours() {
  local d1 last; d1=$(pgw_daemon_ticks); last=$(tail -1 "$RES/measure.tsv")
  sed -i '$d' "$RES/measure.tsv"
  awk -F'\t' -v OFS='\t' -v d="$(( d1 - $1 ))" -v hz="$(getconf CLK_TCK)" '{ c = d / hz; $3 = sprintf("%.2f", $3 + c);
    $10 = sprintf("%.2f", ($10 - c < 0) ? 0 : $10 - c); print }' <<<"$last" >> "$RES/measure.tsv"
}
