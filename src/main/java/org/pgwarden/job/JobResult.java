package org.pgwarden.job;

/** What a job reports when it succeeds: bytes it processed and a one-line summary. */
public record JobResult(long bytes, String summary) {
    public static JobResult of(String summary) {
        return new JobResult(0, summary);
    }
}
