package org.pgwarden.metrics;

import java.time.Duration;

/**
 * The port through which features report measurements. Names come from {@link MeterNames};
 * tags are key/value pairs of low cardinality (job kind, outcome, dependency), never a backup
 * label or a table name. The default is {@link #noop()}, so code under test needs no registry.
 */
public interface Metrics {

    /** Adds {@code amount} to a counter (a monotonically growing total). */
    void increment(String name, double amount, String... tags);

    /** Sets a gauge to {@code value} (a level, or a timestamp in epoch seconds). */
    void set(String name, double value, String... tags);

    /** Records one observed duration into a timer. */
    void observe(String name, Duration duration, String... tags);

    default void increment(String name, String... tags) {
        increment(name, 1.0, tags);
    }

    static Metrics noop() {
        return NoopMetrics.INSTANCE;
    }
}
