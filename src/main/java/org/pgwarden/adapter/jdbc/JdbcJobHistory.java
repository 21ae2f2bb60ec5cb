package org.pgwarden.adapter.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.common.Secret;
import org.pgwarden.config.ControlDatabaseConfig;
import org.pgwarden.job.JobHistoryStore;
import org.pgwarden.job.JobOutcome;
import org.pgwarden.job.JobStatus;
import org.pgwarden.job.JobTrigger;
import org.postgresql.Driver;
import org.postgresql.PGProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job history in the control database, schema {@value #SCHEMA}, whose tables are created and
 * upgraded by Flyway migrations ({@code db/migration} on the class path). Flyway takes its own
 * lock (a PostgreSQL advisory lock), so daemons starting together migrate once; a schema already
 * up to date is left alone. Opening does not connect: {@link #migrate()} does, and a store that
 * could not migrate at start migrates before its next write.
 */
public final class JdbcJobHistory implements JobHistoryStore {
    public static final String SCHEMA = "pgwarden";
    private static final Logger log = LoggerFactory.getLogger(JdbcJobHistory.class);
    private static final String COLUMNS = "run_id, kind, trigger, status, started_at, ended_at, error_code, bytes, message";

    private final String stanza;
    private final String where;
    private final HikariDataSource pool;
    private volatile boolean migrated;

    private JdbcJobHistory(String stanza, String where, HikariDataSource pool) {
        this.stanza = stanza;
        this.where = where;
        this.pool = pool;
    }

    /**
     * @param environment where {@code env:} password references are looked up
     * @throws PgwardenException {@code SECRET_UNRESOLVED} when the password reference cannot be read
     */
    public static JdbcJobHistory open(ControlDatabaseConfig config, String stanza, Map<String, String> environment) {
        Optional<Secret> password = config.password().map(ref -> ref.resolve(environment));
        Properties p = new Properties();
        PGProperty.USER.set(p, config.user());
        password.ifPresent(s -> PGProperty.PASSWORD.set(p, s.reveal()));
        int seconds = (int) Math.max(1, (config.connectTimeout().toMillis() + 999) / 1000);
        PGProperty.CONNECT_TIMEOUT.set(p, seconds);
        PGProperty.LOGIN_TIMEOUT.set(p, seconds);
        PGProperty.APPLICATION_NAME.set(p, "pgwarden-history");
        // Bounded, so a hung control database cannot hold the history writer forever.
        PGProperty.SOCKET_TIMEOUT.set(p, 60);
        HikariConfig h = new HikariConfig();
        h.setPoolName("pgwarden-control");
        h.setDriverClassName(Driver.class.getName());
        h.setJdbcUrl(config.url());
        h.setDataSourceProperties(p);
        h.setMaximumPoolSize(2);
        h.setMinimumIdle(0);
        h.setConnectionTimeout(config.connectTimeout().toMillis() + 1000);
        h.setInitializationFailTimeout(-1);
        h.setAutoCommit(true);
        return new JdbcJobHistory(stanza, "control database '" + config.url() + "'", new HikariDataSource(h));
    }

    /** Creates or upgrades the schema; harmless to repeat. */
    public synchronized void migrate() {
        if (migrated) {
            return;
        }
        try {
            MigrateResult r = Flyway.configure(JdbcJobHistory.class.getClassLoader())
                    .dataSource(pool)
                    .schemas(SCHEMA)
                    .createSchemas(true)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            migrated = true;
            log.info("{} schema '{}' at version {} ({} migration(s) applied now)", where, SCHEMA,
                    r.targetSchemaVersion == null ? r.initialSchemaVersion : r.targetSchemaVersion,
                    r.migrationsExecuted);
        } catch (FlywayException e) {
            throw new PgwardenException(ErrorCode.CONTROL_DB_FAILED, "unable to migrate schema '" + SCHEMA
                    + "' in the " + where + ": " + Secret.maskAll(oneLine(e)),
                    "check control-database.url, user and password, and that the user may create schema '"
                            + SCHEMA + "'", e);
        }
    }

    @Override
    public void save(JobOutcome o) {
        migrate();
        String sql = "INSERT INTO " + SCHEMA + ".job_history (stanza, " + COLUMNS + ")"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stanza, run_id) DO NOTHING";
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, stanza);
            st.setString(2, o.runId());
            st.setString(3, o.kind());
            st.setString(4, o.trigger().label());
            st.setString(5, o.status().label());
            st.setTimestamp(6, Timestamp.from(o.start()));
            st.setTimestamp(7, Timestamp.from(o.end()));
            st.setString(8, o.errorCode().map(ErrorCode::id).orElse(null));
            st.setLong(9, o.bytes());
            st.setString(10, o.message());
            st.executeUpdate();
        } catch (SQLException e) {
            throw failed("write job run '" + o.runId() + "' to", e);
        }
    }

    @Override
    public Optional<JobOutcome> find(String runId) {
        migrate();
        String sql = "SELECT " + COLUMNS + " FROM " + SCHEMA + ".job_history WHERE stanza = ? AND run_id = ?";
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, stanza);
            st.setString(2, runId);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(outcome(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failed("read job run '" + runId + "' from", e);
        }
    }

    @Override
    public List<JobOutcome> recent(int limit) {
        migrate();
        String sql = "SELECT " + COLUMNS + " FROM " + SCHEMA + ".job_history WHERE stanza = ?"
                + " ORDER BY started_at DESC, run_id DESC LIMIT ?";
        try (Connection c = pool.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, stanza);
            st.setInt(2, limit);
            List<JobOutcome> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(outcome(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed("read job history from", e);
        }
    }

    private static JobOutcome outcome(ResultSet rs) throws SQLException {
        String code = rs.getString(7);
        return new JobOutcome(rs.getString(1), rs.getString(2), JobTrigger.valueOf(rs.getString(3).toUpperCase(java.util.Locale.ROOT)),
                JobStatus.valueOf(rs.getString(4).toUpperCase(java.util.Locale.ROOT)), rs.getTimestamp(5).toInstant(),
                rs.getTimestamp(6).toInstant(), code == null ? Optional.empty() : ErrorCode.byId(code),
                rs.getString(9), rs.getLong(8));
    }

    private PgwardenException failed(String what, SQLException e) {
        return new PgwardenException(ErrorCode.CONTROL_DB_FAILED, "unable to " + what + " the " + where
                + " (SQLSTATE " + e.getSQLState() + "): " + Secret.maskAll(oneLine(e)), e);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ");
    }

    @Override
    public void close() {
        pool.close();
    }
}
