package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.pgwarden.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line side of the admin API when no daemon answers or the API is off. */
class TriggerCommandTest {
    @TempDir
    Path dir;

    private Path givenConfig(String admin) throws Exception {
        Path config = dir.resolve("pgwarden.yaml");
        Files.writeString(config, org.pgwarden.config.ConfigTexts.MINIMAL + admin);
        return config;
    }

    @Test
    void withNoDaemonRunningTheErrorSaysHowToRunTheJobDirectly() throws Exception {
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = givenConfig("admin:\n  listen: 127.0.0.1:" + port + "\n  token-file: " + token + "\n");
        CliRun r = CliRun.run("--config", config.toString(), "trigger", "backup", "--type", "full", "--wait");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("[PGW072] no pgwarden daemon answers on http://127.0.0.1:" + port)
                .contains("HINT: start the daemon (systemctl start pgwarden); or run the job here without it:"
                        + " 'pgwarden backup --type full'")
                .doesNotContain("0123456789abcdef");
        CliRun jobs = CliRun.run("--config", config.toString(), "jobs");
        assertThat(jobs.exitCode()).isEqualTo(3);
    }

    @Test
    void aBackupNotHandedToTheDaemonForWantOfItsTokenSaysWhy() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path config = dir.resolve("unreadable-token.yaml");
        Files.writeString(config, """
                stanza: main
                postgres:
                  data-directory: %s
                  connection:
                    host: 127.0.0.1
                    port: %d
                  retry:
                    max-attempts: 1
                repository:
                  type: filesystem
                  filesystem:
                    path: %s
                encryption:
                  provider: local
                  local:
                    key-file: %s
                admin:
                  listen: 127.0.0.1:9
                  token-file: %s
                daemon:
                  stop-file: %s
                """.formatted(dir.resolve("data"), closed, dir.resolve("repo"), dir.resolve("key"),
                dir.resolve("missing.token"), dir.resolve("stop")));

        CliRun r = CliRun.run("--config", config.toString(), "backup", "--type", "full");

        // the backup went on in this process (and failed there, with no cluster); the reason is said first
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.err()).contains("not handing the backup to the daemon: [PGW071] admin token file '"
                + dir.resolve("missing.token") + "' does not exist").contains("backing up in this process");
    }

    @Test
    void withoutATokenFileThereIsNoApiToTalkTo() throws Exception {
        Path config = givenConfig("");
        CliRun r = CliRun.run("--config", config.toString(), "trigger", "verify");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("admin.token-file is not set").contains("or run the job here without it: 'pgwarden verify'");
    }

    @Test
    void aDrillTriggeredWithoutTheApiSaysHowToRunItDirectly() throws Exception {
        Path config = givenConfig("");
        CliRun r = CliRun.run("--config", config.toString(), "trigger", "drill", "--set", "latest");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("admin.token-file is not set")
                .contains("or run the job here without it: 'pgwarden drill --set latest'");
    }

    @Test
    void aMaintenanceWindowTriggeredWithoutTheApiSaysHowToRunItDirectly() throws Exception {
        Path config = givenConfig("");
        CliRun r = CliRun.run("--config", config.toString(), "trigger", "maintenance", "--window", "nightly");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("admin.token-file is not set")
                .contains("or run the job here without it: 'pgwarden maintain --window nightly'");
        CliRun missing = CliRun.run("--config", config.toString(), "trigger", "maintenance");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--window=NAME'");
    }

    @Test
    void aBadTimeoutIsAUsageError() throws Exception {
        Path config = givenConfig("");
        CliRun r = CliRun.run("--config", config.toString(), "trigger", "backup", "--wait", "--timeout", "10");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--timeout:");
    }
}
