package org.pgwarden.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestReader;
import org.pgwarden.repo.SealedObjects;

/** The data directory a restore writes into, and the rules that keep a restore from doing harm. */
final class TargetDirectory {
    private TargetDirectory() {
    }

    /**
     * Refuses a directory a running server uses, and a non-empty one unless delta restore was asked
     * for; creates it when missing. The directory itself is never deleted.
     */
    static void prepare(Path pgdata, boolean delta) throws IOException {
        refuseRunning(pgdata);
        if (Files.isDirectory(pgdata)) {
            try (Stream<Path> s = Files.list(pgdata)) {
                if (s.findAny().isPresent() && !delta) {
                    throw new PgwardenException(ErrorCode.USAGE, "'" + pgdata + "' is not empty",
                            "restore into an empty directory, or pass --delta to rewrite only what differs", null);
                }
            }
        } else if (Files.exists(pgdata)) {
            throw new PgwardenException(ErrorCode.USAGE, "'" + pgdata + "' exists and is not a directory");
        } else {
            Files.createDirectories(pgdata);
        }
    }

    /** Refuses a directory a running PostgreSQL uses (its {@code postmaster.pid} names a live process). */
    static void refuseRunning(Path pgdata) {
        Path pid = pgdata.resolve("postmaster.pid");
        if (Files.exists(pid)) {
            long postmaster = readPid(pid);
            if (postmaster > 0 && ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)) {
                throw new PgwardenException(ErrorCode.PG_MISCONFIGURED, "PostgreSQL (pid " + postmaster
                        + ") is running on '" + pgdata + "'; a restore never overwrites a running cluster",
                        "stop it first: pg_ctl -D '" + pgdata + "' stop -m fast", null);
            }
        }
    }

    private static long readPid(Path pid) {
        try {
            String first = Files.readAllLines(pid).stream().findFirst().orElse("").trim();
            return Long.parseLong(first);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The path of a manifest entry inside {@code pgdata}; entries can never point outside it. */
    static Path resolve(Path pgdata, String path) {
        Path p = pgdata.resolve(path).normalize();
        if (!p.startsWith(pgdata.normalize()) || path.startsWith("/")) {
            throw new PgwardenException(ErrorCode.INTEGRITY_MANIFEST, "manifest entry '" + path
                    + "' points outside the data directory");
        }
        return p;
    }

    /** A tablespace link, at its remapped location when asked for; the target directory is created. */
    static void link(Path link, ManifestEntry e, Map<Path, Path> remap, FileOwner owner) throws IOException {
        Path original = Path.of(e.linkTarget());
        Path target = remap.getOrDefault(original, original);
        Files.createDirectories(target);
        owner.directory(target, 0700);
        if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) {
                return;
            }
            Files.delete(link);
        }
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, target);
    }

    /**
     * Delta restore: removes files inside {@code pgdata} (tablespace links are not followed) that
     * the backup does not hold, so stale WAL or relation files cannot confuse recovery.
     */
    static long removeExtras(Path pgdata, SealedObjects objects, BackupLabel label) throws IOException {
        Set<String> wanted = new HashSet<>();
        try (ManifestReader m = ManifestReader.open(objects, label)) {
            for (ManifestEntry e : m) {
                wanted.add(e.path());
            }
        }
        long removed = 0;
        List<Path> all;
        try (Stream<Path> walk = Files.walk(pgdata)) {
            all = walk.sorted(java.util.Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            if (p.equals(pgdata)) {
                continue;
            }
            String rel = pgdata.relativize(p).toString().replace('\\', '/');
            if (wanted.contains(rel)) {
                continue;
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.list(p)) {
                    if (s.findAny().isPresent()) {
                        continue;
                    }
                }
            }
            Files.deleteIfExists(p);
            removed++;
        }
        return removed;
    }
}
