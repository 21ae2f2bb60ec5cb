package org.pgwarden.adapter.jdbc;

import java.time.Duration;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs and counts every failed attempt to reach or query PostgreSQL. */
final class PgAttemptReporter implements Retrier.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(PgAttemptReporter.class);
    private static final String DEPENDENCY = "postgres";

    private final Metrics metrics;
    private final int maxAttempts;

    PgAttemptReporter(Metrics metrics, int maxAttempts) {
        this.metrics = metrics;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public void attemptFailed(String what, int attempt, PgwardenException error, Duration pause) {
        metrics.increment(MeterNames.DEPENDENCY_ATTEMPT_FAILURES,
                "dependency", DEPENDENCY, "code", error.errorCode().id());
        // mirrors the Retrier's decision; the pause alone cannot tell, as jitter may make it zero
        boolean again = error.errorCode().retriable() && attempt < maxAttempts;
        String next = again ? "retrying in " + pause.toMillis() + "ms"
                : error.errorCode().retriable() ? "giving up after " + attempt + " of " + maxAttempts + " attempts"
                : "not retriable";
        LOG.warn("attempt {} to {} failed [{}]: {}; {}", attempt, what, error.errorCode().id(),
                error.getMessage(), next);
    }
}
