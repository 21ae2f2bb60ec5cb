package org.pgwarden.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finished runs, newest first: the last {@code capacity} in memory, and every one in a
 * {@link JobHistoryStore} when one is attached. Writes to the store happen on one background
 * thread through a bounded queue, so a slow or dead control database never delays or fails a
 * job; a write that fails or finds the queue full is a log line and a metric.
 */
public final class JobHistory implements AutoCloseable {
    /** Runs kept in memory; enough for weeks of a typical schedule, a few hundred KiB at most. */
    public static final int DEFAULT_CAPACITY = 500;
    private static final int WRITE_QUEUE = 1000;
    private static final Logger log = LoggerFactory.getLogger(JobHistory.class);

    private final int capacity;
    private final Metrics metrics;
    private final Map<String, JobOutcome> recent;
    private volatile JobHistoryStore store;
    private volatile ThreadPoolExecutor writer;

    public JobHistory(int capacity, Metrics metrics) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.metrics = metrics;
        this.recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, JobOutcome> eldest) {
                return size() > JobHistory.this.capacity;
            }
        };
    }

    /** Also writes every run recorded from now on to {@code durable}, which this history then closes. */
    public synchronized void persistTo(JobHistoryStore durable) {
        if (store != null) {
            throw new IllegalStateException("a job history store is already attached");
        }
        ThreadPoolExecutor w = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(WRITE_QUEUE), r -> {
                    Thread t = new Thread(r, "pgwarden-job-history");
                    t.setDaemon(true);
                    return t;
                });
        this.store = durable;
        this.writer = w;
    }

    /** Puts runs read back from the store (after a restart) into memory, without writing them again. */
    public void preload(List<JobOutcome> newestFirst) {
        synchronized (recent) {
            Map<String, JobOutcome> now = new LinkedHashMap<>(recent);
            recent.clear();
            for (int i = Math.min(newestFirst.size(), capacity) - 1; i >= 0; i--) {
                recent.put(newestFirst.get(i).runId(), newestFirst.get(i));
            }
            now.forEach((id, o) -> {
                recent.remove(id);
                recent.put(id, o);
            });
        }
    }

    /** Records a finished run. Never throws. */
    public void record(JobOutcome outcome) {
        synchronized (recent) {
            recent.put(outcome.runId(), outcome);
            recent.notifyAll();
        }
        JobHistoryStore s = store;
        ThreadPoolExecutor w = writer;
        if (s == null || w == null) {
            return;
        }
        try {
            w.execute(() -> save(s, outcome));
        } catch (RejectedExecutionException e) {
            failed(outcome, w.isShutdown() ? "the history was closed (the daemon is stopping)"
                    : "the write queue is full (" + WRITE_QUEUE + " runs)");
        }
    }

    private void save(JobHistoryStore s, JobOutcome outcome) {
        try {
            s.save(outcome);
        } catch (RuntimeException e) {
            failed(outcome, PgwardenException.of(e).getMessage());
        }
    }

    private void failed(JobOutcome outcome, String why) {
        metrics.increment(MeterNames.JOB_HISTORY_WRITE_FAILURES);
        log.warn("unable to store job run {} ({}) in the control database: {}; it stays in memory only",
                outcome.runId(), outcome.kind(), why);
    }

    /**
     * The run {@code runId} from memory once it finished, waiting up to {@code limit} for it to
     * finish; empty if it did not by then. Lets a caller following a run learn its end at once
     * instead of at its next poll.
     */
    public Optional<JobOutcome> awaitRecent(String runId, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (recent) {
            while (true) {
                Optional<JobOutcome> done = findRecent(runId);
                long left = deadline - System.nanoTime();
                if (done.isPresent() || left <= 0) {
                    return done;
                }
                TimeUnit.NANOSECONDS.timedWait(recent, left);
            }
        }
    }

    /** The runs in memory, newest first. */
    public List<JobOutcome> recent() {
        List<JobOutcome> list;
        synchronized (recent) {
            list = new ArrayList<>(recent.values());
        }
        Collections.reverse(list);
        return list;
    }

    /**
     * The run {@code runId}: from memory, else from the store (older runs, runs before a restart).
     * A store that cannot answer is logged and treated as not knowing the run.
     */
    public Optional<JobOutcome> find(String runId) {
        Optional<JobOutcome> inMemory = findRecent(runId);
        if (inMemory.isPresent()) {
            return inMemory;
        }
        JobHistoryStore s = store;
        if (s == null) {
            return Optional.empty();
        }
        try {
            return s.find(runId);
        } catch (RuntimeException e) {
            log.warn("unable to look up job run {} in the control database: {}", runId,
                    PgwardenException.of(e).getMessage());
            return Optional.empty();
        }
    }

    /** The run {@code runId} if it is among the runs in memory; never asks the store. */
    public Optional<JobOutcome> findRecent(String runId) {
        synchronized (recent) {
            return Optional.ofNullable(recent.get(runId));
        }
    }

    /** Waits up to {@code grace} for queued writes, then closes the store. */
    public void close(Duration grace) {
        ThreadPoolExecutor w = writer;
        if (w != null) {
            w.shutdown();
            try {
                if (!w.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("{} job run(s) not written to the control database before stopping",
                            w.getQueue().size() + 1);
                    w.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.shutdownNow();
            }
        }
        JobHistoryStore s = store;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
