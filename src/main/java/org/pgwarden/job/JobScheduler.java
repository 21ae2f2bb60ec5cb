package org.pgwarden.job;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * Fires jobs on cron schedules. Every fire goes through the {@link JobRunner}; the scheduler
 * itself knows nothing of what jobs do. Implemented on Quartz by the adapter.
 */
public interface JobScheduler extends AutoCloseable {

    /**
     * Registers {@code job} to run on {@code cron} (Quartz syntax, seconds first) in {@code zone}.
     * A fire missed while the daemon was busy or paused runs once, not once per missed fire.
     */
    void schedule(Job job, String cron, ZoneId zone);

    /**
     * Registers {@code fire} to run on {@code cron} in {@code zone} under the name {@code kind}; for
     * callers that decide at each fire how the job runs (overlap policy, follow-up jobs). The action
     * must pass every run through the {@link JobRunner} itself.
     */
    void schedule(String kind, String cron, ZoneId zone, Runnable fire);

    /** Starts firing. */
    void start();

    /** Stops firing new runs; running ones are left to the caller to cancel. */
    void stopTriggers();

    /** The next time {@code kind} fires, if scheduled. */
    Optional<Instant> nextFireTime(String kind);

    /** Releases the scheduler's threads, waiting for none of its runs. */
    @Override
    void close();
}
