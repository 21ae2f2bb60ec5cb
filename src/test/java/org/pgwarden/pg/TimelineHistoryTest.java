package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TimelineHistoryTest {
    private static final String THREE = """
            1\t0/3000000\tno recovery target specified

            # a comment
            2\t0/5A000D8\tbefore 2026-11-24 08:15:00+00
            """;

    @Test
    void parsesAncestorsOldestFirstSkippingBlankLinesAndComments() {
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), THREE);
        assertThat(h.ancestors()).containsExactly(
                new TimelineHistory.Entry(TimelineId.of(1), Lsn.parse("0/3000000")),
                new TimelineHistory.Entry(TimelineId.of(2), Lsn.parse("0/5A000D8")));
    }

    @Test
    void pathFollowsSwitchPointsFromTheBackupsTimeline() {
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), THREE);
        assertThat(h.pathFrom(TimelineId.of(1), Lsn.parse("0/2000028"))).containsExactly(
                new TimelineHistory.Stretch(TimelineId.of(1), Lsn.parse("0/2000028"), Optional.of(Lsn.parse("0/3000000"))),
                new TimelineHistory.Stretch(TimelineId.of(2), Lsn.parse("0/3000000"), Optional.of(Lsn.parse("0/5A000D8"))),
                new TimelineHistory.Stretch(TimelineId.of(3), Lsn.parse("0/5A000D8"), Optional.empty()));
        assertThat(h.pathFrom(TimelineId.of(2), Lsn.parse("0/4000028"))).extracting(TimelineHistory.Stretch::timeline)
                .containsExactly(TimelineId.of(2), TimelineId.of(3));
        assertThat(h.pathFrom(TimelineId.of(3), Lsn.parse("0/6000028"))).containsExactly(
                new TimelineHistory.Stretch(TimelineId.of(3), Lsn.parse("0/6000028"), Optional.empty()));
    }

    @Test
    void aTimelineThatBranchedBeforeTheBackupOrElsewhereIsNoPath() {
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), THREE);
        // timeline 1 went on after 0/3000000 on its own; a backup taken there is not on this history
        assertThat(h.pathFrom(TimelineId.of(1), Lsn.parse("0/4000028"))).isEmpty();
        assertThat(h.pathFrom(TimelineId.of(4), Lsn.parse("0/4000028"))).isEmpty();
        assertThat(TimelineHistory.root(TimelineId.of(1)).pathFrom(TimelineId.of(1), Lsn.parse("0/1")))
                .hasSize(1);
    }

    @Test
    void malformedLinesAreNamed() {
        assertThatThrownBy(() -> TimelineHistory.parse(TimelineId.of(2), "1\tnot-an-lsn\tx\n"))
                .hasMessageContaining("line 1 of the history of timeline 2");
        assertThatThrownBy(() -> TimelineHistory.parse(TimelineId.of(2), "2\t0/3000000\tx\n"))
                .hasMessageContaining("is not older than 2");
        assertThatThrownBy(() -> TimelineHistory.parse(TimelineId.of(4), "2\t0/3000000\tx\n1\t0/4000000\tx\n"))
                .hasMessageContaining("must increase");
        assertThat(TimelineHistory.parse(TimelineId.of(2), "").ancestors()).isEqualTo(List.of());
    }
}
