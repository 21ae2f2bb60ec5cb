package org.pgwarden.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pgwarden.metrics.Metrics;

/** Metrics port double that keeps counter totals by name and tags, e.g. {@code name{k=v,...}}. */
public final class RecordingMetrics implements Metrics {
    private final Map<String, Double> counters = new ConcurrentHashMap<>();

    @Override
    public void increment(String name, double amount, String... tags) {
        counters.merge(series(name, tags), amount, Double::sum);
    }

    @Override
    public void set(String name, double value, String... tags) {
        counters.put(series(name, tags), value);
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
        counters.merge(series(name, tags) + "_count", 1.0, Double::sum);
    }

    /** The total of one series, 0 when never touched. */
    public double value(String name, String... tags) {
        return counters.getOrDefault(series(name, tags), 0.0);
    }

    private static String series(String name, String... tags) {
        StringBuilder sb = new StringBuilder(name).append('{');
        List<String> t = List.of(tags);
        for (int i = 0; i + 1 < t.size(); i += 2) {
            sb.append(i == 0 ? "" : ",").append(t.get(i)).append('=').append(t.get(i + 1));
        }
        return sb.append('}').toString();
    }
}
