package org.pgwarden.app;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobTrigger;

/**
 * {@link JobSubmitter} over the daemon's {@link JobRunner}: each accepted run gets a thread that
 * calls the runner, which waits up to {@code lockWait} for a run holding the same lock. So two
 * triggered backups serialize instead of failing on the lock. At most {@code maxInFlight} runs
 * wait or run at once; more are refused rather than queued without bound.
 */
final class RunnerJobSubmitter implements JobSubmitter, AutoCloseable {

    private final JobRunner runner;
    private final DaemonJobs catalog;
    private final Duration lockWait;
    private final Clock clock;
    private final int maxInFlight;
    private final ThreadPoolExecutor threads;
    private final Map<String, Accepted> pending = new ConcurrentHashMap<>();

    RunnerJobSubmitter(JobRunner runner, DaemonJobs catalog, Duration lockWait, Clock clock, int maxInFlight) {
        this.runner = runner;
        this.catalog = catalog;
        this.lockWait = lockWait;
        this.clock = clock;
        this.maxInFlight = maxInFlight;
        this.threads = new ThreadPoolExecutor(0, maxInFlight, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "pgwarden-triggered-job");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public Accepted submit(String kind, Map<String, String> params, JobTrigger trigger) {
        if (kind == null || !catalog.kinds().contains(kind)) {
            throw new PgwardenException(ErrorCode.USAGE, (kind == null ? "no job kind given"
                    : "unknown job kind '" + kind + "'") + "; valid kinds: " + String.join(", ", catalog.kinds()));
        }
        Job job = catalog.create(kind, params);
        String runId = runner.newRunId();
        Accepted accepted = new Accepted(runId, job.kind(), trigger, clock.instant());
        pending.put(runId, accepted);
        try {
            threads.execute(() -> {
                try {
                    // Through the daemon's jobs, so follow-ups (expire after a backup) apply to API runs too.
                    catalog.run(job, trigger, lockWait, runId);
                } finally {
                    pending.remove(runId);
                }
            });
        } catch (RejectedExecutionException e) {
            pending.remove(runId);
            throw new PgwardenException(ErrorCode.JOB_QUEUE_FULL, maxInFlight
                    + " triggered jobs are already waiting or running", "try again when some have finished", null);
        }
        return accepted;
    }

    @Override
    public List<String> kinds() {
        return catalog.kinds();
    }

    @Override
    public Map<String, Accepted> pending() {
        return Map.copyOf(pending);
    }

    /** Interrupts threads not yet in the runner; the runner's own cancel handles the others. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
