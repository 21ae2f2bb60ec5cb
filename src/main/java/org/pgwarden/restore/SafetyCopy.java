package org.pgwarden.restore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.PgControlFile;
import org.pgwarden.pg.PgDataLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code restore --delta --safety-backup}: before a delta restore rewrites a stopped cluster, a
 * complete offline copy of it is taken, so the operator can go back to exactly what was there.
 *
 * <p>Why a local copy and not a backup in the repository: the cluster is stopped, so the usual
 * online backup ({@code pg_backup_start}/{@code pg_backup_stop}, WAL from the archive) cannot be
 * taken, and a stopped cluster's files, with its own {@code pg_wal}, are consistent by themselves.
 * A plain copy needs nothing to restore it: PostgreSQL starts on it as it is.
 *
 * <p>Layout of the copy directory (never an existing one): {@code data/} is the data directory
 * (PostgreSQL starts on it: {@code pg_ctl -D <copy>/data start}); {@code tablespaces/<oid>/} hold the
 * tablespaces, and {@code data/pg_tblspc/<oid>} links there; a {@code pg_wal} that was a link is
 * copied as a directory. {@code SAFETY-COPY.txt} says where it came from and how to return to it.
 */
public final class SafetyCopy {
    private static final Logger log = LoggerFactory.getLogger(SafetyCopy.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("uuuuMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    public record Result(Path directory, Path dataDirectory, long files, long bytes, Duration took) {
    }

    private SafetyCopy() {
    }

    /** Next to the data directory: {@code /var/lib/postgresql/15/main.safety-20261124-081500}. */
    public static Path defaultLocation(Path pgdata, Instant now) {
        Path abs = pgdata.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".safety-" + STAMP.format(now));
    }

    /**
     * Checks that {@code pgdata} is a stopped data directory of the cluster with
     * {@code systemIdentifier}, that {@code into} does not exist and its file system has room, and
     * returns the bytes to copy. Writes nothing: the dry run calls it too.
     */
    public static long check(Path pgdata, Path into, long systemIdentifier) {
        TargetDirectory.refuseRunning(pgdata);
        PgControlFile control = PgControlFile.read(pgdata);
        if (control.systemIdentifier() != systemIdentifier) {
            throw new PgwardenException(ErrorCode.STANZA_MISMATCH, "'" + pgdata + "' is the data directory of cluster "
                    + Long.toUnsignedString(control.systemIdentifier()) + ", not of this stanza's cluster "
                    + Long.toUnsignedString(systemIdentifier) + "; --safety-backup copies only a cluster this"
                    + " repository backs up", "restore into an empty directory instead of using --delta", null);
        }
        if (Files.exists(into, LinkOption.NOFOLLOW_LINKS)) {
            throw new PgwardenException(ErrorCode.USAGE, "safety copy location '" + into + "' already exists",
                    "name a new directory: --safety-backup=/path/to/new/dir", null);
        }
        try {
            long needed = size(pgdata);
            Path parent = into.toAbsolutePath().getParent();
            FileStore fs = Files.getFileStore(parent);
            if (fs.getUsableSpace() < needed) {
                throw new PgwardenException(ErrorCode.USAGE, "not enough space for the safety copy in '" + parent
                        + "': " + needed + " bytes needed, " + fs.getUsableSpace() + " available",
                        "name a directory on a larger file system: --safety-backup=/path/to/new/dir", null);
            }
            return needed;
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.PG_DATA_UNREADABLE, "unable to measure '" + pgdata + "': "
                    + e.getMessage(), e);
        }
    }

    /** Copies the stopped cluster in {@code pgdata} into the new directory {@code into}. */
    public static Result take(Path pgdata, Path into, long systemIdentifier, String osUser, JobContext context) {
        Clock clock = context.clock();
        Instant started = clock.instant();
        long expected = check(pgdata, into, systemIdentifier);
        boolean clean = PgControlFile.read(pgdata).shutDownCleanly();
        log.info("taking a safety copy of '{}' ({} bytes) into '{}' before the delta restore", pgdata, expected, into);
        if (!clean) {
            log.warn("'{}' was not shut down cleanly; its copy keeps pg_wal, so PostgreSQL will run crash recovery"
                    + " when started on it", pgdata);
        }
        Copied copied = new Copied(expected, clock, context);
        Path data = into.resolve("data");
        try {
            FileOwner owner = FileOwner.forRestore(pgdata, osUser);
            Files.createDirectories(into);
            owner.directory(into, 0700);
            copyTree(pgdata, data, into.resolve("tablespaces"), copied);
            Files.writeString(into.resolve("SAFETY-COPY.txt"), note(pgdata, into, started, clean),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PgwardenException(ErrorCode.REPO_IO, "safety copy of '" + pgdata + "' into '" + into
                    + "' failed: " + e.getMessage(), "nothing was restored; free the cause and run again (remove '"
                            + into + "' first)", e);
        }
        Duration took = Duration.between(started, clock.instant());
        log.info("safety copy of '{}' is in '{}': {} files, {} bytes, {}s", pgdata, into, copied.files, copied.bytes,
                took.toSeconds());
        return new Result(into, data, copied.files, copied.bytes, took);
    }

    /**
     * Copies the directory {@code from} into the new directory {@code to}: files with their owner,
     * mode and times, each flushed to disk; a link is copied as what it points to (a {@code pg_wal}
     * on another disk). Given {@code tablespaces} (for the data directory itself), the tablespaces
     * linked from {@code pg_tblspc} are copied there and the copy's links point to them.
     */
    private static void copyTree(Path from, Path to, Path tablespaces, Copied copied) throws IOException {
        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        for (Path child : list(from)) {
            copied.context.checkCancelled();
            Path target = to.resolve(child.getFileName().toString());
            if (tablespaces != null && child.getFileName().toString().equals(PgDataLayout.TABLESPACE_DIRECTORY)) {
                Files.copy(child, target, StandardCopyOption.COPY_ATTRIBUTES);
                for (Path link : list(child)) {
                    if (Files.isSymbolicLink(link)) {
                        Path copy = tablespaces.resolve(link.getFileName().toString());
                        Files.createDirectories(tablespaces);
                        copyTree(link.toRealPath(), copy, null, copied);
                        Files.createSymbolicLink(target.resolve(link.getFileName().toString()), copy);
                    } else if (Files.isDirectory(link)) {
                        // an in-place tablespace (allow_in_place_tablespaces) is a plain directory
                        copyTree(link, target.resolve(link.getFileName().toString()), null, copied);
                    }
                }
            } else if (Files.isDirectory(child)) {
                copyTree(child, target, null, copied);
            } else if (Files.isRegularFile(child)) {
                Files.copy(child, target, StandardCopyOption.COPY_ATTRIBUTES);
                try (FileChannel ch = FileChannel.open(target, StandardOpenOption.READ)) {
                    ch.force(true);
                }
                copied.add(Files.size(target));
            }
        }
    }

    /** What has been copied so far; logs progress every {@link #EVERY}. */
    private static final class Copied {
        private static final Duration EVERY = Duration.ofSeconds(10);
        private final long expected;
        private final Clock clock;
        private final JobContext context;
        private Instant lastLog;
        long files;
        long bytes;

        Copied(long expected, Clock clock, JobContext context) {
            this.expected = expected;
            this.clock = clock;
            this.context = context;
            this.lastLog = clock.instant();
        }

        void add(long size) {
            files++;
            bytes += size;
            Instant now = clock.instant();
            if (Duration.between(lastLog, now).compareTo(EVERY) >= 0) {
                lastLog = now;
                log.info("safety copy: {} of {} bytes ({}%), {} files", bytes, expected,
                        expected == 0 ? 100 : bytes * 100 / expected, files);
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** Bytes of regular files under {@code dir}, following links (tablespaces, a linked pg_wal). */
    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    private static String note(Path pgdata, Path into, Instant at, boolean clean) {
        return """
                Safety copy taken by 'pgwarden restore --delta --safety-backup' at %s
                of the stopped data directory '%s'%s,
                before the delta restore rewrote it.

                To look at the old cluster, start it here on a free port, as the PostgreSQL OS user:
                  pg_ctl -D '%s/data' -o '-c port=5499 -c archive_mode=off' start
                (when postgresql.conf lives outside the data directory, as on Debian, add to -o:
                 -c config_file=/etc/postgresql/<version>/<cluster>/postgresql.conf
                 -c data_directory=<this directory>/data -c external_pid_file=)
                To return to it for good, stop PostgreSQL on '%s', move that directory aside and move
                '%s/data' to its place (its tablespaces stay under '%s/tablespaces').
                Delete this directory once the restored cluster is verified.
                """.formatted(at, pgdata, clean ? "" : " (it had not been shut down cleanly)", into, pgdata, into,
                into);
    }
}
