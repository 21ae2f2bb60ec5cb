package org.pgwarden.restore;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgwarden.codec.Codec;
import org.pgwarden.crypto.DataKeyCache;
import org.pgwarden.crypto.LocalKeyFileWrapper;
import org.pgwarden.job.JobContext;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ChunkRef;
import org.pgwarden.repo.Keyring;
import org.pgwarden.repo.ManifestEntry;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.repo.ManifestWriter;
import org.pgwarden.repo.RepositoryLayout;
import org.pgwarden.repo.SealedObjects;
import org.pgwarden.repo.Slice;
import org.pgwarden.testing.InMemoryObjectStore;
import org.pgwarden.testing.RecordingMetrics;

/** Verify publishes how many backups its run found problems in: the signal the verify alert keys on. */
class VerifyMetricsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void countsTheBackupsWithProblemsAndZeroWhenAllAreGood() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        RecordingMetrics metrics = new RecordingMetrics();
        LocalKeyFileWrapper.generateKeyFile(dir.resolve("master.key"));
        try (LocalKeyFileWrapper key = LocalKeyFileWrapper.open(dir.resolve("master.key"))) {
            Keyring keyring = new Keyring(store, "main", key, new DataKeyCache(Duration.ofMinutes(15), 100, CLOCK),
                    CLOCK);
            SealedObjects objects = new SealedObjects(store, "main", keyring, Codec.zstd(1));
            Verify verify = new Verify(store, objects, 16 * 1024 * 1024, CLOCK, metrics);
            JobContext context = JobContext.standalone("test", "verify", CLOCK);

            assertThat(verify.run(Optional.empty(), true, context)).isEmpty();
            assertThat(metrics.gauge(MeterNames.VERIFY_FAILED_BACKUPS)).isEqualTo(0.0);

            // Its bundle is not a sealed object and its WAL was never archived: not restorable.
            BackupLabel label = BackupLabel.parse("20261124-020000F");
            store.put(RepositoryLayout.bundle(label, 1), new ByteArrayInputStream(new byte[300]));
            try (ManifestWriter w = ManifestWriter.open(objects, new ManifestHeader(label, label.type(),
                    Optional.empty(), label.time(), label.time().plusSeconds(60), "0/2000028", "0/2000138", 1, 15,
                    7300000000000000001L, 16 * 1024 * 1024, 131072, "START WAL LOCATION: 0/2000028\n", null, true,
                    Map.of()))) {
                w.add(ManifestEntry.file("base/1/1259", 8192, 1_700_000_000_000L, 0600, "a".repeat(64),
                        List.of(new Slice(0, 8192, "b".repeat(64),
                                new ChunkRef(label, RepositoryLayout.bundle(label, 1), 0, 8392, 0))), List.of()));
                w.commit();
            }
            List<Verify.Outcome> outcomes = verify.run(Optional.empty(), true, context);
            assertThat(outcomes).singleElement().satisfies(o -> assertThat(o.ok()).isFalse());
            assertThat(metrics.gauge(MeterNames.VERIFY_FAILED_BACKUPS)).isEqualTo(1.0);
        }
    }
}
