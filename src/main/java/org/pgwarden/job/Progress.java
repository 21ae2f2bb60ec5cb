package org.pgwarden.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.pgwarden.common.ByteSize;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a long copy (backup, restore, WAL staging): a log line every ten seconds (bytes of
 * the total, rate, ETA), and on a terminal a progress bar redrawn every second on standard error.
 */
public final class Progress implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Progress.class);
    private static final Duration EVERY = Duration.ofSeconds(10);

    private final ScheduledExecutorService timer;

    private Progress(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * @param what names the operation in log lines ({@code backup 20261124-020000F}, {@code restore WAL staging})
     * @param done bytes done so far; read from the timer thread
     */
    public static Progress start(String what, long total, LongSupplier done, Clock clock) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgwarden-progress");
            t.setDaemon(true);
            return t;
        });
        Instant began = clock.instant();
        timer.scheduleAtFixedRate(() -> log.info(line(what, total, done.getAsLong(),
                Duration.between(began, clock.instant()))), EVERY.toSeconds(), EVERY.toSeconds(), TimeUnit.SECONDS);
        if (System.console() != null) {
            timer.scheduleAtFixedRate(() -> System.err.print("\r" + bar(total, done.getAsLong(),
                    Duration.between(began, clock.instant()))), 1, 1, TimeUnit.SECONDS);
        }
        return new Progress(timer);
    }

    static String line(String what, long total, long done, Duration elapsed) {
        double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
        double rate = done / seconds;
        long remaining = rate > 0 ? (long) ((total - done) / rate) : -1;
        return String.format(java.util.Locale.ROOT, "%s progress %s of %s (%.0f%%), %s/s, ETA %s", what,
                human(done), human(total), total == 0 ? 100.0 : 100.0 * done / total,
                human((long) rate), remaining < 0 ? "unknown" : remaining + "s");
    }

    /** {@code [#########...........]  45%  1.2 GiB of 2.7 GiB  120.0 MiB/s  ETA 12s}. */
    static String bar(long total, long done, Duration elapsed) {
        int width = 30;
        double fraction = total == 0 ? 1.0 : Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(fraction * width);
        double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
        double rate = done / seconds;
        long remaining = rate > 0 ? (long) ((total - done) / rate) : -1;
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + String.format(java.util.Locale.ROOT,
                "%3.0f%%  %s of %s  %s/s  ETA %s   ", fraction * 100, human(done), human(total),
                human((long) rate), remaining < 0 ? "?" : remaining + "s");
    }

    private static String human(long bytes) {
        return ByteSize.ofBytes(bytes).toHuman();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (System.console() != null) {
            System.err.print("\r" + " ".repeat(100) + "\r");
        }
    }
}
