package org.pgwarden.adapter.s3;

import java.time.Duration;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs and counts every failed repository attempt. "Already exists" and "no such object" are
 * answers callers branch on (WAL duplicate checks, stat), not failures of the dependency, so
 * they are neither counted nor logged as warnings.
 */
final class AttemptReporter implements Retrier.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(AttemptReporter.class);

    private final Metrics metrics;
    private final int maxAttempts;

    AttemptReporter(Metrics metrics, int maxAttempts) {
        this.metrics = metrics;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public void attemptFailed(String what, int attempt, PgwardenException error, Duration pause) {
        ErrorCode code = error.errorCode();
        if (code == ErrorCode.REPO_OBJECT_EXISTS || code == ErrorCode.REPO_OBJECT_MISSING
                || code == ErrorCode.CANCELLED) {
            LOG.debug("attempt {} to {} answered [{}] {}", attempt, what, code.id(), error.getMessage());
            return;
        }
        metrics.increment(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "repository", "code", code.id());
        if (code.retriable() && attempt < maxAttempts) {
            LOG.warn("attempt {} to {} failed, retrying in {} ms: [{}] {}", attempt, what, pause.toMillis(),
                    code.id(), error.getMessage());
        } else {
            LOG.warn("attempt {} to {} failed, not retrying: [{}] {}", attempt, what, code.id(), error.getMessage());
        }
    }
}
