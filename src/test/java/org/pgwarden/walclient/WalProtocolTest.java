package org.pgwarden.walclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class WalProtocolTest {
    @Test
    void requestRoundTrips() {
        String line = WalProtocol.request("/var/lib/postgresql/15/main/pg_wal/000000010000000000000003");
        assertThat(line).isEqualTo("PUSH /var/lib/postgresql/15/main/pg_wal/000000010000000000000003");
        assertThat(WalProtocol.parseRequest(line)).contains("/var/lib/postgresql/15/main/pg_wal/000000010000000000000003");
    }

    @Test
    void pathsWithSpacesSurvive() {
        assertThat(WalProtocol.parseRequest(WalProtocol.request("/data dir/pg_wal/00000002.history")))
                .contains("/data dir/pg_wal/00000002.history");
    }

    @Test
    void refusesRelativeOrMultiLinePaths() {
        assertThatThrownBy(() -> WalProtocol.request("pg_wal/000000010000000000000003"))
                .hasMessageContaining("absolute");
        assertThatThrownBy(() -> WalProtocol.request("/a\n/b")).hasMessageContaining("one line");
        assertThat(WalProtocol.parseRequest("PUSH relative")).isEmpty();
        assertThat(WalProtocol.parseRequest("GET /x")).isEmpty();
        assertThat(WalProtocol.parseRequest("PUSH ")).isEmpty();
        assertThat(WalProtocol.parseRequest(null)).isEmpty();
    }

    @Test
    void answersRoundTrip() {
        assertThat(WalProtocol.parseAnswer(WalProtocol.ok("pushed-ahead")))
                .isEqualTo(new WalProtocol.Answer(0, "pushed-ahead"));
        WalProtocol.Answer err = WalProtocol.parseAnswer(WalProtocol.error(3, "[PGW030] repository down\nHINT: x"));
        assertThat(err.ok()).isFalse();
        assertThat(err.exitCode()).isEqualTo(3);
        assertThat(err.text()).isEqualTo("[PGW030] repository down HINT: x");
    }

    @Test
    void garbledOrMissingAnswersAreFailures() {
        assertThat(WalProtocol.parseAnswer(null).exitCode()).isEqualTo(1);
        assertThat(WalProtocol.parseAnswer("ERR x y").exitCode()).isEqualTo(1);
        assertThat(WalProtocol.parseAnswer("ERR 0 nope").exitCode()).isEqualTo(1);
        assertThat(WalProtocol.parseAnswer("HELLO").text()).contains("unexpected answer");
        assertThat(Optional.of(WalProtocol.parseAnswer("OK"))).map(WalProtocol.Answer::ok).contains(true);
    }

    @Test
    void clientRecognisesOnlyTheArchiveCommandShape() {
        assertThat(WalPushClient.Invocation.parse(new String[]{"--config", "/c.yaml", "wal-push", "pg_wal/X"}))
                .contains(new WalPushClient.Invocation(Optional.of("/c.yaml"), "pg_wal/X"));
        assertThat(WalPushClient.Invocation.parse(new String[]{"--config=/c.yaml", "wal-push", "X"})).isPresent();
        assertThat(WalPushClient.Invocation.parse(new String[]{"wal-push", "X"}))
                .contains(new WalPushClient.Invocation(Optional.empty(), "X"));
        assertThat(WalPushClient.Invocation.parse(new String[]{"wal-push", "--help"})).isEmpty();
        assertThat(WalPushClient.Invocation.parse(new String[]{"wal-push", "--direct", "X"})).isEmpty();
        assertThat(WalPushClient.Invocation.parse(new String[]{"info"})).isEmpty();
        assertThat(WalPushClient.direct(new String[]{"--config", "/c", "wal-push", "X"}))
                .containsExactly("--config", "/c", "wal-push", "--direct", "X");
    }
}
