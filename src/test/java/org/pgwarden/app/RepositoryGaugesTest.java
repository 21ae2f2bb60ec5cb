package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.ManifestFooter;
import org.pgwarden.repo.ManifestHeader;
import org.pgwarden.testing.RecordingMetrics;

class RepositoryGaugesTest {

    @Test
    void countsBackupsByTypeSumsStoredBytesAndNamesTheOldestRecoveryPoint() {
        BackupLabel full = BackupLabel.parse("20261120-020000F");
        BackupLabel incr = BackupLabel.parse("20261120-020000F_20261121-020000I");
        RecordingMetrics metrics = new RecordingMetrics();
        RepositoryGauges.publish(metrics, List.of(backup(full, Optional.empty(), 1000), backup(incr, Optional.of(full), 50)),
                7_000);

        assertThat(metrics.gauge(MeterNames.REPOSITORY_BACKUPS, "type", "full")).isEqualTo(1.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_BACKUPS, "type", "incr")).isEqualTo(1.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_BACKUPS, "type", "diff")).isEqualTo(0.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_SIZE, "what", "backups")).isEqualTo(1050.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_SIZE, "what", "wal")).isEqualTo(7000.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_OLDEST_RECOVERY_POINT))
                .isEqualTo(Instant.parse("2026-11-20T02:01:00Z").getEpochSecond());
    }

    @Test
    void anEmptyRepositoryHasZeroCountsAndNoRecoveryPoint() {
        RecordingMetrics metrics = new RecordingMetrics();
        RepositoryGauges.publish(metrics, List.of(), 0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_BACKUPS, "type", "full")).isEqualTo(0.0);
        assertThat(metrics.gauge(MeterNames.REPOSITORY_OLDEST_RECOVERY_POINT)).isNull();
    }

    private static BackupInfo backup(BackupLabel label, Optional<BackupLabel> parent, long stored) {
        ManifestHeader h = new ManifestHeader(label, label.type(), parent, label.time(), label.time().plusSeconds(60),
                "0/2000028", "0/2000138", 1, 15, 7300000000000000001L, 16 * 1024 * 1024, 131072,
                "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n", null, true, Map.of());
        return new BackupInfo(h, new ManifestFooter(1, 8192, stored, 0, 0), stored);
    }
}
