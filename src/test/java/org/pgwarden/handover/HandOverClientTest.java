package org.pgwarden.handover;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandOverClientTest {
    @TempDir
    Path dir;

    @Test
    void backupAndRestoreCommandLinesAreSentAsTyped() {
        assertThat(HandOverClient.Invocation.parse(new String[]{"--config", "/etc/p.yaml", "restore", "--pgdata",
            "data", "--target-time", "2026-11-24T08:00:00Z"})).contains(new HandOverClient.Invocation(
                Optional.of("/etc/p.yaml"), "restore", List.of("--pgdata", "data", "--target-time",
                        "2026-11-24T08:00:00Z")));
        assertThat(HandOverClient.Invocation.parse(new String[]{"--config=p.yaml", "backup"})).contains(
                new HandOverClient.Invocation(Optional.of("p.yaml"), "backup", List.of()));
        assertThat(HandOverClient.Invocation.parse(new String[]{"backup", "--type=full"})).contains(
                new HandOverClient.Invocation(Optional.empty(), "backup", List.of("--type=full")));
    }

    @Test
    void everythingThatKeepsTheRunHereOrIsNotABackupOrRestoreGoesToTheFullCommandLine() {
        for (String[] args : new String[][]{{}, {"info"}, {"--config", "p.yaml"}, {"--help", "restore"},
            {"restore", "--in-process", "--pgdata", "/d"}, {"restore", "--pgdata", "/d", "--dry-run"},
            {"restore", "--pgdata", "/d", "--delta", "--safety-backup=/s"}, {"restore", "--pgdata", "/d", "--delta",
                "--safety-backup"}, {"backup", "--in-process=true"}, {"restore", "-h"}, {"backup", "--help"},
            {"backup", "--version"}, {"restore", "@args.txt"}, {"restore", "--config", "q.yaml"},
            {"wal-push", "pg_wal/000000010000000000000001"}}) {
            assertThat(HandOverClient.Invocation.parse(args)).as(String.join(" ", args)).isEmpty();
        }
    }

    @Test
    void theAdminApiIsFoundFromPlainSettingsOnly() {
        assertThat(HandOverClient.Daemon.of(List.of("stanza: main", "admin:", "  token-file: /etc/pgwarden/token")))
                .contains(new HandOverClient.Daemon("http://127.0.0.1:9816", Path.of("/etc/pgwarden/token")));
        assertThat(HandOverClient.Daemon.of(List.of("admin:", "  listen: 0.0.0.0:9900  # all addresses",
                "  allow-remote: true", "  token-file: '/t'"))).contains(new HandOverClient.Daemon(
                        "http://127.0.0.1:9900", Path.of("/t")));
        assertThat(HandOverClient.Daemon.of(List.of("admin:", "  listen: \"[::1]:9816\"", "  token-file: /t")))
                .map(HandOverClient.Daemon::base).contains("http://[::1]:9816");
        for (List<String> unsure : List.of(List.of("stanza: main"), List.of("admin:", "  listen: 127.0.0.1:9816"),
                List.of("admin:", "  token-file: token"), List.of("admin: {token-file: /t}"),
                List.of("admin:", "  token-file: /t", "  listen: 127.0.0.1:0"),
                List.of("admin:", "  token-file: /t", "  listen: 127.0.0.1"),
                List.of("admin:", "  token-file: /t", "  listen: db.example.com:9816"),
                List.of("admin:", "  token-file: *token"), List.of("admin:", "\ttoken-file: /t"))) {
            assertThat(HandOverClient.Daemon.of(unsure)).as(String.join("\\n", unsure)).isEmpty();
        }
    }

    @Test
    void withoutADaemonToAskNothingIsSentAndTheFullCommandLineDecides() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "0123456789abcdef0123\n");
        Path config = Files.writeString(dir.resolve("p.yaml"), """
                admin:
                  listen: 127.0.0.1:1
                  token-file: %s
                """.formatted(token));
        String[] restore = {"--config", "p.yaml", "restore", "--pgdata", "data"};
        assertThat(HandOverClient.handOver(restore, null, dir)).as("nothing listens on port 1").isEmpty();
        assertThat(HandOverClient.handOver(new String[]{"restore", "--pgdata", "data"}, config.toString(), dir))
                .isEmpty();
        assertThat(HandOverClient.handOver(new String[]{"restore", "--pgdata", "data"}, null, dir))
                .as("no configuration").isEmpty();
        Files.writeString(token, "short\n");
        assertThat(HandOverClient.handOver(restore, null, dir)).as("a token the API would refuse").isEmpty();
        Files.delete(token);
        assertThat(HandOverClient.handOver(restore, null, dir)).as("no token file").isEmpty();
    }

    @Test
    void argumentsAreSentAsJsonStrings() {
        assertThat(HandOverClient.json(List.of("--pgdata", "/a \"b\"\\c", "x\ny\u0001")))
                .isEqualTo("[\"--pgdata\",\"/a \\\"b\\\"\\\\c\",\"x\\u000ay\\u0001\"]");
        assertThat(HandOverClient.json(List.of())).isEqualTo("[]");
    }
}
