package org.pgwarden.backup;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.WorkQueues;
import org.pgwarden.config.BackupConfig;
import org.pgwarden.crypto.SealingKey;
import org.pgwarden.job.JobContext;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.PgDataEntry;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.storage.ObjectStore;

/**
 * Copies every file of PGDATA into bundles with a fixed number of workers. The calling thread
 * walks PGDATA and the parent manifest side by side (both in path order) and hands files out
 * through a short queue, so reading, hashing, compressing, encrypting and uploading run in
 * parallel while memory stays at workers × (slice + chunk + pipe) whatever the file count.
 */
final class PgDataCopier {
    private final ObjectStore store;
    private final SealedObjects objects;
    private final SealingKey dataKey;
    private final BackupConfig settings;
    private final BackupCounters counters;
    private final JobContext context;

    PgDataCopier(ObjectStore store, SealedObjects objects, SealingKey dataKey, BackupConfig settings,
            BackupCounters counters, JobContext context) {
        this.store = store;
        this.objects = objects;
        this.dataKey = dataKey;
        this.settings = settings;
        this.counters = counters;
        this.context = context;
    }

    private record Task(long sequence, PgDataEntry entry, ManifestEntry parent) {
        static final Task END = new Task(-1, null, null);
    }

    /**
     * Copies {@code walk} into the backup {@code label}, comparing with {@code parent} entries;
     * spools the manifest entries. On failure every bundle in progress is aborted.
     */
    void copy(BackupLabel label, Stream<PgDataEntry> walk, Iterator<ManifestEntry> parent, Optional<Lsn> checksumsFrom,
            EntrySpool spool) {
        int workers = settings.parallelism();
        BlockingQueue<Task> queue = new ArrayBlockingQueue<>(workers * 2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger bundleNumbers = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers, named("pgwarden-backup"));
        ExecutorService uploads = Executors.newFixedThreadPool(workers, named("pgwarden-upload"));
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                EntrySpool.Writer out = spool.newWriter();
                ChunkPacker packer = new ChunkPacker(store, objects, dataKey, label, bundleNumbers::incrementAndGet,
                        uploads, settings.chunkSize(), settings.bundleSize(), counters);
                FileCopier copier = new FileCopier(packer, settings.sliceSize(), checksumsFrom, counters, context);
                running.add(pool.submit(() -> work(queue, out, packer, copier, failure)));
            }
            try (EntrySpool.Writer direct = spool.newWriter()) {
                dispatch(walk, parent, queue, direct, failure);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                WorkQueues.end(queue, Task.END, workers, failure, pool);
            }
            for (Future<?> f : running) {
                await(f);
            }
        } finally {
            pool.shutdownNow();
            uploads.shutdownNow();
        }
        Throwable t = failure.get();
        if (t != null) {
            throw PgwardenException.of(t);
        }
    }

    private void dispatch(Stream<PgDataEntry> walk, Iterator<ManifestEntry> parent, BlockingQueue<Task> queue,
            EntrySpool.Writer direct, AtomicReference<Throwable> failure) {
        long sequence = 0;
        ManifestEntry previous = parent.hasNext() ? parent.next() : null;
        for (Iterator<PgDataEntry> it = walk.iterator(); it.hasNext(); ) {
            if (failure.get() != null) {
                return;
            }
            context.checkCancelled();
            PgDataEntry e = it.next();
            while (previous != null && PgDataEntry.PATH_ORDER.compare(previous.path(), e.path()) < 0) {
                previous = parent.hasNext() ? parent.next() : null;
            }
            ManifestEntry match = previous != null && previous.path().equals(e.path()) ? previous : null;
            sequence++;
            switch (e.type()) {
                case FILE -> offer(queue, new Task(sequence, e, match), failure);
                case DIRECTORY -> direct.accept(sequence, ManifestEntry.directory(e.path(), e.mtimeMillis(), e.mode()));
                case SYMLINK -> direct.accept(sequence, ManifestEntry.symlink(e.path(), e.mtimeMillis(), e.mode(),
                        e.linkTarget().orElseThrow().toString()));
                default -> throw new IllegalStateException(e.type().toString());
            }
        }
    }

    private void work(BlockingQueue<Task> queue, EntrySpool.Writer out, ChunkPacker packer, FileCopier copier,
            AtomicReference<Throwable> failure) {
        PendingEntries pending = new PendingEntries(out);
        try (out) {
            while (true) {
                Task task = queue.take();
                if (task == Task.END || failure.get() != null) {
                    break;
                }
                copier.copy(task.entry(), task.parent(), pending.begin(task.sequence()));
            }
            if (failure.get() == null) {
                packer.finish();
                if (pending.waiting() != 0) {
                    throw new IllegalStateException(pending.waiting() + " entries still wait after the last chunk");
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        } finally {
            if (failure.get() != null) {
                packer.abort(failure.get());
            }
        }
    }

    private static void offer(BlockingQueue<Task> queue, Task task, AtomicReference<Throwable> failure) {
        try {
            while (!queue.offer(task, 100, TimeUnit.MILLISECONDS)) {
                if (failure.get() != null) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new PgwardenException(ErrorCode.CANCELLED, "backup interrupted", e));
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // workers record their own failure
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
