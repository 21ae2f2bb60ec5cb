package org.pgwarden.pg;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * How far the slowest streaming client is behind this primary, in bytes of WAL: the guard of work
 * that floods replicas with WAL (maintenance windows, audit retention). A client that reports no
 * replay position ({@code pg_receivewal}) counts with what it flushed. On a standby, or without
 * the rights to see other sessions' positions ({@code pg_monitor}), it reads 0.
 */
public final class ReplicationLag {
    static final String SQL = "SELECT CASE WHEN pg_is_in_recovery() THEN 0 ELSE coalesce(max(pg_wal_lsn_diff("
            + "pg_current_wal_lsn(), coalesce(replay_lsn, flush_lsn, write_lsn))), 0)::bigint END"
            + " FROM pg_stat_replication";

    private ReplicationLag() {
    }

    public static long bytes(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(SQL)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
