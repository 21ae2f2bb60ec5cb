#!/usr/bin/env bash
# Prints the markdown summary of a bench/restore-vs-pgbackrest.sh result directory: per tool the
# MEDIAN over runs of restore time, its CPU (user + sys) and peak RSS, the time until the started
# cluster accepts connections and until recovery is done, and the total; throughput is PGDATA
# bytes (without pg_wal) / restore time, and (PGDATA + WAL replayed) / total time end to end.
# Ratios are pgwarden / pgBackRest throughput for each pgwarden variant (> 1: pgwarden is faster).
# usage: bench/restore-vs-pgbackrest-report.sh RESDIR
set -euo pipefail
RES=${1:?usage: $0 RESDIR}
pgdata=$(awk -F'\t' '$1 == "pgdata_nowal_bytes" { v = $2 } END { print v + 0 }' "$RES/values.tsv")

awk -F'\t' -v pgdata="$pgdata" '
  function med(list,   n, a, i, j, t) {
    n = split(list, a, " "); if (n == 0) return "";
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  {
    k = $1; if (!(k in runs)) order[++nk] = k
    runs[k]++
    if ($11 != "yes") { bad[k]++; next }
    if ($12 + 0 > 0.2 + 0.03 * $9) dirty[k]++
    rs[k] = rs[k] " " $3; cpu[k] = cpu[k] " " $4; mx[k] = mx[k] " " $5; tr[k] = tr[k] " " $6
    rd[k] = rd[k] " " $7; rc[k] = rc[k] " " $8; tt[k] = tt[k] " " $9; sg[k] = sg[k] " " $10
  }
  END {
    print "| tool | runs (failed or wrong digest, contaminated) | restore s | restore MB/s | restore CPU s | restore peak RSS MiB (process / tree) | accepts connections s | recovery done s | WAL segments replayed | total s | total MB/s |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nk; i++) {
      k = order[i]
      R[k] = med(rs[k]); T[k] = med(tt[k]); C[k] = med(rc[k]); S[k] = med(sg[k]); P[k] = med(cpu[k])
      mbs = R[k] > 0 ? pgdata / 1e6 / R[k] : 0
      tmbs = T[k] > 0 ? (pgdata + S[k] * 16777216) / 1e6 / T[k] : 0
      printf "| %s | %d (%d, %d) | %.2f | %.0f | %.1f | %.0f / %.0f | %.2f | %.2f | %d | %.2f | %.0f |\n", k, runs[k], bad[k], dirty[k],
        R[k], mbs, P[k], med(mx[k]) / 1024, med(tr[k]) / 1024, med(rd[k]), C[k], S[k], T[k], tmbs
    }
    b = "pgbackrest"; print ""
    for (i = 1; i <= nk; i++) {
      w = order[i]
      if (w == b || !(R[w] > 0 && R[b] > 0 && T[w] > 0 && T[b] > 0)) continue
      printf "%s / pgBackRest throughput: restore only %.2fx, recovery (start to writable) %.2fx, end to end %.2fx (target >= 1.2x)\n",
        w, R[b] / R[w], C[b] / C[w], T[b] / T[w]
      if (P[b] > 0) printf "restore CPU seconds %s / pgBackRest: %.2fx\n", w, P[w] / P[b]
    }
  }' "$RES/runs.tsv"
echo
echo "Contaminated = other workloads used more than 0.2 s + 3% of a core during the restore and recovery (lib.sh is_clean)."
echo "MB/s: PGDATA without pg_wal per second of restore; total: PGDATA + WAL replayed (16 MiB segments) per second of restore + recovery."
echo
echo '```'
cat "$RES/env.txt"
grep -E 'pgdata_nowal_bytes|backup_bytes|wal_after_backups_bytes|pgbench_init|handed_warmup' "$RES/values.tsv" || true
awk '/^tps/ { print "pgbench " $0; exit }' "$RES/pgbench.txt" 2>/dev/null || true
echo '```'
