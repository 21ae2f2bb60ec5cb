package org.pgwarden.job;

import java.util.List;
import java.util.Optional;

/**
 * A durable place for finished runs, beside the in-memory {@link JobHistory}: the control
 * database when one is configured. Implementations throw a
 * {@link org.pgwarden.common.PgwardenException} with a code from the catalog and never a secret.
 */
public interface JobHistoryStore extends AutoCloseable {

    /** Stores one finished run; storing the same run id twice keeps the first. */
    void save(JobOutcome outcome);

    Optional<JobOutcome> find(String runId);

    /** The newest {@code limit} runs, newest first. */
    List<JobOutcome> recent(int limit);

    @Override
    void close();
}
