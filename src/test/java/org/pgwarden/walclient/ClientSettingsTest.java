package org.pgwarden.walclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClientSettingsTest {
    private static Optional<ClientSettings> parse(String yaml) {
        return ClientSettings.parse(yaml.lines().toList());
    }

    @Test
    void defaultsWhenThereIsNoWalSection() {
        assertThat(parse("stanza: main\nrepository:\n  type: filesystem\n"))
                .contains(new ClientSettings(ClientSettings.DEFAULT_SOCKET, ClientSettings.DEFAULT_TIMEOUT));
    }

    @Test
    void theShippedExampleIsReadTheSameWayAsByTheFullLoader() {
        assertThat(ClientSettings.read(Path.of("config/pgwarden.example.yaml")))
                .contains(new ClientSettings(Path.of("/run/pgwarden/wal.sock"), Duration.ofSeconds(60)));
    }

    /**
     * Configurations both small readers (this one and the native client's, run on the same list by
     * WalPushNativeIT) read: the YAML with {@code %1$s} standing for a directory, the socket it names
     * under that directory, and the timeout.
     */
    public static Stream<Arguments> sureYaml() {
        return Stream.of(
                Arguments.of("""
                        stanza: main   # comment
                        postgres:
                          data-directory: /var/lib/postgresql/15/main
                        wal:
                          # where the daemon listens
                          socket: %1$s/other.sock  # trailing comment
                          push-ahead: 4
                          client-timeout: 5s
                        admin:
                          socket: /not/this/one
                        """, "other.sock", Duration.ofSeconds(5)),
                Arguments.of("wal:\n  socket: '%1$s/a b.sock'\n  client-timeout: \"500ms\"\n", "a b.sock",
                        Duration.ofMillis(500)),
                Arguments.of("---\nwal:\n    client-timeout: 2m\n    socket: \"%1$s//w.sock/\"\n", "w.sock",
                        Duration.ofMinutes(2)),
                Arguments.of("# pgwarden\nstanza: x\n\nwal:\n  push-ahead-limit: 8\n\n  socket: %1$s/w.sock\n"
                        + "repository:\n  type: filesystem\n", "w.sock", ClientSettings.DEFAULT_TIMEOUT));
    }

    @ParameterizedTest
    @MethodSource("sureYaml")
    void readsWhatBothReadersAgreeOn(String yaml, String socket, Duration timeout) {
        assertThat(parse(yaml.formatted("/run/x")))
                .contains(new ClientSettings(Path.of("/run/x").resolve(socket), timeout));
    }

    /**
     * Configurations the small readers (this one and the native client's, which WalPushNativeIT
     * runs on the same list) must be unsure of: each could be misread, so the full loader reads it.
     */
    public static Stream<String> unsureYaml() {
        return Stream.of(
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
                "wal:\n  client-timeout: 0s",
                "wal:\n  socket:\n    nested: /x.sock",
                "%YAML 1.2\nwal:\n  socket: /x.sock",
                "wal:\n  socket: !!str /x.sock",
                "wal:\n  \"socket\": /x.sock",
                "wal:\n  'socket': /x.sock",
                "wal :\n  socket: /x.sock",
                "\"wal\":\n  socket: /x.sock",
                "wal:\n  socket:/x.sock",
                "wal:\n  socket: '/x'.sock'",
                "\uFEFFwal:\n  socket: /x.sock",
                "wal:\n  socket:\u3000/x.sock",
                "wal:\n  socket: /x\u0085.sock",
                "wal:\n  socket: /x.sock\n---\nwal:\n  socket: /y.sock");
    }

    @ParameterizedTest
    @MethodSource("unsureYaml")
    void isUnsureOfAnythingBeyondPlainBlockStyle(String yaml) {
        assertThat(parse(yaml)).isEmpty();
    }

    @Test
    void anUnreadableFileIsUnsureToo() {
        assertThat(ClientSettings.read(Path.of("/nonexistent/pgwarden.yaml"))).isEmpty();
    }
}
