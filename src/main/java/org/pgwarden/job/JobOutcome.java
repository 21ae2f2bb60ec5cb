package org.pgwarden.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;

/** The record of one finished run, whatever happened in it. */
public record JobOutcome(
        String runId,
        String kind,
        JobTrigger trigger,
        JobStatus status,
        Instant start,
        Instant end,
        Optional<ErrorCode> errorCode,
        String message,
        long bytes) {

    public Duration duration() {
        return Duration.between(start, end);
    }

    public boolean succeeded() {
        return status == JobStatus.SUCCEEDED;
    }
}
