package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.repo.BackupCatalog;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.ManifestWriter;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.Slice;
import org.pgwarden.storage.ObjectInfo;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.RecordingMetrics;

class BackupCatalogGaugesTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
    private static final BackupLabel FULL = BackupLabel.parse("20261124-020000F");
    private static final BackupLabel INCR = BackupLabel.parse("20261124-020000F_20261125-020000I");
    private static final BackupLabel FULL2 = BackupLabel.parse("20261125-060000F");

    @TempDir
    Path dir;
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final RecordingMetrics metrics = new RecordingMetrics();
    private LocalKeyFileWrapper key;
    private SealedObjects objects;
    private BackupCatalogGauges gauges;

    @BeforeEach
    void createRepository() {
        LocalKeyFileWrapper.generateKeyFile(dir.resolve("master.key"));
        key = LocalKeyFileWrapper.open(dir.resolve("master.key"));
        Keyring keyring = new Keyring(store, "main", key, new DataKeyCache(Duration.ofMinutes(15), 100, CLOCK), CLOCK);
        objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
        gauges = new BackupCatalogGauges(() -> new BackupCatalog(store, objects), metrics);
    }

    @AfterEach
    void close() {
        key.close();
    }

    @Test
    void anEmptyRepositoryPublishesNothing() {
        assertThat(run()).isEqualTo("the repository holds no backup");
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "full")).isNull();
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS)).isNull();
    }

    @Test
    void publishesTheStopTimeOfTheNewestBackupOfEachTypeAndItsCorruptPages() {
        givenBackup(FULL, Optional.empty(), List.of());
        givenBackup(INCR, Optional.of(FULL), List.of(3L, 7L));
        run();
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "full")).isEqualTo(stop(FULL));
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "incr")).isEqualTo(stop(INCR));
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "diff")).isNull();
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS)).isEqualTo(2.0);

        // A backup taken by another process shows up at the next run; the newest has clean pages.
        givenBackup(FULL2, Optional.empty(), List.of());
        run();
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "full")).isEqualTo(stop(FULL2));
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_PAGE_CHECKSUM_ERRORS)).isEqualTo(0.0);
    }

    @Test
    void readsEachManifestOnceAndForgetsExpiredBackups() {
        givenBackup(FULL, Optional.empty(), List.of());
        givenBackup(FULL2, Optional.empty(), List.of());
        run();
        // Were the manifest read again, its broken seal would fail the run.
        store.replace(RepositoryLayout.manifest(FULL), new byte[] {1, 2, 3});
        assertThat(run()).isEqualTo("2 backups, newest " + FULL2);

        // FULL2 expired: the gauge falls back to the newest that is left.
        store.delete(store.list("backup/" + FULL2 + "/").map(ObjectInfo::key).toList());
        run();
        assertThat(metrics.gauge(MeterNames.BACKUP_LAST_SUCCESS, "type", "full")).isEqualTo(stop(FULL));
    }

    private String run() {
        return gauges.run(JobContext.standalone("test", BackupCatalogGauges.KIND, CLOCK)).summary();
    }

    private static double stop(BackupLabel label) {
        return label.time().plusSeconds(60).toEpochMilli() / 1000.0;
    }

    private void givenBackup(BackupLabel label, Optional<BackupLabel> parent, List<Long> invalidPages) {
        store.put(RepositoryLayout.bundle(label, 1), new ByteArrayInputStream(new byte[300]));
        ManifestHeader header = new ManifestHeader(label, label.type(), parent, label.time(),
                label.time().plusSeconds(60), "0/2000028", "0/2000138", 1, 15, 7300000000000000001L,
                16 * 1024 * 1024, 131072, "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n", null,
                true, Map.of());
        try (ManifestWriter w = ManifestWriter.open(objects, header)) {
            w.add(ManifestEntry.file("base/1/1259", 8192, 1_700_000_000_000L, 0600, "a".repeat(64),
                    List.of(new Slice(0, 8192, "b".repeat(64),
                            new ChunkRef(label, RepositoryLayout.bundle(label, 1), 0, 8392, 0))),
                    invalidPages));
            w.commit();
        }
        assertThat(label.type() == BackupType.FULL).isEqualTo(parent.isEmpty());
    }
}
