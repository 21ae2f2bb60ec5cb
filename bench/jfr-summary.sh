#!/usr/bin/env bash
# Summarises the CPU samples of a Java Flight Recorder file of one pgwarden command: by stage (the
# first stage found walking each stack from the top), by thread and by top frame. Java samples
# (jdk.ExecutionSample) and samples of threads inside native code such as zstd or fsync
# (jdk.NativeMethodSample) are both counted. Used by profile-backup.sh and profile-restore.sh.
# usage: bench/jfr-summary.sh RECORDING.jfr [OUT_DIR]   (the decoded samples go to OUT_DIR/samples.txt)
set -euo pipefail
JFR=${1:?usage: $0 RECORDING.jfr [OUT_DIR]}
OUT=${2:-$(dirname "$JFR")}
jfr print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$JFR" > "$OUT/samples.txt"
awk '
  function stage(f) {
    if (f ~ /PageChecksum/) return "page checksum (Java)"
    if (f ~ /luben\.zstd/) return "zstd (JNI)"
    if (f ~ /GHASH|GaloisCounterMode|AESCrypt|crypto\.tink|CounterMode|com\.sun\.crypto/) return "AES-GCM (Tink/JCE)"
    if (f ~ /sun\.security\.provider\.(SHA|Digest)|MessageDigest/) return "SHA-256"
    if (f ~ /HexFormat/) return "hex encoding"
    if (f ~ /force0|FileChannelImpl\.force/) return "fsync"
    if (f ~ /UnixNativeDispatcher|UnixCopyFile|UnixFileAttributeViews|UnixFileSystemProvider/) return "file system calls (open, stat, chown, chmod, rename)"
    if (f ~ /FileChannel|FileDispatcher|sun\.nio\.ch/) return "file read/write"
    if (f ~ /Piped(Input|Output)Stream/) return "pipe to upload thread"
    if (f ~ /FilesystemObjectStore/) return "object store (filesystem)"
    if (f ~ /ByteArrayOutputStream|Arrays\.copyOf|System\.arraycopy|readAllBytes|readNBytes/) return "buffer copies"
    if (f ~ /EntrySpool|ManifestReader|ManifestWriter|ManifestJson|ManifestEntryLines/) return "manifest / spool"
    return ""
  }
  /^jdk\.(Execution|NativeMethod)Sample/ { inside = 1; top = ""; st = ""; thread = ""; next }
  inside && /sampledThread = / { thread = $0; sub(/.*sampledThread = "/, "", thread); sub(/".*/, "", thread); sub(/-[0-9]+$/, "-N", thread) }
  inside && /stackTrace = \[/ { instack = 1; next }
  instack && /^[[:space:]]*\]/ { instack = 0
    n++; threads[thread]++; tops[top]++; if (st == "") st = "other (JVM, JIT, startup, ...)"; stages[st]++; next }
  instack { f = $0; sub(/^[[:space:]]+/, "", f); sub(/[[:space:]]+line:.*/, "", f)
    if (top == "") top = f
    if (st == "") st = stage(f) }
  END {
    printf "samples: %d\n\nby stage:\n", n
    for (s in stages) printf "  %5.1f%%  %s\n", 100 * stages[s] / n, s | "sort -rn"; close("sort -rn")
    print "\nby thread:"
    for (t in threads) printf "  %5.1f%%  %s\n", 100 * threads[t] / n, t | "sort -rn"; close("sort -rn")
    print "\ntop frames:"
    for (t in tops) printf "  %5.1f%%  %s\n", 100 * tops[t] / n, t | "sort -rn | head -15"; close("sort -rn | head -15")
  }' "$OUT/samples.txt"
