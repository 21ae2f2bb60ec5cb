package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pgwarden.pg.WalSegmentName.Kind;

class WalSegmentNameTest {
    private static final int MIB16 = 16 << 20;
    private static final int GIB = 1 << 30;

    @Test
    void parsesPlainSegment() {
        WalSegmentName n = WalSegmentName.parse("000000010000000000000003");
        assertThat(n.kind()).isEqualTo(Kind.SEGMENT);
        assertThat(n.timeline()).isEqualTo(TimelineId.of(1));
        assertThat(n.log()).isZero();
        assertThat(n.seg()).isEqualTo(3);
        assertThat(n.segmentNumber(MIB16)).isEqualTo(3);
        assertThat(n.startLsn(MIB16)).hasToString("0/3000000");
        assertThat(n).hasToString("000000010000000000000003");
    }

    @Test
    void nameOfPositionMatchesPgWalfileName() {
        assertThat(WalSegmentName.of(TimelineId.of(1), Lsn.parse("16/B374D848"), MIB16))
                .hasToString("0000000100000016000000B3");
        assertThat(WalSegmentName.of(TimelineId.of(10), Lsn.parse("0/2000028"), MIB16))
                .hasToString("0000000A0000000000000002");
        // 64 MiB segments: 64 per log
        assertThat(WalSegmentName.of(TimelineId.of(1), Lsn.parse("1/C000000"), 64 << 20))
                .hasToString("000000010000000100000003");
        // a position on a boundary belongs to the segment it starts
        assertThat(WalSegmentName.of(TimelineId.of(1), Lsn.parse("0/3000000"), MIB16))
                .hasToString("000000010000000000000003");
    }

    @Test
    void nextCrossesLogBoundaryPerSegmentSize() {
        assertThat(WalSegmentName.parse("0000000100000000000000FE").next(MIB16)).hasToString("0000000100000000000000FF");
        assertThat(WalSegmentName.parse("0000000100000000000000FF").next(MIB16)).hasToString("000000010000000100000000");
        assertThat(WalSegmentName.parse("000000020000000700000003").next(GIB)).hasToString("000000020000000800000000");
        assertThatThrownBy(() -> WalSegmentName.parse("000000010000000000000004").next(GIB))
                .hasMessageContaining("cannot name a segment of");
    }

    @Test
    void recognisesOtherKinds() {
        WalSegmentName partial = WalSegmentName.parse("0000000100000000000000A1.partial");
        assertThat(partial.kind()).isEqualTo(Kind.PARTIAL);
        assertThat(partial.segment()).hasToString("0000000100000000000000A1");
        assertThat(partial).hasToString("0000000100000000000000A1.partial");

        WalSegmentName backup = WalSegmentName.parse("000000010000000000000002.00000028.backup");
        assertThat(backup.kind()).isEqualTo(Kind.BACKUP);
        assertThat(backup.backupOffset()).isEqualTo(0x28);
        assertThat(backup.segment().segmentNumber(MIB16)).isEqualTo(2);
        assertThat(backup).hasToString("000000010000000000000002.00000028.backup");

        WalSegmentName history = WalSegmentName.parse("0000000A.history");
        assertThat(history.kind()).isEqualTo(Kind.HISTORY);
        assertThat(history.timeline()).isEqualTo(TimelineId.of(10));
        assertThat(history).hasToString("0000000A.history");
        assertThat(history).isEqualTo(WalSegmentName.history(TimelineId.of(10)));
        assertThatThrownBy(history::segment).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesWhatPostgresWouldNotWrite() {
        for (String bad : new String[] {"", "00000001000000000000003", "0000000100000000000000031",
                "000000010000000000000003.partia", "00000001000000000000000a", "000000000000000000000003",
                "000000010000000000000003.0028.backup", "00000001.History", "1.history", "archive_status",
                "000000010000000000000003.tmp", null}) {
            assertThat(WalSegmentName.isWalFileName(bad)).as(String.valueOf(bad)).isFalse();
            assertThatThrownBy(() -> WalSegmentName.parse(bad)).as(String.valueOf(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void sortsByTimelineThenPositionWithHistoryFirst() {
        List<WalSegmentName> names = new ArrayList<>();
        for (String s : new String[] {"000000020000000000000001", "00000002.history", "0000000100000000000000FF",
                "000000010000000100000000", "000000010000000000000002.00000028.backup", "000000010000000000000002"}) {
            names.add(WalSegmentName.parse(s));
        }
        Collections.sort(names);
        assertThat(names).extracting(WalSegmentName::toString).containsExactly(
                "000000010000000000000002", "000000010000000000000002.00000028.backup", "0000000100000000000000FF",
                "000000010000000100000000", "00000002.history", "000000020000000000000001");
    }

    @Test
    void timelineIdPrintsEightHexDigits() {
        assertThat(TimelineId.of(1).toHex()).isEqualTo("00000001");
        assertThat(TimelineId.of(26).toHex()).isEqualTo("0000001A");
        assertThat(TimelineId.parseHex("0000001a")).isEqualTo(TimelineId.of(26));
        assertThat(TimelineId.of(3)).hasToString("3");
        assertThat(TimelineId.of(3).next()).isEqualTo(TimelineId.of(4));
        assertThatThrownBy(() -> TimelineId.of(0)).hasMessageContaining("1 or more");
        assertThatThrownBy(() -> TimelineId.parseHex("1")).hasMessageContaining("8 hexadecimal digits");
        assertThatThrownBy(() -> TimelineId.parseHex("80000000")).hasMessageContaining("beyond");
    }
}
