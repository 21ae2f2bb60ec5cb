package org.pgwarden.config;

/**
 * The Prometheus endpoint ({@code /metrics} on the admin listener).
 *
 * @param jvm export JVM and process meters (memory, GC, threads, CPU, open files)
 */
public record MetricsConfig(boolean enabled, boolean jvm) {

    static MetricsConfig bind(ConfigNode n) {
        MetricsConfig c = new MetricsConfig(n.bool("enabled", true), n.bool("jvm", true));
        n.done();
        return c;
    }
}
