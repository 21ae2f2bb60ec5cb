package org.pgwarden.retention;

import java.util.OptionalInt;

/**
 * The retention rules the planner applies, free of how they were configured.
 *
 * @param fullCount keep this many newest fulls
 * @param fullDays  keep the fulls needed to recover to any point of the last this many days
 * @param diffCount keep this many newest differentials; empty: keep every differential of a kept full
 * @param incrCount keep this many newest incrementals; empty: keep every incremental of a kept full
 */
public record RetentionPolicy(OptionalInt fullCount, OptionalInt fullDays, OptionalInt diffCount,
        OptionalInt incrCount) {

    public RetentionPolicy {
        if (fullCount.isEmpty() && fullDays.isEmpty()) {
            throw new IllegalArgumentException("a retention policy keeps fulls by count, by days or both");
        }
        positive("full count", fullCount);
        positive("full days", fullDays);
        positive("diff count", diffCount);
        positive("incr count", incrCount);
    }

    /** Keep the {@code n} newest fulls with all their differentials and incrementals. */
    public static RetentionPolicy fullCount(int n) {
        return new RetentionPolicy(OptionalInt.of(n), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());
    }

    private static void positive(String what, OptionalInt v) {
        if (v.isPresent() && v.getAsInt() < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + v.getAsInt());
        }
    }
}
