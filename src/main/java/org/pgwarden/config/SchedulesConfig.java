package org.pgwarden.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When the daemon runs its jobs. Expressions are <b>Quartz cron with a leading seconds field</b>:
 * {@code 0 0 2 * * ?} is 02:00 every day. A 5-field crontab line is refused with its 6-field form.
 * A job without an expression is not scheduled.
 *
 * @param healthCheck how often the readiness checks (PostgreSQL, repository, key) run in the daemon
 * @param catchUp     what the daemon does at start about backup fires it missed while it was down
 * @param jobs        the scheduled jobs, by what they run
 */
public record SchedulesConfig(ZoneId timezone, Optional<String> healthCheck, CatchUpPolicy catchUp,
        Map<Task, Schedule> jobs) {
    static final Duration DEFAULT_MAX_WAIT = Duration.ofHours(1);
    static final Duration MAX_MAX_WAIT = Duration.ofHours(24);

    public SchedulesConfig {
        jobs = Collections.unmodifiableMap(jobs.isEmpty() ? new EnumMap<>(Task.class) : new EnumMap<>(jobs));
    }

    /** What a schedule runs; the key under {@code schedules:}. */
    public enum Task {
        FULL, INCR, DIFF, VERIFY, EXPIRE, DRILL;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean isBackup() {
            return this == FULL || this == INCR || this == DIFF;
        }
    }

    /** What a due run does when a run holding the same lock is still going. */
    public enum OnOverlap { WAIT, SKIP }

    /** {@code once}: a backup schedule that fired while the daemon was down runs once at start. */
    public enum CatchUpPolicy { ONCE, NONE }

    /**
     * One scheduled job.
     *
     * @param maxWait with {@link OnOverlap#WAIT}, how long a due run waits for the lock before it is
     *                skipped
     */
    public record Schedule(Task task, String cron, OnOverlap onOverlap, Duration maxWait) {
        /** How long a due run may wait for its lock: zero when it is skipped at once. */
        public Duration lockWait() {
            return onOverlap == OnOverlap.WAIT ? maxWait : Duration.ZERO;
        }
    }

    public Optional<Schedule> job(Task task) {
        return Optional.ofNullable(jobs.get(task));
    }

    static SchedulesConfig bind(ConfigNode n) {
        ZoneId zone = n.zone("timezone", ZoneId.of("UTC"));
        Optional<String> health = n.has("health-check") ? n.cron("health-check") : Optional.of("0 * * * * ?");
        if (!n.has("health-check")) {
            n.string("health-check", health.get());
        }
        CatchUpPolicy catchUp = n.choice("catch-up", CatchUpPolicy.ONCE, CatchUpPolicy.class);
        Map<Task, Schedule> jobs = new EnumMap<>(Task.class);
        for (Task t : Task.values()) {
            bindJob(n, t).ifPresent(s -> jobs.put(t, s));
        }
        n.done();
        return new SchedulesConfig(zone, health, catchUp, jobs);
    }

    /** A job is either a bare cron expression or a mapping with {@code cron} and its overlap policy. */
    private static Optional<Schedule> bindJob(ConfigNode n, Task t) {
        if (!n.has(t.key())) {
            return Optional.empty();
        }
        if (!n.isMapping(t.key())) {
            return n.cron(t.key()).map(c -> new Schedule(t, c, OnOverlap.SKIP, DEFAULT_MAX_WAIT));
        }
        ConfigNode s = n.section(t.key());
        Optional<String> cron = s.cron("cron");
        if (!s.has("cron")) {
            s.problem("cron", "must not be empty (a Quartz cron expression such as '0 0 2 * * ?')");
        }
        OnOverlap overlap = s.choice("on-overlap", OnOverlap.SKIP, OnOverlap.class);
        if (overlap == OnOverlap.SKIP && s.has("max-wait")) {
            s.problem("max-wait", "applies only with 'on-overlap: wait'; remove it or set on-overlap to wait");
        }
        Duration maxWait = overlap == OnOverlap.WAIT
                ? s.duration("max-wait", DEFAULT_MAX_WAIT, Duration.ofSeconds(1)) : DEFAULT_MAX_WAIT;
        if (maxWait != null && maxWait.compareTo(MAX_MAX_WAIT) > 0) {
            s.problem("max-wait", "must be at most 24h so that due runs cannot pile up, got "
                    + org.pgwarden.common.Durations.format(maxWait));
        }
        s.done();
        return cron.map(c -> new Schedule(t, c, overlap, maxWait == null ? DEFAULT_MAX_WAIT : maxWait));
    }
}
