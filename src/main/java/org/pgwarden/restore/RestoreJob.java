package org.pgwarden.restore;

import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobResult;

/**
 * {@link Restore} as a job, for the admin API: a restore the daemon runs in its warm JVM (the
 * command line hands its restores over when a daemon answers). Restores never overlap one another.
 * The outcome is the restore's summary, its detail lines joined with "; ".
 */
public final class RestoreJob implements Job {
    public static final String KIND = "restore";

    private final Restore restore;
    private final Restore.Request request;

    public RestoreJob(Restore restore, Restore.Request request) {
        this.restore = restore;
        this.request = request;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public JobResult run(JobContext context) throws Exception {
        Restore.Result r = restore.run(request, context);
        StringBuilder summary = new StringBuilder(r.headline(request));
        r.details().forEach(line -> summary.append("; ").append(line));
        return new JobResult(r.bytesWritten(), summary.toString());
    }
}
