package org.pgwarden.walclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientSettingsTest {
    private static Optional<ClientSettings> parse(String yaml) {
        return ClientSettings.parse(yaml.lines().toList());
    }

    @Test
    void readsSocketAndTimeoutUnderWal() {
        Optional<ClientSettings> s = parse("""
                stanza: main   # comment
                postgres:
                  data-directory: /var/lib/postgresql/15/main
                wal:
                  # where the daemon listens
                  socket: /run/pgwarden/other.sock  # trailing comment
                  push-ahead: 4
                  client-timeout: 5s
                admin:
                  socket: /not/this/one
                """);
        assertThat(s).contains(new ClientSettings(Path.of("/run/pgwarden/other.sock"), Duration.ofSeconds(5)));
    }

    @Test
    void defaultsWhenThereIsNoWalSection() {
        assertThat(parse("stanza: main\nrepository:\n  type: filesystem\n"))
                .contains(new ClientSettings(ClientSettings.DEFAULT_SOCKET, ClientSettings.DEFAULT_TIMEOUT));
    }

    @Test
    void acceptsSimpleQuotes() {
        assertThat(parse("wal:\n  socket: '/tmp/a b.sock'\n  client-timeout: \"500ms\"\n"))
                .contains(new ClientSettings(Path.of("/tmp/a b.sock"), Duration.ofMillis(500)));
    }

    @Test
    void theShippedExampleIsReadTheSameWayAsByTheFullLoader() {
        assertThat(ClientSettings.read(Path.of("config/pgwarden.example.yaml")))
                .contains(new ClientSettings(Path.of("/run/pgwarden/wal.sock"), Duration.ofSeconds(60)));
    }

    /** Whatever the small reader could misread goes to the full loader instead. */
    @ParameterizedTest
    @ValueSource(strings = {
        "wal: {socket: /x.sock}",
        "wal:\n  socket: &a /x.sock",
        "wal:\n  socket: *a",
        "wal:\n  socket: \"/x\\u0041.sock\"",
        "wal:\n  socket: |\n    /x.sock",
        "wal:\n  socket: relative.sock",
        "wal:\n\tsocket: /x.sock",
        "wal:\n  socket: /a.sock\nwal:\n  socket: /b.sock",
        "wal:\n  client-timeout: 1h30m",
        "wal:\n  client-timeout: PT5S",
        "wal:\n  socket:\n    nested: /x.sock",
        "%YAML 1.2\nwal:\n  socket: /x.sock",
        "wal:\n  socket: !!str /x.sock"})
    void isUnsureOfAnythingBeyondPlainBlockStyle(String yaml) {
        assertThat(parse(yaml)).isEmpty();
    }

    @Test
    void anUnreadableFileIsUnsureToo() {
        assertThat(ClientSettings.read(Path.of("/nonexistent/pgwarden.yaml"))).isEmpty();
    }
}
