package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.adapter.fs.FilesystemObjectStore;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.testing.InMemoryObjectStore;

class RepositoryLockTest {
    static final BackupLabel LABEL = BackupLabel.parse("20261124-020000F");
    static final Instant NOW = Instant.parse("2026-11-24T02:00:00Z");

    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();

    @Test
    void acquireWritesWhoHoldsItAndCloseReleasesIt() {
        RepositoryLock lock = new RepositoryLock(store);
        LockOwner me = LockOwner.thisProcess(LABEL, NOW, "1.2.3");
        try (RepositoryLock.Held held = lock.acquire(me)) {
            assertThat(held.owner()).isEqualTo(me);
            assertThat(lock.holder()).contains(me);
            String body = new String(store.bytes(RepositoryLayout.BACKUP_LOCK), StandardCharsets.UTF_8);
            assertThat(body).contains("\"pid\" : " + ProcessHandle.current().pid(), "\"label\" : \"20261124-020000F\"",
                    "\"version\" : \"1.2.3\"", "\"startedAt\" : \"2026-11-24T02:00:00Z\"");
        }
        assertThat(store.keys()).isEmpty();
        try (RepositoryLock.Held again = lock.acquire(me)) {
            assertThat(store.keys()).containsExactly("lock/backup");
        }
    }

    @Test
    void heldLockNamesHostPidLabelAndStartTime() {
        RepositoryLock here = new RepositoryLock(store, "db1", pid -> true);
        LockOwner other = new LockOwner("db2", 4242, Optional.of(LABEL), NOW, "1.0.0");
        try (RepositoryLock.Held held = new RepositoryLock(store, "db2", pid -> true).acquire(other)) {
            assertThatThrownBy(() -> here.acquire(new LockOwner("db1", 7, Optional.empty(), NOW, "1.0.0")))
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.LOCK_HELD);
                        assertThat(e.getMessage()).contains("'db2'", "4242", "'20261124-020000F'",
                                "2026-11-24T02:00:00Z").doesNotContain("stale");
                        assertThat(e.hint()).get().asString().contains("host 'db2'", "lock/backup");
                    });
        }
    }

    @Test
    void lockOfADeadProcessOnThisHostIsReportedStaleButNeverTaken() {
        RepositoryLock lock = new RepositoryLock(store, "db1", pid -> pid != 4242);
        RepositoryLock.Held abandoned = lock.acquire(new LockOwner("db1", 4242, Optional.of(LABEL), NOW, "1.0.0"));
        assertThatThrownBy(() -> lock.acquire(new LockOwner("db1", 77, Optional.empty(), NOW, "1.0.0")))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.LOCK_HELD);
                    assertThat(e.getMessage()).contains("is stale", "pid 4242", "no longer runs");
                    assertThat(e.hint()).get().asString().contains("delete 'lock/backup'");
                });
        assertThat(lock.holder()).get().extracting(LockOwner::pid).isEqualTo(4242L);
        abandoned.close();
    }

    @Test
    void reclaimingTakesOverOnlyAProvablyStaleLockAndSaysWhose() {
        RepositoryLock lock = new RepositoryLock(store, "db1", pid -> pid != 4242);
        lock.acquire(new LockOwner("db1", 4242, Optional.of(LABEL), NOW, "1.0.0"));
        java.util.List<LockOwner> reported = new java.util.ArrayList<>();
        try (RepositoryLock.Held mine = lock.acquireReclaimingStale(
                new LockOwner("db1", 77, Optional.empty(), NOW, "1.0.0"), reported::add)) {
            assertThat(reported).singleElement().extracting(LockOwner::pid).isEqualTo(4242L);
            assertThat(lock.holder()).get().extracting(LockOwner::pid).isEqualTo(77L);
        }
        // A live holder, or a holder on another host, is never taken over.
        RepositoryLock otherHost = new RepositoryLock(store, "db2", pid -> false);
        try (RepositoryLock.Held live = lock.acquire(new LockOwner("db1", 99, Optional.empty(), NOW, "1.0.0"))) {
            assertThatThrownBy(() -> lock.acquireReclaimingStale(new LockOwner("db1", 77, Optional.empty(), NOW, "1.0.0"),
                    reported::add)).isInstanceOf(PgwardenException.class);
            assertThatThrownBy(() -> otherHost.acquireReclaimingStale(
                    new LockOwner("db2", 5, Optional.empty(), NOW, "1.0.0"), reported::add))
                    .isInstanceOf(PgwardenException.class);
            assertThat(reported).hasSize(1);
            assertThat(live.owner().pid()).isEqualTo(99L);
        }
    }

    @Test
    void realProcessTableTellsADeadPidFromALiveOne() {
        long notRunning = Long.MAX_VALUE / 2;
        RepositoryLock lock = new RepositoryLock(store);
        lock.acquire(new LockOwner(LockOwner.localHostName(), notRunning, Optional.empty(), NOW, "1.0.0"));
        assertThatThrownBy(() -> lock.acquire(LockOwner.thisProcess(LABEL, NOW, "1.0.0")))
                .hasMessageContaining("is stale");
        store.delete(java.util.List.of(RepositoryLayout.BACKUP_LOCK));
        lock.acquire(LockOwner.thisProcess(LABEL, NOW, "1.0.0"));
        assertThatThrownBy(() -> lock.acquire(LockOwner.thisProcess(LABEL, NOW, "1.0.0")))
                .hasMessageNotContaining("stale").hasMessageContaining("is held by");
    }

    @Test
    void closeLeavesALockThatWasReplacedMeanwhile() {
        RepositoryLock lock = new RepositoryLock(store, "db1", pid -> true);
        RepositoryLock.Held mine = lock.acquire(new LockOwner("db1", 1, Optional.empty(), NOW, "1.0.0"));
        store.delete(java.util.List.of(RepositoryLayout.BACKUP_LOCK));
        RepositoryLock.Held theirs = lock.acquire(new LockOwner("db1", 2, Optional.empty(), NOW, "1.0.0"));
        assertThatThrownBy(mine::close).isInstanceOfSatisfying(PgwardenException.class,
                e -> assertThat(e.getMessage()).contains("was replaced", "pid 2"));
        assertThat(lock.holder()).get().extracting(LockOwner::pid).isEqualTo(2L);
        theirs.close();
        assertThat(store.keys()).isEmpty();
    }

    @Test
    void filesystemStoreCreateIsExclusive() {
        try (FilesystemObjectStore fs = new FilesystemObjectStore(dir)) {
            RepositoryLock lock = new RepositoryLock(fs, "db1", pid -> true);
            try (RepositoryLock.Held held = lock.acquire(new LockOwner("db1", 1, Optional.of(LABEL), NOW, "1.0.0"))) {
                assertThatThrownBy(() -> lock.acquire(new LockOwner("db1", 2, Optional.empty(), NOW, "1.0.0")))
                        .isInstanceOfSatisfying(PgwardenException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.LOCK_HELD));
            }
            assertThat(lock.holder()).isEmpty();
        }
    }
}
