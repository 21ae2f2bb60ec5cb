package org.pgwarden.adapter.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Retrier;
import org.pgwarden.common.Secret;
import org.pgwarden.config.PostgresConfig;
import org.pgwarden.metrics.Metrics;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.PgBackupSession;
import org.pgwarden.pg.PgCluster;
import org.pgwarden.pg.PgServerInfo;
import org.pgwarden.pg.PgVersion;
import org.pgwarden.pg.SqlWork;
import org.postgresql.Driver;

/**
 * {@link PgCluster} over PgJDBC and a small HikariCP pool.
 *
 * <p>The pool is created without touching the server ({@code initializationFailTimeout=-1}), so
 * the daemon can start while PostgreSQL is down and report itself not ready. Every connect and
 * every unit of work runs under the configured {@link org.pgwarden.common.RetryPolicy}; each
 * failed attempt is logged and counted.
 */
public final class JdbcPgCluster implements PgCluster {
    private static final String SERVER_INFO_SQL = "SELECT current_setting('server_version_num'),"
            + " current_setting('data_directory'), current_setting('wal_level'),"
            + " current_setting('archive_mode'), current_setting('archive_command'),"
            + " current_setting('data_checksums'), pg_is_in_recovery(),"
            + " (pg_control_system()).system_identifier, current_setting('TimeZone')";

    private final PgConnectionSettings settings;
    private final PgErrors errors;
    private final Retrier retrier;
    private final HikariDataSource pool;
    private final Driver driver = new Driver();

    /**
     * @param environment where {@code env:} password references are looked up
     * @throws PgwardenException {@code SECRET_UNRESOLVED} when the password reference cannot be read
     */
    public JdbcPgCluster(PostgresConfig config, Map<String, String> environment, Metrics metrics) {
        Objects.requireNonNull(config, "config");
        Optional<Secret> password = config.connection().password().map(ref -> ref.resolve(environment));
        this.settings = PgConnectionSettings.of(config.connection(), password);
        this.errors = new PgErrors(settings.endpoint(), config.connection().database(), password);
        this.retrier = new Retrier(config.retry(), new PgAttemptReporter(metrics, config.retry().maxAttempts()));
        this.pool = new HikariDataSource(poolConfig(config.pool()));
    }

    private HikariConfig poolConfig(PostgresConfig.Pool p) {
        HikariConfig h = new HikariConfig();
        h.setPoolName("pgwarden-postgres");
        h.setDriverClassName(Driver.class.getName());
        h.setJdbcUrl(settings.url());
        // the user and password travel in the driver properties, which Hikari masks when it logs
        h.setDataSourceProperties(settings.properties());
        h.setMaximumPoolSize(p.maxSize());
        h.setMinimumIdle(p.minIdle());
        h.setConnectionTimeout(p.connectionTimeout().toMillis());
        h.setValidationTimeout(Math.min(p.connectionTimeout().toMillis(), Duration.ofSeconds(5).toMillis()));
        h.setIdleTimeout(p.idleTimeout().toMillis());
        h.setMaxLifetime(p.maxLifetime().toMillis());
        h.setInitializationFailTimeout(-1);
        h.setAutoCommit(true);
        return h;
    }

    @Override
    public PgServerInfo serverInfo() {
        // A direct connection rather than the pool: a probe must fail within connect-timeout with
        // the driver's own SQLSTATE, not wait out the pool's connection-timeout on a dead server.
        return retrier.run("query " + errors.where(), () -> {
            try (Connection c = connectOnce(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(SERVER_INFO_SQL)) {
                if (!rs.next()) {
                    throw new PgwardenException(ErrorCode.PG_QUERY_FAILED,
                            "server information query returned no row on " + errors.where());
                }
                return new PgServerInfo(
                        PgVersion.parseVersionNum(rs.getString(1)),
                        Path.of(rs.getString(2)),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        "on".equals(rs.getString(6)),
                        rs.getBoolean(7),
                        rs.getLong(8),
                        Optional.ofNullable(rs.getString(9)));
            } catch (SQLException e) {
                throw errors.queryFailed(e);
            }
        });
    }

    @Override
    public <T> T withConnection(SqlWork<T> work) {
        Objects.requireNonNull(work, "work");
        return retrier.run("query " + errors.where(), () -> {
            Connection c;
            try {
                c = pool.getConnection();
            } catch (SQLException e) {
                throw errors.connectFailed(e);
            }
            try (c) {
                return work.run(c);
            } catch (SQLException e) {
                throw errors.queryFailed(e);
            }
        });
    }

    @Override
    public Connection openDedicatedConnection() {
        return retrier.run("connect to " + errors.where(), this::connectOnce);
    }

    @Override
    public Connection openDedicatedConnection(String database) {
        Objects.requireNonNull(database, "database");
        PgConnectionSettings other = settings.forDatabase(database);
        PgErrors otherErrors = errors.forDatabase(database);
        return retrier.run("connect to " + otherErrors.where(), () -> connectOnce(other, otherErrors));
    }

    private Connection connectOnce() {
        return connectOnce(settings, errors);
    }

    /** One physical connection attempt, failures translated. */
    private Connection connectOnce(PgConnectionSettings to, PgErrors translate) {
        try {
            Connection c = driver.connect(to.url(), to.properties());
            if (c == null) {
                throw new PgwardenException(ErrorCode.INTERNAL,
                        "the PostgreSQL driver did not accept the URL for " + translate.where());
            }
            return c;
        } catch (SQLException e) {
            throw translate.connectFailed(e);
        }
    }

    @Override
    public PgBackupSession beginBackup(String label, boolean fast) {
        Objects.requireNonNull(label, "label");
        // only connecting is retried: once backup mode may have begun, a retry would start a second one
        return JdbcBackupSession.begin(openDedicatedConnection(), errors, label, fast);
    }

    @Override
    public long copyOut(Connection connection, String copySql, java.io.OutputStream out)
            throws SQLException, java.io.IOException {
        return connection.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut(copySql, out);
    }

    @Override
    public long copyIn(Connection connection, String copySql, java.io.InputStream in)
            throws SQLException, java.io.IOException {
        return connection.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn(copySql, in);
    }

    @Override
    public Lsn switchWal() {
        return Lsn.parse(queryText("SELECT pg_switch_wal()::text"));
    }

    @Override
    public Lsn currentLsn() {
        return Lsn.parse(queryText("SELECT pg_current_wal_lsn()::text"));
    }

    @Override
    public int walSegmentSize() {
        // SHOW prints '16MB'; pg_size_bytes turns any such unit into bytes
        return Math.toIntExact(Long.parseLong(queryText("SELECT pg_size_bytes(current_setting('wal_segment_size'))")));
    }

    @Override
    public int blockSize() {
        return Math.toIntExact(Long.parseLong(queryText("SELECT pg_size_bytes(current_setting('block_size'))")));
    }

    /** The first column of the single row {@code sql} returns, as text. */
    private String queryText(String sql) {
        return withConnection(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                if (!rs.next() || rs.getString(1) == null) {
                    throw new PgwardenException(ErrorCode.PG_QUERY_FAILED,
                            "'" + sql + "' returned no value on " + errors.where());
                }
                return rs.getString(1);
            }
        });
    }

    @Override
    public String describeEndpoint() {
        return errors.where();
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "JdbcPgCluster[" + errors.where() + "]";
    }
}
