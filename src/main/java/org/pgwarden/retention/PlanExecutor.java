package org.pgwarden.retention;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.pgwarden.common.ByteSize;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.retention.RepositoryListing.StoredObject;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes exactly what a plan lists, in its order (manifests, other objects, WAL), in batches,
 * checking for cancellation before each batch. The caller holds the repository lock and made the
 * plan under it. Objects an object lock retains are not in the deletions; they are reported.
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

    Expire.Result execute(ExpirePlan plan, JobContext context) {
        long total = plan.objectCount();
        long deleted = 0;
        long freed = 0;
        List<StoredObject> batch = new ArrayList<>(DELETE_BATCH);
        for (Iterator<StoredObject> it = plan.deletions().iterator(); it.hasNext(); ) {
            batch.add(it.next());
            if (batch.size() == DELETE_BATCH || !it.hasNext()) {
                context.checkCancelled();
                store.delete(batch.stream().map(StoredObject::key).toList());
                long bytes = batch.stream().mapToLong(StoredObject::size).sum();
                deleted += batch.size();
                freed += bytes;
                metrics.increment(MeterNames.EXPIRE_FREED_BYTES, bytes);
                log.info("expire: deleted {} of {} object(s), {} freed", deleted, total, human(freed));
                batch = new ArrayList<>(DELETE_BATCH);
            }
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
        return new Expire.Result(plan, deleted, freed);
    }

    private static String human(long bytes) {
        return ByteSize.ofBytes(bytes).toHuman();
    }
}
