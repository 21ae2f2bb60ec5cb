package org.pgwarden.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void lineShowsShareRateAndEta() {
        String line = Progress.line("backup X", 200L << 20, 50L << 20, Duration.ofSeconds(5));
        assertThat(line).isEqualTo("backup X progress 50.0 MiB of 200.0 MiB (25%), 10.0 MiB/s, ETA 15s");
    }

    @Test
    void barFillsInProportion() {
        String bar = Progress.bar(100, 50, Duration.ofSeconds(1));
        assertThat(bar).startsWith("[" + "#".repeat(15) + ".".repeat(15) + "]").contains(" 50%").contains("ETA 1s");
        assertThat(Progress.bar(0, 0, Duration.ZERO)).contains("100%");
    }
}
