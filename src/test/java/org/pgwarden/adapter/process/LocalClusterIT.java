package org.pgwarden.adapter.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.testing.PostgresFixture;

class LocalClusterIT {
    private static PostgresFixture pg;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresFixture.start(Map.of("archive_mode", "on", "archive_command", "test ! -f '/nonexistent/%f'"));
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void findsTheDebianPostgresql15Binaries() {
        PgBinaries binaries = PgBinaries.locate(Optional.empty());
        assertThat(binaries.path(PgBinaries.Program.INITDB))
                .isEqualTo(Path.of("/usr/lib/postgresql/15/bin/initdb"));
        assertThat(binaries.has(PgBinaries.Program.PGBENCH)).isTrue();
    }

    @Test
    void appliesCallerSettingsAndDefaults() {
        assertThat(pg.queryString("SHOW archive_mode")).isEqualTo("on");
        assertThat(pg.queryString("SHOW archive_command")).isEqualTo("test ! -f '/nonexistent/%f'");
        assertThat(pg.queryString("SHOW wal_level")).isEqualTo("replica");
        assertThat(pg.queryString("SHOW fsync")).isEqualTo("off");
        assertThat(pg.queryString("SHOW unix_socket_directories")).isEqualTo(pg.cluster().socketDirectory().toString());
        assertThat(Files.exists(pg.cluster().socketDirectory().resolve(".s.PGSQL." + pg.cluster().port()))).isTrue();
    }

    @Test
    void loadsPgbenchData() {
        pg.loadPgbench(1);
        assertThat(pg.queryLong("SELECT count(*) FROM pgbench_accounts")).isEqualTo(100_000L);
        assertThat(pg.queryLong("SELECT count(*) FROM pgbench_branches")).isEqualTo(1L);
    }

    @Test
    void psqlRunsAsThePostgresUserAndFailsOnSqlErrors() {
        pg.cluster().psql("CREATE TABLE psql_made (id int); INSERT INTO psql_made VALUES (7)");
        assertThat(pg.queryLong("SELECT id FROM psql_made")).isEqualTo(7L);

        assertThatThrownBy(() -> pg.cluster().psql("SELECT * FROM no_such_table"))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_PROCESS_FAILED);
                    assertThat(e.getMessage()).contains("'psql' exited with code").contains("no_such_table");
                });
    }

    @Test
    void startQueryCloseLeavesNothingBehind() throws Exception {
        LocalCluster cluster = LocalCluster.start(LocalCluster.options().dataChecksums(true));
        Path base = cluster.baseDirectory();
        long pid = cluster.postmasterPid().orElseThrow();
        try {
            assertThat(cluster.isRunning()).isTrue();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('data_checksums'), current_user")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("on");
                assertThat(rs.getString(2)).isEqualTo("postgres");
            }
        } finally {
            cluster.close();
        }

        assertThat(base).doesNotExist();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        // closing twice is harmless
        cluster.close();
    }

    @Test
    void closeKillsAServerThatPgCtlCannotStop() throws Exception {
        // a pg_ctl that starts servers but refuses to stop them, as a broken installation might
        Path realPgCtl = PgBinaries.locate(Optional.empty()).path(PgBinaries.Program.PG_CTL);
        Path wrapperDir = Files.createTempDirectory("pgwarden-pgctl-");
        Path wrapper = wrapperDir.resolve("pg_ctl");
        Files.writeString(wrapper, "#!/bin/sh\n"
                + "for a in \"$@\"; do [ \"$a\" = stop ] && { echo 'refusing to stop' >&2; exit 1; }; done\n"
                + "exec '" + realPgCtl + "' \"$@\"\n");
        Files.setPosixFilePermissions(wrapperDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            PgBinaries binaries = PgBinaries.locate(Optional.of(wrapperDir));
            assertThat(binaries.path(PgBinaries.Program.PG_CTL)).isEqualTo(wrapper);
            LocalCluster cluster = LocalCluster.start(LocalCluster.options().binaries(binaries));
            Path base = cluster.baseDirectory();
            long pid = cluster.postmasterPid().orElseThrow();
            assertThat(cluster.isRunning()).isTrue();

            cluster.close();

            assertThat(base).doesNotExist();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        } finally {
            Files.delete(wrapper);
            Files.delete(wrapperDir);
        }
    }

    @Test
    void failingProgramReportsExitCodeAndOutput() {
        ProcessRunner runner = ProcessRunner.forCurrentUser();
        Path pgCtl = PgBinaries.locate(Optional.empty()).path(PgBinaries.Program.PG_CTL);

        assertThatThrownBy(() -> runner.run(List.of(pgCtl.toString(), "-D", "/nonexistent/pgdata", "status"),
                Path.of("/"), Duration.ofSeconds(30)))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_PROCESS_FAILED);
                    assertThat(e.getMessage()).startsWith("'pg_ctl' exited with code 4").contains("/nonexistent/pgdata");
                });
    }

    @Test
    void slowProgramIsKilledAtTheTimeout() {
        ProcessRunner runner = ProcessRunner.forCurrentUser();
        long started = System.nanoTime();
        assertThatThrownBy(() -> runner.run(List.of("sleep", "30"), Path.of("/"), Duration.ofMillis(300)))
                .isInstanceOfSatisfying(PgwardenException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_PROCESS_FAILED);
                    assertThat(e.getMessage()).contains("did not finish");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }
}
