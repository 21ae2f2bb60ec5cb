package org.pgwarden.adapter.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;

/**
 * The {@link Metrics} port on a Micrometer Prometheus registry. Callers pass names exactly as
 * Prometheus shows them ({@code pgwarden_job_runs_total}); this adapter strips the suffixes
 * Micrometer adds itself ({@code _total} for counters, {@code _seconds} for timers) so the
 * exported name is the documented one.
 */
public final class MicrometerMetrics implements Metrics, AutoCloseable {
    private final PrometheusMeterRegistry registry;
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
    private final Map<String, Info> infos = new ConcurrentHashMap<>();
    private final String stanza;
    private JvmGcMetrics gcMetrics;

    public MicrometerMetrics(String stanza, boolean jvm) {
        this.stanza = stanza;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("stanza", stanza);
        if (jvm) {
            new ClassLoaderMetrics().bindTo(registry);
            new JvmMemoryMetrics().bindTo(registry);
            gcMetrics = new JvmGcMetrics();
            gcMetrics.bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            new FileDescriptorMetrics().bindTo(registry);
        }
    }

    @Override
    public void increment(String name, double amount, String... tags) {
        Counter.builder(strip(name, "_total")).tags(tags).register(registry).increment(amount);
    }

    @Override
    public void set(String name, double value, String... tags) {
        if (name.endsWith("_info")) {
            setInfo(name, value, tags);
            return;
        }
        String id = name + Tags.of(tags);
        AtomicLong holder = gauges.computeIfAbsent(id, k -> {
            AtomicLong bits = new AtomicLong(Double.doubleToLongBits(value));
            Gauge.builder(name, bits, b -> Double.longBitsToDouble(b.get())).tags(tags).register(registry);
            return bits;
        });
        holder.set(Double.doubleToLongBits(value));
    }

    /**
     * {@code *_info} series are Prometheus info metrics (value 1, facts in labels). Micrometer
     * would export a gauge of that name without its {@code _info} suffix, so they are registered
     * on the underlying Prometheus registry directly, with the stanza label added by hand.
     */
    private void setInfo(String name, double value, String... tags) {
        String[] labelNames = new String[tags.length / 2 + 1];
        String[] labelValues = new String[labelNames.length];
        for (int i = 0; i + 1 < tags.length; i += 2) {
            labelNames[i / 2] = tags[i];
            labelValues[i / 2] = tags[i + 1];
        }
        labelNames[labelNames.length - 1] = "stanza";
        labelValues[labelValues.length - 1] = stanza;
        Info info = infos.computeIfAbsent(name, n -> Info.builder().name(n).help("pgwarden build and runtime")
                .labelNames(labelNames).register(registry.getPrometheusRegistry()));
        if (value == 0) {
            info.remove(labelValues);
        } else {
            info.setLabelValues(labelValues);
        }
    }

    @Override
    public void observe(String name, Duration duration, String... tags) {
        Timer.Builder b = Timer.builder(strip(name, "_seconds")).tags(tags);
        if (HISTOGRAMS.contains(name)) {
            // Latency objectives are stated in buckets (p50 of a pushed-ahead wal-push), so these
            // timers export fixed buckets that Prometheus can aggregate across hosts.
            b = b.serviceLevelObjectives(LATENCY_BUCKETS);
        }
        b.register(registry).record(duration);
    }

    private static final java.util.Set<String> HISTOGRAMS = java.util.Set.of(MeterNames.WAL_PUSH_DURATION,
            MeterNames.WAL_REQUEST_DURATION);
    private static final Duration[] LATENCY_BUCKETS = java.util.stream.Stream.of(5, 10, 25, 50, 100, 250, 500, 1000,
            2500, 5000, 10000, 30000, 60000).map(Duration::ofMillis).toArray(Duration[]::new);

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type to serve {@link #scrape()} with. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    private static String strip(String name, String suffix) {
        return name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : name;
    }

    @Override
    public void close() {
        if (gcMetrics != null) {
            gcMetrics.close();
        }
        registry.close();
    }
}
