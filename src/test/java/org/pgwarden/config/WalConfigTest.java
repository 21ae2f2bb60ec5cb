package org.pgwarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WalConfigTest {
    private final ConfigLoader loader = new ConfigLoader(expr -> Optional.empty());

    private static final String MINIMAL = ConfigTexts.MINIMAL;

    @Test
    void defaultsSuitADaemonUnderSystemd() {
        WalConfig w = loader.parse(MINIMAL, "t").config().wal();
        assertThat(w).isEqualTo(WalConfig.defaults());
        assertThat(w.socket()).isEqualTo(Path.of("/run/pgwarden/wal.sock"));
        assertThat(w.pushAhead()).isEqualTo(2);
        assertThat(w.pushAheadLimit()).isEqualTo(16);
        assertThat(w.clientTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(w.pollInterval()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void bindsEveryKey() {
        WalConfig w = loader.parse(MINIMAL + """
                wal:
                  socket: /tmp/pgw/wal.sock
                  push-ahead: 4
                  push-ahead-limit: 32
                  client-timeout: 10s
                  poll-interval: 50ms
                """, "t").config().wal();
        assertThat(w).isEqualTo(new WalConfig(Path.of("/tmp/pgw/wal.sock"), 4, 32, Duration.ofSeconds(10),
                Duration.ofMillis(50)));
    }

    @Test
    void reportsEveryProblemTogether() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + """
                wal:
                  socket: relative.sock
                  push-ahead: 8
                  push-ahead-limit: 4
                  client-timeout: 0s
                  push-ahaed: 1
                """, "t"))
                .hasMessageContaining("wal.socket")
                .hasMessageContaining("wal.push-ahead-limit: must be at least push-ahead (8)")
                .hasMessageContaining("wal.client-timeout")
                .hasMessageContaining("wal.push-ahaed");
    }

    @Test
    void refusesASocketPathTooLongForTheKernel() {
        assertThatThrownBy(() -> loader.parse(MINIMAL + "wal:\n  socket: /" + "x".repeat(120) + "\n", "t"))
                .hasMessageContaining("wal.socket: must be at most 100 bytes");
    }
}
