package org.pgwarden.wal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.WalSegmentName;
import org.pgwarden.repo.WalArchiveIndex;
import org.pgwarden.storage.ObjectInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the segments after the one just served waiting in the spool, fetched in parallel. It
 * refills only once at most half of the window is left, so most calls are pure local moves that
 * never open the repository, and the repository sees batches instead of one request per call.
 * A prefetch failure is logged and otherwise ignored: the call that later asks for that segment
 * fetches it itself and reports the failure where PostgreSQL sees it.
 */
final class WalPrefetch {
    private static final Logger LOG = LoggerFactory.getLogger(WalPrefetch.class);

    private final Supplier<WalArchiveIndex> index;
    private final WalSpool spool;
    private final int window;
    private final IntSupplier walSegmentSize;
    private final WalFetch.Download download;

    WalPrefetch(Supplier<WalArchiveIndex> index, WalSpool spool, int window, IntSupplier walSegmentSize,
            WalFetch.Download download) {
        this.index = index;
        this.spool = spool;
        this.window = window;
        this.walSegmentSize = walSegmentSize;
        this.download = download;
    }

    /** Refills the window after {@code served} when it runs low; returns the segments added. */
    int after(WalSegmentName served) {
        if (window == 0 || !spool.ready()) {
            return 0;
        }
        spool.prune(served.toString());
        List<String> waiting = spool.names();
        String last = served.toString();
        int ahead = (int) waiting.stream().filter(n -> n.compareTo(last) > 0).count();
        if (ahead > window / 2) {
            return 0;
        }
        int size = walSegmentSize.getAsInt();
        List<String> wanted = new ArrayList<>();
        WalSegmentName next = served;
        for (int i = 0; i < window; i++) {
            next = next.next(size);
            if (!waiting.contains(next.toString())) {
                wanted.add(next.toString());
            }
        }
        return fetchAll(wanted);
    }

    private int fetchAll(List<String> names) {
        if (names.isEmpty()) {
            return 0;
        }
        ExecutorService pool = Executors.newFixedThreadPool(names.size(), r -> {
            Thread t = new Thread(r, "wal-prefetch");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> fetchOne(name)));
            }
            int added = 0;
            for (int i = 0; i < futures.size(); i++) {
                try {
                    added += futures.get(i).get() ? 1 : 0;
                } catch (ExecutionException e) {
                    LOG.warn("prefetch of WAL file '{}' failed; it will be fetched when PostgreSQL asks for it: {}",
                            names.get(i), PgwardenException.of(e.getCause()).getMessage());
                }
            }
            return added;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            pool.shutdownNow();
        }
    }

    private boolean fetchOne(String name) {
        Optional<ObjectInfo> archived = index.get().find(name);
        if (archived.isEmpty()) {
            return false; // past the end of the archive: nothing to prefetch, and no error
        }
        String sha = WalArchiveIndex.checksumPrefix(archived.get().key());
        java.nio.file.Path target = spool.entryPath(name, sha);
        download.to(archived.get(), target);
        return true;
    }
}
