package org.pgwarden.job;

import java.util.Optional;
import org.pgwarden.common.ErrorCode;

/**
 * Asked by the {@link JobRunner} just before a run starts (and again once its lock is held, since
 * a run may have waited for it): a refusal turns the run into a skipped outcome with that code and
 * reason, so a refused run is a metric and a log line like any other.
 */
@FunctionalInterface
public interface JobGate {
    /** Lets everything run. */
    JobGate OPEN = (job, trigger) -> Optional.empty();

    Optional<Refusal> refusal(Job job, JobTrigger trigger);

    /** Why a run may not start; {@code reason} becomes the outcome's message. */
    record Refusal(ErrorCode code, String reason) {
    }
}
