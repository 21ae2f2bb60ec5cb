package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.storage.ObjectKey;
import org.pgwarden.storage.ObjectStore;
import org.pgwarden.testing.InMemoryObjectStore;

class BackupCatalogTest {
    static final BackupLabel FULL1 = BackupLabel.parse("20261124-020000F");
    static final BackupLabel INCR1 = BackupLabel.parse("20261124-020000F_20261124-080000I");
    static final BackupLabel FULL2 = BackupLabel.parse("20261124-030000F");
    static final BackupLabel BROKEN = BackupLabel.parse("20261124-030000F_20261124-090000D");

    @TempDir
    Path dir;
    final InMemoryObjectStore store = new InMemoryObjectStore();
    RepoFixture repo;
    BackupCatalog catalog;

    @BeforeEach
    void createRepo() {
        repo = RepoFixture.createRepo(store, dir);
        catalog = new BackupCatalog(store, repo.objects);
    }

    @AfterEach
    void closeRepo() {
        repo.close();
    }

    @Test
    void emptyRepositoryHasNoBackups() {
        assertThat(catalog.list()).isEmpty();
        assertThat(catalog.latest()).isEmpty();
        assertThat(catalog.latestFull()).isEmpty();
        assertThat(catalog.interrupted()).isEmpty();
    }

    @Test
    void onlyBackupsWithAManifestAreListedInTimeOrder() {
        givenBackup(RepoFixture.givenFullHeader(FULL1), 3, 1000);
        givenBackup(RepoFixture.givenIncrementalHeader(INCR1, FULL1), 1, 10);
        givenBackup(RepoFixture.givenFullHeader(FULL2), 2, 500);
        givenInterrupted(BROKEN, 4);
        store.put(new ObjectKey("backup/README"), new ByteArrayInputStream(new byte[1]));
        store.put(new ObjectKey("backup/not-a-label/x"), new ByteArrayInputStream(new byte[1]));

        assertThat(catalog.list()).extracting(BackupInfo::label).containsExactly(FULL1, FULL2, INCR1);
        assertThat(catalog.latest()).get().extracting(BackupInfo::label).isEqualTo(INCR1);
        assertThat(catalog.latestFull()).get().extracting(BackupInfo::label).isEqualTo(FULL2);
        assertThat(catalog.interrupted()).containsExactly(BROKEN);
        assertThat(catalog.find(BROKEN)).isEmpty();

        BackupInfo full1 = catalog.find(FULL1).orElseThrow();
        assertThat(full1.header()).isEqualTo(RepoFixture.givenFullHeader(FULL1));
        assertThat(full1.footer()).isEqualTo(new ManifestFooter(3, 3000, 3000, 0, 0));
        long expectedStored = store.list(RepositoryLayout.backupPrefix(FULL1)).mapToLong(o -> o.size()).sum();
        assertThat(full1.storedBytes()).isEqualTo(expectedStored).isGreaterThan(3 * 100);
        assertThat(catalog.list().get(0)).isEqualTo(full1);
        assertThat(catalog.find(INCR1).orElseThrow().footer().reusedBytes()).isEqualTo(10);
    }

    @Test
    void aBackupExpiredBetweenTheListingAndTheReadingOfItsManifestIsLeftOut() {
        givenBackup(RepoFixture.givenFullHeader(FULL1), 1, 10);
        givenBackup(RepoFixture.givenFullHeader(FULL2), 1, 10);
        ObjectKey expired = RepositoryLayout.manifest(FULL1);
        // expire runs between the listing and the read: it deletes the manifest first
        ObjectStore racing = (ObjectStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("get") && args[0].equals(expired)) {
                        store.delete(java.util.List.of(expired));
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        BackupCatalog listing = new BackupCatalog(racing, new SealedObjects(racing, RepoFixture.REPO, repo.keyring,
                org.pgwarden.codec.Codec.zstd(1)));

        assertThat(listing.list()).extracting(BackupInfo::label).containsExactly(FULL2);
    }

    @Test
    void removeInterruptedDeletesEverythingUnderItsPrefixOnly() {
        givenBackup(RepoFixture.givenFullHeader(FULL2), 1, 10);
        givenInterrupted(BROKEN, 2500);
        assertThat(catalog.removeInterrupted(BROKEN)).isEqualTo(2500);
        assertThat(store.keys()).noneMatch(k -> k.startsWith(RepositoryLayout.backupPrefix(BROKEN)));
        assertThat(catalog.interrupted()).isEmpty();
        assertThat(catalog.list()).extracting(BackupInfo::label).containsExactly(FULL2);
    }

    @Test
    void removeInterruptedRefusesACommittedBackup() {
        givenBackup(RepoFixture.givenFullHeader(FULL1), 1, 10);
        assertThatThrownBy(() -> catalog.removeInterrupted(FULL1)).isInstanceOfSatisfying(PgwardenException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.BACKUP_COMMITTED);
            assertThat(e.getMessage()).contains("'20261124-020000F'");
        });
        assertThat(catalog.find(FULL1)).isPresent();
    }

    /** A committed backup: {@code files} files of {@code size} bytes in one bundle, chunks stored by its parent when it has one. */
    void givenBackup(ManifestHeader header, int files, long size) {
        BackupLabel label = header.label();
        BackupLabel owner = header.parent().orElse(label);
        store.put(RepositoryLayout.bundle(label, 1), new ByteArrayInputStream(new byte[100 * files]));
        try (ManifestWriter w = ManifestWriter.open(repo.objects, header)) {
            for (int i = 0; i < files; i++) {
                w.add(RepoFixture.givenFile("base/" + i, size, 4096, i == 0 && !label.isFull() ? owner : label));
            }
            w.commit();
        }
    }

    void givenInterrupted(BackupLabel label, int bundles) {
        for (int i = 1; i <= bundles; i++) {
            store.put(RepositoryLayout.bundle(label, i), new ByteArrayInputStream(new byte[10]));
        }
    }
}
