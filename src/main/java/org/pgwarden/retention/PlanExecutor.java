package org.pgwarden.retention;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.pgwarden.common.ByteSize;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes exactly what a plan says, in its order (manifests, the backups' other objects, then the
 * WAL its rule selects), in batches, checking for cancellation before each batch. The caller holds
 * the repository lock and made the plan under it. Objects an object lock retains are not deleted;
 * they are reported.
 */
final class PlanExecutor {
    private static final Logger log = LoggerFactory.getLogger(PlanExecutor.class);
    static final int DELETE_BATCH = 1000;

    private final ObjectStore store;
    private final Metrics metrics;

    PlanExecutor(ObjectStore store, Metrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /**
     * @param wal the archive, listed again now: the WAL the plan's rule selects is deleted as the
     *            listing streams past, so the archive is never held in memory
     */
    Expire.Result execute(ExpirePlan plan, RepositoryListing.WalArchive wal, JobContext context) {
        Tally tally = new Tally(plan.objectCount());
        delete(plan.deletions().iterator(), tally, context);
        try (Stream<RepositoryListing.Wal> files = wal.stream()) {
            delete(files.filter(plan::deletes).map(RepositoryListing.Wal::object).iterator(), tally, context);
        }
        for (ExpirePlan.Expired e : plan.expired()) {
            metrics.increment(MeterNames.EXPIRE_BACKUPS, "type", e.label().type().name().toLowerCase(Locale.ROOT));
            log.info("expire: backup {} deleted", e.label());
        }
        metrics.set(MeterNames.EXPIRE_LOCKED_OBJECTS, plan.lockedObjects().size());
        for (StoredObject o : plan.lockedObjects()) {
            log.info("expire: '{}' left in place: an object lock retains it until {}", o.key(),
                    o.retainUntil().orElseThrow());
        }
        return new Expire.Result(plan, tally.deleted, tally.freed);
    }

    private void delete(Iterator<StoredObject> objects, Tally tally, JobContext context) {
        List<StoredObject> batch = new ArrayList<>(DELETE_BATCH);
        while (objects.hasNext()) {
            batch.add(objects.next());
            if (batch.size() == DELETE_BATCH || !objects.hasNext()) {
                context.checkCancelled();
                store.delete(batch.stream().map(StoredObject::key).toList());
                long bytes = batch.stream().mapToLong(StoredObject::size).sum();
                tally.deleted += batch.size();
                tally.freed += bytes;
                metrics.increment(MeterNames.EXPIRE_FREED_BYTES, bytes);
                log.info("expire: deleted {} of {} object(s), {} freed", tally.deleted, tally.planned,
                        ByteSize.ofBytes(tally.freed).toHuman());
                batch = new ArrayList<>(DELETE_BATCH);
            }
        }
    }

    /** Progress of one run. */
    private static final class Tally {
        final long planned;
        long deleted;
        long freed;

        Tally(long planned) {
            this.planned = planned;
        }
    }
}
