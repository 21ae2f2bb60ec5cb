package org.pgwarden.adapter.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.PostgresConfig;
import org.pgwarden.metrics.MeterNames;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.testing.PostgresFixture;
import org.pgwarden.testing.RecordingMetrics;

class JdbcPgClusterIT {
    private static final RetryPolicy THREE_QUICK_ATTEMPTS =
            new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50), 2.0);

    private static PostgresFixture pg;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresFixture.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void readsServerInfoOverTcp() throws IOException {
        try (JdbcPgCluster cluster = new JdbcPgCluster(pg.postgresConfig(), Map.of(), Metrics.noop())) {
            assertMatchesFixture(cluster.serverInfo());
            assertThat(cluster.describeEndpoint()).isEqualTo("PostgreSQL at '127.0.0.1:" + pg.cluster().port()
                    + "' database 'postgres'");
            // over TCP the server sees a client address
            assertThat(cluster.<String>withConnection(c -> queryString(c, "SELECT inet_client_addr()::text")))
                    .startsWith("127.0.0.1");
        }
    }

    @Test
    void readsServerInfoOverTheUnixSocket() throws IOException {
        try (JdbcPgCluster cluster = new JdbcPgCluster(pg.socketPostgresConfig(), Map.of(), Metrics.noop())) {
            assertMatchesFixture(cluster.serverInfo());
            // a Unix socket connection has no client address: proof it did not fall back to TCP
            assertThat(cluster.<String>withConnection(c -> queryString(c, "SELECT coalesce(inet_client_addr()::text, 'local')")))
                    .isEqualTo("local");
            assertThat(cluster.describeEndpoint()).isEqualTo("PostgreSQL at socket '"
                    + pg.cluster().socketDirectory().resolve(".s.PGSQL." + pg.cluster().port()) + "' database 'postgres'");
        }
    }

    private static void assertMatchesFixture(PgServerInfo info) throws IOException {
        assertThat(info.version().major()).isEqualTo(15);
        assertThat(info.version().toString()).isEqualTo(pg.queryString(
                "SELECT split_part(current_setting('server_version'), ' ', 1)"));
        assertThat(info.dataDirectory().toRealPath()).isEqualTo(pg.cluster().dataDirectory().toRealPath());
        assertThat(info.walLevel()).isEqualTo("replica");
        assertThat(info.walLevelSupportsBackup()).isTrue();
        assertThat(info.archiveMode()).isEqualTo("off");
        assertThat(info.archivingEnabled()).isFalse();
        assertThat(info.dataChecksums()).isFalse();
        assertThat(info.inRecovery()).isFalse();
        assertThat(info.systemIdentifier()).isNotZero()
                .isEqualTo(pg.queryLong("SELECT system_identifier FROM pg_control_system()"));
        assertThat(info.timeZone()).isPresent();
    }

    @Test
    void dedicatedConnectionKeepsOneSessionAndCarriesTheSessionSettings() throws Exception {
        try (JdbcPgCluster cluster = new JdbcPgCluster(pg.postgresConfig(), Map.of(), Metrics.noop());
                Connection dedicated = cluster.openDedicatedConnection()) {
            long pid = Long.parseLong(queryString(dedicated, "SELECT pg_backend_pid()"));
            assertThat(queryString(dedicated, "SELECT pg_backend_pid()")).isEqualTo(Long.toString(pid));
            assertThat(queryString(dedicated, "SHOW statement_timeout")).isEqualTo("5min");
            assertThat(queryString(dedicated, "SHOW application_name")).isEqualTo("pgwarden");
            // the session is not one of the pool's
            long pooledPid = cluster.withConnection(c -> Long.parseLong(queryString(c, "SELECT pg_backend_pid()")));
            assertThat(pooledPid).isNotEqualTo(pid);
        }
    }

    @Test
    void dedicatedConnectionToAnotherDatabaseKeepsTheSessionSettings() throws Exception {
        pg.sql("CREATE DATABASE other_db");
        try (JdbcPgCluster cluster = new JdbcPgCluster(pg.postgresConfig(), Map.of(), Metrics.noop());
                Connection other = cluster.openDedicatedConnection("other_db")) {
            assertThat(queryString(other, "SELECT current_database()")).isEqualTo("other_db");
            assertThat(queryString(other, "SHOW statement_timeout")).isEqualTo("5min");
            assertThat(queryString(other, "SHOW application_name")).isEqualTo("pgwarden");
            // the configured database is still the pool's
            assertThat(cluster.<String>withConnection(c -> queryString(c, "SELECT current_database()")))
                    .isEqualTo("postgres");
            assertThatThrownBy(() -> cluster.openDedicatedConnection("no_such_db").close())
                    .isInstanceOfSatisfying(PgwardenException.class, e ->
                            assertThat(e.getMessage()).contains("database 'no_such_db'"));
        } finally {
            pg.sql("DROP DATABASE other_db");
        }
    }

    @Test
    void unreachablePortIsRetriedUpToMaxAttemptsThenReported() throws IOException {
        int closedPort = closedPort();
        PostgresConfig config = withConnection(pg.postgresConfig(false, THREE_QUICK_ATTEMPTS),
                new PostgresConfig.Connection("127.0.0.1", Optional.empty(), closedPort, "postgres", "postgres",
                        Optional.empty(), Duration.ofSeconds(2), Duration.ofMinutes(1), "pgwarden"));
        RecordingMetrics metrics = new RecordingMetrics();

        try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of(), metrics)) {
            assertThatThrownBy(cluster::serverInfo)
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
                        assertThat(e.getMessage())
                                .contains("'127.0.0.1:" + closedPort + "'")
                                .contains("database 'postgres'")
                                .contains("SQLSTATE 08001")
                                .contains("connection refused")
                                .contains("after 3 attempts");
                    });
        }
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "postgres", "code", "PGW020"))
                .isEqualTo(3.0);
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES)).isEqualTo(3.0);
    }

    @Test
    void dedicatedConnectionToUnreachablePortIsRetriedToo() throws IOException {
        int closedPort = closedPort();
        PostgresConfig config = withConnection(pg.postgresConfig(false, THREE_QUICK_ATTEMPTS),
                new PostgresConfig.Connection("127.0.0.1", Optional.empty(), closedPort, "postgres", "postgres",
                        Optional.empty(), Duration.ofSeconds(2), Duration.ofMinutes(1), "pgwarden"));
        RecordingMetrics metrics = new RecordingMetrics();

        try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of(), metrics)) {
            assertThatThrownBy(cluster::openDedicatedConnection)
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
                        assertThat(e.getMessage()).contains("'127.0.0.1:" + closedPort + "'").contains("SQLSTATE 08001");
                    });
        }
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "code", "PGW020")).isEqualTo(3.0);
    }

    @Test
    void missingSocketFileIsUnreachableAndNamesTheSocket() throws IOException {
        int closedPort = closedPort();
        PostgresConfig config = withConnection(pg.postgresConfig(true, THREE_QUICK_ATTEMPTS),
                new PostgresConfig.Connection("127.0.0.1", Optional.of(pg.cluster().socketDirectory()), closedPort,
                        "postgres", "postgres", Optional.empty(), Duration.ofSeconds(2), Duration.ofMinutes(1), "pgwarden"));
        RecordingMetrics metrics = new RecordingMetrics();

        try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of(), metrics)) {
            assertThatThrownBy(cluster::openDedicatedConnection)
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE);
                        assertThat(e.getMessage())
                                .contains("socket '" + pg.cluster().socketDirectory().resolve(".s.PGSQL." + closedPort) + "'")
                                .contains("SQLSTATE 08001");
                    });
        }
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "code", "PGW020")).isEqualTo(3.0);
    }

    @Test
    void missingDatabaseFailsAfterOneAttempt() {
        PostgresConfig base = pg.postgresConfig(false, THREE_QUICK_ATTEMPTS);
        PostgresConfig.Connection c = base.connection();
        PostgresConfig config = withConnection(base, new PostgresConfig.Connection(c.host(), c.socket(), c.port(),
                c.user(), "no_such_db", c.password(), c.connectTimeout(), c.statementTimeout(), c.applicationName()));
        RecordingMetrics metrics = new RecordingMetrics();

        try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of(), metrics)) {
            assertThatThrownBy(cluster::serverInfo)
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_DATABASE_MISSING);
                        assertThat(e.getMessage()).contains("'no_such_db'").contains("SQLSTATE 3D000")
                                .contains("'127.0.0.1:" + c.port() + "'").doesNotContain("attempts");
                    });
        }
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "dependency", "postgres", "code", "PGW022"))
                .isEqualTo(1.0);
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES)).isEqualTo(1.0);
    }

    @Test
    void queryErrorIsNotRetried() {
        RecordingMetrics metrics = new RecordingMetrics();
        try (JdbcPgCluster cluster = new JdbcPgCluster(pg.postgresConfig(false, THREE_QUICK_ATTEMPTS), Map.of(), metrics)) {
            assertThatThrownBy(() -> cluster.withConnection(c -> queryString(c, "SELECT * FROM no_such_table")))
                    .isInstanceOfSatisfying(PgwardenException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_QUERY_FAILED);
                        assertThat(e.getMessage()).startsWith("query failed on PostgreSQL at '127.0.0.1:")
                                .contains("SQLSTATE 42P01").contains("no_such_table");
                    });
            // the pool is still usable after a failed statement
            assertThat(cluster.<String>withConnection(c -> queryString(c, "SELECT 1"))).isEqualTo("1");
        }
        assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "code", "PGW023")).isEqualTo(1.0);
    }

    @Test
    void passwordReferenceIsResolvedButNeverPrinted() {
        PostgresConfig base = pg.postgresConfig();
        PostgresConfig.Connection c = base.connection();
        PostgresConfig config = withConnection(base, new PostgresConfig.Connection(c.host(), c.socket(), c.port(),
                c.user(), c.database(), Optional.of(org.pgwarden.common.SecretRef.parse("env:PGW_TEST_PASSWORD")),
                c.connectTimeout(), c.statementTimeout(), c.applicationName()));

        // trust authentication ignores the password, so the connection works and the secret stays hidden
        try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of("PGW_TEST_PASSWORD", "hunter2-secret"),
                Metrics.noop())) {
            assertThat(cluster.serverInfo().version().major()).isEqualTo(15);
            assertThat(cluster.toString()).doesNotContain("hunter2-secret");
            assertThat(cluster.describeEndpoint()).doesNotContain("hunter2-secret");
        }
        assertThatThrownBy(() -> new JdbcPgCluster(config, Map.of(), Metrics.noop()))
                .isInstanceOfSatisfying(PgwardenException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.SECRET_UNRESOLVED));
    }

    @Test
    void poolIsCreatedWhileTheServerIsDownAndWorksOnceItStarts() {
        try (LocalCluster down = LocalCluster.create(LocalCluster.options())) {
            PostgresConfig config = down.postgresConfig(down.connection(false, Duration.ofSeconds(2)),
                    PostgresFixture.SMALL_POOL, PostgresFixture.SHORT_RETRY);
            RecordingMetrics metrics = new RecordingMetrics();
            try (JdbcPgCluster cluster = new JdbcPgCluster(config, Map.of(), metrics)) {
                assertThatThrownBy(cluster::serverInfo)
                        .isInstanceOfSatisfying(PgwardenException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PG_UNREACHABLE));
                assertThat(metrics.total(MeterNames.DEPENDENCY_ATTEMPT_FAILURES, "code", "PGW020")).isEqualTo(2.0);

                down.start();

                PgServerInfo info = cluster.serverInfo();
                assertThat(info.version().major()).isEqualTo(15);
                assertThat(info.dataDirectory()).isEqualTo(down.dataDirectory());
            }
        }
    }

    private static PostgresConfig withConnection(PostgresConfig base, PostgresConfig.Connection connection) {
        return new PostgresConfig(base.dataDirectory(), base.binDirectory(), connection, base.pool(), base.retry());
    }

    /** A port that was free a moment ago; nothing listens on it. */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String queryString(Connection c, String sql) throws java.sql.SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
