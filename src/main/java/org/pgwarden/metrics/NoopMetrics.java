package org.pgwarden.metrics;

import java.time.Duration;

enum NoopMetrics implements Metrics {
    INSTANCE;

    @Override
    public void increment(String name, double amount, String... tags) {
    }

    @Override
    public void set(String name, double value, String... tags) {
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
    }
}
