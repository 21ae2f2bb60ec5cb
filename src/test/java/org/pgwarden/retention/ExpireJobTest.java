package org.pgwarden.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pgwarden.codec.Codec;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.job.Job;
import org.pgwarden.job.JobContext;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobResult;
import org.pgwarden.job.JobRunner;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.pgwarden.job.JobLocks;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.LockOwner;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.RepositoryLock;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.StanzaInfo;
import org.pgwarden.repo.StanzaStore;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExpireJobTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** A repository with a stanza and no backups. */
    private SealedObjects givenRepository(InMemoryObjectStore store) {
        Path key = dir.resolve("master.key");
        LocalKeyFileWrapper.generateKeyFile(key);
        Keyring keyring = new Keyring(store, "main", LocalKeyFileWrapper.open(key),
                new DataKeyCache(Duration.ofMinutes(1), 8, CLOCK), CLOCK);
        SealedObjects objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
        new StanzaStore(store, objects).create(StanzaInfo.of("main", 7L, 15, 16 << 20, 131072, CLOCK.instant()));
        return objects;
    }

    @Test
    void sharesTheBackupsJobLock() {
        ExpireJob job = new ExpireJob(null);
        assertThat(job.kind()).isEqualTo("expire");
        assertThat(job.lockName()).isEqualTo(JobLocks.REPOSITORY_WRITE).isEqualTo("backup");
    }

    @Test
    void runsUnderTheRepositoryLockAndReleasesIt() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        SealedObjects objects = givenRepository(store);
        // An interrupted backup from days ago, with nobody holding the lock, is garbage.
        ObjectKey leftover = RepositoryLayout.bundle(BackupLabel.parse("20261101-020000F"), 1);
        store.put(leftover, new ByteArrayInputStream(new byte[]{1}));
        ExpireJob job = new ExpireJob(new Expire(store, objects, RetentionPolicy.fullCount(1),
                Optional.empty(), Clock.offset(CLOCK, Duration.ofDays(2)), Metrics.noop()));

        job.run(JobContext.standalone("r1", "expire", CLOCK));

        assertThat(job.result().plan().unfinished()).extracting(Object::toString).containsExactly("20261101-020000F");
        assertThat(store.keys()).doesNotContain(leftover.value(), RepositoryLayout.BACKUP_LOCK.value());
    }

    @Test
    void refusesToRunWhileAnotherProcessHoldsTheLock() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Expire expire = new Expire(store, givenRepository(store), RetentionPolicy.fullCount(1), Optional.empty(), CLOCK,
                Metrics.noop());
        new RepositoryLock(store).acquire(new LockOwner("db2", 4242, Optional.empty(), CLOCK.instant(), "1.0"));
        assertThatThrownBy(() -> expire.run(JobContext.standalone("r1", "expire", CLOCK)))
                .isInstanceOf(PgwardenException.class)
                .satisfies(e -> assertThat(((PgwardenException) e).errorCode()).isEqualTo(ErrorCode.LOCK_HELD))
                .hasMessageContaining("db2");
        // A dry run still plans, but never takes an interrupted backup for garbage while the lock is held.
        assertThat(expire.plan(JobContext.standalone("r2", "expire", CLOCK)).isEmpty()).isTrue();
    }

    @Test
    void stopsBetweenBatchesWhenCancelled() {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        BackupLabel label = BackupLabel.parse("20261101-020000F");
        List<RepositoryListing.StoredObject> objects = new ArrayList<>();
        for (int i = 1; i <= PlanExecutor.DELETE_BATCH + 500; i++) {
            ObjectKey k = RepositoryLayout.bundle(label, i);
            memory.put(k, new ByteArrayInputStream(new byte[]{1}));
            objects.add(new RepositoryListing.StoredObject(k, 1, label.time(), Optional.empty()));
        }
        RepositoryListing listing = new RepositoryListing(16 << 20, List.of(),
                List.of(new RepositoryListing.Unfinished(label, objects)), RepositoryListing.WalArchive.of(List.of()),
                Optional.empty());
        ExpirePlan plan = ExpirePlanner.plan(listing, CLOCK.instant(), RetentionPolicy.fullCount(1));
        assertThat(plan.objectCount()).isEqualTo(PlanExecutor.DELETE_BATCH + 500);

        JobRunner runner = new JobRunner("main", CLOCK, Metrics.noop());
        // The operator (or shutdown) cancels while the first batch is being deleted.
        ObjectStore store = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
                new Class<?>[]{ObjectStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("delete")) {
                        runner.cancelAll("test stops it");
                    }
                    return method.invoke(memory, args);
                });
        Job job = new Job() {
            @Override
            public String kind() {
                return ExpireJob.KIND;
            }

            @Override
            public JobResult run(JobContext context) {
                new PlanExecutor(store, Metrics.noop()).execute(plan, listing.wal(), context);
                return JobResult.of("done");
            }
        };
        JobOutcome outcome = runner.run(job, JobTrigger.CLI);

        assertThat(outcome.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(memory.keys()).hasSize(500);
    }
}
