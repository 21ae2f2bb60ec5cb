package org.pgwarden.config;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@code pgwarden expire} keeps. Fulls are kept by count, by a recovery window in days, or
 * both (a full either rule keeps is kept); differentials and incrementals are kept with their full
 * unless a count is given. Whatever the rules say, expire also keeps the newest backup, pinned
 * backups and every backup a kept one depends on.
 *
 * @param fullCount         keep this many newest full backups
 * @param fullDays          keep the fulls needed to recover to any point of the last this many days
 * @param diff              how many differentials to keep
 * @param incr              how many incrementals to keep
 * @param expireAfterBackup the daemon runs expire after each successful backup
 */
public record RetentionConfig(OptionalInt fullCount, OptionalInt fullDays, Dependents diff, Dependents incr,
        boolean expireAfterBackup) {

    /** Fulls kept when the configuration says nothing: never fewer than two, so one bad full is not fatal. */
    public static final int DEFAULT_FULL_COUNT = 2;
    static final String WITH_FULL = "with-full";

    /** Differentials or incrementals: kept with their full (empty count), or only the newest {@code count}. */
    public record Dependents(OptionalInt count) {
        public static final Dependents WITH_FULL = new Dependents(OptionalInt.empty());

        public boolean withFull() {
            return count.isEmpty();
        }
    }

    static RetentionConfig bind(ConfigNode n) {
        OptionalInt count = OptionalInt.empty();
        OptionalInt days = OptionalInt.empty();
        ConfigNode full = n.section("full");
        if (n.has("full")) {
            if (full.has("count")) {
                count = OptionalInt.of(full.integer("count", DEFAULT_FULL_COUNT, 1, 10_000));
            }
            if (full.has("days")) {
                days = OptionalInt.of(full.integer("days", 1, 1, 36_500));
            }
            if (count.isEmpty() && days.isEmpty()) {
                n.problem("full", "give 'count' (full backups to keep), 'days' (recovery window) or both");
            }
        } else {
            count = OptionalInt.of(DEFAULT_FULL_COUNT);
            full.integer("count", DEFAULT_FULL_COUNT, 1, 10_000);
        }
        full.done();
        Dependents diff = dependents(n, "diff");
        Dependents incr = dependents(n, "incr");
        boolean after = n.bool("expire-after-backup", true);
        n.done();
        return new RetentionConfig(count, days, diff, incr, after);
    }

    /** {@code with-full} (the default) or {@code {count: N}}. */
    private static Dependents dependents(ConfigNode n, String key) {
        if (n.has(key) && !n.isMapping(key)) {
            Optional<String> v = n.optionalString(key);
            if (v.isPresent() && !v.get().equals(WITH_FULL)) {
                n.problem(key, "expected '" + WITH_FULL + "' or a mapping {count: N}, got '" + v.get() + "'");
            }
            return Dependents.WITH_FULL;
        }
        if (!n.has(key)) {
            n.string(key, WITH_FULL);
            return Dependents.WITH_FULL;
        }
        ConfigNode d = n.section(key);
        if (!d.has("count")) {
            d.problem("count", "must not be empty (how many to keep, 1 to 10000); or write '" + key + ": "
                    + WITH_FULL + "'");
        }
        int c = d.integer("count", 1, 1, 10_000);
        d.done();
        return new Dependents(OptionalInt.of(c));
    }

    /** Defaults, for code paths that run without a configuration file. */
    public static RetentionConfig defaults() {
        return new RetentionConfig(OptionalInt.of(DEFAULT_FULL_COUNT), OptionalInt.empty(), Dependents.WITH_FULL,
                Dependents.WITH_FULL, true);
    }
}
