package org.pgwarden.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a schedule missed a fire while the daemon was not running: the pure decision behind
 * "catch up once". A fire was missed when the schedule fired at least once after the last
 * successful run ended and before now; however many fires were missed, the answer is one run.
 */
public final class CatchUp {
    private CatchUp() {
    }

    /**
     * @param run         run once now
     * @param missedFire  the latest fire in (last success, now], when there is one
     * @param reason      one line for the log saying why
     */
    public record Decision(boolean run, Optional<Instant> missedFire, String reason) {
    }

    /**
     * @param lastSuccess when the last successful run ended; empty when there never was one, and
     *                    then any fire up to {@code now} counts as missed
     * @param now         the latest instant whose fire the scheduler will not run itself
     */
    public static Decision decide(CronSchedule cron, Optional<Instant> lastSuccess, Instant now) {
        Optional<Instant> missed = latestFire(cron, lastSuccess.orElse(Instant.EPOCH), now);
        String last = lastSuccess.map(t -> "the last success ended at " + t).orElse("there was no success yet");
        if (missed.isPresent()) {
            return new Decision(true, missed, "the fire at " + missed.get() + " was missed (" + last + ")");
        }
        return new Decision(false, Optional.empty(), "no fire was missed (" + last + ")");
    }

    /**
     * The latest fire {@code f} with {@code after < f <= now}. Cron parsers only look forward, so
     * this bisects on "the next fire after t is still at or before now": O(log) calls, whatever the
     * fire rate and the length of the outage.
     */
    static Optional<Instant> latestFire(CronSchedule cron, Instant after, Instant now) {
        Optional<Instant> first = cron.nextAfter(after);
        if (first.isEmpty() || first.get().isAfter(now)) {
            return Optional.empty();
        }
        // Invariant: next(lo) <= now, next(hi) > now (or none). Fires fall on whole seconds, so
        // once hi - lo <= 1s at most one fire lies in (lo, hi], and next(lo) is the latest one.
        Instant lo = after;
        Instant hi = now;
        while (Duration.between(lo, hi).compareTo(Duration.ofSeconds(1)) > 0) {
            Instant mid = lo.plus(Duration.between(lo, hi).dividedBy(2));
            Optional<Instant> next = cron.nextAfter(mid);
            if (next.isPresent() && !next.get().isAfter(now)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return cron.nextAfter(lo);
    }
}
