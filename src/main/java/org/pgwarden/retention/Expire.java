package org.pgwarden.retention;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.pgwarden.common.ByteSize;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.RepositoryLock;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expire: plan from the repository as it is, then delete exactly the plan. A run takes the
 * repository lock backups take, lists and plans under it (so no backup commits meanwhile and the
 * plan is fresh), and deletes manifests first, then the other objects, then WAL. Stopping at any
 * point is safe: a backup without its manifest no longer exists for anyone, and the next expire
 * (or backup) removes what is left of it.
 */
public final class Expire {
    private static final Logger log = LoggerFactory.getLogger(Expire.class);
    private static final int DELETE_BATCH = 1000;

    private final ObjectStore store;
    private final SealedObjects objects;
    private final RetentionPolicy policy;
    private final Optional<Duration> objectLockRetention;
    private final Clock clock;
    private final Metrics metrics;

    /** What a run did: the plan it carried out and how much of it. */
    public record Result(ExpirePlan plan, long deletedObjects, long freedBytes) {
    }

    public Expire(ObjectStore store, SealedObjects objects, RetentionPolicy policy,
            Optional<Duration> objectLockRetention, Clock clock, Metrics metrics) {
        this.store = Objects.requireNonNull(store, "store");
        this.objects = Objects.requireNonNull(objects, "objects");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.objectLockRetention = Objects.requireNonNull(objectLockRetention, "objectLockRetention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The plan a run would carry out now, read through a read-only view without taking the lock. */
    public ExpirePlan plan(JobContext context) {
        RepositoryListing listing = new RepositoryLister(store.readOnly(), objects, objectLockRetention)
                .list(false, context);
        return ExpirePlanner.plan(listing, clock.instant(), policy);
    }

    /** Takes the repository lock, plans afresh and deletes what the plan says. */
    public Result run(JobContext context) {
        try (RepositoryLock.Held lock = new RepositoryLock(store).acquire(
                LockOwner.thisProcess(null, clock.instant(), version()))) {
            RepositoryListing listing = new RepositoryLister(store, objects, objectLockRetention).list(true, context);
            ExpirePlan plan = ExpirePlanner.plan(listing, clock.instant(), policy);
            log.info("expire: {} backup(s), {} interrupted backup(s), {} WAL file(s) to delete ({}); {} backup(s)"
                    + " kept; {} object(s) retained by object lock", plan.expired().size(), plan.unfinished().size(),
                    plan.walFiles(), human(plan.bytesFreed()), plan.kept().size(), plan.lockedObjects().size());
            return new PlanExecutor(store, metrics).execute(plan, listing.wal(), context);
        }
    }

    private static String human(long bytes) {
        return ByteSize.ofBytes(bytes).toHuman();
    }

    private static String version() {
        Package p = Expire.class.getPackage();
        return p.getImplementationVersion() == null ? "unknown" : p.getImplementationVersion();
    }
}
