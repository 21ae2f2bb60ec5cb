package org.pgwarden.retention;

import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobLocks;
import org.pgwarden.job.JobResult;

/** Expire as a job: what the scheduler, the admin API and the CLI run. */
public final class ExpireJob implements Job {
    public static final String KIND = "expire";

    private final Expire expire;
    private volatile Expire.Result result;

    public ExpireJob(Expire expire) {
        this.expire = expire;
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** Shared with backups: expire and a backup never change the repository at once. */
    @Override
    public String lockName() {
        return JobLocks.REPOSITORY_WRITE;
    }

    @Override
    public JobResult run(JobContext context) {
        result = expire.run(context);
        ExpirePlan p = result.plan();
        return new JobResult(result.freedBytes(), "expired " + p.expired().size() + " backup(s), "
                + p.unfinished().size() + " interrupted backup(s) and " + p.walFiles() + " WAL file(s); kept "
                + p.kept().size() + " backup(s)" + (p.lockedObjects().isEmpty() ? ""
                : "; " + p.lockedObjects().size() + " object(s) retained by object lock"));
    }

    /** The last run's result, once it succeeded. */
    public Expire.Result result() {
        return result;
    }
}
