package org.pgwarden.restore;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.pgwarden.common.ByteSize;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.Progress;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.VerifiedFile;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads, before PostgreSQL starts, the WAL recovery will replay into a local directory, so
 * that {@code restore_command} becomes a local rename instead of a repository round trip per
 * segment. Each file is decrypted, authenticated and checked against the checksum in its key
 * before it appears under its final name ({@link VerifiedFile}); only complete, verified files
 * are ever visible there. Downloads run in parallel with a bounded queue and stream to disk, so
 * memory is parallelism × one buffer whatever the amount of WAL.
 */
public final class WalStaging {
    private static final Logger log = LoggerFactory.getLogger(WalStaging.class);

    /** Default staging directory inside the restored data directory; PostgreSQL ignores it. */
    static final String DIRECTORY = "pgwarden-wal";

    public record Result(Path directory, long files, long bytes, Duration took) {
    }

    private final WalArchiveIndex index;
    private final SealedObjects objects;
    private final Clock clock;

    WalStaging(WalArchiveIndex index, SealedObjects objects, Clock clock) {
        this.index = index;
        this.objects = objects;
        this.clock = clock;
    }

    /** Names of every WAL file the archive held when staging began, one per line, in the staging directory. */
    static final String ARCHIVED_LIST = ".archived";

    /** Names of the WAL files staged (moved out as recovery asks), one per line, in the staging directory. */
    static final String STAGED_LIST = ".staged";

    /**
     * The {@code restore_command} that serves a staged file by a rename, answers "not archived"
     * (exit 1) at once for a name the archive did not hold when staging began, serves a staged
     * file recovery asks for a second time from its copy in {@code pg_wal}, and asks
     * {@code fallback} for anything else. Recovery probes for files that do not exist several
     * times (the next timeline's history file, the segment after the end of the archive); each
     * such answer would otherwise start a JVM. A failed rename or copy exits 126, which stops
     * recovery: exit 1 would tell PostgreSQL the file is not archived and could end recovery
     * early, with data missing. Without the lists (a directory staged by an older version) every
     * miss goes to the fallback.
     *
     * <p>The second request is normal: at the end of recovery PostgreSQL reads the segment it
     * stopped in again, and a JVM for it cost more than half a second of the recovery's time.
     * PostgreSQL keeps each file it restored under its own name in {@code pg_wal} (the
     * restore_command runs in the data directory), and recycles only names ahead of replay, so
     * for a name staged here that copy is the verified file. A name this restore did not stage
     * is never taken from {@code pg_wal}: a stale file there could be of another history.
     */
    static String restoreCommand(Path directory, String fallback) {
        String dir = shellQuote(directory.toString());
        String staged = dir + "/%f";
        String archived = dir + "/" + ARCHIVED_LIST;
        String stagedList = dir + "/" + STAGED_LIST;
        return "if [ -f " + staged + " ]; then mv -f " + staged + " \"%p\" || exit 126; elif [ -f " + archived
                + " ] && ! grep -qxF '%f' " + archived + "; then exit 1; elif [ -f pg_wal/%f ] && [ -f "
                + stagedList + " ] && grep -qxF '%f' " + stagedList + "; then cp -f pg_wal/%f \"%p\" || exit 126;"
                + " else exec " + fallback + "; fi";
    }

    /** Quotes for {@code /bin/sh}: single quotes, an embedded one closed, escaped and reopened. */
    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    Result stage(WalCheck.Result wal, Path directory, FileOwner owner, int parallelism, JobContext context)
            throws IOException {
        return stage(wal, directory, owner, parallelism, context, new AtomicReference<>(), new AtomicLong(), true);
    }

    /**
     * Stages while something else runs (the data files of the same restore): stops as soon as
     * {@code failure} is set, by either side, and sets it on a failure of its own; counts bytes
     * into {@code bytes} for the caller's progress instead of showing its own.
     */
    Result stageAlongside(WalCheck.Result wal, Path directory, FileOwner owner, int parallelism, JobContext context,
            AtomicReference<Throwable> failure, AtomicLong bytes) throws IOException {
        return stage(wal, directory, owner, parallelism, context, failure, bytes, false);
    }

    /** Bytes staging {@code wal} writes: its segments and history files. */
    static long totalBytes(WalCheck.Result wal) {
        WalPlan plan = wal.plan();
        return plan.segments(plan.stageSpans()) * plan.segmentSize()
                + wal.history().stream().mapToLong(ObjectInfo::size).sum();
    }

    private Result stage(WalCheck.Result wal, Path directory, FileOwner owner, int parallelism, JobContext context,
            AtomicReference<Throwable> failure, AtomicLong bytes, boolean showProgress) throws IOException {
        Instant started = clock.instant();
        prepare(directory, owner);
        WalPlan plan = wal.plan();
        long segments = plan.segments(plan.stageSpans());
        long total = totalBytes(wal);
        log.info("staging {} WAL segment(s) and {} history file(s) ({}) into '{}' with {} parallel download(s)",
                segments, wal.history().size(), ByteSize.ofBytes(total).toHuman(), directory,
                parallelism);
        try (Stream<ObjectInfo> all = index.listAll()) {
            writeList(directory, ARCHIVED_LIST, all.map(o -> WalArchiveIndex.fileName(o.key())).iterator(), owner);
        }
        Queue<String> names = new ConcurrentLinkedQueue<>();
        long bytesBefore = bytes.get();
        int workers = Math.max(1, parallelism);
        // A full queue makes the submitting thread download too: bounded work in flight, no idle waiting.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(workers * 2), r -> {
                    Thread t = new Thread(r, "pgwarden-wal-stage");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        try (Progress progress = showProgress ? Progress.start("restore WAL staging", total, bytes::get, clock)
                : null) {
            try {
                for (ObjectInfo h : wal.history()) {
                    submit(pool, h, directory, owner, names, bytes, failure);
                }
                for (WalPlan.Span span : plan.stageSpans()) {
                    submitSpan(pool, span, plan.segmentSize(), directory, owner, names, bytes, failure, context);
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            } finally {
                awaitAll(pool, failure);
            }
        }
        if (failure.get() != null) {
            throw PgwardenException.of(failure.get());
        }
        writeList(directory, STAGED_LIST, names.iterator(), owner);
        Duration took = Duration.between(started, clock.instant());
        long staged = bytes.get() - bytesBefore;
        log.info("staged {} WAL file(s), {}, in {}s into '{}'", names.size(), ByteSize.ofBytes(staged).toHuman(),
                took.toSeconds(), directory);
        return new Result(directory, names.size(), staged, took);
    }

    private void submitSpan(ThreadPoolExecutor pool, WalPlan.Span span, int segmentSize, Path directory,
            FileOwner owner, Queue<String> names, AtomicLong bytes, AtomicReference<Throwable> failure, JobContext context) {
        try (Stream<ObjectInfo> listed = WalCheck.listSegments(index, span.timeline())) {
            Iterator<ObjectInfo> it = listed.iterator();
            while (it.hasNext() && failure.get() == null) {
                ObjectInfo o = it.next();
                long n = WalSegmentName.parse(WalArchiveIndex.fileName(o.key())).segmentNumber(segmentSize);
                if (n > span.last()) {
                    break;
                }
                if (n >= span.first()) {
                    context.checkCancelled();
                    submit(pool, o, directory, owner, names, bytes, failure);
                }
            }
        }
    }

    /** Waits for the downloads in flight; after a failure, interrupts them instead. */
    private static void awaitAll(ThreadPoolExecutor pool, AtomicReference<Throwable> failure) {
        pool.shutdown();
        try {
            while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                if (failure.get() != null) {
                    pool.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
            failure.compareAndSet(null, e);
        }
    }

    private void submit(ThreadPoolExecutor pool, ObjectInfo object, Path directory, FileOwner owner,
            Queue<String> names, AtomicLong bytes, AtomicReference<Throwable> failure) {
        pool.execute(() -> {
            if (failure.get() != null) {
                return;
            }
            try {
                String name = WalArchiveIndex.fileName(object.key());
                Path target = directory.resolve(name);
                VerifiedFile.restoreWal(objects, object, target);
                owner.apply(target, 0600);
                bytes.addAndGet(Files.size(target));
                names.add(name);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    /**
     * Writes one of the lists {@link #restoreCommand} reads: {@link #ARCHIVED_LIST}, which WAL
     * files the archive holds now, so that probes for the others are answered without the
     * repository (with staging, recovery therefore ends at the archive as it was at restore time,
     * what the restore summary reported; files archived later, by a still-running old primary,
     * are not fetched: use {@code --wal-source fetch} to follow them), and {@link #STAGED_LIST},
     * written once every file is staged. Written to a temporary name and renamed, so the command
     * never reads half a list.
     */
    private static void writeList(Path directory, String list, Iterator<String> names, FileOwner owner)
            throws IOException {
        Path tmp = directory.resolve(list + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
            while (names.hasNext()) {
                w.write(names.next());
                w.write('\n');
            }
        }
        owner.apply(tmp, 0600);
        Files.move(tmp, directory.resolve(list), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Creates the directory for the PostgreSQL user, closed to others (it holds decrypted WAL),
     * and removes WAL files an earlier restore left there, with its list of them: they may belong
     * to another history.
     */
    private static void prepare(Path directory, FileOwner owner) throws IOException {
        if (Files.isSymbolicLink(directory) || (Files.exists(directory) && !Files.isDirectory(directory))) {
            throw new PgwardenException(ErrorCode.USAGE, "the WAL staging directory '" + directory + "' is not a"
                    + " directory", "set restore.staging-directory to a directory, or leave it unset to stage inside"
                    + " the data directory", null);
        }
        Files.createDirectories(directory);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(directory)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && (WalArchiveIndex.isWalFileName(name)
                        || name.endsWith(".tmp") || name.equals(STAGED_LIST))) {
                    Files.delete(p);
                }
            }
        }
        owner.directory(directory, 0700);
    }

    static List<String> describe(Result r) {
        return List.of("staged WAL: " + r.files() + " file(s), " + ByteSize.ofBytes(r.bytes())
                .toHuman() + " in '" + r.directory() + "' (renamed into pg_wal as recovery asks; what remains after"
                + " recovery can be deleted)");
    }
}
