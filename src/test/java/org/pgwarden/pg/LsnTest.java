package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class LsnTest {
    private static final int MIB16 = 16 << 20;

    @Test
    void parsesAndPrintsPostgresForm() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.value()).isEqualTo(0x16B374D848L);
        assertThat(lsn).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.INVALID);
        assertThat(Lsn.INVALID.isValid()).isFalse();
        assertThat(Lsn.parse("0/1000028")).hasToString("0/1000028");
        assertThat(Lsn.parse("a/ff")).hasToString("A/FF");
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF").value()).isEqualTo(-1L);
    }

    @Test
    void refusesMalformedText() {
        for (String bad : new String[] {"", "16", "16/", "/1", "16/B374D8489", "123456789/0", "x/1", " 0/1", null}) {
            assertThatThrownBy(() -> Lsn.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected a WAL position");
        }
    }

    @Test
    void comparesUnsigned() {
        List<Lsn> list = new ArrayList<>(List.of(Lsn.parse("FFFFFFFF/0"), Lsn.parse("0/1"), Lsn.parse("80000000/0"),
                Lsn.parse("1/0"), Lsn.parse("0/FFFFFFFF")));
        Collections.sort(list);
        assertThat(list).extracting(Lsn::toString)
                .containsExactly("0/1", "0/FFFFFFFF", "1/0", "80000000/0", "FFFFFFFF/0");
        assertThat(Lsn.parse("1/0").isAfter(Lsn.parse("0/FFFFFFFF"))).isTrue();
        assertThat(Lsn.parse("0/5").isBefore(Lsn.parse("0/6"))).isTrue();
    }

    @Test
    void segmentNumberAndOffset() {
        // pg_walfile_name('16/B374D848') is 0000000100000016000000B3 with 16 MiB segments
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.segmentNumber(MIB16)).isEqualTo(0x16B3);
        assertThat(lsn.segmentOffset(MIB16)).isEqualTo(0x74D848);
        assertThat(Lsn.parse("0/1000000").segmentNumber(MIB16)).isEqualTo(1);
        assertThat(Lsn.parse("0/FFFFFF").segmentNumber(MIB16)).isZero();
        assertThat(Lsn.parse("1/0").segmentNumber(1 << 30)).isEqualTo(4);
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF").segmentNumber(MIB16)).isEqualTo(0xFFFFFFFFFFL);
        assertThatThrownBy(() -> lsn.segmentNumber(3 << 20)).hasMessageContaining("power of two");
    }
}
