package org.pgwarden.job;

import java.time.Instant;
import java.util.Optional;

/**
 * The fire times of one cron expression in its time zone, as the scheduler computes them. The
 * adapter implements it with the scheduler's own parser, so catch-up decisions and the scheduler
 * agree on every fire.
 */
@FunctionalInterface
public interface CronSchedule {
    /** The first fire strictly after {@code time}; empty when the expression never fires again. */
    Optional<Instant> nextAfter(Instant time);
}
