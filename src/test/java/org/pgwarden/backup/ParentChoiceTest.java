package org.pgwarden.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgwarden.repo.BackupInfo;
import org.pgwarden.repo.BackupLabel;
import org.pgwarden.repo.BackupType;
import org.pgwarden.repo.ManifestFooter;
import org.pgwarden.repo.ManifestHeader;

class ParentChoiceTest {

    @Test
    void anIncrementalStartedInTheSecondOfItsParentIsNamedByTheNextSecond() {
        BackupInfo full = backup(BackupLabel.parse("20261124-084508F"), Optional.empty());
        BackupInfo incr = backup(BackupLabel.parse("20261124-084508F_20261124-084510I"), Optional.of(full.label()));
        Instant sameSecond = Instant.parse("2026-11-24T08:45:10.853Z");

        List<BackupLabel> taken = List.of(full.label(), incr.label());
        BackupLabel next = ParentChoice.label(BackupType.INCR, Optional.of(incr), sameSecond, taken);
        assertThat(next).hasToString("20261124-084508F_20261124-084511I");
        assertThat(ParentChoice.label(BackupType.FULL, Optional.empty(), sameSecond, taken))
                .hasToString("20261124-084511F");
        assertThat(ParentChoice.label(BackupType.INCR, Optional.of(incr), Instant.parse("2026-11-24T09:00:00Z"), taken))
                .hasToString("20261124-084508F_20261124-090000I");
    }

    @Test
    void aFullStartedInTheSecondOfAnInterruptedBackupDoesNotReuseItsLabel() {
        BackupLabel interrupted = BackupLabel.parse("20261124-100938F");
        assertThat(ParentChoice.label(BackupType.FULL, Optional.empty(), Instant.parse("2026-11-24T10:09:38.700Z"),
                List.of(interrupted))).hasToString("20261124-100939F");
    }

    private static BackupInfo backup(BackupLabel label, Optional<BackupLabel> parent) {
        ManifestHeader h = new ManifestHeader(label, label.type(), parent, label.time(), label.time(),
                "0/2000028", "0/2000138", 1, 15, 7300000000000000001L, 16 * 1024 * 1024, 131072,
                "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n", null, true, Map.of());
        return new BackupInfo(h, new ManifestFooter(1, 8192, 100, 0, 0), 100);
    }
}
