package org.pgwarden.backup;

import java.util.concurrent.atomic.AtomicLong;

/** Running totals of one backup, shared by its workers and read by progress reporting. */
final class BackupCounters {
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong reused = new AtomicLong();
    private final AtomicLong files = new AtomicLong();
    private final AtomicLong invalidPages = new AtomicLong();

    void read(long bytes) {
        read.addAndGet(bytes);
    }

    void stored(long bytes) {
        stored.addAndGet(bytes);
    }

    void reused(long bytes) {
        reused.addAndGet(bytes);
    }

    void file() {
        files.incrementAndGet();
    }

    void invalidPages(long n) {
        invalidPages.addAndGet(n);
    }

    long read() {
        return read.get();
    }

    long stored() {
        return stored.get();
    }

    long reused() {
        return reused.get();
    }

    long files() {
        return files.get();
    }

    long invalidPages() {
        return invalidPages.get();
    }
}
