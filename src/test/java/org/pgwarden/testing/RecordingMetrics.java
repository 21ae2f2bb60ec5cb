package org.pgwarden.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pgwarden.metrics.Metrics;

/** A {@link Metrics} that remembers what it was told, for asserting on counts, gauges and attempts. */
public final class RecordingMetrics implements Metrics {
    /** One increment: the meter name and its tags as key/value pairs. */
    public record Increment(String name, double amount, List<String> tags) {
    }

    private final List<Increment> increments = new CopyOnWriteArrayList<>();
    private final Map<String, Double> gauges = new ConcurrentHashMap<>();
    private final List<String> observations = new CopyOnWriteArrayList<>();

    /** {@code name{k=v,...}} in the order the tags were given. */
    public static String id(String name, String... tags) {
        StringBuilder sb = new StringBuilder(name).append('{');
        for (int i = 0; i + 1 < tags.length; i += 2) {
            sb.append(i == 0 ? "" : ",").append(tags[i]).append('=').append(tags[i + 1]);
        }
        return sb.append('}').toString();
    }

    @Override
    public void increment(String name, double amount, String... tags) {
        increments.add(new Increment(name, amount, List.of(tags)));
    }

    @Override
    public void set(String name, double value, String... tags) {
        gauges.put(id(name, tags), value);
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
        observations.add(id(name, tags));
    }

    /** Sum of increments of {@code name} whose tags include all of {@code tags} (any order). */
    public double total(String name, String... tags) {
        List<String> wanted = Arrays.asList(tags);
        return increments.stream()
                .filter(i -> i.name().equals(name))
                .filter(i -> containsPairs(i.tags(), wanted))
                .mapToDouble(Increment::amount)
                .sum();
    }

    /** Same as {@link #total}; reads better for a counter with all its tags. */
    public double counter(String name, String... tags) {
        return total(name, tags);
    }

    /** Same as {@link #total}. */
    public double value(String name, String... tags) {
        return total(name, tags);
    }

    /** The last value a gauge was set to with exactly these tags, or null. */
    public Double gauge(String name, String... tags) {
        return gauges.get(id(name, tags));
    }

    public List<Increment> increments() {
        return new ArrayList<>(increments);
    }

    public List<String> observations() {
        return List.copyOf(observations);
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
