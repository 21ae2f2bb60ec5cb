package org.pgwarden.wal;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.repo.VerifiedFile;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;

/**
 * Restores one WAL file for {@code restore_command}: from the spool when it was prefetched,
 * otherwise from the repository, decrypted, authenticated and checked against the checksum in
 * its key before it appears at the destination. A file that is not archived is an answer, not
 * an error: PostgreSQL asks past the end of the archive (and for history files of timelines that
 * never existed) to learn where recovery ends.
 *
 * <p>Any name {@link WalArchiveIndex#isWalFileName} accepts is served, {@code .partial} included
 * when asked for by name; PostgreSQL itself asks only for segments and {@code .history} files, and
 * only segments are prefetched.
 */
public final class WalFetch {
    /** How one request ended. */
    public enum Outcome { SERVED, SPOOL_HIT, MISSING }

    /** @param prefetched segments newly placed in the spool after this request */
    public record Result(String name, Outcome outcome, int prefetched) {
    }

    /**
     * The repository as wal-fetch needs it.
     *
     * @param walSegmentSize asked only when segments are prefetched (it needs the stanza)
     */
    public record Archive(SealedObjects objects, WalArchiveIndex index, IntSupplier walSegmentSize) {
    }

    private final Supplier<Archive> archive;
    private final WalPrefetch prefetch;
    private final WalSpool spool;
    private final Metrics metrics;

    /**
     * @param archive       opened on first use only, so a spool hit that needs no refill never
     *                      contacts the repository or the key service
     * @param prefetchCount segments kept ahead; 0 disables prefetching
     */
    public WalFetch(Supplier<Archive> archive, WalSpool spool, int prefetchCount, Metrics metrics) {
        this.archive = memoized(archive);
        this.spool = spool;
        this.metrics = metrics;
        this.prefetch = new WalPrefetch(() -> this.archive.get().index(),
                spool, prefetchCount, () -> this.archive.get().walSegmentSize().getAsInt(), this::download);
    }

    private static <T> Supplier<T> memoized(Supplier<T> s) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = s.get();
                }
                return value;
            }
        };
    }

    public Result fetch(String name, Path destination) {
        if (!WalArchiveIndex.isWalFileName(name)) {
            throw new PgwardenException(ErrorCode.WAL_INVALID, "'" + name + "' is not a WAL file name",
                    "restore_command must pass %f (the file name) and %p (the destination path)", null);
        }
        WalSegmentName wal = WalSegmentName.parse(name);
        try {
            Outcome outcome;
            if (spool.take(name, destination)) {
                outcome = Outcome.SPOOL_HIT;
            } else {
                Optional<ObjectInfo> archived = archive.get().index().find(name);
                if (archived.isEmpty()) {
                    metrics.increment(MeterNames.WAL_FETCHES, "result", "missing");
                    return new Result(name, Outcome.MISSING, 0);
                }
                download(archived.get(), destination);
                outcome = Outcome.SERVED;
            }
            metrics.increment(MeterNames.WAL_FETCHES, "result", outcome == Outcome.SPOOL_HIT ? "spool_hit" : "served");
            int prefetched = wal.kind() == WalSegmentName.Kind.SEGMENT ? prefetch.after(wal) : 0;
            return new Result(name, outcome, prefetched);
        } catch (RuntimeException e) {
            metrics.increment(MeterNames.WAL_FETCHES, "result", "failed");
            throw e;
        }
    }

    /** Decrypts {@code object} into {@code target}; names the key in every failure. */
    private void download(ObjectInfo object, Path target) {
        VerifiedFile.restoreWal(archive.get().objects(), object, target);
    }

    /** Places decrypted content of an archived object at a path. */
    @FunctionalInterface
    interface Download {
        void to(ObjectInfo object, Path target);
    }
}
