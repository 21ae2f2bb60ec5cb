#!/usr/bin/env bash
# Prints the markdown summary of a bench/backup-vs-pgbackrest.sh result directory: per case, tool
# and configuration the MEDIAN over runs of wall time, MB/s (PGDATA bytes without pg_wal / wall),
# CPU seconds (user + sys), stored bytes (the backup's own directory in the repository, WAL
# excluded), manifest bytes and peak RSS of the process tree; then pgwarden / pgBackRest ratios at the same parallelism.
# usage: bench/backup-vs-pgbackrest-report.sh RESDIR
set -euo pipefail
RES=${1:?usage: $0 RESDIR}
T=$RES/runs.tsv

# median of the numeric values of column $2 for rows whose key (case|tool|config) is $1
awk -F'\t' '
  function med(list,   n, a, i, j, t) {
    n = split(list, a, " "); if (n == 0) return "";
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  FNR == NR { cpu_of[$1] = $3 + $4; next }   # measure.tsv: label -> user + sys seconds
  FNR == 1 { next }
  {
    k = $1 SUBSEP $2 SUBSEP $3
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    runs[k]++
    if ($7 == "FAILED") { failed[k]++; next }
    wall[k] = wall[k] " " $5; rss[k] = rss[k] " " $6; st[k] = st[k] " " $7
    if ($8 != "-") man[k] = man[k] " " $8
    mbs[k] = mbs[k] " " ($9 / 1e6 / $5)
    if ($10 + 0 > 0.2 + 0.03 * $5) dirty[k]++
    l = $1 "_" $2 "_" $3 "_r" $4; if (l in cpu_of) cpu[k] = cpu[k] " " cpu_of[l]
  }
  END {
    print "| case | tool | config | runs (failed, contaminated) | wall s | MB/s | CPU s | stored bytes | manifest bytes | peak RSS tree MiB | wall ratio | MB/s ratio | CPU ratio | stored ratio | RSS ratio |"
    print "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nk; i++) {
      k = order[i]; split(k, p, SUBSEP)
      W[k] = med(wall[k]); M[k] = med(mbs[k]); S[k] = med(st[k]); R[k] = med(rss[k]) / 1024; N[k] = med(man[k]); C[k] = med(cpu[k])
    }
    for (i = 1; i <= nk; i++) {
      k = order[i]; split(k, p, SUBSEP)
      ratio = "| | | | |"
      if (p[2] ~ /^pgwarden/) {
        pm = p[3]; sub(/^l[0-9]+_/, "", pm); sub(/_s.*/, "", pm)
        b = p[1] SUBSEP "pgbackrest" SUBSEP pm
        if (b in W && W[b] > 0 && S[b] > 0 && R[b] > 0)
          ratio = sprintf("| %.2f | %.2f | %.2f | %.3f | %.2f |", W[k] / W[b], M[k] / M[b], (C[b] > 0 ? C[k] / C[b] : 0), S[k] / S[b], R[k] / R[b])
      } else ratio = "| 1 | 1 | 1 | 1 | 1 |"
      printf "| %s | %s | %s | %d (%d, %d) | %.2f | %.0f | %.1f | %.0f | %s | %.0f %s\n", p[1], p[2], p[3], runs[k], failed[k], dirty[k],
        W[k], M[k], C[k], S[k], (N[k] == "" ? "-" : sprintf("%.0f", N[k])), R[k], ratio
    }
  }' "$RES/measure.tsv" "$T"
echo
echo "Ratios are pgwarden / pgBackRest at the same parallelism (pmN; incrementals: pm2). Wall and MB/s ratios: MB/s > 1 means pgwarden is faster."
echo "CPU s = user + sys of the tool's process tree (GNU time), plus the daemon's over the run for pgwarden-handed: less sensitive than wall time to other workloads on the box."
echo "Contaminated = foreign CPU above 0.2 s + 3% of the wall time during that run (lib.sh is_clean)."
echo
[ -f "$RES/values.tsv" ] && { echo '```'; grep -E 'pgdata_nowal_bytes|mixed_table|accounts_bytes|pgbench_init|daemon_vmhwm' "$RES/values.tsv"; echo '```'; }
for f in "$RES"/pgbench_*_r*.txt; do [ -f "$f" ] && printf '%s tps %s\n' "$(basename "$f" .txt)" "$(awk '/^tps/ {print $3; exit}' "$f")"; done
