package org.pgwarden.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.pgwarden.adapter.process.LocalCluster;
import org.pgwarden.adapter.process.PgBinaries;
import org.pgwarden.common.RetryPolicy;
import org.pgwarden.config.PostgresConfig;

/**
 * A real PostgreSQL cluster for one test class: start it in {@code @BeforeAll}, close it in
 * {@code @AfterAll}. A thin layer over {@link LocalCluster} with helpers to set up data and
 * configurations with small timeouts, so failing tests fail in seconds.
 */
public final class PostgresFixture implements AutoCloseable {
    /** Two attempts, short pauses: enough to exercise retrying without slowing tests down. */
    public static final RetryPolicy SHORT_RETRY = new RetryPolicy(2, Duration.ofMillis(20), Duration.ofMillis(100), 2.0);
    /** A pool that gives up waiting for a connection after half a second. */
    public static final PostgresConfig.Pool SMALL_POOL =
            new PostgresConfig.Pool(2, 0, Duration.ofMillis(500), Duration.ofMinutes(10), Duration.ofMinutes(30));

    private final LocalCluster cluster;

    private PostgresFixture(LocalCluster cluster) {
        this.cluster = cluster;
    }

    /** A started cluster with the default throwaway settings. */
    public static PostgresFixture start() {
        return start(Map.of());
    }

    /** A started cluster with extra {@code postgresql.conf} settings, e.g. {@code archive_mode}. */
    public static PostgresFixture start(Map<String, String> settings) {
        return start(LocalCluster.options().settings(settings));
    }

    /** A started cluster of the given PostgreSQL programs, e.g. {@link ZonkyPostgres#binaries()}. */
    public static PostgresFixture start(PgBinaries binaries, Map<String, String> settings) {
        return start(LocalCluster.options().binaries(binaries).settings(settings));
    }

    public static PostgresFixture start(LocalCluster.Options options) {
        return new PostgresFixture(LocalCluster.start(options));
    }

    public LocalCluster cluster() {
        return cluster;
    }

    /** Runs each statement in autocommit mode, in order. */
    public void sql(String... statements) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("fixture SQL failed: " + e.getMessage(), e);
        }
    }

    /** The first column of the first row as a {@code long}. */
    public long queryLong(String query) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from: " + query);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("fixture query failed: " + e.getMessage(), e);
        }
    }

    /** The first column of the first row as text. */
    public String queryString(String query) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from: " + query);
            }
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("fixture query failed: " + e.getMessage(), e);
        }
    }

    /** {@code pgbench -i -s scale}: {@code scale * 100000} rows in {@code pgbench_accounts}. */
    public void loadPgbench(int scale) {
        cluster.pgbench("-i", "-q", "-s", Integer.toString(scale));
    }

    /** Over TCP, with {@link #SMALL_POOL} and {@link #SHORT_RETRY}. */
    public PostgresConfig postgresConfig() {
        return postgresConfig(false, SHORT_RETRY);
    }

    /** Over the cluster's Unix socket, with {@link #SMALL_POOL} and {@link #SHORT_RETRY}. */
    public PostgresConfig socketPostgresConfig() {
        return postgresConfig(true, SHORT_RETRY);
    }

    public PostgresConfig postgresConfig(boolean viaSocket, RetryPolicy retry) {
        return cluster.postgresConfig(cluster.connection(viaSocket, Duration.ofSeconds(2)), SMALL_POOL, retry);
    }

    /** A plain connection for setting up data; tests of the adapter use {@code JdbcPgCluster} instead. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl(), cluster.superuser(), "");
    }

    @Override
    public void close() {
        cluster.close();
    }
}
