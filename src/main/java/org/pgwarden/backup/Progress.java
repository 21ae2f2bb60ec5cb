package org.pgwarden.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A progress log line every few seconds: bytes read of the total, rate, ETA. */
final class Progress implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Progress.class);
    private static final Duration EVERY = Duration.ofSeconds(10);

    private final ScheduledExecutorService timer;

    private Progress(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static Progress start(String what, long total, BackupCounters counters, Clock clock) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgwarden-progress");
            t.setDaemon(true);
            return t;
        });
        Instant began = clock.instant();
        timer.scheduleAtFixedRate(() -> log.info(line(what, total, counters.read(),
                Duration.between(began, clock.instant()))), EVERY.toSeconds(), EVERY.toSeconds(), TimeUnit.SECONDS);
        return new Progress(timer);
    }

    static String line(String what, long total, long done, Duration elapsed) {
        double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
        double rate = done / seconds;
        long remaining = rate > 0 ? (long) ((total - done) / rate) : -1;
        return String.format(java.util.Locale.ROOT, "%s progress %s of %s (%.0f%%), %s/s, ETA %s", what,
                Backup.human(done), Backup.human(total), total == 0 ? 100.0 : 100.0 * done / total,
                Backup.human((long) rate), remaining < 0 ? "unknown" : remaining + "s");
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
