package org.pgwarden.app;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.job.CronSchedule;

/**
 * How old the newest backup may get before the backup-age alerts fire, derived from the backup
 * schedules, so that the alerts follow the schedules instead of fixed numbers: the longest gap
 * between two consecutive fires over the next five weeks (weekday-only and weekly schedules have
 * uneven gaps), plus slack for the backup itself to run, a twelfth of that gap and at least two
 * hours. A daily schedule allows 26 hours; a weekly one 7 days 14 hours.
 */
final class BackupAgeLimits {
    static final Duration HORIZON = Duration.ofDays(35);
    static final Duration MIN_SLACK = Duration.ofHours(2);
    /** Enough for a fire every 30 s over the horizon; past it the gap found so far is the answer. */
    private static final int MAX_FIRES = 100_000;

    private BackupAgeLimits() {
    }

    /** The limit for backups that any of {@code schedules} produces; empty when none fires. */
    static Optional<Duration> limit(List<CronSchedule> schedules, Instant from) {
        List<Instant> next = new ArrayList<>();
        for (CronSchedule s : schedules) {
            next.add(s.nextAfter(from).orElse(null));
        }
        Instant end = from.plus(HORIZON);
        Instant previous = null;
        Duration longest = Duration.ZERO;
        for (int fires = 0; fires < MAX_FIRES; fires++) {
            int earliest = -1;
            for (int i = 0; i < next.size(); i++) {
                if (next.get(i) != null && (earliest < 0 || next.get(i).isBefore(next.get(earliest)))) {
                    earliest = i;
                }
            }
            if (earliest < 0 || next.get(earliest).isAfter(end)) {
                break;
            }
            Instant fire = next.get(earliest);
            if (previous != null && Duration.between(previous, fire).compareTo(longest) > 0) {
                longest = Duration.between(previous, fire);
            }
            previous = fire;
            // Every schedule firing at this instant moves on (a full and a diff at 02:00 are one fire).
            for (int i = 0; i < next.size(); i++) {
                if (fire.equals(next.get(i))) {
                    next.set(i, schedules.get(i).nextAfter(fire).orElse(null));
                }
            }
        }
        if (previous == null) {
            return Optional.empty();
        }
        if (longest.isZero()) {
            longest = Duration.between(from, previous); // a single fire in the horizon
        }
        Duration slack = longest.dividedBy(12);
        return Optional.of(longest.plus(slack.compareTo(MIN_SLACK) < 0 ? MIN_SLACK : slack));
    }
}
