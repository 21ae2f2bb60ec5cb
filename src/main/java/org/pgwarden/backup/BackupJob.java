package org.pgwarden.backup;

import java.util.Locale;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobLocks;
import org.pgwarden.job.JobResult;

/** A backup as a job: what the CLI, the admin API and the scheduler all run. */
public final class BackupJob implements Job {
    /** Backups of one stanza never overlap, whatever their type. */
    public static final String LOCK = JobLocks.REPOSITORY_WRITE;

    private final Backup backup;
    private final Backup.Request request;
    private volatile Backup.Result result;

    public BackupJob(Backup backup, Backup.Request request) {
        this.backup = backup;
        this.request = request;
    }

    @Override
    public String kind() {
        return "backup-" + request.type().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String lockName() {
        return LOCK;
    }

    @Override
    public JobResult run(JobContext context) {
        result = backup.run(request, context);
        return new JobResult(result.bytesStored(), result.describe());
    }

    /** The last run's result, once it succeeded. */
    public Backup.Result result() {
        return result;
    }
}
