package org.pgwarden.restore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts verified files in place without making the writers wait for the disk. A writer hands over
 * each finished temporary file; a few threads fsync it and only then rename it to its real name,
 * so a file under its real name is always complete and on disk, as when the writer did it itself.
 * Meanwhile the writers fetch, decrypt and write the next files: device writes overlap with that
 * work, and concurrent fsyncs of the many small files of a cluster share journal commits.
 * {@link #finish} waits for every file, then fsyncs each directory that received one (and its
 * parents up to the data directory) so the renames are durable too.
 */
final class FileCommitter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileCommitter.class);
    /** Files waiting or being synced at most: bounds how far writers run ahead of the disk. */
    private static final int MAX_PENDING = 64;

    private final Path root;
    private final ExecutorService threads;
    private final Semaphore pending = new Semaphore(MAX_PENDING);
    private final Set<Path> directories = ConcurrentHashMap.newKeySet();
    private final AtomicReference<PgwardenException> failure = new AtomicReference<>();

    /** @param root the data directory: directories are synced up to it, never above */
    FileCommitter(Path root, int threads) {
        this.root = root;
        this.threads = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "pgwarden-restore-sync");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Syncs {@code temp} and renames it to {@code target}, in the background; blocks while
     * {@value #MAX_PENDING} files are pending. Fails with the first failure of an earlier file.
     */
    void commit(Path temp, Path target) throws InterruptedException {
        throwIfFailed();
        pending.acquire();
        try {
            threads.execute(() -> {
                try {
                    if (failure.get() == null) {
                        sync(temp);
                        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        directories.add(target.getParent());
                    }
                } catch (IOException | RuntimeException e) {
                    failure.compareAndSet(null, new PgwardenException(ErrorCode.REPO_IO, "unable to write '" + target
                            + "': " + e.getMessage(), e));
                } finally {
                    pending.release();
                }
            });
        } catch (RuntimeException e) {
            pending.release();
            throw e;
        }
    }

    /** Waits until every file handed over is in place and durable, and syncs their directories. */
    void finish() throws InterruptedException {
        pending.acquire(MAX_PENDING);
        pending.release(MAX_PENDING);
        throwIfFailed();
        Set<Path> all = new TreeSet<>(Comparator.reverseOrder());
        for (Path d : directories) {
            for (Path p = d; p != null && p.startsWith(root); p = p.getParent()) {
                all.add(p);
            }
        }
        for (Path d : all) {
            try {
                sync(d);
            } catch (IOException e) {
                // Some file systems cannot sync a directory (PostgreSQL ignores that too); the files are synced.
                log.warn("unable to sync directory '{}': {}", d, e.getMessage());
            }
        }
    }

    private void throwIfFailed() {
        PgwardenException e = failure.get();
        if (e != null) {
            throw e;
        }
    }

    private static void sync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Stops the threads; after a failure, files not yet renamed stay under their temporary names. */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(1, TimeUnit.MINUTES)) {
                log.warn("file sync threads still busy after a minute; leaving them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
