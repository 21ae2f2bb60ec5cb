package org.pgwarden.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.pgwarden.common.ErrorCode;
import org.pgwarden.common.PgwardenException;
import org.pgwarden.config.AuditRetentionConfig.Table;

/** Quoting and small JDBC helpers shared by the audit-retention steps. */
final class Sql {
    private Sql() {
    }

    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String qualified(String schema, String name) {
        return ident(schema) + "." + ident(name);
    }

    /** A string literal; every transaction sets {@code standard_conforming_strings} so only quotes need doubling. */
    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    static String timestamptz(Instant t) {
        return literal(t.toString()) + "::timestamptz";
    }

    static String millis(Duration d) {
        return literal(Math.max(1, d.toMillis()) + "ms");
    }

    /**
     * Starts a repeatable-read transaction bounded by the table's lock and statement timeouts, in
     * UTC (so {@code timestamp without time zone} columns are read as UTC everywhere).
     */
    static void begin(Connection c, Table t) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = " + millis(t.lockTimeout()));
            s.execute("SET LOCAL statement_timeout = " + millis(t.statementTimeout()));
            s.execute("SET LOCAL TimeZone = 'UTC'");
            s.execute("SET LOCAL standard_conforming_strings = on");
        }
    }

    static void rollbackQuietly(Connection c, Exception cause) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    static long queryLong(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    static int update(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            return s.executeUpdate(sql);
        }
    }

    /** A failed statement on {@code t}'s database, with the SQLSTATE; class 08 is an unreachable server. */
    static PgwardenException failed(Table t, String doing, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        ErrorCode code = state.startsWith("08") ? ErrorCode.PG_UNREACHABLE : ErrorCode.PG_QUERY_FAILED;
        return new PgwardenException(code, "audit retention of table '" + t.table() + "' in database '" + t.database()
                + "': " + doing + " failed: " + e.getMessage() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"),
                e);
    }

    /** {@code (a, b)} for several columns, {@code a} for one. */
    static String tuple(List<String> parts) {
        return parts.size() == 1 ? parts.get(0) : "(" + String.join(", ", parts) + ")";
    }
}
