package org.pgwarden.wal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.WalArchiveIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes WAL files into the repository before PostgreSQL asks for them. {@link #scan()} looks at
 * {@code pg_wal/archive_status/*.ready} and hands the oldest files not yet pushed to a bounded pool;
 * {@link #request(Path)} is what a {@code wal-push} call waits on: a file already pushed answers at
 * once, one in flight is waited for, any other is pushed now on the caller's thread (never queued
 * behind look-ahead work), after a scan that sets the pool to work on the files behind it: when a
 * backlog appears between two scheduled scans, the first request starts the look-ahead instead of
 * the next tick. It only reads: {@code .ready} and {@code .done} belong to PostgreSQL, which marks
 * a file done when archive_command returns 0.
 */
public final class PushAhead implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PushAhead.class);
    private static final String READY = ".ready";
    private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** Stores one WAL file; {@link WalPush#push(Path)} in production, a fake in tests. */
    public interface Pusher {
        WalPush.Result push(Path file);
    }

    /** How a request was answered. */
    public enum Answer {
        /** Pushed ahead before the request came. */
        PUSHED_AHEAD,
        /** Was being pushed ahead; the request waited for it. */
        WAITED,
        /** Pushed on request. */
        PUSHED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Path walDirectory;
    private final Path statusDirectory;
    private final Pusher pusher;
    private final int limit;
    private final Metrics metrics;
    private final Clock clock;
    private final ExecutorService workers;
    private final Map<String, CompletableFuture<WalPush.Result>> entries = new ConcurrentHashMap<>();
    private final Object backoffLock = new Object();
    private Instant pausedUntil = Instant.MIN;
    private Duration backoff = MIN_BACKOFF;
    private volatile boolean closed;
    private String lastSegment = "";
    private boolean scanWarned;

    /**
     * @param walDirectory the cluster's {@code pg_wal}
     * @param parallel     pushes ahead at once
     * @param limit        files queued or in flight ahead at most
     */
    public PushAhead(Path walDirectory, Pusher pusher, int parallel, int limit, Metrics metrics, Clock clock) {
        this.walDirectory = walDirectory.toAbsolutePath().normalize();
        this.statusDirectory = this.walDirectory.resolve("archive_status");
        this.pusher = pusher;
        this.limit = limit;
        this.metrics = metrics;
        this.clock = clock;
        this.workers = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "wal-push-ahead");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * One look at archive_status: refresh the gauges, forget what PostgreSQL marked done, queue what
     * is ready. Run by the daemon's timer and by a request for a file not seen yet; one at a time,
     * so the queue's bound holds.
     */
    public synchronized void scan() {
        if (closed) {
            return;
        }
        List<Ready> ready;
        try {
            ready = listReady();
            scanWarned = false;
        } catch (IOException e) {
            if (!scanWarned) {
                log.warn("unable to read '{}': {}; WAL is not pushed ahead until it is readable", statusDirectory,
                        e.toString());
                scanWarned = true;
            }
            return;
        }
        Instant now = clock.instant();
        metrics.set(MeterNames.WAL_READY_FILES, ready.size());
        metrics.set(MeterNames.WAL_ARCHIVE_LAG, ready.stream().map(Ready::since).min(Comparator.naturalOrder())
                .map(t -> Math.max(0, Duration.between(t, now).toMillis() / 1000.0)).orElse(0.0));
        java.util.Set<String> names = new java.util.HashSet<>();
        ready.forEach(r -> names.add(r.name()));
        // A finished entry whose .ready is gone was marked done (or recycled): nobody will ask again.
        entries.entrySet().removeIf(e -> e.getValue().isDone() && !names.contains(e.getKey()));
        long queued = entries.values().stream().filter(f -> !f.isDone()).count();
        if (!paused(now)) {
            for (Ready r : ready) {
                if (queued >= limit) {
                    break;
                }
                if (!entries.containsKey(r.name()) && submitAhead(r.name())) {
                    queued++;
                }
            }
        }
        metrics.set(MeterNames.WAL_PUSH_AHEAD_QUEUE, queued);
    }

    /**
     * Archives {@code file} for a {@code wal-push} call and returns once it is durably stored.
     *
     * @throws PgwardenException why it could not be stored
     */
    public Answer request(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        String name = absolute.getFileName().toString();
        if (!absolute.getParent().equals(walDirectory)) {
            // Not the pg_wal this daemon watches: the look-ahead cache says nothing about this file.
            push(absolute, "requested");
            return Answer.PUSHED;
        }
        CompletableFuture<WalPush.Result> mine = new CompletableFuture<>();
        CompletableFuture<WalPush.Result> existing = entries.putIfAbsent(name, mine);
        if (existing == null) {
            // Asked before a scan saw it: likely the head of a backlog, so start on the rest now.
            // Only a head start: a scan that fails must not fail (or strand) this push.
            try {
                scan();
            } catch (RuntimeException e) {
                log.warn("archive_status scan before pushing '{}' failed: {}", name, e.toString());
            }
            try {
                mine.complete(push(absolute, "requested"));
                return Answer.PUSHED;
            } catch (RuntimeException e) {
                entries.remove(name, mine);
                mine.completeExceptionally(e);
                throw e;
            }
        }
        boolean wasDone = existing.isDone();
        try {
            existing.get();
            return wasDone ? Answer.PUSHED_AHEAD : Answer.WAITED;
        } catch (ExecutionException e) {
            // The look-ahead attempt failed; this request tries once more itself, now.
            entries.remove(name, existing);
            return request(file);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgwardenException(ErrorCode.CANCELLED, "interrupted while waiting for WAL file '" + name + "'", e);
        }
    }

    private boolean submitAhead(String name) {
        CompletableFuture<WalPush.Result> f = new CompletableFuture<>();
        if (entries.putIfAbsent(name, f) != null) {
            return false;
        }
        try {
            workers.execute(() -> {
                try {
                    f.complete(push(walDirectory.resolve(name), "ahead"));
                    succeeded();
                } catch (RuntimeException e) {
                    entries.remove(name, f);
                    f.completeExceptionally(e);
                    failedAhead(name, e);
                }
            });
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            entries.remove(name, f);
            return false;
        }
    }

    /** One push, timed and counted; failures are counted by reason and rethrown. */
    private WalPush.Result push(Path file, String mode) {
        long start = System.nanoTime();
        try {
            WalPush.Result r = pusher.push(file);
            metrics.observe(MeterNames.WAL_PUSH_DURATION, Duration.ofNanos(System.nanoTime() - start), "mode", mode);
            archived(r);
            return r;
        } catch (RuntimeException e) {
            PgwardenException p = PgwardenException.of(e);
            metrics.increment(MeterNames.WAL_PUSH_FAILURES, "reason", p.errorCode().name().toLowerCase(Locale.ROOT));
            throw p;
        }
    }

    private void archived(WalPush.Result r) {
        String name = r.name();
        metrics.set(MeterNames.WAL_LAST_ARCHIVED, clock.millis() / 1000.0);
        if (name.length() != 24) {
            return; // history, backup history and partial files do not move the archived position
        }
        synchronized (this) {
            // Names sort by timeline, then position: the greatest is the newest.
            if (name.compareTo(lastSegment) <= 0) {
                return;
            }
            lastSegment = name;
        }
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        metrics.set(MeterNames.WAL_LAST_ARCHIVED_TIMELINE, Long.parseLong(name.substring(0, 8), 16));
        // Segment numbers restart within each 4 GiB "log"; a segment file is exactly one segment
        // size long (WalPush checked it), which turns the number into a byte position.
        metrics.set(MeterNames.WAL_LAST_ARCHIVED_POSITION, (log << 32) + seg * r.bytes());
    }

    private void succeeded() {
        synchronized (backoffLock) {
            backoff = MIN_BACKOFF;
        }
    }

    private void failedAhead(String name, RuntimeException e) {
        Duration wait;
        synchronized (backoffLock) {
            wait = backoff;
            pausedUntil = clock.instant().plus(wait);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        log.warn("unable to push WAL file '{}' ahead: [{}] {}; pausing look-ahead for {}s (requests still push)",
                name, PgwardenException.of(e).errorCode().id(), e.getMessage(), wait.toSeconds());
    }

    private boolean paused(Instant now) {
        synchronized (backoffLock) {
            return now.isBefore(pausedUntil);
        }
    }

    private record Ready(String name, Instant since) {
    }

    /**
     * The files waiting, in the order PostgreSQL archives them: timeline history files first (a
     * new timeline must be known before its segments), then by name.
     */
    private List<Ready> listReady() throws IOException {
        List<Ready> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(statusDirectory, "*" + READY)) {
            for (Path p : dir) {
                String file = p.getFileName().toString();
                String name = file.substring(0, file.length() - READY.length());
                if (!WalArchiveIndex.isWalFileName(name)) {
                    continue;
                }
                try {
                    out.add(new Ready(name, Files.getLastModifiedTime(p).toInstant()));
                } catch (NoSuchFileException e) {
                    // marked done between listing and reading: nothing to do
                }
            }
        }
        out.sort(Comparator.comparing((Ready r) -> !r.name().endsWith(".history")).thenComparing(Ready::name));
        return out;
    }

    /** Stops looking ahead; pushes under way get {@code grace} to finish, then are interrupted. */
    public void stop(Duration grace) {
        closed = true;
        workers.shutdown();
        try {
            if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        entries.values().forEach(f -> f.completeExceptionally(
                new PgwardenException(ErrorCode.CANCELLED, "the daemon is stopping")));
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }
}
