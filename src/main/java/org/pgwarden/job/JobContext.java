package org.pgwarden.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

/** What a running job may know about its run: identity, the clock and cancellation. */
public final class JobContext {
    /** One timer thread for every run's deadlines; a deadline's work is setting a flag. */
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgwarden-job-deadlines");
        t.setDaemon(true);
        return t;
    });

    private final String runId;
    private final String kind;
    private final JobTrigger trigger;
    private final Clock clock;
    private final Instant accepted;
    private volatile Instant started;
    private volatile String cancelReason;
    private volatile Thread worker;
    /** The run this context bounds a part of; {@code null} for the run itself. */
    private final JobContext parent;

    JobContext(String runId, String kind, JobTrigger trigger, Clock clock) {
        this(runId, kind, trigger, clock, null);
    }

    private JobContext(String runId, String kind, JobTrigger trigger, Clock clock, JobContext parent) {
        this.parent = parent;
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
        return cancelReason != null || parent != null && parent.isCancelled();
    }

    /** Throws a {@link ErrorCode#CANCELLED} error if cancellation was asked for. */
    public void checkCancelled() {
        if (parent != null) {
            parent.checkCancelled();
        }
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

    /**
     * A context for a part of this run that must end by {@code deadline}: cancelled when this run
     * is, or when the deadline passes (with {@code reason}, interrupting the run's thread so that
     * blocking waits end). The deadline cancels only the part: this run's own context stays
     * uncancelled, so a run that overran ends as failed (timed out), not as cancelled by an
     * operator. Close the part to stop its timer.
     */
    public Part part(Instant deadline, String reason) {
        JobContext child = new JobContext(runId, kind, trigger, clock, this);
        child.worker = worker != null ? worker : Thread.currentThread();
        long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        return new Part(child, DEADLINES.schedule(() -> child.cancel(reason), delay, TimeUnit.MILLISECONDS));
    }

    /** A deadline-bounded part of a run; see {@link #part}. */
    public static final class Part implements AutoCloseable {
        private final JobContext context;
        private final ScheduledFuture<?> timer;

        private Part(JobContext context, ScheduledFuture<?> timer) {
            this.context = context;
            this.timer = timer;
        }

        /** The context to hand to the work of this part. */
        public JobContext context() {
            return context;
        }

        /** Whether the deadline passed and cancelled the part (not the run being cancelled). */
        public boolean expired() {
            return context.cancelReason != null;
        }

        /** Stops the timer; a deadline that already fired stays fired. */
        @Override
        public void close() {
            timer.cancel(false);
        }
    }
}
