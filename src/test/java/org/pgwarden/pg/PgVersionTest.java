package org.pgwarden.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgVersionTest {

    @Test
    void splitsServerVersionNumIntoMajorAndMinor() {
        PgVersion v = PgVersion.fromVersionNum(150010);
        assertThat(v.major()).isEqualTo(15);
        assertThat(v.minor()).isEqualTo(10);
        assertThat(v).hasToString("15.10");
    }

    @Test
    void printsSingleDigitMinorWithoutPadding() {
        assertThat(PgVersion.fromVersionNum(170002)).hasToString("17.2");
        assertThat(PgVersion.fromVersionNum(100000)).hasToString("10.0");
    }

    @Test
    void parsesTheSettingTextAndRoundTrips() {
        PgVersion v = PgVersion.parseVersionNum(" 160004 ");
        assertThat(v).isEqualTo(new PgVersion(16, 4));
        assertThat(v.versionNum()).isEqualTo(160004);
    }

    @Test
    void ordersByMajorThenMinor() {
        assertThat(PgVersion.fromVersionNum(150010)).isGreaterThan(PgVersion.fromVersionNum(150009))
                .isLessThan(PgVersion.fromVersionNum(160000));
        assertThat(PgVersion.fromVersionNum(150010).isAtLeast(15)).isTrue();
        assertThat(PgVersion.fromVersionNum(150010).isAtLeast(16)).isFalse();
    }

    @Test
    void refusesReleasesBeforeTen() {
        assertThatThrownBy(() -> PgVersion.fromVersionNum(90624))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("90624")
                .hasMessageContaining("older than PostgreSQL 10");
    }

    @Test
    void refusesTextThatIsNotAVersionNumber() {
        assertThatThrownBy(() -> PgVersion.parseVersionNum("15.10"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'15.10'");
        assertThatThrownBy(() -> PgVersion.parseVersionNum(null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
