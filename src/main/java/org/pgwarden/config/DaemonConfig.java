package org.pgwarden.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The daemon's own behaviour.
 *
 * @param shutdownGrace how long a stop waits for cancelled jobs to wind down; keep it below
 *                      systemd's {@code TimeoutStopSec} (the shipped unit uses 90s)
 * @param stopFile      while this file exists the daemon starts no new job ({@code pgwarden pause}
 *                      creates it, {@code pgwarden resume} removes it); in the state directory by
 *                      default, so a pause outlives restarts and reboots until someone resumes
 */
public record DaemonConfig(Duration shutdownGrace, Path stopFile) {
    /** Under the shipped unit's {@code StateDirectory=pgwarden}. */
    public static final Path DEFAULT_STOP_FILE = Path.of("/var/lib/pgwarden/pgwarden.stop");

    static DaemonConfig bind(ConfigNode n) {
        Duration grace = n.duration("shutdown-grace", Duration.ofSeconds(30), Duration.ofSeconds(1));
        if (grace != null && grace.compareTo(Duration.ofMinutes(10)) > 0) {
            n.problem("shutdown-grace", "must be at most 10m so that a stop cannot hang, got " + grace.toSeconds() + "s");
        }
        Path stopFile = n.path("stop-file", DEFAULT_STOP_FILE, false);
        n.done();
        return new DaemonConfig(grace, stopFile);
    }
}
