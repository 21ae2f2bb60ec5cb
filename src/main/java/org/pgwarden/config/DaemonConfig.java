package org.pgwarden.config;

import java.time.Duration;

/**
 * The daemon's own behaviour.
 *
 * @param shutdownGrace how long a stop waits for cancelled jobs to wind down; keep it below
 *                      systemd's {@code TimeoutStopSec} (the shipped unit uses 90s)
 */
public record DaemonConfig(Duration shutdownGrace) {

    static DaemonConfig bind(ConfigNode n) {
        Duration grace = n.duration("shutdown-grace", Duration.ofSeconds(30), Duration.ofSeconds(1));
        if (grace != null && grace.compareTo(Duration.ofMinutes(10)) > 0) {
            n.problem("shutdown-grace", "must be at most 10m so that a stop cannot hang, got " + grace.toSeconds() + "s");
        }
        n.done();
        return new DaemonConfig(grace);
    }
}
