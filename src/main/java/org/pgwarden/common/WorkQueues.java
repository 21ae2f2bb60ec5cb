package org.pgwarden.common;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ends a pool of workers that take tasks from a bounded queue until they take an end marker or
 * see a failure recorded (backup and restore both work that way).
 */
public final class WorkQueues {
    private WorkQueues() {
    }

    /**
     * Queues one {@code end} per worker once every task was queued. After a failure, recorded
     * before or while the ends are queued, drops the tasks still queued and interrupts the
     * workers instead: a worker that saw the failure takes nothing more, so a full queue would
     * never drain, and dropping tasks must not drop an end a waiting worker needs.
     */
    public static <T> void end(BlockingQueue<T> queue, T end, int workers, AtomicReference<Throwable> failure,
            ExecutorService pool) {
        try {
            for (int i = 0; i < workers && failure.get() == null; i++) {
                while (!queue.offer(end, 100, TimeUnit.MILLISECONDS) && failure.get() == null) {
                    // a full queue drains while the workers run
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
        }
        if (failure.get() != null) {
            queue.clear();
            pool.shutdownNow();
        }
    }
}
