package org.pgwarden.adapter.s3;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * At most {@code max} part buffers for one upload. Taking a buffer blocks while all are in
 * flight, which is what bounds both memory (part size × concurrency) and parallelism.
 */
final class BufferPool {
    private final int size;
    private final int max;
    private final BlockingQueue<byte[]> free = new LinkedBlockingQueue<>();
    private int created;

    BufferPool(int size, int max) {
        this.size = size;
        this.max = max;
    }

    byte[] take() throws InterruptedException {
        byte[] b = free.poll();
        if (b != null) {
            return b;
        }
        synchronized (this) {
            if (created < max) {
                created++;
                return new byte[size];
            }
        }
        return free.take();
    }

    /** Counts a buffer allocated elsewhere (the first part's) against the limit. */
    synchronized void adopt() {
        created++;
    }

    void give(byte[] b) {
        if (b.length == size) {
            free.add(b);
        }
    }
}
