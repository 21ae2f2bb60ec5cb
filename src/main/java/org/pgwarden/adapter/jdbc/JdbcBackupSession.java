package org.pgwarden.adapter.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.pg.Lsn;
import org.pgwarden.pg.PgBackupSession;
import org.pgwarden.pg.PgBackupStop;
import org.pgwarden.pg.PgVersion;
import org.pgwarden.pg.TimelineId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup mode on one physical connection. Nothing here is retried: if the connection drops, the
 * server has already aborted backup mode and only starting over helps.
 */
final class JdbcBackupSession implements PgBackupSession {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcBackupSession.class);

    private final Connection connection;
    private final PgErrors errors;
    private final boolean modernApi;
    private final String label;
    private final Lsn startLsn;
    private final TimelineId timeline;
    private final Instant startTime;
    private boolean ended;
    private boolean closed;

    private JdbcBackupSession(Connection connection, PgErrors errors, boolean modernApi, String label, Lsn startLsn,
            TimelineId timeline, Instant startTime) {
        this.connection = connection;
        this.errors = errors;
        this.modernApi = modernApi;
        this.label = label;
        this.startLsn = startLsn;
        this.timeline = timeline;
        this.startTime = startTime;
    }

    /** Enters backup mode on {@code connection}, which the session owns from now on (closed on failure). */
    static JdbcBackupSession begin(Connection connection, PgErrors errors, String label, boolean fast) {
        try {
            PgVersion version;
            try (Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num'), pg_is_in_recovery()")) {
                rs.next();
                version = PgVersion.parseVersionNum(rs.getString(1));
                if (rs.getBoolean(2)) {
                    throw new PgwardenException(ErrorCode.PG_MISCONFIGURED,
                            "backup from a standby is not supported yet: " + errors.where() + " is in recovery",
                            "point 'postgres.connection' at the primary", null);
                }
            }
            try (Statement st = connection.createStatement()) {
                // a spread checkpoint may outlast the statement timeout meant for ordinary queries,
                // and the session sits idle for as long as the copy takes
                st.execute("SET statement_timeout = 0");
                if (version.isAtLeast(14)) {
                    st.execute("SET idle_session_timeout = 0");
                }
            }
            boolean modern = version.isAtLeast(15);
            String sql = modern
                    ? "SELECT lsn::text, pg_walfile_name(lsn), clock_timestamp() FROM pg_backup_start(?, ?) AS lsn"
                    : "SELECT lsn::text, pg_walfile_name(lsn), clock_timestamp() FROM pg_start_backup(?, ?, false) AS lsn";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, label);
                ps.setBoolean(2, fast);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Lsn start = Lsn.parse(rs.getString(1));
                    // on a primary the WAL file name starts with the timeline being written
                    TimelineId tli = TimelineId.parseHex(rs.getString(2).substring(0, 8));
                    Instant at = rs.getObject(3, OffsetDateTime.class).toInstant();
                    LOG.info("began backup mode '{}' at {} on timeline {} ({})", label, start, tli, errors.where());
                    return new JdbcBackupSession(connection, errors, modern, label, start, tli, at);
                }
            }
        } catch (SQLException e) {
            closeQuietly(connection);
            throw errors.queryFailed(e);
        } catch (RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    @Override
    public Lsn startLsn() {
        return startLsn;
    }

    @Override
    public TimelineId timeline() {
        return timeline;
    }

    @Override
    public Instant startTime() {
        return startTime;
    }

    @Override
    public synchronized PgBackupStop end() {
        if (ended || closed) {
            throw new IllegalStateException("backup mode '" + label + "' was already " + (ended ? "ended" : "closed"));
        }
        String sql = modernApi
                ? "SELECT lsn::text, labelfile, spcmapfile, clock_timestamp() FROM pg_backup_stop(wait_for_archive => false)"
                : "SELECT lsn::text, labelfile, spcmapfile, clock_timestamp() FROM pg_stop_backup(false, false)";
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            PgBackupStop stop = new PgBackupStop(Lsn.parse(rs.getString(1)), rs.getString(2), rs.getString(3),
                    rs.getObject(4, OffsetDateTime.class).toInstant());
            ended = true;
            LOG.info("ended backup mode '{}' at {} ({})", label, stop.stopLsn(), errors.where());
            return stop;
        } catch (SQLException e) {
            throw errors.queryFailed(e);
        }
    }

    @Override
    public synchronized boolean ended() {
        return ended;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!ended) {
            // the server aborts a non-exclusive backup when its session ends; nothing else to undo
            LOG.warn("abandoning backup mode '{}' started at {} ({})", label, startLsn, errors.where());
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.debug("closing the backup connection failed: {}", e.getMessage());
        }
    }
}
