package org.pgwarden.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;

class BackupLabelTest {
    static final Instant T0 = Instant.parse("2026-11-24T02:00:00.750Z");

    @Test
    void fullLabelIsItsSecondAndF() {
        BackupLabel full = BackupLabel.newFull(T0);
        assertThat(full).hasToString("20261124-020000F");
        assertThat(full.type()).isEqualTo(BackupType.FULL);
        assertThat(full.time()).isEqualTo(Instant.parse("2026-11-24T02:00:00Z"));
        assertThat(full.fullLabel()).isSameAs(full);
        assertThat(BackupLabel.parse("20261124-020000F")).isEqualTo(full).hasSameHashCodeAs(full);
    }

    @Test
    void incrementalNamesItsFullThenItself() {
        BackupLabel full = BackupLabel.newFull(T0);
        BackupLabel diff = BackupLabel.newIncremental(full, Instant.parse("2026-11-24T05:00:00Z"), BackupType.DIFF);
        BackupLabel incr = BackupLabel.newIncremental(diff, Instant.parse("2026-11-24T08:00:00Z"), BackupType.INCR);
        assertThat(diff).hasToString("20261124-020000F_20261124-050000D");
        assertThat(incr).hasToString("20261124-020000F_20261124-080000I");
        assertThat(incr.fullLabel()).isEqualTo(full);
        assertThat(incr.time()).isEqualTo(Instant.parse("2026-11-24T08:00:00Z"));
        assertThat(BackupLabel.parse(incr.toString())).isEqualTo(incr);
        assertThat(BackupLabel.parse(incr.toString()).type()).isEqualTo(BackupType.INCR);
    }

    @Test
    void naturalOrderIsChronologicalNotTextual() {
        BackupLabel full1 = BackupLabel.parse("20261124-020000F");
        BackupLabel incr1 = BackupLabel.parse("20261124-020000F_20261124-080000I");
        BackupLabel full2 = BackupLabel.parse("20261124-030000F");
        List<BackupLabel> labels = new ArrayList<>(List.of(incr1, full2, full1));
        Collections.sort(labels);
        assertThat(labels).containsExactly(full1, full2, incr1);
    }

    @Test
    void nextAfterMovesPastTheLatestWithinOneSecondOrBackwardsClock() {
        BackupLabel latest = BackupLabel.parse("20261124-020000F");
        assertThat(BackupLabel.nextAfter(latest, Instant.parse("2026-11-24T02:00:00.900Z")))
                .isEqualTo(Instant.parse("2026-11-24T02:00:01Z"));
        assertThat(BackupLabel.nextAfter(latest, Instant.parse("2026-11-24T01:00:00Z")))
                .isEqualTo(Instant.parse("2026-11-24T02:00:01Z"));
        assertThat(BackupLabel.nextAfter(latest, Instant.parse("2026-11-24T03:00:00.2Z")))
                .isEqualTo(Instant.parse("2026-11-24T03:00:00Z"));
        assertThat(BackupLabel.nextAfter(null, T0)).isEqualTo(Instant.parse("2026-11-24T02:00:00Z"));
        BackupLabel next = BackupLabel.newIncremental(latest, BackupLabel.nextAfter(latest, T0), BackupType.INCR);
        assertThat(next).hasToString("20261124-020000F_20261124-020001I");
    }

    @Test
    void incrementalMustBeLaterThanItsParentAndNotFull() {
        BackupLabel full = BackupLabel.newFull(T0);
        assertThatThrownBy(() -> BackupLabel.newIncremental(full, T0, BackupType.INCR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nextAfter");
        assertThatThrownBy(() -> BackupLabel.newIncremental(full, T0.plusSeconds(5), BackupType.FULL))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedLabelsAreRefusedWithTheLabelQuoted() {
        for (String bad : new String[] {"", "20261124-020000", "20261124-020000X", "20261124-020000I",
                "20261124-020000F_20261124-080000F", "20261124-020000F_20261124-010000I", "20261332-020000F",
                "20260230-020000F", "20261124-250000F", "20261124-020000F/../x", " 20261124-020000F"}) {
            assertThatThrownBy(() -> BackupLabel.parse(bad)).isInstanceOfSatisfying(PgwardenException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.BACKUP_LABEL_INVALID);
                assertThat(e.getMessage()).startsWith("invalid backup label '" + bad + "'");
                assertThat(e.hint()).isPresent();
            });
            assertThat(BackupLabel.isValid(bad)).isFalse();
        }
    }
}
