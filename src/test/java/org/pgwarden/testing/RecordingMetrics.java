package org.pgwarden.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.pgwarden.metrics.Metrics;

/** A {@link Metrics} that remembers every counter increment, for asserting on attempts. */
public final class RecordingMetrics implements Metrics {
    /** One increment: the meter name and its tags as key/value pairs. */
    public record Increment(String name, double amount, List<String> tags) {
    }

    private final List<Increment> increments = new ArrayList<>();

    @Override
    public synchronized void increment(String name, double amount, String... tags) {
        increments.add(new Increment(name, amount, List.of(tags)));
    }

    @Override
    public void set(String name, double value, String... tags) {
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
    }

    /** Sum of increments of {@code name} whose tags include all of {@code tags}. */
    public synchronized double total(String name, String... tags) {
        List<String> wanted = Arrays.asList(tags);
        return increments.stream()
                .filter(i -> i.name().equals(name))
                .filter(i -> containsPairs(i.tags(), wanted))
                .mapToDouble(Increment::amount)
                .sum();
    }

    private static boolean containsPairs(List<String> tags, List<String> wanted) {
        for (int w = 0; w + 1 < wanted.size(); w += 2) {
            boolean found = false;
            for (int t = 0; t + 1 < tags.size(); t += 2) {
                if (tags.get(t).equals(wanted.get(w)) && tags.get(t + 1).equals(wanted.get(w + 1))) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }
}
