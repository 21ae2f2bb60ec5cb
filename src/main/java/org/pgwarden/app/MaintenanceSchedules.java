package org.pgwarden.app;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.pgwarden.adapter.quartz.QuartzCronSchedule;
import org.pgwarden.config.MaintenanceConfig;
import org.pgwarden.config.PgwardenConfig;
import org.pgwarden.job.CronSchedule;
import org.pgwarden.job.JobTrigger;

/**
 * One schedule per maintenance window, under the key {@code maintenance:<name>}, running the
 * {@code maintenance} kind for that window. A fire passes the window's scheduled start, so a run
 * that starts late (a lock wait, a misfire after a restart) still closes at the configured end.
 * A due window whose previous run still works is skipped (its lock), never queued.
 */
final class MaintenanceSchedules {
    static final String KEY_PREFIX = DaemonJobs.MAINTENANCE + ":";

    private MaintenanceSchedules() {
    }

    static void register(PgwardenConfig config, DaemonJobs jobs, ScheduledRuns runs, Clock clock) {
        for (MaintenanceConfig.Window w : config.maintenance().windows()) {
            CronSchedule cron = QuartzCronSchedule.of(w.start(), config.schedules().timezone());
            runs.schedule(KEY_PREFIX + w.name(), w.start(), () -> {
                Instant now = clock.instant();
                Map<String, String> p = openedAt(cron, w.duration(), now)
                        .map(t -> Map.of("window", w.name(), "opened-at", t.toString()))
                        .orElse(Map.of("window", w.name(), "opened-at", now.minus(w.duration()).toString()));
                jobs.run(jobs.create(DaemonJobs.MAINTENANCE, p), JobTrigger.SCHEDULE, Duration.ZERO);
            });
        }
    }

    /**
     * The latest scheduled start at or before {@code now} of a window still open at {@code now};
     * empty when the window is closed (the run then defers everything, saying so).
     */
    static Optional<Instant> openedAt(CronSchedule cron, Duration duration, Instant now) {
        Optional<Instant> latest = Optional.empty();
        Optional<Instant> t = cron.nextAfter(now.minus(duration).minusMillis(1));
        while (t.isPresent() && !t.get().isAfter(now)) {
            latest = t;
            t = cron.nextAfter(t.get());
        }
        return latest;
    }
}
