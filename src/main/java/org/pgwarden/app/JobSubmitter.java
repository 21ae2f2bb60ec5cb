package org.pgwarden.app;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.pgwarden.job.JobTrigger;

/**
 * Starts a job by kind and parameters, now and in the background, through the daemon's
 * {@link org.pgwarden.job.JobRunner}: the admin API's (and so {@code pgwarden trigger}'s) way in.
 * The run id is known before the run begins, so a caller can follow the run from the start.
 */
interface JobSubmitter {

    /**
     * @param kind   {@code backup}, {@code verify}, ... (see {@link #kinds()})
     * @param params the kind's parameters, e.g. {@code type=full} for a backup
     * @throws org.pgwarden.common.PgwardenException {@code USAGE} naming the valid kinds for an
     *         unknown kind, or the expected values for a bad parameter; {@code JOB_QUEUE_FULL}
     *         when too many triggered runs already wait
     */
    Accepted submit(String kind, Map<String, String> params, JobTrigger trigger);

    /** The kinds {@link #submit} accepts. */
    List<String> kinds();

    /** Runs accepted but not handed to the runner yet, by run id. */
    Map<String, Accepted> pending();

    /** A run accepted for starting: its id and the runner's kind for it (e.g. {@code backup-full}). */
    record Accepted(String runId, String kind, JobTrigger trigger, Instant at) {
    }
}
