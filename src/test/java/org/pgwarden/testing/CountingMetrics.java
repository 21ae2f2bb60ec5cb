package org.pgwarden.testing;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import org.pgwarden.metrics.Metrics;

/** Records counters by name and tags, so tests can assert what was counted. */
public final class CountingMetrics implements Metrics {
    private final Map<String, DoubleAdder> counters = new ConcurrentHashMap<>();

    @Override
    public void increment(String name, double amount, String... tags) {
        counters.computeIfAbsent(name + Arrays.toString(tags), k -> new DoubleAdder()).add(amount);
    }

    @Override
    public void set(String name, double value, String... tags) {
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
    }

    /** The counter {@code name} with exactly these tags, in the order they were given. */
    public double counter(String name, String... tags) {
        DoubleAdder a = counters.get(name + Arrays.toString(tags));
        return a == null ? 0 : a.sum();
    }

    /** The sum of every series of counter {@code name}. */
    public double total(String name) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith(name + "["))
                .mapToDouble(e -> e.getValue().sum()).sum();
    }
}
