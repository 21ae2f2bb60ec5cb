package org.pgwarden.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.pgwarden.testing.CliRun;
import org.pgwarden.testing.DaemonSetup;
import org.pgwarden.testing.PostgresFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandIT {
    private static PostgresFixture pg;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() {
        pg = PostgresFixture.start(Map.of("archive_mode", "on", "archive_command", "/bin/true"));
    }

    @AfterAll
    static void stopCluster() {
        pg.close();
    }

    @Test
    void everythingReachableExits0() throws Exception {
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), "");
        CliRun r = CliRun.run("--config", config.toString(), "check");
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("✔ configuration").contains("✔ connect to PostgreSQL: PostgreSQL 15")
                .contains("✔ data directory").contains("✔ wal_level: replica").contains("✔ archive_mode: on")
                .contains("✔ write to the repository").contains("✔ wrap and unwrap a data key: master key 'local:")
                .contains("! archive a WAL segment: not tested: stanza 'test' does not exist yet")
                .contains("all checks passed");
        try (var files = Files.walk(dir.resolve("repository"))) {
            assertThat(files.filter(Files::isRegularFile)).as("the probe object is removed").isEmpty();
        }
    }

    @Test
    void aSegmentThatNeverReachesTheRepositoryFailsWithAnArchiveCommandHint() throws Exception {
        // This cluster's archive_command is /bin/true: PostgreSQL believes every segment is archived.
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), "backup:\n  archive-timeout: 2s\n");
        CliRun created = CliRun.run("--config", config.toString(), "stanza-create");
        assertThat(created.exitCode()).as(created.all()).isZero();
        CliRun r = CliRun.run("--config", config.toString(), "check");
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).containsPattern("✘ archive a WAL segment: WAL segment '[0-9A-F]{24}' did not reach the"
                + " repository within 2s; pg_stat_archiver reports no failure")
                .contains("HINT: check archive_command ('/bin/true')")
                .contains("1 check(s) failed");
    }

    @Test
    void unreachablePostgresExits3NamingHostPortAndSqlstate() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), closedPort, "");
        CliRun r = CliRun.run("--config", config.toString(), "check");
        assertThat(r.exitCode()).as(r.all()).isEqualTo(3);
        assertThat(r.out()).contains("✘ connect to PostgreSQL").contains("127.0.0.1:" + closedPort)
                .contains("SQLSTATE 08001").contains("after 2 attempts")
                .contains("✔ write to the repository").contains("1 check(s) failed");
    }

    @Test
    void wrongDataDirectoryFailsWithAHint() throws Exception {
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), "");
        Files.writeString(config, Files.readString(config).replace("data-directory: " + pg.cluster().dataDirectory(),
                "data-directory: /srv/elsewhere"));
        CliRun r = CliRun.run("--config", config.toString(), "check");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.out()).contains("✘ data directory: postgres.data-directory is '/srv/elsewhere' but the server's"
                + " data_directory is '" + pg.cluster().dataDirectory() + "'")
                .contains("HINT: set postgres.data-directory to '" + pg.cluster().dataDirectory() + "'");
    }

    @Test
    void unreadableKeyIsAConfigurationError() throws Exception {
        Path config = DaemonSetup.createConfig(dir, pg.cluster(), "");
        Files.setPosixFilePermissions(dir.resolve("repository.key"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        CliRun r = CliRun.run("--config", config.toString(), "check");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(dir.resolve("repository.key").toString());
    }
}
