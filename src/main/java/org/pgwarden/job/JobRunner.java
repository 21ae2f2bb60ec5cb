package org.pgwarden.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one boundary every run passes, whoever triggered it. It cannot throw: it takes the job's
 * lock, sets the MDC ({@code job}, {@code runId}, {@code stanza}), times the run with the injected
 * clock, turns any {@link Throwable} into a failed {@link JobOutcome} carrying its error code,
 * records metrics and logs exactly one outcome line.
 */
public final class JobRunner {
    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

    private final String stanza;
    private final Clock clock;
    private final Metrics metrics;
    private final JobHistory history;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, JobContext> waiting = new ConcurrentHashMap<>();
    private final Map<String, JobContext> running = new ConcurrentHashMap<>();
    private volatile String refusalReason;
    private volatile JobGate gate = JobGate.OPEN;

    public JobRunner(String stanza, Clock clock, Metrics metrics) {
        this(stanza, clock, metrics, new JobHistory(JobHistory.DEFAULT_CAPACITY, metrics));
    }

    /** @param history where every finished run is recorded (skipped ones too) */
    public JobRunner(String stanza, Clock clock, Metrics metrics, JobHistory history) {
        this.stanza = stanza;
        this.clock = clock;
        this.metrics = metrics;
        this.history = history;
    }

    /** Runs {@code job} now; skips it if its lock is held. */
    public JobOutcome run(Job job, JobTrigger trigger) {
        return run(job, trigger, Duration.ZERO);
    }

    /**
     * Runs {@code job}, waiting up to {@code lockWait} for another run holding the same lock to
     * finish; a run that does not get the lock in time is recorded as skipped, never dropped
     * silently.
     */
    public JobOutcome run(Job job, JobTrigger trigger, Duration lockWait) {
        return run(job, trigger, lockWait, newRunId());
    }

    /**
     * As {@link #run(Job, JobTrigger, Duration)} under a run id from {@link #newRunId()} that the
     * caller already handed out (the admin API answers with it before the run begins).
     */
    public JobOutcome run(Job job, JobTrigger trigger, Duration lockWait, String runId) {
        String kind = safeKind(job);
        JobContext context = new JobContext(runId, kind, trigger, clock);
        Instant start = clock.instant();
        String oldJob = MDC.get("job");
        String oldRun = MDC.get("runId");
        String oldStanza = MDC.get("stanza");
        MDC.put("job", kind);
        MDC.put("runId", runId);
        MDC.put("stanza", stanza);
        try {
            String refused = refusalReason;
            if (refused != null) {
                return finish(context, start, JobStatus.SKIPPED, null, "not started: " + refused, 0);
            }
            Optional<JobGate.Refusal> closed = gate(job, trigger);
            if (closed.isPresent()) {
                return finish(context, start, JobStatus.SKIPPED, closed.get().code(), closed.get().reason(), 0);
            }
            ReentrantLock lock = locks.computeIfAbsent(safeLockName(job, kind), k -> new ReentrantLock());
            boolean acquired;
            context.bindWorker(Thread.currentThread());
            waiting.put(runId, context);
            try {
                acquired = acquire(lock, lockWait);
            } catch (InterruptedException e) {
                // cancelAll (shutdown) while this run waited for its turn
                Thread.interrupted();
                return finish(context, start, JobStatus.CANCELLED, ErrorCode.CANCELLED,
                        "cancelled while waiting for lock '" + safeLockName(job, kind) + "'", 0);
            } finally {
                waiting.remove(runId);
                context.bindWorker(null);
            }
            if (!acquired) {
                return finish(context, start, JobStatus.SKIPPED, ErrorCode.LOCK_HELD,
                        "skipped: lock '" + safeLockName(job, kind) + "' is held by another run"
                                + (lockWait.isZero() ? "" : " after waiting " + lockWait.toSeconds() + "s"), 0);
            }
            try {
                refused = refusalReason;
                if (refused != null) {
                    // The daemon began stopping while this run waited: it must not start now.
                    return finish(context, start, JobStatus.SKIPPED, null, "not started: " + refused, 0);
                }
                // Asked again: while this run waited for the lock, the gate may have closed.
                closed = lockWait.isZero() ? Optional.empty() : gate(job, trigger);
                if (closed.isPresent()) {
                    return finish(context, start, JobStatus.SKIPPED, closed.get().code(), closed.get().reason(), 0);
                }
                return execute(job, context);
            } finally {
                lock.unlock();
            }
        } catch (Throwable t) {
            // Only reachable if bookkeeping itself failed; the boundary still must not throw.
            PgwardenException e = PgwardenException.of(t);
            return new JobOutcome(runId, kind, trigger, JobStatus.FAILED, start, clock.instant(),
                    Optional.of(e.errorCode()), e.getMessage(), 0);
        } finally {
            restore("job", oldJob);
            restore("runId", oldRun);
            restore("stanza", oldStanza);
        }
    }

    /** A fresh run id, for {@link #run(Job, JobTrigger, Duration, String)}. */
    public String newRunId() {
        return newRunId(clock.instant());
    }

    /** Every run recorded by this runner. */
    public JobHistory history() {
        return history;
    }

    /** Runs the job under its lock; the outcome's start is when the work began, after any wait. */
    private JobOutcome execute(Job job, JobContext context) {
        Instant start = clock.instant();
        context.bindWorker(Thread.currentThread());
        context.markStarted(start);
        running.put(context.runId(), context);
        metrics.set(MeterNames.JOB_RUNNING, runningCount(context.kind()), "kind", context.kind());
        log.debug("job started trigger={}", context.trigger().label());
        try {
            JobResult result = job.run(context);
            if (context.isCancelled()) {
                return finish(context, start, JobStatus.CANCELLED, ErrorCode.CANCELLED,
                        "cancelled after completing its work", result == null ? 0 : result.bytes());
            }
            return finish(context, start, JobStatus.SUCCEEDED, null,
                    result == null ? "" : result.summary(), result == null ? 0 : result.bytes());
        } catch (Throwable t) {
            PgwardenException e = PgwardenException.of(t);
            boolean cancelled = context.isCancelled() || e.errorCode() == ErrorCode.CANCELLED;
            if (t instanceof Error && !(t instanceof AssertionError)) {
                log.error("job crashed", t);
            }
            return finish(context, start, cancelled ? JobStatus.CANCELLED : JobStatus.FAILED,
                    cancelled ? ErrorCode.CANCELLED : e.errorCode(), e.describe(), 0);
        } finally {
            running.remove(context.runId());
            context.bindWorker(null);
            // A cancellation interrupt must not leak into the scheduler's thread.
            Thread.interrupted();
            metrics.set(MeterNames.JOB_RUNNING, runningCount(context.kind()), "kind", context.kind());
        }
    }

    private JobOutcome finish(JobContext ctx, Instant start, JobStatus status, ErrorCode code,
            String message, long bytes) {
        Instant end = clock.instant();
        JobOutcome outcome = new JobOutcome(ctx.runId(), ctx.kind(), ctx.trigger(), status, start, end,
                Optional.ofNullable(code), message == null ? "" : message, bytes);
        try {
            record(outcome);
        } catch (RuntimeException e) {
            log.warn("unable to record metrics for the job outcome: {}", e.toString());
        }
        history.record(outcome);
        String line = "job finished kind={} trigger={} outcome={} duration={}s bytes={} code={} message=\"{}\"";
        Object[] args = {ctx.kind(), ctx.trigger().label(), status.label(),
                String.format(java.util.Locale.ROOT, "%.3f", outcome.duration().toMillis() / 1000.0), bytes,
                code == null ? "-" : code.id(), outcome.message().replace("\"", "'")};
        switch (status) {
            case SUCCEEDED -> log.info(line, args);
            case SKIPPED, CANCELLED -> log.warn(line, args);
            default -> log.error(line, args);
        }
        return outcome;
    }

    private void record(JobOutcome o) {
        metrics.increment(MeterNames.JOB_RUNS, "kind", o.kind(), "outcome", o.status().label());
        metrics.observe(MeterNames.JOB_DURATION, o.duration(), "kind", o.kind(), "outcome", o.status().label());
        double epochSeconds = o.end().toEpochMilli() / 1000.0;
        if (o.status() == JobStatus.SUCCEEDED) {
            metrics.set(MeterNames.JOB_LAST_SUCCESS, epochSeconds, "kind", o.kind());
        } else if (o.status() == JobStatus.FAILED) {
            metrics.set(MeterNames.JOB_LAST_FAILURE, epochSeconds, "kind", o.kind());
        }
    }

    /** Runs in progress now. */
    public List<JobContext> running() {
        return List.copyOf(running.values());
    }

    /** Runs waiting for their lock now (a triggered backup while another backup runs). */
    public List<JobContext> waiting() {
        return List.copyOf(waiting.values());
    }

    /** From now on new runs are recorded as skipped with {@code reason}; running ones go on. */
    public void refuseNewRuns(String reason) {
        this.refusalReason = reason;
    }

    /** From now on every run asks {@code gate} first; a refusal records the run as skipped. */
    public void setGate(JobGate gate) {
        this.gate = gate == null ? JobGate.OPEN : gate;
    }

    private Optional<JobGate.Refusal> gate(Job job, JobTrigger trigger) {
        try {
            return gate.refusal(job, trigger);
        } catch (RuntimeException e) {
            // A gate that cannot decide must not stop every job; it is reported, and the run goes on.
            log.warn("unable to ask the job gate: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Asks every running job to stop, and every run waiting for its lock to give up. */
    public void cancelAll(String reason) {
        for (JobContext c : waiting.values()) {
            c.cancel(reason);
        }
        for (JobContext c : running.values()) {
            log.warn("cancelling job kind={} runId={}: {}", c.kind(), c.runId(), reason);
            c.cancel(reason);
        }
    }

    /** Waits until no job runs or waits for its lock, or {@code timeout} passes; true when idle. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!running.isEmpty() || !waiting.isEmpty()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private long runningCount(String kind) {
        return running.values().stream().filter(c -> c.kind().equals(kind)).count();
    }

    private static boolean acquire(ReentrantLock lock, Duration wait) throws InterruptedException {
        return wait.isZero() ? lock.tryLock() : lock.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String safeKind(Job job) {
        try {
            String k = job.kind();
            return k == null || k.isBlank() ? className(job) : k;
        } catch (RuntimeException e) {
            return className(job);
        }
    }

    private static String className(Job job) {
        String n = job.getClass().getSimpleName();
        return n.isEmpty() ? "unnamed" : n;
    }

    private static String safeLockName(Job job, String kind) {
        try {
            String l = job.lockName();
            return l == null ? kind : l;
        } catch (RuntimeException e) {
            return kind;
        }
    }

    /** Sortable by time, unique enough per daemon: {@code 20261124T020000Z-7f3a}. */
    /** A run id for {@code now}, for runs outside a runner (the CLI); same form as {@link #newRunId()}. */
    public static String newRunIdAt(Instant now) {
        return newRunId(now);
    }

    static String newRunId(Instant now) {
        String time = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(now);
        return time + "-" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    }

    private static void restore(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
