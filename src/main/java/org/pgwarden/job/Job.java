package org.pgwarden.job;

/**
 * A unit of scheduled or triggered work, independent of how it is triggered. Implementations
 * check {@link JobContext#checkCancelled()} between steps so that shutdown and operators can stop
 * them cooperatively.
 */
public interface Job {

    /** Low-cardinality kind used in metrics and logs, e.g. {@code health-check}, {@code backup-full}. */
    String kind();

    /**
     * Runs with the same {@code lockName} never overlap; by default a kind does not overlap itself.
     * Backups of one stanza share one lock name.
     */
    default String lockName() {
        return kind();
    }

    /** Does the work. May throw anything: the {@link JobRunner} turns it into an outcome. */
    JobResult run(JobContext context) throws Exception;
}
