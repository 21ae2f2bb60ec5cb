package org.pgwarden.common;

import java.time.Duration;

/**
 * Bounded exponential backoff with full jitter: attempt {@code n} (1-based) waits a random time
 * in {@code [0, min(maxDelay, initialDelay * multiplier^(n-1))]} before the next one. There is no
 * unbounded variant on purpose: a dependency that is down for good must surface as an error.
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay, double multiplier) {
    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= initialDelay <= maxDelay");
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("multiplier must be at least 1");
        }
    }

    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 1.0);
    }

    /** The upper bound of the pause after attempt {@code attempt} (1-based) failed. */
    public Duration ceilingAfter(int attempt) {
        double millis = initialDelay.toMillis() * Math.pow(multiplier, attempt - 1);
        return Duration.ofMillis((long) Math.min(maxDelay.toMillis(), millis));
    }
}
