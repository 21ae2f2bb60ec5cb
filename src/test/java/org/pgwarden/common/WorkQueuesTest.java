package org.pgwarden.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** How workers fed by a bounded queue (a backup's, a restore's) are told to stop, with and without a failure. */
class WorkQueuesTest {
    private static final int WORKERS = 2;
    private static final Object END = new Object();

    /** Workers as backup and restore run them: take until END, stop taking once a failure is recorded. */
    private static ExecutorService start(BlockingQueue<Object> queue, AtomicReference<Throwable> failure,
            AtomicInteger ended) {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        for (int i = 0; i < WORKERS; i++) {
            pool.execute(() -> {
                try {
                    for (Object t = queue.take(); t != END && failure.get() == null; t = queue.take()) {
                        Thread.onSpinWait();
                    }
                    ended.incrementAndGet();
                } catch (InterruptedException e) {
                    ended.incrementAndGet();
                }
            });
        }
        return pool;
    }

    @Test
    void everyWorkerEndsAfterAFailureEvenWhenNoneTookATaskYet() throws Exception {
        for (int round = 0; round < 200; round++) {
            BlockingQueue<Object> queue = new ArrayBlockingQueue<>(WORKERS * 4);
            AtomicReference<Throwable> failure = new AtomicReference<>(new IllegalStateException("staging failed"));
            AtomicInteger ended = new AtomicInteger();
            ExecutorService pool = start(queue, failure, ended);

            WorkQueues.end(queue, END, WORKERS, failure, pool);

            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).as("round %d", round).isTrue();
            assertThat(ended).hasValue(WORKERS);
        }
    }

    @Test
    void aFailureWhileTheQueueIsFullDoesNotHangTheProducer() throws Exception {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(WORKERS * 4);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // workers that already stopped taking: the queue stays full
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        while (queue.offer(new Object())) {
            Thread.onSpinWait();
        }
        Thread failing = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                // the failure below is recorded either way
            }
            failure.set(new IllegalStateException("worker failed"));
        });
        failing.start();

        WorkQueues.end(queue, END, WORKERS, failure, pool);

        assertThat(queue).isEmpty();
        assertThat(pool.isShutdown()).isTrue();
        failing.join();
    }

    @Test
    void withoutAFailureEachWorkerGetsItsEndAfterTheQueuedFiles() throws Exception {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(WORKERS * 4);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger ended = new AtomicInteger();
        for (int i = 0; i < WORKERS * 4; i++) {
            queue.add(new Object());
        }
        ExecutorService pool = start(queue, failure, ended);

        WorkQueues.end(queue, END, WORKERS, failure, pool);

        pool.shutdown();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ended).hasValue(WORKERS);
        assertThat(queue).isEmpty();
    }
}
