package org.pgwarden.job;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/** What a running job may know about its run: identity, the clock and cancellation. */
public final class JobContext {
    private final String runId;
    private final String kind;
    private final JobTrigger trigger;
    private final Clock clock;
    private final Instant accepted;
    private volatile Instant started;
    private volatile String cancelReason;
    private volatile Thread worker;

    JobContext(String runId, String kind, JobTrigger trigger, Clock clock) {
        this.runId = runId;
        this.kind = kind;
        this.trigger = trigger;
        this.clock = clock;
        this.accepted = clock.instant();
    }

    /** A context for running a job directly (tests, one-shot CLI commands). */
    public static JobContext standalone(String runId, String kind, Clock clock) {
        return new JobContext(runId, kind, JobTrigger.CLI, clock);
    }

    public String runId() {
        return runId;
    }

    public String kind() {
        return kind;
    }

    public JobTrigger trigger() {
        return trigger;
    }

    public Clock clock() {
        return clock;
    }

    /** When the runner took the run, before it waited for the lock. */
    public Instant accepted() {
        return accepted;
    }

    /** When the job got its lock and began its work; empty while it waits for the lock. */
    public Optional<Instant> started() {
        return Optional.ofNullable(started);
    }

    void markStarted(Instant at) {
        this.started = at;
    }

    public boolean isCancelled() {
        return cancelReason != null;
    }

    /** Throws a {@link ErrorCode#CANCELLED} error if cancellation was asked for. */
    public void checkCancelled() {
        String reason = cancelReason;
        if (reason != null) {
            throw new PgwardenException(ErrorCode.CANCELLED, "job '" + kind + "' run '" + runId
                    + "' cancelled: " + reason);
        }
    }

    /**
     * Asks the job to stop. Cooperative: the flag is set and the worker thread interrupted, so
     * blocking waits end too; the job decides where it is safe to stop.
     */
    void cancel(String reason) {
        cancelReason = reason;
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }

    void bindWorker(Thread thread) {
        this.worker = thread;
    }
}
