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
