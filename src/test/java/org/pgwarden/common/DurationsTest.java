package org.pgwarden.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void parsesSingleAndCompoundUnits() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    }

    @Test
    void refusesAmbiguousForms() {
        assertThatThrownBy(() -> Durations.parse("30")).hasMessageContaining("expected a duration");
        assertThatThrownBy(() -> Durations.parse("PT15M")).hasMessageContaining("expected a duration");
        assertThatThrownBy(() -> Durations.parse("15 minutes")).hasMessageContaining("expected a duration");
        assertThatThrownBy(() -> Durations.parse("30m1h")).hasMessageContaining("largest first");
        assertThatThrownBy(() -> Durations.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatRoundTrips() {
        for (String s : new String[]{"0s", "500ms", "15m", "7d", "1h30m", "1d2h3m4s5ms"}) {
            assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
        }
    }
}
